//! Rules about TensorFlow graphs.

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[];
