//! ## What it does
//! Reports a `__metadata__` entry that is not a map from strings to strings (nested objects, arrays, numbers).
//!
//! ## Why is this bad?
//! The format only allows string values; the reference loader rejects anything else. Structured values there are a spec violation and a place to smuggle configuration for a custom loader.
//!
//! ## Example
//! ```text
//! {"__metadata__": {"format": "pt", "nested": {"a": [1, 2]}}, ...}
//! ```
//!
//! ## References
//! - safetensors format specification (__metadata__: string to string map)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF005",
    name: "metadata-not-string",
    severity: Severity::Medium,
    summary: "`__metadata__` holds values that are not strings",
    path: "safetensors/metadata_not_string",
};
