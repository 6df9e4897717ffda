//! ## What it does
//! Reports nodes that run Python when the model runs, wherever they are (main graph, `If`/`Loop`/`Scan` subgraphs at any depth, local functions, training graphs):
//! - operators that call back into Python by name: onnxruntime-extensions `PyOp` (and `Py*` ops in `ai.onnx.contrib`), ONNX Runtime training's `PythonOp`, TensorFlow's `PyFunc` family;
//! - any node outside the ONNX standard domains (e.g. an `@onnx_op` Python op in `ai.onnx.contrib`, which can have any name) whose string attributes, or the strings of its tensor-valued attributes, hold a Python program (it parses, and it defines, imports or calls something dangerous) or a pickle (`\x80` protocol 2+).
//!
//! The evidence names the graph path, the attribute and quotes the start of the source. Pickles and base64 pickles in any attribute are also scanned as nested files (the pickle rules judge what they call).
//!
//! ## Why is this bad?
//! An onnxruntime-extensions Python op receives its attributes as arguments of a Python function registered by the code that runs the model: an op that `exec`s a `code` attribute or unpickles a `fn` attribute runs whatever the model's author put there. The attribute is where that code travels.
//!
//! Custom ops with plain attributes (a tokenizer's vocabulary, a regular expression, a mode string) are not reported: their code is the library's, not the file's. Python keywords in a vocabulary do not count: the whole string must parse as Python.
//!
//! ## Example
//! ```text
//! node { op_type: "Preprocess" domain: "ai.onnx.contrib"
//!        attribute { name: "code" s: "import os\nos.system('...')" } }
//! node { op_type: "PyOp" domain: "ai.onnx.contrib" }   # inside Loop.body / If.then_branch
//! ```
//!
//! ## References
//! - microsoft/onnxruntime-extensions: PyOp (`onnx_op` decorator, `PyCustomOpDef`)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ONX005",
    name: "python-op",
    severity: Severity::Critical,
    summary: "a node runs Python: a Python operator, or a custom op whose attributes carry Python source or a pickle",
    path: "onnx/python_op",
};
