//! Policy files: any text must parse to a policy plus diagnostics, never a
//! panic, and every diagnostic must render (positions inside the text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelvet_engine::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (policy, diags) = Policy::parse(text, None);
    for d in &diags {
        let _ = d.render("modelvet.toml", text);
    }
    let _ = policy.show();
});
