//! ## What it does
//! Flags any `module`, `class_name` or `registered_name` in a Keras configuration
//! that lies outside the `keras`, `tensorflow`, `tf_keras`, `keras_hub`,
//! `keras_nlp` and `keras_cv` namespaces. Severity is **high**, and
//! **critical** when the name is a known-dangerous Python callable (process
//! execution, code execution, file or network access: `subprocess.Popen`,
//! `os.system`, `builtins.exec`, ...).
//!
//! ## Why is this bad?
//! Keras 3 resolves `module` + `class_name` by importing the module and calling
//! the class with the layer's `config` as arguments. Pointing it at
//! `subprocess.Popen` runs a command while the model is loaded, even with
//! `safe_mode=True` (CVE-2025-1550).
//!
//! ## Example
//! ```text
//! {"module": "subprocess", "class_name": "Popen", "config": {"args": ["sh", "-c", "..."]}}
//! ```
//!
//! ## References
//! - CVE-2025-1550 (Keras safe_mode bypass through arbitrary module import)
//! - https://github.com/keras-team/keras/security/advisories/GHSA-48g7-3x6r-xfhp
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS002",
    name: "keras-foreign-module",
    severity: Severity::High,
    summary: "the configuration makes Keras import and instantiate a class or function from outside Keras and TensorFlow",
    path: "keras/foreign_module",
};
