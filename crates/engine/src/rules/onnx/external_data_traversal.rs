//! ## What it does
//! Reports a tensor whose `external_data` `location` is absolute, contains `..`, backslashes or a drive letter, or (for a model on disk) resolves outside the model's folder.
//!
//! ## Why is this bad?
//! onnx.load reads (and onnx.save writes) external data relative to the model: a crafted location reads arbitrary files into tensors or overwrites files on save (CVE-2022-25882, CVE-2024-27318, CVE-2025-51480).
//!
//! ## Example
//! ```text
//! external_data { key: "location" value: "../../../../etc/passwd" }
//! ```
//!
//! ## References
//! - CVE-2024-27318
//! - CVE-2025-51480 (onnx/onnx#6959)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX001",
    name: "external-data-traversal",
    severity: Severity::Critical,
    summary: "an external-data location escapes the model's folder",
    path: "onnx/external_data_traversal",
};
