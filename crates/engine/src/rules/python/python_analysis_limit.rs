//! ## What it does
//! Reports that a bound was reached while analysing a Python file (its size, nesting depth or number of
//! findings); part of the file was not analysed.
//!
//! ## Why is this bad?
//! Padding a payload past a scanner's limits is an evasion technique; the file needs a manual review.
//!
//! ## Example
//! ```text
//! a 10 MB generated .py file -> medium
//! ```
//!
//! ## References
//! - modelvet limits
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT014",
    name: "python-analysis-limit",
    severity: Severity::Medium,
    summary: "a Python file was too large or too deeply nested to analyse completely",
    path: "python/python_analysis_limit",
};
