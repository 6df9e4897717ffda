//! ## What it does
//! Reports `external_data` entries with keys other than `location`, `offset`, `length`, `checksum`, or with an `offset`/`length` that is not a number or is absurd (beyond 2^48 bytes, overflowing).
//!
//! ## Why is this bad?
//! onnx's ExternalDataInfo sets every key as an attribute on itself: unknown keys overwrite internals such as `_sanitize_path` or `__class__` (CVE-2026-34445); absurd lengths drive huge reads or allocations.
//!
//! ## Example
//! ```text
//! external_data { key: "__class__" value: "_sanitize_path" }  external_data { key: "length" value: "18446744073709551615" }
//! ```
//!
//! ## References
//! - CVE-2026-34445
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX003",
    name: "external-data-injection",
    severity: Severity::Critical,
    summary: "an ExternalDataInfo has unexpected keys or absurd offset/length",
    path: "onnx/external_data_injection",
};
