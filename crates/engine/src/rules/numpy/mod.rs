//! Rules about NumPy `.npy` files.
pub mod malformed_npy;
pub mod object_array;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[&object_array::RULE, &malformed_npy::RULE];
