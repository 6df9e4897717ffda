//! ## What it does
//! Finds `auto_map` values of the form `other-org/other-repo--module.Class`: transformers downloads and imports
//! `module.py` from a different repository.
//!
//! ## Why is this bad?
//! The code that runs is not in the repository you are looking at and can change independently of it.
//!
//! ## Example
//! ```text
//! {"auto_map": {"AutoModel": "someone/else--modeling.Model"}}   # high
//! ```
//!
//! ## References
//! - transformers documentation: `trust_remote_code`, `auto_map`
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "HFC002",
    name: "cross-repository-code",
    severity: Severity::High,
    summary: "auto_map points at code in another repository, which is not part of what you reviewed",
    path: "hf/cross_repository_code",
};
