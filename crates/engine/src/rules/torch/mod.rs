//! Rules about PyTorch containers.
pub mod legacy_format;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[&legacy_format::RULE];
