//! Rules about chat templates (Jinja) in GGUF and Hugging Face files.
pub mod template_code_execution;
pub mod template_introspection;
pub mod unparsable_template;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] =
    &[&template_code_execution::RULE, &template_introspection::RULE, &unparsable_template::RULE];
