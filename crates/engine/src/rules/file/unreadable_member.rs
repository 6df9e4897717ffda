//! ## What it does
//! Reports data inside a target that could not be read (an I/O error on a
//! member, a temporary file that could not be created).
//!
//! ## Why is this bad?
//! Unread data was not vetted; modelvet fails closed and says why.
//!
//! ## Example
//! ```text
//! archive.tar > model.pkl: read error: unexpected end of file
//! ```
//!
//! ## References
//! - modelvet exit codes (README)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "FIL003",
    name: "unreadable-member",
    severity: Severity::Medium,
    summary: "part of the target could not be read, so it was not vetted",
    path: "file/unreadable_member",
};
