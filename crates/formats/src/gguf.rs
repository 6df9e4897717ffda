//! gguf (not implemented yet).
