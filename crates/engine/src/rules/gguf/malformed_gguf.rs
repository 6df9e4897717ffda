//! ## What it does
//! Reports a GGUF file whose header, metadata or tensor descriptions cannot be
//! read as the format says: the file ends early, a key/value or tensor count,
//! string length or array length is larger than the bytes that remain, a value
//! type is unknown, arrays are nested, keys or tensor names repeat, or a scan
//! limit on the number of entries was reached.
//!
//! ## Why is this bad?
//! GGUF loaders (llama.cpp, gguf-py and the many tools built on them) have had a
//! string of memory-safety and denial-of-service bugs on exactly these inputs: a
//! 2^62-element array makes gguf-py loop or exhaust memory, a key count of
//! 2^64-1 makes C++ loaders allocate without bound, lengths that run past the
//! end read out of bounds. A file that is not what it says is at best a broken
//! download; review it before a loader parses it.
//!
//! ## Example
//! ```text
//! kv count 0xFFFFFFFFFFFFFFFF -> "18446744073709551615 metadata key/values cannot fit in the 0 bytes after the header"
//! ```
//!
//! ## References
//! - llama.cpp GGUF parser hardening (ggml-org/llama.cpp pull requests on gguf_init_from_file)
//! - GGUF specification: <https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "GGF001",
    name: "malformed-gguf",
    severity: Severity::Medium,
    summary: "the GGUF header or metadata is truncated, inconsistent or declares impossible sizes",
    path: "gguf/malformed_gguf",
};
