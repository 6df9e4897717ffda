#![no_main]
//! Feeds arbitrary bytes to the sevenz reader; the visitor reads every member
//! through so every decompression path runs.

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use modelvet_formats::Limits;
use modelvet_formats::container::Budget;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_decompressed_bytes: 64 << 20,
        max_total_decompressed_bytes: 256 << 20,
        max_entries: 10_000,
        ..Limits::default()
    };
    let budget = Budget::new(limits.max_total_decompressed_bytes);
    let _ = modelvet_formats::sevenz::sniff(data);
    let mut src = Cursor::new(data);
    let mut buf = vec![0u8; 64 << 10];
    let _ = modelvet_formats::sevenz::walk(&mut src, data.len() as u64, &limits, &budget, &mut |_, r, _| {
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    });
});
