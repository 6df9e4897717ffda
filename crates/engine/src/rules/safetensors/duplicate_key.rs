//! ## What it does
//! Reports a tensor name (or `__metadata__`) that appears more than once in the JSON header.
//!
//! ## Why is this bad?
//! JSON parsers differ on duplicate keys (first wins, last wins, error). A scanner and a loader can thus see different tensors or metadata in the same file: a classic parser-differential trick to hide content from review.
//!
//! ## Example
//! ```text
//! {"w": {...benign...}, "w": {...other offsets...}}
//! ```
//!
//! ## References
//! - Bishop Fox, An Exploration of JSON Interoperability Vulnerabilities
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF003",
    name: "duplicate-key",
    severity: Severity::High,
    summary: "a header key appears twice, so loaders disagree on which entry wins",
    path: "safetensors/duplicate_key",
};
