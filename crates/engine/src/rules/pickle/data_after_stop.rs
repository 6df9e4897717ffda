//! ## What it does
//! Reports bytes after a pickle's `STOP` opcode: further pickles (each one is
//! scanned like the first) or trailing data that is not a pickle.
//!
//! ## Why is this bad?
//! `pickle.load` stops at the first `STOP`, so most scanners stop there too.
//! A loader that calls `pickle.load` again (as PyTorch's legacy format does)
//! runs the next pickle; an attacker can hide the payload there, or append data
//! for a second-stage loader.
//!
//! ## Example
//! ```text
//! pickle #1: {'weights': ...} STOP
//! pickle #2: os.system('...') STOP
//! ```
//!
//! ## References
//! - picklescan tests (multiple pickles in one file)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL008",
    name: "data-after-stop",
    severity: Severity::Low,
    summary: "the file continues after the pickle ends",
    path: "pickle/data_after_stop",
};
