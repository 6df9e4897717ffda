#![no_main]
//! Feeds arbitrary bytes to the zip reader; the visitor reads every member
//! through so every decompression path runs.

use libfuzzer_sys::fuzz_target;

#[path = "archive_common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::walk_all(data, modelvet_formats::zip::sniff, modelvet_formats::zip::walk);
});
