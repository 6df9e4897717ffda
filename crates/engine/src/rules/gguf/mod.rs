//! Rules about GGUF files and chat templates.

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[];
