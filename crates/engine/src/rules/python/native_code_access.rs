//! ## What it does
//! Finds calls into `ctypes` (`CDLL`, `cdll.LoadLibrary`, `memmove`, `cast`, `pythonapi`) and `cffi`.
//!
//! ## Why is this bad?
//! Native code can do anything, and raw memory access can rewrite the interpreter itself; model code does
//! not need it.
//!
//! ## Example
//! ```text
//! ctypes.CDLL("./libpayload.so")   # high
//! ```
//!
//! ## References
//! - Python documentation: ctypes
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT007",
    name: "native-code-access",
    severity: Severity::High,
    summary: "ctypes/cffi load native libraries and poke raw memory, beyond Python-level review",
    path: "python/native_code_access",
};
