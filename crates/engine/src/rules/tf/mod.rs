//! Rules about TensorFlow graphs.
pub mod checkpoint_unusual_path;
pub mod file_access_op;
pub mod malformed_tf_graph;
pub mod python_callback_op;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] =
    &[&python_callback_op::RULE, &file_access_op::RULE, &checkpoint_unusual_path::RULE, &malformed_tf_graph::RULE];
