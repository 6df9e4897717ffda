//! Rules about a Hugging Face repository's name and publisher, checked before
//! anything is downloaded (the gate, `scan hf://`).
pub mod impersonated_model_name;
pub mod lookalike_publisher;
pub mod unlisted_publisher;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] =
    &[&lookalike_publisher::RULE, &impersonated_model_name::RULE, &unlisted_publisher::RULE];
