#![no_main]
//! The `.npy` header parser on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = modelvet_formats::numpy::parse_header(data, data.len() as u64);
});
