//! ## What it does
//! Flags `PyFunc`, `PyFuncStateless` and `EagerPyFunc` ops in a SavedModel or
//! frozen GraphDef, in the main graph or any function of its function library,
//! naming the op, the node and the function it sits in.
//!
//! ## Why is this bad?
//! These ops call a Python function registered under a token in the running
//! process. A graph that relies on them either fails to load or runs whatever
//! Python the attacker arranged to be registered; scanners and reviewers treat
//! them as code execution.
//!
//! ## Example
//! ```text
//! function __inference_serve_12, node `PyFunc` (op PyFunc, token pyfunc_0)
//! ```
//!
//! ## References
//! - https://www.tensorflow.org/api_docs/python/tf/py_function
//! - protectai/modelscan PR #341 (SavedModel unsafe ops)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TFG001",
    name: "tf-python-callback-op",
    severity: Severity::Critical,
    summary: "the graph calls back into Python (PyFunc), which runs arbitrary code in the loading process",
    path: "tf/python_callback_op",
};
