#![no_main]
//! Keras configurations (through the JSON scanner's `check_keras_config`),
//! lambda bytecode read statically, and HDF5 root attributes.
use libfuzzer_sys::fuzz_target;
use modelvet_engine::{Options, Scanner};
use modelvet_formats::keras;

fuzz_target!(|data: &[u8]| {
    let _ = keras::summarize_code(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keras::decode_b64(text);
    }
    let mut h5 = keras::HDF5_MAGIC.to_vec();
    h5.extend_from_slice(data);
    let len = h5.len() as u64;
    let _ = keras::read_h5_root(&mut std::io::Cursor::new(h5), len);
    let scanner = Scanner::new(Options::default());
    let _ = scanner.scan_bytes("config.json", data);
});
