//! Parsers for model file formats. Every function here reads untrusted bytes:
//! nothing is executed, imported or unpickled, every length is checked against
//! the bytes that remain, and oddities are returned as data.
#![forbid(unsafe_code)]

pub mod compress;
pub mod container;
pub mod gguf;
pub mod joblib;
pub mod keras;
pub mod limits;
pub mod model_card;
pub mod numpy;
pub mod onnx;
pub mod pickle;
pub mod pool;
pub mod python;
pub mod safetensors;
pub mod seekbuf;
pub mod sevenz;
pub mod tar;
pub mod template;
pub mod tf;
pub mod zip;

pub use limits::Limits;

/// `s.to_ascii_lowercase().ends_with(suffix)` for a lowercase `suffix`, without the copy.
pub fn ends_with_ignore_ascii_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}
