//! Rules about Hugging Face repository configuration files.
pub mod cross_repository_code;
pub mod custom_pipeline_component;
pub mod malformed_json;
pub mod remote_code_reference;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &remote_code_reference::RULE,
    &cross_repository_code::RULE,
    &custom_pipeline_component::RULE,
    &malformed_json::RULE,
];
