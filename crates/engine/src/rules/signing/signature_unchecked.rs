//! ## What it does
//! Notes a model signature (`model.sig`) that was not verified because the
//! policy names no trusted key, certificate root or keyless identity
//! (`[signing] keys`, `certificate-chains`, or `trust-root` with `identities`).
//! A note: it never blocks.
//!
//! ## Why is this bad?
//! A signature only means something against a signer you trust; anyone can
//! sign a model with their own key. Name the publisher's key in the policy to
//! have it checked.
//!
//! ## Example
//! ```text
//! my-model/model.sig: a signature is present but the policy names no trusted key, so it was not verified
//! ```
//!
//! ## References
//! - modelvet docs/signing.md, docs/policy.md (`[signing]`)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SIG004",
    name: "signature-unchecked",
    severity: Severity::Low,
    summary: "a signature is present but no trusted key is configured, so it was not checked (a note)",
    path: "signing/signature_unchecked",
};
