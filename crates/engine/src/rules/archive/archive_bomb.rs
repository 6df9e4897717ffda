//! ## What it does
//! Flags a compressed member or stream that expands beyond the decompression
//! limits: more than `--max-decompressed` bytes, more than the ratio limit
//! (1000:1 by default), or past the total allowance for the target.
//! Decompression stops at the limit; what was decoded so far is still scanned.
//!
//! When the member or stream declares its uncompressed size (a zip entry's
//! size, gzip's trailer, the zstd, lz4 or lzma header) and that size is over
//! the limits, the ratio is also judged while decoding: decoding stops at the
//! first chunk after which more than 1 MiB has come out of fewer than
//! 1/1000 as many compressed bytes, so a bomb that says what it is costs a
//! megabyte of decoding, not gigabytes. A declared size is never enough on its
//! own, and one within the limits changes nothing: such a member is judged on
//! its whole length, so a file that starts with megabytes of zeros and goes on
//! with real data is not a bomb.
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
