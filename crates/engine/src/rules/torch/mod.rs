//! Rules about PyTorch containers.
pub mod legacy_format;
