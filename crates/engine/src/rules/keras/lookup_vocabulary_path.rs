//! ## What it does
//! Flags `StringLookup`, `IntegerLookup` and `TextVectorization` layers (and
//! other layers with `vocabulary`/`vocabulary_file`/`filepath`-style settings)
//! whose vocabulary is a string naming a file or URL instead of an inline list.
//!
//! ## Why is this bad?
//! Keras opens the path while building the layer: a model can read arbitrary
//! local files (into its vocabulary, where outputs can leak them) or reach out
//! to remote storage (`gs://`, `hdfs://`, `http://`) when loaded.
//!
//! ## Example
//! ```text
//! {"class_name": "StringLookup", "config": {"vocabulary": "/etc/passwd"}}
//! ```
//!
//! ## References
//! - https://keras.io/api/layers/preprocessing_layers/categorical/string_lookup/
//! - Huntr/JFrog reports on Keras arbitrary file read through vocabulary files (2025)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS004",
    name: "keras-lookup-vocabulary-path",
    severity: Severity::High,
    summary: "a lookup layer reads its vocabulary from a file path or URL when the model is loaded",
    path: "keras/lookup_vocabulary_path",
};
