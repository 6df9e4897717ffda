//! Rules about Hugging Face repository configuration files.

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[];
