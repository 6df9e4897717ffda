//! ## What it does
//! Reports a model signature that does not verify against the keys,
//! certificate roots or keyless (Sigstore) identities the policy's `[signing]`
//! section trusts: a file changed, added or removed since signing, a symbolic
//! link in the model, another signer's key, an untrusted certificate, a
//! keyless signature by another identity or issuer, a transparency-log entry
//! that does not verify, or a signature file that is altered or malformed.
//! Every difference is listed.
//!
//! ## Why is this bad?
//! The model is not what the trusted publisher signed. A changed weights file
//! or an added pickle is exactly how a tampered model reaches production.
//!
//! ## Example
//! ```text
//! my-model/model.sig: not verified: the files differ from the signed manifest (1 difference)
//! evidence: changed: model.safetensors: expected sha256 de134f3d…, found 9a0c1e77…
//! ```
//!
//! ## References
//! - OpenSSF Model Signing: <https://github.com/sigstore/model-transparency>
//! - modelvet docs/signing.md
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SIG002",
    name: "signature-invalid",
    severity: Severity::Critical,
    summary: "the model's signature does not verify: the files or the signature were changed, or the signer is not trusted",
    path: "signing/signature_invalid",
};
