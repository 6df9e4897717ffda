//! ## What it does
//! Flags every `Lambda` layer anywhere in a Keras model's layer tree, including
//! nested `Functional`/`Sequential` models and `TimeDistributed`/`Bidirectional`
//! wrappers, in `.keras` `config.json`, HDF5 `model_config` attributes and
//! SavedModel `keras_metadata.pb`. The finding shows the function's name and the
//! names and constants its marshalled bytecode refers to, read statically from
//! the base64 `function` field (Keras 2 `[code, defaults, closure]`, Keras 3
//! `__lambda__` `config.code`) without unmarshalling it. A `Lambda` that names a
//! module function (`{"class_name": "function", "module": ..., "config": name}`)
//! is reported with that name.
//!
//! ## Why is this bad?
//! A `Lambda` layer is arbitrary Python: Keras unmarshals the bytecode and builds
//! a function from it when the model is loaded with `safe_mode=False` (Keras 3)
//! or by default (tf.keras 2.x HDF5), and calls it on every forward pass. This
//! is the classic Keras remote-code-execution vector (CVE-2024-3660).
//!
//! ## Example
//! ```text
//! {"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__",
//!   "config": {"code": "4wEAAAAA..."}}}}
//! -> function <lambda>, names: __import__, system; constants: os, echo pwned
//! ```
//!
//! ## References
//! - CVE-2024-3660 (Keras Lambda arbitrary code execution)
//! - https://keras.io/api/layers/core_layers/lambda/
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS001",
    name: "keras-lambda-layer",
    severity: Severity::Critical,
    summary: "the model carries Python bytecode (or names a Python function) that Keras runs when the layer is called",
    path: "keras/lambda_layer",
};
