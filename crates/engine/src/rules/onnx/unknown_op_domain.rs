//! ## What it does
//! Reports operator domains other than those that ship with ONNX, ONNX Runtime and onnxruntime-extensions (`ai.onnx`, `ai.onnx.ml`, `ai.onnx.training`, `ai.onnx.preview.training`, `ai.onnx.preview`, `com.microsoft`, `com.microsoft.nchwc`, `com.microsoft.experimental`, `com.microsoft.mlfeaturizers`, `com.microsoft.dml`, `com.ms.internal.nhwc`, `org.pytorch.aten`, `ai.onnx.contrib`, `com.microsoft.extensions`) and the domains of the model's own functions (`ModelProto.functions`, e.g. `pkg.onnxscript.torch_lib` from `torch.onnx.export`).
//!
//! ## Why is this bad?
//! Such a model only runs with a custom-op shared library registered: native code from the model's author. Review where that library comes from.
//!
//! ## Example
//! ```text
//! node { op_type: "Exfiltrate" domain: "com.evil.ops" }
//! ```
//!
//! ## References
//! - ONNX Runtime: custom operators
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX006",
    name: "unknown-op-domain",
    severity: Severity::Medium,
    summary: "the graph uses operators from a custom domain that needs a custom-op library",
    path: "onnx/unknown_op_domain",
};
