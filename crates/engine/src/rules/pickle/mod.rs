//! Rules about pickle streams (raw pickles, PyTorch, joblib, NumPy object arrays, dill).
pub mod analysis_limit;
pub mod code_by_value;
pub mod code_string_argument;
pub mod dangerous_import;
pub mod data_after_stop;
pub mod malformed_pickle;
pub mod state_hijack;
pub mod unknown_import;
pub mod unresolved_import;
