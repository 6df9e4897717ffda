//! ## What it does
//! Reports a safetensors header that is not valid UTF-8 JSON, is not an object, is unterminated, or has a tensor entry without `dtype`, `shape` or `data_offsets`.
//!
//! ## Why is this bad?
//! A conforming writer never produces it: the file is damaged or crafted to probe loaders whose JSON parsers are more lenient than the reference one. Review before loading.
//!
//! ## Example
//! ```text
//! {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]      # unterminated
//! ```
//!
//! ## References
//! - safetensors format specification
//! - huggingface/safetensors: src/tensor.rs (header validation)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF002",
    name: "malformed-header",
    severity: Severity::Medium,
    summary: "the JSON header is invalid or a tensor entry lacks its fields",
    path: "safetensors/malformed_header",
};
