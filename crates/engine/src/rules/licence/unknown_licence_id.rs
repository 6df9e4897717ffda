//! ## What it does
//! Reports a licence id that modelvet cannot classify: an id that is not one of the Hugging Face Hub's
//! 83 licence ids, an SPDX id from modelvet's table or a known `license_name`; a family that names no
//! single licence (`bsd`, `cc`, `gpl`, `lgpl`); or `license: unknown`. **low**, policy action `warn` by
//! default (the `unknown` class is reviewed; `[licences] deny = ["unknown"]` for a strict gate).
//!
//! ## Why is this bad?
//! A misspelt id (`apache2`, `cc-by-nc`) or a family hides which terms apply; the Hub only checks
//! that an id is on its list, and the list grows. Read the terms, then name the id in `[licences]`.
//!
//! ## Example
//! ```text
//! ---
//! license: apache2             # README.md:2: low LIC004, not a known licence id
//! ---
//! ```
//!
//! ## References
//! - hub-docs: Licenses (the list of ids); SPDX License List
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "LIC004",
    name: "unknown-licence-id",
    severity: Severity::Low,
    summary: "a declared licence id that modelvet cannot classify",
    path: "licence/unknown_licence_id",
};
