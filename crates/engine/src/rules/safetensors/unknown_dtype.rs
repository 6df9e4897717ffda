//! ## What it does
//! Reports a tensor whose `dtype` is not one of the safetensors dtypes (BOOL, U8, I8, F8_*, F4, F6_*, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64, C64).
//!
//! ## Why is this bad?
//! The loader rejects the file, or a custom loader interprets the bytes in an unexpected way; the byte range cannot be checked against the shape. Review the file's origin.
//!
//! ## Example
//! ```text
//! {"w": {"dtype": "Q4_HOLDOUT", "shape": [4], "data_offsets": [0, 16]}}
//! ```
//!
//! ## References
//! - safetensors format specification (Dtype enum)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF004",
    name: "unknown-dtype",
    severity: Severity::Medium,
    summary: "a tensor uses a dtype the format does not define",
    path: "safetensors/unknown_dtype",
};
