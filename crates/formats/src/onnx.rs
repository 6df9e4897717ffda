//! onnx (not implemented yet).
