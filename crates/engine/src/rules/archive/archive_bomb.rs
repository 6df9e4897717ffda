//! ## What it does
//! Flags a compressed member or stream that expands beyond the decompression
//! limits: more than `--max-decompressed` bytes, more than the ratio limit
//! (1000:1 by default), or past the total allowance for the target.
//! Decompression stops at the limit; what was decoded so far is still scanned.
//!
//! ## Why is this bad?
//! A decompression bomb exhausts memory or disk in whatever extracts it — a CI
//! runner, a model hub's ingestion pipeline — and can be used to make scanners
//! give up on the rest of an archive.
//!
//! ## Example
//! ```text
//! 42.zip: 42 KB that expands to 4.5 PB
//! ```
//!
//! ## References
//! - D. Fifield, "A better zip bomb" (2019); CWE-409
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ARC003",
    name: "archive-bomb",
    severity: Severity::High,
    summary: "a member expands far beyond its compressed size (decompression bomb)",
    path: "archive/archive_bomb",
};
