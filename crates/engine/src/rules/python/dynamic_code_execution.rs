//! ## What it does
//! Finds `exec`, `eval`, `compile`, `execfile`, `runpy.run_path` whose code argument is not a string literal
//! (a variable, a value assembled from pieces, a file read at run time). Literal code is parsed and analysed
//! like the rest of the file instead.
//!
//! ## Why is this bad?
//! Code that is built at run time cannot be reviewed by reading the file, which is why attackers use it to
//! hide payloads from reviewers and scanners.
//!
//! ## Example
//! ```text
//! payload = open("data.bin").read()
//! exec(payload)   # critical
//! ```
//!
//! ## References
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT002",
    name: "dynamic-code-execution",
    severity: Severity::Critical,
    summary: "exec/eval/compile of code that is not a literal runs whatever that code is at load time",
    path: "python/dynamic_code_execution",
};
