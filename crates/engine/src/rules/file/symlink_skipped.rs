//! ## What it does
//! Reports a symbolic link met while walking a folder. Links are not followed.
//!
//! ## Why is this bad?
//! A link in a model folder can point at files outside it (`/etc/passwd`, a
//! user's keys) that a loader would read as model data. modelvet reports where
//! it points instead of following it.
//!
//! ## Example
//! ```text
//! model/weights.bin -> /etc/passwd
//! ```
//!
//! ## References
//! - CVE-2026-27489 (ONNX external data through a symlink)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "FIL001",
    name: "symlink-skipped",
    severity: Severity::Low,
    summary: "a symbolic link was found and not followed",
    path: "file/symlink_skipped",
};
