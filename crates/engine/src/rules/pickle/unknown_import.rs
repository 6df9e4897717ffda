//! ## What it does
//! Flags a pickle that imports a name which is neither on the allowlist of
//! known-safe machine-learning globals (PyTorch tensors and modules, NumPy
//! reconstruction, collections, scikit-learn, SciPy sparse, pandas, XGBoost,
//! LightGBM, CatBoost, transformers' argument classes, ...) nor known to be
//! dangerous.
//!
//! ## Why is this bad?
//! Any importable callable runs when the pickle is loaded. An unknown class is
//! usually a project's own model class (`ultralytics.nn.tasks.DetectionModel`),
//! but it can also be a gadget nobody has catalogued yet. modelvet denies by
//! default: review the import, then allow it in your policy if you trust it.
//!
//! ## Example
//! ```text
//! \x8c SHORT_BINUNICODE 'fastai.learner'
//! \x8c SHORT_BINUNICODE 'Learner'
//! \x93 STACK_GLOBAL              -> imports fastai.learner.Learner
//! ```
//!
//! ## References
//! - Kellas et al., "PickleBall: Secure Deserialization of Pickle-based Machine Learning Models" (allowlists)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL002",
    name: "unknown-import",
    severity: Severity::Medium,
    summary: "loading the file imports a name that is not on the allowlist; review it before trusting the file",
    path: "pickle/unknown_import",
};
