//! ## What it does
//! Reports `data_offsets` that end before they begin, reach past the data section, overlap another tensor, or hold a different number of bytes than the dtype and shape need.
//!
//! ## Why is this bad?
//! Loaders that trust the shape read past the range (out-of-bounds read, as in mlx#3363); overlapping ranges make two tensors alias the same bytes. The reference loader rejects all of these, so the file was crafted for another loader.
//!
//! ## Example
//! ```text
//! {"w": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 4]}}
//! ```
//!
//! ## References
//! - safetensors format specification (contiguous, non-overlapping)
//! - ml-explore/mlx#3363
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF007",
    name: "invalid-offsets",
    severity: Severity::High,
    summary: "tensor byte ranges are reversed, overlap, leave the file, or do not match dtype x shape",
    path: "safetensors/invalid_offsets",
};
