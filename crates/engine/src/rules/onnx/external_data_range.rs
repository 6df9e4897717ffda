//! ## What it does
//! For a model scanned on disk, reports a tensor whose external data `offset` + `length` lies beyond the end of the external file it names.
//!
//! ## Why is this bad?
//! A well-formed export writes the bytes it references. A range that does not fit means the named file is not the one the model was saved with: typically a symbolic link or substitution pointing the tensor at another file (which the archive or copy then dereferenced).
//!
//! ## Example
//! ```text
//! location "weights.bin" length 2048, but weights.bin holds 1221 bytes
//! ```
//!
//! ## References
//! - CVE-2026-27489
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX004",
    name: "external-data-range",
    severity: Severity::High,
    summary: "an external-data byte range does not fit the file it names",
    path: "onnx/external_data_range",
};
