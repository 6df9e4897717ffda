//! ## What it does
//! Reports a scanned model folder without a signature file when the policy
//! requires one (`[signing] require = true`).
//!
//! ## Why is this bad?
//! A gate that only accepts models from trusted publishers cannot tell where
//! an unsigned model came from or whether it changed on the way.
//!
//! ## Example
//! ```text
//! my-model: no signature (model.sig), and the policy requires one
//! ```
//!
//! ## References
//! - modelvet docs/signing.md, docs/policy.md (`[signing]`)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SIG003",
    name: "signature-missing",
    severity: Severity::High,
    summary: "the policy requires a signature and the model has none",
    path: "signing/signature_missing",
};
