//! Rules about Python source files (remote code).
pub mod dynamic_code_execution;
pub mod encoded_payload_execution;
pub mod import_time_background_task;
pub mod native_code_access;
pub mod network_download;
pub mod network_socket;
pub mod obfuscated_call;
pub mod persistence_write;
pub mod process_execution;
pub mod python_analysis_limit;
pub mod python_syntax_error;
pub mod remote_payload;
pub mod runtime_tampering;
pub mod secret_exfiltration;
pub mod unsafe_deserialization;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &process_execution::RULE,
    &dynamic_code_execution::RULE,
    &encoded_payload_execution::RULE,
    &obfuscated_call::RULE,
    &remote_payload::RULE,
    &unsafe_deserialization::RULE,
    &native_code_access::RULE,
    &runtime_tampering::RULE,
    &persistence_write::RULE,
    &network_socket::RULE,
    &import_time_background_task::RULE,
    &network_download::RULE,
    &secret_exfiltration::RULE,
    &python_syntax_error::RULE,
    &python_analysis_limit::RULE,
];
