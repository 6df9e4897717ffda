//! ## What it does
//! Reports a Keras/TensorFlow HDF5 file whose structures cannot be decoded, a
//! `model_config` attribute that is not valid JSON, and configurations nested
//! beyond the scanner's depth limit, saying why.
//!
//! ## Why is this bad?
//! A loader that is more lenient than the scanner may still load the file, so
//! whatever the scanner could not read has not been vetted. Malformed files are
//! also a common way to hide payloads from scanners.
//!
//! ## Example
//! ```text
//! keras/model.h5: unreadable HDF5: object header at 0x1f00 runs past the end of the file
//! ```
//!
//! ## References
//! - https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html (HDF5 file format)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS007",
    name: "malformed-keras-model",
    severity: Severity::Medium,
    summary: "the Keras model could not be read completely, so parts of it were not vetted",
    path: "keras/malformed_keras",
};
