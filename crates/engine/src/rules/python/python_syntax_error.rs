//! ## What it does
//! Reports Python files that the parser rejects, with the line and column of the first error.
//!
//! ## Why is this bad?
//! A file that cannot be parsed cannot be reviewed; parser differences between tools can be used to hide
//! code from scanners.
//!
//! ## Example
//! ```text
//! def f(:   # medium: syntax error at line 1, column 7
//! ```
//!
//! ## References
//! - Ruff's Python parser
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT013",
    name: "python-syntax-error",
    severity: Severity::Medium,
    summary: "a .py file that does not parse cannot be analysed",
    path: "python/python_syntax_error",
};
