//! ## What it does
//! For a model scanned on disk, reports an external-data file next to the model that is a symbolic link, a folder, or a special file.
//!
//! ## Why is this bad?
//! A symbolic link makes onnx.load read whatever it points to (`/etc/passwd`, keys) into a tensor, passing the path checks on the name (CVE-2026-27489).
//!
//! ## Example
//! ```text
//! model.onnx  ->  location "weights.bin";  weights.bin -> /etc/passwd
//! ```
//!
//! ## References
//! - CVE-2026-27489
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX002",
    name: "external-data-symlink",
    severity: Severity::Critical,
    summary: "an external-data file is a symbolic link or not a regular file",
    path: "onnx/external_data_symlink",
};
