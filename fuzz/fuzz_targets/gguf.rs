#![no_main]
//! Parses arbitrary bytes as GGUF (forcing the magic, so the parser is reached),
//! and analyses every chat template it finds.

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use modelvet_formats::Limits;
use modelvet_formats::gguf::{MAGIC, parse};

fuzz_target!(|data: &[u8]| {
    let mut buf = MAGIC.to_vec();
    buf.extend_from_slice(data.get(4..).unwrap_or(data));
    let limits = Limits { max_entries: 10_000, ..Limits::default() };
    let h = parse(&mut Cursor::new(&buf), buf.len() as u64, &limits);
    assert!(h.anomalies.len() <= 256);
    for t in &h.templates {
        let _ = modelvet_formats::template::analyze(&t.text);
    }
});
