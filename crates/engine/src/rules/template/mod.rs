//! Rules about chat templates (Jinja) in GGUF and Hugging Face files.

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[];
