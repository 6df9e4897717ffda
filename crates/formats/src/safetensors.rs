//! safetensors (not implemented yet).
