//! ## What it does
//! Flags a pickle that imports a name which is neither on the allowlist of
//! known-safe machine-learning globals (generated from the libraries
//! themselves: PyTorch, NumPy, scikit-learn, SciPy, pandas, XGBoost, LightGBM,
//! CatBoost, Hugging Face, ...) nor known to be dangerous, and *calls* it with
//! arguments taken from the file (`REDUCE`, `INST`, `OBJ`, or through
//! `functools.partial` and the like).
//!
//! ## Why is this bad?
//! A call runs code of the file's choosing the moment the pickle is loaded.
//! An unknown callable is usually a project's own factory or a library's
//! reconstructor nobody has catalogued yet, but it can also be a gadget that
//! reads files or starts processes. modelvet denies unknown *calls* by
//! default: review the import, then allow it in your policy if you trust it.
//!
//! The same name only rebuilt as an instance (`NEWOBJ`, `copyreg._reconstructor`)
//! or stored as a value is a `low` note (`PKL010`); a name known to be dangerous
//! is `PKL001` (critical) in every use.
//!
//! ## Example
//! ```text
//! \x8c SHORT_BINUNICODE 'fastai.learner'
//! \x8c SHORT_BINUNICODE 'Learner'
//! \x93 STACK_GLOBAL              -> imports fastai.learner.Learner
//! )    EMPTY_TUPLE
//! R    REDUCE                    -> calls fastai.learner.Learner()
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
    summary: "loading the file calls a name that is not on the allowlist; review it before trusting the file",
    path: "pickle/unknown_import",
};
