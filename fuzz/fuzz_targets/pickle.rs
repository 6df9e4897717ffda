#![no_main]
//! The pickle reader and symbolic machine on arbitrary bytes: never panic,
//! stay bounded.
use libfuzzer_sys::fuzz_target;
use modelvet_formats::pickle::{Event, Machine};
use modelvet_formats::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_inline_bytes: 1 << 16, max_memo_entries: 1 << 12, ..Limits::default() };
    let mut n = 0u64;
    let mut sink = |ev: &Event<'_>| {
        // Render values as a report would, to exercise evidence rendering.
        if let Event::Call { call, .. } = ev {
            let _ = modelvet_formats::pickle::Value::Call((*call).clone()).render(200);
        }
        n += 1;
    };
    let mut cur = std::io::Cursor::new(data);
    let _ = Machine::new(&mut sink, &limits).run(&mut cur);
});
