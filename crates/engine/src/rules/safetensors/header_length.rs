//! ## What it does
//! Reports a safetensors file whose 8-byte header length is larger than the file, above the format's 100 MB limit, or close to 2^63.
//!
//! ## Why is this bad?
//! Loaders allocate the header from this length before reading it. A huge value exhausts memory or overflows size arithmetic in C/C++ loaders (out-of-bounds reads); the reference implementation refuses such files, so one that carries it was crafted.
//!
//! ## Example
//! ```text
//! 00 00 00 00 00 00 00 80  {}      # header length 2^63
//! ```
//!
//! ## References
//! - safetensors format specification (header < 100 MB)
//! - ml-explore/mlx#3363 (out-of-bounds read from a crafted header)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF001",
    name: "header-length-invalid",
    severity: Severity::High,
    summary: "the header length points past the file, above the format's limit, or overflows",
    path: "safetensors/header_length",
};
