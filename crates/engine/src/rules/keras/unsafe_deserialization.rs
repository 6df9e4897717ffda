//! ## What it does
//! Flags configurations and lambda bytecode that call
//! `enable_unsafe_deserialization` or set `safe_mode` to false.
//!
//! ## Why is this bad?
//! Keras 3 refuses to rebuild lambdas under `safe_mode`. A first layer that
//! switches safe mode off lets the following layers' bytecode load and run: the
//! model disarms the protection its user relied on (CVE-2025-9906).
//!
//! ## Example
//! ```text
//! {"class_name": "Lambda", "config": {"function": {"module": "keras.config", "class_name": "function",
//!   "config": "enable_unsafe_deserialization"}}}
//! ```
//!
//! ## References
//! - CVE-2025-9906 (Keras enable_unsafe_deserialization safe_mode bypass)
//! - https://keras.io/api/models/model_saving_apis/model_saving_and_loading/
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS006",
    name: "keras-unsafe-deserialization",
    severity: Severity::High,
    summary: "the model turns off Keras safe-mode deserialisation so that later code objects load",
    path: "keras/unsafe_deserialization",
};
