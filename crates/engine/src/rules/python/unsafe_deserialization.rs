//! ## What it does
//! Finds `pickle.load(s)`, `dill`, `cloudpickle`, `joblib.load`, `pandas.read_pickle`, `shelve.open`,
//! `torch.load(..., weights_only=False)`, `numpy.load(allow_pickle=True)` and unsafe `yaml` loaders. Medium:
//! the file it loads should be scanned too; high severity comes from `remote-payload` when the data is fetched.
//!
//! ## Why is this bad?
//! Unpickling runs code chosen by whoever wrote the file. Remote code that unpickles repository files moves
//! the payload out of the Python source into a data file.
//!
//! ## Example
//! ```text
//! state = torch.load("extra.bin", weights_only=False)   # medium
//! ```
//!
//! ## References
//! - PyTorch documentation: torch.load and weights_only
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT006",
    name: "unsafe-deserialization",
    severity: Severity::Medium,
    summary: "pickle-based loading of files (pickle, dill, joblib, torch.load(weights_only=False)) runs code stored in them",
    path: "python/unsafe_deserialization",
};
