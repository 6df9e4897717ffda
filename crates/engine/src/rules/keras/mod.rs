//! Rules about Keras models.
pub mod external_savedmodel;
pub mod foreign_module;
pub mod lambda_layer;
pub mod lookup_vocabulary_path;
pub mod malformed_keras;
pub mod registered_custom_object;
pub mod remote_download;
pub mod unsafe_deserialization;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &lambda_layer::RULE,
    &foreign_module::RULE,
    &remote_download::RULE,
    &lookup_vocabulary_path::RULE,
    &external_savedmodel::RULE,
    &unsafe_deserialization::RULE,
    &malformed_keras::RULE,
    &registered_custom_object::RULE,
];
