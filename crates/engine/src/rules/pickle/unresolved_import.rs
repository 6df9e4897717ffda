//! ## What it does
//! Flags an import whose target cannot be determined from the file: a
//! `STACK_GLOBAL` whose module or name comes from a value modelvet cannot
//! know, or an `EXT1`/`EXT2`/`EXT4` opcode with an extension code that nothing
//! in the stream registered.
//!
//! ## Why is this bad?
//! Legitimate pickles name what they import. An import that only resolves
//! through state outside the file (an extension registry the loading process
//! populated, a memo slot filled by a trick) hides its target from review.
//!
//! ## Example
//! ```text
//! \x82 EXT1 240        -> whatever copyreg's registry maps 240 to in the loading process
//! ```
//!
//! ## References
//! - Python `copyreg.add_extension`; Liu et al., "Hide and Seek" (arXiv:2508.19774)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL007",
    name: "unresolved-import",
    severity: Severity::High,
    summary: "the pickle imports something whose name cannot be read from the file",
    path: "pickle/unresolved_import",
};
