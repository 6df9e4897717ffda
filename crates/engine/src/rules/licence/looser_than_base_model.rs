//! ## What it does
//! Reports a derivative (a fine-tune, merge, quantisation or PEFT adapter, named by `base_model` in its
//! card or `base_model_name_or_path` in `adapter_config.json`) that declares a looser licence than its
//! base model, when the base model's card is in the scanned tree: a Llama 3 fine-tune declared
//! `apache-2.0`, a LoRA over a CC BY-NC model declared `mit`. The derivative inherits the base's class
//! for its verdict (so a non-commercial base still blocks); this finding names the mismatch. **medium**,
//! policy action `warn`.
//!
//! ## Why is this bad?
//! Llama, Gemma, RAIL and non-commercial terms flow down to derivatives; an adapter is used together
//! with its base weights, whose terms apply. A looser id on a derivative misleads everyone downstream.
//!
//! ## Example
//! ```text
//! base/README.md:       license: llama3
//! finetune/README.md:   license: apache-2.0
//!                       base_model: meta-llama/base       # medium LIC006
//! ```
//!
//! ## References
//! - hub-docs `modelcard.md`: `base_model`, `base_model_relation`
//! - PEFT `adapter_config.json`: `base_model_name_or_path`
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "LIC006",
    name: "looser-than-base-model",
    severity: Severity::Medium,
    summary: "a derivative declares a looser licence than its base model",
    path: "licence/looser_than_base_model",
};
