#![no_main]
//! The safetensors header parser, and the engine's safetensors scanning, on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut cur = std::io::Cursor::new(data);
    let _ = modelvet_formats::safetensors::parse(&mut cur, data.len() as u64);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = modelvet_formats::safetensors::decode_embedded(s);
    }
    // A valid-looking length prefix so the JSON and layout checks are reached often.
    let mut framed = (data.len() as u64).to_le_bytes().to_vec();
    framed.extend_from_slice(data);
    let _ = modelvet_formats::safetensors::parse(&mut std::io::Cursor::new(&framed), framed.len() as u64);
});
