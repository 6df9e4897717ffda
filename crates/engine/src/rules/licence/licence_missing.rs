//! ## What it does
//! Reports a model repository folder (a folder with a model card, `config.json`, `adapter_config.json`
//! or `model_index.json`) where no licence is declared anywhere: no `license` in the card, no licence
//! file, no licence in the model files' metadata, and no base model in the scanned tree to inherit one
//! from. **low**, policy action `warn` by default (`[licences] deny = ["missing"]` blocks).
//!
//! `modelvet scan` does not report loose model files (a `.pt` or `.gguf` outside a repository folder)
//! without a licence: most files scanned for code have none, and their licence lives elsewhere. Set
//! `check-loose-files = true` in `[licences]` to report them too; `modelvet licence` always does.
//!
//! ## Why is this bad?
//! Without a licence nobody has been granted the right to use, copy or modify the weights; "no licence"
//! is not "public domain". The owner must be asked, or the model left out.
//!
//! ## Example
//! ```text
//! my-model/config.json, my-model/model.safetensors, no README.md or LICENSE   # low LIC003
//! ```
//!
//! ## References
//! - Hugging Face model cards: `license`, `license_name`, `license_link`
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "LIC003",
    name: "licence-missing",
    severity: Severity::Low,
    summary: "a model repository folder declares no licence anywhere",
    path: "licence/licence_missing",
};
