//! ## What it does
//! Notes `auto_map` entries in `config.json`, `tokenizer_config.json`, processor, preprocessor and
//! feature-extractor configs that name a module of the repository (`"modeling_x.MyModel"`): loading with
//! `trust_remote_code=True` imports `modeling_x.py`. The severity is **low**: the mapping alone does not
//! block.
//!
//! ## Why is this bad?
//! Remote code runs with your privileges as soon as the model is loaded. It is legitimate for new
//! architectures (many published models ship their own `modeling_*.py`), and the mapping only says
//! *which* file runs. What that file does is judged by the Python rules (`PYT*`): when the repository
//! folder is scanned, its `.py` files are parsed and a process, an `exec` of a payload, a credential sent
//! over the network and the like block there. A mapping to code in *another* repository is different
//! (HFC002, high): that code is not in the folder and was not scanned.
//!
//! ## Example
//! ```text
//! {"auto_map": {"AutoModel": "modeling_x.MyModel"}}   # low: scan modeling_x.py with the folder
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
    severity: Severity::Low,
    summary: "loading with trust_remote_code imports Python files from the repository (judged by the Python rules)",
    path: "hf/remote_code_reference",
};
