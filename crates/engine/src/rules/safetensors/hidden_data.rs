//! ## What it does
//! Reports bytes of the data section that no tensor's `data_offsets` cover: gaps between tensors and data after the last one. The bytes are scanned with every scanner (a pickle or an archive hidden there is reported too).
//!
//! ## Why is this bad?
//! The format requires tensors to tile the data section. Unindexed bytes are invisible to safetensors loaders but can be read by a companion loader: the way to build a safetensors/pickle polyglot.
//!
//! ## Example
//! ```text
//! tensor w [0, 16], tensor x [4096, 4112]   # 4080-byte hole holding a pickle
//! ```
//!
//! ## References
//! - safetensors format specification (no holes)
//! - Zhao et al., Models Are Codes (arXiv:2409.09368)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "SAF008",
    name: "hidden-data",
    severity: Severity::High,
    summary: "bytes in the data section that no tensor covers (a gap or trailing data)",
    path: "safetensors/hidden_data",
};
