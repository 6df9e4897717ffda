//! ## What it does
//! Reports a file named or shaped like a SavedModel, GraphDef or
//! `keras_metadata.pb` whose protobuf structure is broken (truncated fields,
//! bad lengths, wrong wire types), saying where.
//!
//! ## Why is this bad?
//! TensorFlow may still load a file the scanner could not fully read, and the
//! unread part may hold the dangerous ops.
//!
//! ## Example
//! ```text
//! saved_model.pb: field of 4096 bytes at byte 812 runs past the end
//! ```
//!
//! ## References
//! - https://protobuf.dev/programming-guides/encoding/
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TFG004",
    name: "malformed-tf-graph",
    severity: Severity::Medium,
    summary: "the TensorFlow protobuf could not be parsed completely, so parts of the graph were not vetted",
    path: "tf/malformed_tf_graph",
};
