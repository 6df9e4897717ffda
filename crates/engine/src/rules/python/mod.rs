//! Rules about Python source files (remote code).

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[];
