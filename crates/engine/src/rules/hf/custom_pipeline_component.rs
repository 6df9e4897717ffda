//! ## What it does
//! Checks diffusers `model_index.json`: `_class_name` given as `[module, Class]` and components
//! `"unet": [module, Class]` whose module is not `diffusers`, `transformers` or another well-known library
//! load custom code.
//!
//! ## Why is this bad?
//! diffusers imports the named module (from the repository with `trust_remote_code`, or from an installed
//! package): custom code that runs when the pipeline loads.
//!
//! ## Example
//! ```text
//! {"unet": ["my_unet", "MyUNet"]}   # medium
//! ```
//!
//! ## References
//! - diffusers documentation: custom pipelines and components
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "HFC003",
    name: "custom-pipeline-component",
    severity: Severity::Medium,
    summary: "a diffusers pipeline component comes from a module outside diffusers/transformers",
    path: "hf/custom_pipeline_component",
};
