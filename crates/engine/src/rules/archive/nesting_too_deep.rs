//! ## What it does
//! Reports containers or nested payloads nested deeper than the depth limit
//! (`--max-depth`, 10 by default); the deeper content is not scanned.
//!
//! ## Why is this bad?
//! Deep nesting (zip in tar in gzip in zip ...) is a way to exhaust scanners
//! or push a payload past the depth they inspect.
//!
//! ## Example
//! ```text
//! a.zip > b.tar > c.gz > d.zip > ... > payload.pkl
//! ```
//!
//! ## References
//! - CWE-409; ModelAudit issues #942, #1017 (nested and disguised archives)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ARC007",
    name: "nesting-too-deep",
    severity: Severity::Medium,
    summary: "containers are nested deeper than the limit; the innermost content was not scanned",
    path: "archive/nesting_too_deep",
};
