//! ## What it does
//! Reports that a resource bound was reached while following a pickle (its
//! stack, mark or memo grew past the limits, or nested payloads were too deep);
//! the rest of that pickle was checked for imports only.
//!
//! ## Why is this bad?
//! A scanner with a budget can be beaten by padding a payload past it. modelvet
//! has no opcode budget, but it bounds memory; when a bound is hit it keeps
//! reading every import and tells you that the finer analysis stopped.
//!
//! The finding is `medium` when the pickle imports anything after the bound
//! (names built from memo tricks there would be seen less precisely), and
//! `low` when the rest is only data: a large dictionary of strings, as some
//! packages ship, reaches the memo bound and imports nothing.
//!
//! ## Example
//! ```text
//! 2,000,000 memo entries -> "memo size limit reached; the rest was checked for imports only"
//! ```
//!
//! ## References
//! - ModelAudit issues on time-outs and "coverage incomplete" results
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL009",
    name: "analysis-limit",
    severity: Severity::Medium,
    summary: "a scan limit was reached; part of the file was analysed less precisely",
    path: "pickle/analysis_limit",
};
