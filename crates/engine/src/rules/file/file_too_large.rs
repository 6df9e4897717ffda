//! ## What it does
//! Reports a file or archive member larger than `--max-file-size`; it is not
//! scanned.
//!
//! ## Why is this bad?
//! A file that was not scanned was not vetted: modelvet fails closed rather
//! than passing it silently. Raise the limit if the file is expected.
//!
//! ## Example
//! ```text
//! model.bin: 300 GiB is above the 256 GiB limit
//! ```
//!
//! ## References
//! - modelvet limits (README)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "FIL002",
    name: "file-too-large",
    severity: Severity::Medium,
    summary: "the file is above the size limit and was not scanned",
    path: "file/file_too_large",
};
