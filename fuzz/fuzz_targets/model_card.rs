#![no_main]
//! Reads arbitrary bytes as a model card, with the front-matter fence forced
//! so the YAML reader is reached.

use libfuzzer_sys::fuzz_target;
use modelvet_formats::model_card::parse;

fuzz_target!(|data: &[u8]| {
    let mut buf = b"---\n".to_vec();
    buf.extend_from_slice(data);
    buf.extend_from_slice(b"\n---\n");
    let card = parse(&buf);
    assert!(card.problems.len() <= 2);
    let _ = parse(data);
});
