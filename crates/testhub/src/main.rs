//! `modelvet-testhub --listen ADDR --repo ORG/NAME=DIR...`: serves fixture
//! folders as Hub repositories (for demos of `modelvet serve` without the
//! internet). Test scaffolding, not part of modelvet.
#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;

use modelvet_testhub::{Repo, TestHub};

fn main() -> ExitCode {
    let mut listen = "127.0.0.1:8766".to_string();
    let mut repos = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--listen", Some(v)) => listen = v,
            ("--repo", Some(v)) => {
                let Some((id, dir)) = v.split_once('=') else {
                    eprintln!("modelvet-testhub: --repo takes ORG/NAME=DIR");
                    return ExitCode::from(2);
                };
                match Repo::new(id).folder(Path::new(dir)) {
                    Ok(r) => repos.push(r),
                    Err(e) => {
                        eprintln!("modelvet-testhub: {dir}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            _ => {
                eprintln!("usage: modelvet-testhub [--listen ADDR] --repo ORG/NAME=DIR...");
                return ExitCode::from(2);
            }
        }
    }
    let Ok(addr) = listen.parse() else {
        eprintln!("modelvet-testhub: bad --listen address {listen}");
        return ExitCode::from(2);
    };
    match TestHub::start_on(addr, repos) {
        Ok(hub) => {
            eprintln!("modelvet-testhub: serving on {}", hub.url());
            hub.wait();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("modelvet-testhub: {e}");
            ExitCode::from(2)
        }
    }
}
