//! ## What it does
//! Reports an encrypted archive member that modelvet cannot decrypt.
//!
//! ## Why is this bad?
//! Encrypted content cannot be vetted. Model files are not normally shipped
//! encrypted inside archives.
//!
//! ## Example
//! ```text
//! payload.7z: member 'model.pkl' is AES-encrypted
//! ```
//!
//! ## References
//! - ReversingLabs, "nullifAI" (2025): 7z-wrapped PyTorch models
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ARC006",
    name: "encrypted-member",
    severity: Severity::Medium,
    summary: "an archive member is encrypted and could not be inspected",
    path: "archive/encrypted_member",
};
