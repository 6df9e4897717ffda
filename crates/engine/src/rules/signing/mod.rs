//! Rules about model signatures (OpenSSF Model Signing), checked when a
//! scanned folder holds a signature or the policy's `[signing]` requires one.
pub mod signature_invalid;
pub mod signature_missing;
pub mod signature_unchecked;
pub mod signature_verified;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] =
    &[&signature_verified::RULE, &signature_invalid::RULE, &signature_missing::RULE, &signature_unchecked::RULE];
