#![no_main]
//! Analyses arbitrary text as a chat template (parse and AST walk, never render).

use libfuzzer_sys::fuzz_target;
use modelvet_formats::template::analyze;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let a = analyze(&text);
    assert!(a.issues.len() <= 64 + 8);
});
