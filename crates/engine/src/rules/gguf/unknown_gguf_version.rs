//! ## What it does
//! Reports a GGUF file whose version field is not one of the published
//! versions (1, 2, 3). The body is still read as version 3 to find chat
//! templates, but structural problems are not reported, because the layout of
//! an unknown version is not known.
//!
//! ## Why is this bad?
//! An unknown version is either a corrupt file or one crafted for a loader that
//! takes the version field on trust; byte-order confusion (a big-endian file
//! read as little-endian) also shows up this way. Either way no mainstream
//! tool made it.
//!
//! ## Example
//! ```text
//! GGUF version 65535 -> "unknown GGUF version 65535 (known: 1, 2, 3)"
//! ```
//!
//! ## References
//! - GGUF specification: <https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "GGF002",
    name: "unknown-gguf-version",
    severity: Severity::Medium,
    summary: "the GGUF version is not 1, 2 or 3, so loaders refuse or misread the file",
    path: "gguf/unknown_gguf_version",
};
