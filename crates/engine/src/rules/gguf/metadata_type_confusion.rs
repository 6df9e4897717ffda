//! ## What it does
//! Reports a well-known GGUF key stored with a value type other than the one
//! loaders read it as (for example `tokenizer.ggml.token_type` as an array of
//! UINT8 when llama.cpp reads INT32, or `general.alignment` as a string), and
//! tokenizer arrays (`tokens`, `scores`, `token_type`) of different lengths.
//!
//! ## Why is this bad?
//! Loaders that index one array by another, or read a 1-byte-element array as
//! 4-byte elements, read past the end of the heap buffer: a known way to crash
//! or leak memory from llama.cpp-based tools. Converters always write the
//! expected types, so a mismatch means the file was crafted or corrupted.
//!
//! ## Example
//! ```text
//! tokenizer.ggml.token_type: ARRAY of UINT8 -> "tokenizer.ggml.token_type is ARRAY of UINT8 but loaders read it as ARRAY of INT32"
//! ```
//!
//! ## References
//! - llama.cpp `llama_vocab::load` reads `token_type` as `int32_t`
//! - GGUF specification: <https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "GGF004",
    name: "gguf-metadata-type-confusion",
    severity: Severity::High,
    summary: "a well-known GGUF key has a value type (or length) other than the one loaders read",
    path: "gguf/metadata_type_confusion",
};
