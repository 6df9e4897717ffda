//! A model signature file (Sigstore bundle + in-toto statement): arbitrary
//! bytes must give a bundle or an error, never a panic; the payload too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelvet_engine::signing::bundle::{Bundle, Statement};

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::parse(data) {
        let _ = Statement::parse(&b.payload);
    }
    let _ = Statement::parse(data);
});
