//! ## What it does
//! Reports a GGUF file whose `general.alignment` is zero, not a power of two,
//! larger than 65,536, or not stored as UINT32.
//!
//! ## Why is this bad?
//! Loaders compute the start of tensor data and every tensor's padding from
//! this value. Zero divides by zero; a non-power of two breaks the bit tricks
//! that assume one; a value like 2^30 makes padding arithmetic overflow or skip
//! past the file, which earlier llama.cpp versions turned into out-of-bounds
//! reads. No converter writes such values: the file was edited by hand.
//!
//! ## Example
//! ```text
//! general.alignment = 1073741824 -> "general.alignment = 1073741824 (must be a non-zero power of two, at most 65536)"
//! ```
//!
//! ## References
//! - llama.cpp GGUF hardening around `general.alignment`
//! - GGUF specification: <https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "GGF003",
    name: "invalid-gguf-alignment",
    severity: Severity::High,
    summary: "general.alignment is zero, not a power of two, huge or mistyped: loaders divide or pad by it",
    path: "gguf/invalid_alignment",
};
