//! ## What it does
//! Reports a tensor whose shape has a negative or non-integer dimension, or whose element count overflows 64 bits.
//!
//! ## Why is this bad?
//! Sizes computed from such a shape wrap around in native loaders, turning a small byte range into a huge read or write (out-of-bounds memory access). No writer produces it.
//!
//! ## Example
//! ```text
//! {"w": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]}}
//! ```
//!
//! ## References
//! - safetensors format specification
//! - ml-explore/mlx#3363
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF006",
    name: "invalid-shape",
    severity: Severity::High,
    summary: "a tensor shape is negative, fractional or overflows",
    path: "safetensors/invalid_shape",
};
