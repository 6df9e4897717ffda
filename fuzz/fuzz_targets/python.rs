#![no_main]
//! The Python remote-code analyser (Ruff's parser plus modelvet's AST walk,
//! name resolution and constant folding) on arbitrary source text, and the
//! engine's JSON/Hugging Face config handling on the same bytes.
use libfuzzer_sys::fuzz_target;
use modelvet_engine::{Options, Scanner};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = modelvet_formats::python::analyze(&text);
    let scanner = Scanner::new(Options::default());
    let _ = scanner.scan_bytes("config.json", data);
});
