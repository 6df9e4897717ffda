#![no_main]
//! The whole engine on arbitrary bytes: format detection, every container,
//! nested payloads and every rule.
use libfuzzer_sys::fuzz_target;
use modelvet_engine::{Limits, Options, Scanner};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_decompressed_bytes: 32 << 20,
        max_total_decompressed_bytes: 64 << 20,
        max_inline_bytes: 1 << 16,
        ..Limits::default()
    };
    let scanner = Scanner::new(Options { limits, ..Options::default() });
    let _ = scanner.scan_bytes("fuzz", data);
});
