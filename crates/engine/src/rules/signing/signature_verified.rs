//! ## What it does
//! Records that a model folder's signature (`model.sig`, OpenSSF Model
//! Signing) verified against a key, certificate root or keyless (Sigstore)
//! identity that the policy's `[signing]` section trusts, and that every file
//! matches what was signed.
//! A note: it never blocks.
//!
//! ## Why is this bad?
//! It is not: it is the evidence, kept in every report format, that the model
//! comes from a trusted publisher unchanged since it was signed.
//!
//! ## Example
//! ```text
//! my-model/model.sig: verified: 9 files signed by P-256 key sha256:3f5c…
//! ```
//!
//! ## References
//! - OpenSSF Model Signing: <https://github.com/sigstore/model-transparency>
//! - modelvet docs/signing.md
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SIG001",
    name: "signature-verified",
    severity: Severity::Low,
    summary: "the model's signature verified against a trusted key (a note)",
    path: "signing/signature_verified",
};
