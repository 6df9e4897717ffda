//! ## What it does
//! Reports a GGUF tensor description whose data would lie outside the file's
//! data section, whose dimensions overflow 64 bits when multiplied, that has
//! more than four dimensions, or whose first dimension is not a multiple of its
//! quantisation block size. Misaligned or overlapping tensors are reported at
//! medium severity.
//!
//! ## Why is this bad?
//! Loaders map the file and compute each tensor's address from these numbers.
//! An offset past the end of the file, or a size whose product wraps around,
//! turns into an out-of-bounds read or a tiny allocation followed by a large
//! copy. Only the header is read to check this: tensor data is never touched.
//!
//! ## Example
//! ```text
//! offset 2^40 in a 60 KB file -> "tensor blk.0.attn_q.weight: 4096 bytes at data offset 1099511627776 run past the 57344-byte data section"
//! ```
//!
//! ## References
//! - llama.cpp GGUF hardening (tensor bounds checks in gguf_init_from_file)
//! - GGUF specification: <https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "GGF005",
    name: "gguf-tensor-out-of-bounds",
    severity: Severity::High,
    summary: "a tensor's dimensions or offset point outside the file or overflow when multiplied",
    path: "gguf/tensor_out_of_bounds",
};
