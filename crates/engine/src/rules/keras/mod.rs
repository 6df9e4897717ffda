//! Rules about Keras models.

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[];
