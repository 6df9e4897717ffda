//! ## What it does
//! When the policy lists the publishers it allows, flags a repository from any other publisher
//! (compared without regard to case, as the Hub does). Without such a list this rule never fires.
//!
//! ## Why is this bad?
//! Many companies accept models only from publishers they have reviewed (their own organisation,
//! the model vendors they have contracts with). A repository from anyone else needs a person to
//! look at it first.
//!
//! ## Example
//! ```text
//! # allowed publishers: meta-llama, acme-corp
//! acme-corp/classifier    # passes
//! google/gemma-2b         # HUB003
//! ```
//!
//! ## References
//! - JFrog Curation and Protect AI Guardian: publisher allow-lists for model hubs
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "HUB003",
    name: "unlisted-publisher",
    severity: Severity::Medium,
    summary: "the repository's publisher is not in the policy's allowed publishers",
    path: "hub/unlisted_publisher",
};
