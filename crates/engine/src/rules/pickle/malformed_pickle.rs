//! ## What it does
//! Flags a pickle stream that the unpickler could not load to the end: a
//! truncated stream, an invalid opcode, a missing `STOP`, a stack underflow, a
//! read of a memo slot never written, an operand of the wrong type, or an
//! unknown protocol. Everything found before the break is still reported.
//!
//! ## Why is this bad?
//! A broken stream is either a damaged file or an evasion: the unpickler runs
//! every opcode *before* the error, so a payload followed by garbage executes
//! while scanners that give up on parse errors report nothing. modelvet fails
//! closed and says where the stream breaks.
//!
//! ## Example
//! ```text
//! c GLOBAL 'os system' ... R REDUCE   (runs)
//! \xff                                (invalid opcode: pickle.load raises afterwards)
//! ```
//!
//! ## References
//! - ReversingLabs, "nullifAI" (2025): broken pickles evading Hugging Face's scanner
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL006",
    name: "malformed-pickle",
    severity: Severity::Medium,
    summary: "the pickle stream is broken; opcodes before the break still run when it is loaded",
    path: "pickle/malformed_pickle",
};
