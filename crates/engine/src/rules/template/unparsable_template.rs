//! ## What it does
//! Reports a chat template that minijinja's parser rejects, or that is larger
//! than the parse limit. The template is still searched as text for dunder
//! names and code-execution words (reported under TPL001/TPL002).
//!
//! ## Why is this bad?
//! A template that does not parse cannot be analysed precisely, and parser
//! differentials (a template that one Jinja accepts and another rejects) are a
//! way to hide a payload from scanners. Real templates parse.
//!
//! ## Example
//! ```text
//! {% for %} -> "template does not parse as Jinja: syntax error: ..."
//! ```
//!
//! ## References
//! - minijinja: <https://docs.rs/minijinja>
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TPL003",
    name: "unparsable-template",
    severity: Severity::Medium,
    summary: "a chat template does not parse as Jinja (or is too large), so it was checked as text only",
    path: "template/unparsable_template",
};
