//! ## What it does
//! Flags a repository whose publisher (the part before `/`) imitates a well-known one: the same
//! letters once look-alike characters are folded (`rn` for `m`, `0` for `o`, `I`/`1` for `l`,
//! Cyrillic or Greek letters for Latin ones) and separators dropped (`meta_llama`, `rneta-llama`,
//! `0penai`), the same words in another order (`llama-meta`), or one or two typing slips away
//! (`microsfot`, `mistraiai`; one slip for names of 6–9 characters, two from 10, none below 6).
//! The well-known publishers are the list shipped in `crates/engine/data/hub/well-known.tsv`
//! (each with its source) plus the policy's own.
//!
//! ## Why is this bad?
//! Attackers publish poisoned copies of popular models under names made to be mistaken for the
//! real publisher, and wait for a developer to copy the wrong id into `from_pretrained`. A
//! look-alike publisher has no reason to exist except to be mistaken for another; the gate holds
//! its repositories until someone with admin rights waives the finding.
//!
//! ## Example
//! ```text
//! rneta-llama/Llama-3.1-8B-Instruct   # HUB001: looks like meta-llama
//! meta-llama/Llama-3.1-8B-Instruct    # passes
//! ```
//!
//! ## References
//! - Unicode Technical Standard #39, "Unicode Security Mechanisms" (confusable skeletons)
//! - JFrog, "Data Scientists Targeted by Malicious Hugging Face ML Models with Silent Backdoor" (2024)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "HUB001",
    name: "lookalike-publisher",
    severity: Severity::High,
    summary: "the publisher's name imitates a well-known publisher (homoglyphs, separators, swapped words, typos)",
    path: "hub/lookalike_publisher",
};
