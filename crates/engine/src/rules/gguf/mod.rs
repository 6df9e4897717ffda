//! Rules about GGUF files and chat templates.
pub mod invalid_alignment;
pub mod malformed_gguf;
pub mod metadata_type_confusion;
pub mod tensor_out_of_bounds;
pub mod unknown_gguf_version;
pub mod unknown_tensor_type;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &malformed_gguf::RULE,
    &unknown_gguf_version::RULE,
    &invalid_alignment::RULE,
    &metadata_type_confusion::RULE,
    &tensor_out_of_bounds::RULE,
    &unknown_tensor_type::RULE,
];
