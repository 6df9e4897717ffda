//! ## What it does
//! Reports a model whose licence declarations disagree: the card says one licence and a licence file
//! holds another (card `apache-2.0`, `LICENSE` is the Llama 3 Community License Agreement), or the
//! model file's metadata names a third. **medium**, policy action `warn`. The model's verdict already
//! follows the strictest of the licences found, so the conflict itself does not block by default.
//!
//! ## Why is this bad?
//! The card's `license` field is what search filters, dashboards and most scanners read; the licence
//! text is what binds. A permissive id over restrictive terms, by mistake or to slip past a gate, is a
//! classic licence-laundering pattern.
//!
//! ## Example
//! ```text
//! README.md:  license: apache-2.0
//! LICENSE:    LLAMA 3.1 COMMUNITY LICENSE AGREEMENT ...   # medium LIC005
//! ```
//!
//! ## References
//! - hub-docs `modelcard.md` (`license`, `license_name`, `license_link`)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "LIC005",
    name: "conflicting-licences",
    severity: Severity::Medium,
    summary: "the card, licence files and model metadata declare different licences",
    path: "licence/conflicting_licences",
};
