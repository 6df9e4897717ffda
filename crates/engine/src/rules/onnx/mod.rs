//! Rules about ONNX models.
pub mod external_data_injection;
pub mod external_data_range;
pub mod external_data_symlink;
pub mod external_data_traversal;
pub mod malformed_onnx;
pub mod python_op;
pub mod unknown_op_domain;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &external_data_traversal::RULE,
    &external_data_symlink::RULE,
    &external_data_injection::RULE,
    &external_data_range::RULE,
    &python_op::RULE,
    &unknown_op_domain::RULE,
    &malformed_onnx::RULE,
];
