//! ## What it does
//! Reports a container that cannot be read completely: truncated, with a
//! corrupt header or compressed stream, with more entries than the entry
//! limit, or using a compression method modelvet does not decode. Everything
//! readable is still scanned.
//!
//! ## Why is this bad?
//! What cannot be read cannot be vetted. A damaged archive may be an accident,
//! or a way to make a scanner stop early while the real loader reads on.
//!
//! ## Example
//! ```text
//! zip: end of central directory not found; members read from local headers
//! ```
//!
//! ## References
//! - protectai/modelscan#354 (a corrupted entry stops a fail-open scanner)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ARC005",
    name: "malformed-archive",
    severity: Severity::Medium,
    summary: "part of the archive could not be read, so it was not vetted",
    path: "archive/malformed_archive",
};
