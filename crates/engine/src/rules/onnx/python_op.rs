//! ## What it does
//! Reports nodes whose operator runs Python: onnxruntime-extensions Python ops (`PyOp`, ops in `ai.onnx.contrib` registered from Python) and PyTorch's `PythonOp` fallback.
//!
//! ## Why is this bad?
//! Running the model calls back into Python code chosen by the model's author: arbitrary code execution when the model is run with the custom-op library loaded.
//!
//! ## Example
//! ```text
//! node { op_type: "PyOp" domain: "ai.onnx.contrib" }
//! ```
//!
//! ## References
//! - microsoft/onnxruntime-extensions: PyOp (onnx_op decorator)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX005",
    name: "python-op",
    severity: Severity::Critical,
    summary: "the graph calls a Python operator that runs arbitrary Python code",
    path: "onnx/python_op",
};
