//! ## What it does
//! Resolves names built at run time: `getattr(__import__("o" + "s"), "sy" + "stem")`, `__builtins__["__import__"]`,
//! `sys.modules["os"]`, `"".join(...)`, `chr(...)`, reversed slices; when the result is a process, code,
//! unpickling, ctypes or socket function the call is reported with the name it resolves to.
//!
//! ## Why is this bad?
//! Ordinary code imports what it uses. Building the name of `os.system` out of pieces has one purpose: to
//! evade reviewers and pattern-matching scanners.
//!
//! ## Example
//! ```text
//! getattr(__import__('o' + 's'), 'sy' + 'stem')('id')   # critical: resolves to os.system
//! ```
//!
//! ## References
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT004",
    name: "obfuscated-call",
    severity: Severity::Critical,
    summary: "a dangerous function reached through getattr/__import__/builtins lookups and strings built at run time",
    path: "python/obfuscated_call",
};
