//! ## What it does
//! Reports an `.npy` file whose header cannot be parsed (unknown version,
//! header past the end of the file, not a dict literal, missing `descr` or
//! `shape`) or whose data is shorter than its shape needs.
//!
//! ## Why is this bad?
//! A file NumPy would reject or misread is either damaged or crafted to confuse
//! the tools that inspect it.
//!
//! ## Example
//! ```text
//! \x93NUMPY\x09\x00 ...   -> unknown .npy format version 9.0
//! ```
//!
//! ## References
//! - NumPy `.npy` format specification (NEP 1)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "NPY002",
    name: "malformed-npy",
    severity: Severity::Medium,
    summary: "the .npy file is malformed, so it was not fully vetted",
    path: "numpy/malformed_npy",
};
