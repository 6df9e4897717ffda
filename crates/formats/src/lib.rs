//! Parsers for model file formats. Every function here reads untrusted bytes:
//! nothing is executed, imported or unpickled, every length is checked against
//! the bytes that remain, and oddities are returned as data.
#![forbid(unsafe_code)]

pub mod container;
pub mod limits;

pub use limits::Limits;
