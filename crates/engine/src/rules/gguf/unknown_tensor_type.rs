//! ## What it does
//! Reports a GGUF tensor whose ggml type number is not one modelvet knows,
//! so its byte size (and therefore its bounds) could not be checked.
//!
//! ## Why is this bad?
//! It is usually a new quantisation type and harmless; it is informational so
//! that you know the bounds check did not cover that tensor.
//!
//! ## Example
//! ```text
//! ggml type 250 -> "tensor output.weight: unknown ggml type 250"
//! ```
//!
//! ## References
//! - ggml type list: `enum ggml_type` in ggml.h
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "GGF006",
    name: "unknown-gguf-tensor-type",
    severity: Severity::Low,
    summary: "a tensor uses a ggml type this scanner does not know, so its size was not checked",
    path: "gguf/unknown_tensor_type",
};
