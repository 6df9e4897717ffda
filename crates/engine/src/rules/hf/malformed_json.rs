//! ## What it does
//! Reports a file named `*.json` (or that starts like JSON) that serde_json rejects, with where it failed.
//!
//! ## Why is this bad?
//! Loaders differ in how they treat broken JSON; a file that cannot be analysed needs a manual review.
//!
//! ## Example
//! ```text
//! {"auto_map": {"AutoModel": "modeling_x.M"   # medium: EOF while parsing
//! ```
//!
//! ## References
//! - RFC 8259
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "HFC004",
    name: "malformed-json",
    severity: Severity::Medium,
    summary: "a .json configuration file that does not parse",
    path: "hf/malformed_json",
};
