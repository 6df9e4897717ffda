//! ## What it does
//! Flags a repository that carries the exact name of a well-known model (compared after folding
//! case, separators and look-alike characters: `llama_3.1_8b_instruct` is `Llama-3.1-8B-Instruct`)
//! under a publisher that is not a well-known one. Derived names (`bert-base-uncased-finetuned-sst2`)
//! do not match. Known publishers and re-uploaders (`unsloth`, `TheBloke`, `NousResearch`, …) are
//! in the shipped list; add your own with the policy.
//!
//! ## Why is this bad?
//! A copy of `Llama-3-8B-Instruct` under an unknown account is how poisoned models are passed off
//! as the original: search results and copy-paste do the rest. It may be an honest mirror, which
//! is why the severity is **medium** — held for a reviewer, released with a waiver.
//!
//! ## Example
//! ```text
//! someone/Llama-3-8B-Instruct          # HUB002: the original is meta-llama's
//! someone/llama3-8b-support-bot        # passes: a name of its own
//! ```
//!
//! ## References
//! - Hugging Face Hub documentation: repository names and organisations
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "HUB002",
    name: "impersonated-model-name",
    severity: Severity::Medium,
    summary: "a well-known model's name published under an unknown publisher",
    path: "hub/impersonated_model_name",
};
