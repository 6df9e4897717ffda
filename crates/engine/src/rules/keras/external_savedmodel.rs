//! ## What it does
//! Flags `TFSMLayer` layers, which load a TensorFlow SavedModel from `filepath`
//! when the Keras model is built, and shows the path.
//!
//! ## Why is this bad?
//! The SavedModel's graph is not in the file being scanned, so it has not been
//! vetted: whatever ops it contains (file access, Python callbacks) run as part
//! of this model. Review where the path points and scan that SavedModel too.
//!
//! ## Example
//! ```text
//! {"class_name": "TFSMLayer", "config": {"filepath": "/tmp/other_savedmodel", "call_endpoint": "serving_default"}}
//! ```
//!
//! ## References
//! - https://keras.io/api/layers/backend_specific_layers/tfsm_layer/
//! - io-no/CVE-Reports#5
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS005",
    name: "keras-external-savedmodel",
    severity: Severity::Medium,
    summary: "a TFSMLayer loads a TensorFlow SavedModel from a path outside the file",
    path: "keras/external_savedmodel",
};
