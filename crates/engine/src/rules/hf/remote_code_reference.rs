//! ## What it does
//! Finds `auto_map` entries in `config.json`, `tokenizer_config.json`, processor, preprocessor and
//! feature-extractor configs that name a module of the repository (`"modeling_x.MyModel"`): loading with
//! `trust_remote_code=True` imports `modeling_x.py`. The Python files themselves are scanned separately.
//!
//! ## Why is this bad?
//! Remote code runs with your privileges as soon as the model is loaded. It is legitimate for new
//! architectures, but it must be reviewed first.
//!
//! ## Example
//! ```text
//! {"auto_map": {"AutoModel": "modeling_x.MyModel"}}   # medium
//! ```
//!
//! ## References
//! - transformers documentation: `trust_remote_code`, `auto_map`
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "HFC001",
    name: "remote-code-reference",
    severity: Severity::Medium,
    summary: "loading with trust_remote_code imports Python files from the repository",
    path: "hf/remote_code_reference",
};
