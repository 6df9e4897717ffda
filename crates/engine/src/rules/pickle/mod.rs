//! Rules about pickle streams (raw pickles, PyTorch, joblib, NumPy object arrays, dill).
pub mod analysis_limit;
pub mod code_by_value;
pub mod code_string_argument;
pub mod dangerous_import;
pub mod data_after_stop;
pub mod frame_divergence;
pub mod malformed_pickle;
pub mod state_hijack;
pub mod uncalled_unknown_import;
pub mod unknown_import;
pub mod unresolved_import;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &dangerous_import::RULE,
    &unknown_import::RULE,
    &code_string_argument::RULE,
    &code_by_value::RULE,
    &state_hijack::RULE,
    &malformed_pickle::RULE,
    &unresolved_import::RULE,
    &data_after_stop::RULE,
    &analysis_limit::RULE,
    &uncalled_unknown_import::RULE,
    &frame_divergence::RULE,
];
