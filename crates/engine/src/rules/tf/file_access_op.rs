//! ## What it does
//! Flags ops that touch the host file system or load code: `ReadFile`,
//! `WriteFile`, `MatchingFiles`, `ImmutableConst` (maps a file), file readers
//! and file datasets (`TextLineReader`, `TFRecordDataset`, ...), summary and
//! debug writers, `PrintV2` to a file, and anything that loads a library. The
//! finding names the op and node, and the constant path when there is one.
//! Vocabulary-table initialisers (`InitializeTableFromTextFile`) reading a
//! SavedModel asset are not flagged; with an absolute or `..` path they are.
//!
//! ## Why is this bad?
//! A model should compute on tensors. File access from inside the graph can
//! read secrets (and return them in outputs), overwrite files, or plant files
//! for a later stage; modelscan lists these ops as unsafe.
//!
//! ## Example
//! ```text
//! node `read` (op ReadFile) reads "/etc/passwd"
//! ```
//!
//! ## References
//! - protectai/modelscan: SavedModel unsafe operators (ReadFile, WriteFile, ...)
//! - https://www.tensorflow.org/api_docs/python/tf/io/read_file
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TFG002",
    name: "tf-file-access-op",
    severity: Severity::High,
    summary: "the graph reads, writes or lists files on the host when it runs",
    path: "tf/file_access_op",
};
