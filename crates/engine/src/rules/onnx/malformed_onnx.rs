//! ## What it does
//! Reports wire-format errors (truncation, bad tags, lengths beyond their message) in an ONNX model and subgraphs nested deeper than the scanner walks.
//!
//! ## Why is this bad?
//! Parts of the model could not be checked; a crafted protobuf can also hide content from parsers that stop early while the runtime reads it.
//!
//! ## Example
//! ```text
//! ModelProto whose graph field claims more bytes than the file holds
//! ```
//!
//! ## References
//! - onnx/onnx: onnx.proto
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX007",
    name: "malformed-onnx",
    severity: Severity::Medium,
    summary: "the ONNX protobuf is truncated, malformed or nested too deeply",
    path: "onnx/malformed_onnx",
};
