#![no_main]
//! The ONNX protobuf reader on arbitrary bytes: the full parse and the
//! metadata-only read the licence step uses.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut cur = std::io::Cursor::new(data);
    let _ = modelvet_formats::onnx::parse(&mut cur, data.len() as u64);
    let _ = modelvet_formats::onnx::metadata(&mut cur, data.len() as u64);
});
