//! ## What it does
//! Reports a NumPy `.npy` array (also inside `.npz`) whose dtype holds Python
//! objects. Its data is a pickle, which modelvet scans like any other.
//!
//! ## Why is this bad?
//! Object arrays load only with `numpy.load(..., allow_pickle=True)`, which
//! runs the embedded pickle. Plain numeric weights never need it.
//!
//! ## Example
//! ```text
//! {'descr': '|O', 'fortran_order': False, 'shape': (1,), }  followed by a pickle
//! ```
//!
//! ## References
//! - NumPy format specification; CVE-2019-6446
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "NPY001",
    name: "object-array",
    severity: Severity::Low,
    summary: "the array stores Python objects and needs allow_pickle=True to load",
    path: "numpy/object_array",
};
