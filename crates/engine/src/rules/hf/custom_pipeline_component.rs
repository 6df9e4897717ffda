//! ## What it does
//! Checks diffusers `model_index.json`: `_class_name` given as `[module, Class]` and components
//! `"unet": [module, Class]` whose module is not `diffusers`, `transformers` or another well-known library
//! load custom code.
//!
//! Only the pipeline index is read this way: the file named `model_index.json`, or, under another name,
//! JSON with a `_diffusers_version` and a pipeline `_class_name` (`...Pipeline` or a `[module, Class]`
//! pair). A component's own `config.json` (a UNet's `down_block_types`, a VAE's `up_block_types`, a
//! scheduler's settings) is never read as components: its lists of names are settings diffusers looks up
//! inside its own package.
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
