//! ## What it does
//! Finds `exec`/`eval` of data that goes through a decoder (`base64.b64decode`, `bytes.fromhex`,
//! `codecs.decode(..., "rot13")`, `zlib.decompress`) and `marshal.loads` (code objects built from bytes). When
//! the encoded data is a constant it is decoded statically and shown as evidence, and analysed in turn.
//!
//! ## Why is this bad?
//! Legitimate model code has no reason to hide code in encoded strings; this is the usual shape of an
//! obfuscated trust_remote_code payload.
//!
//! ## Example
//! ```text
//! exec(base64.b64decode("X19pbXBvcnRfXygnb3MnKS5zeXN0ZW0oJ2VjaG8nKQ=="))   # critical, evidence: __import__('os').system('echo')
//! ```
//!
//! ## References
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT003",
    name: "encoded-payload-execution",
    severity: Severity::Critical,
    summary: "code decoded from base64/hex/rot13/zlib/marshal and then executed is a hidden payload",
    path: "python/encoded_payload_execution",
};
