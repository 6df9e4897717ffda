//! Rules about safetensors files.
pub mod duplicate_key;
pub mod header_length;
pub mod hidden_data;
pub mod invalid_offsets;
pub mod invalid_shape;
pub mod malformed_header;
pub mod metadata_not_string;
pub mod unknown_dtype;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &header_length::RULE,
    &malformed_header::RULE,
    &duplicate_key::RULE,
    &unknown_dtype::RULE,
    &metadata_not_string::RULE,
    &invalid_shape::RULE,
    &invalid_offsets::RULE,
    &hidden_data::RULE,
];
