//! Repository chores, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask docs` renders `docs/rules/` from the rule doc comments.
//! - `cargo xtask docs --check` exits 1, listing stale, missing and extra files,
//!   when `docs/rules/` differs from what `cargo xtask docs` would write.

mod docs;

use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask docs [--check]\n\n\
    docs          write docs/rules/ (one page per rule and an index) from the rule doc comments\n\
    docs --check  exit 1 if docs/rules/ is out of date, listing the files that differ\n";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["docs"] => write_docs(),
        ["docs", "--check"] => check_docs(),
        ["help" | "--help" | "-h"] => {
            let _ = std::io::stdout().lock().write_all(USAGE.as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            let _ = std::io::stderr().lock().write_all(USAGE.as_bytes());
            Ok(ExitCode::from(2))
        }
    };
    result.unwrap_or_else(|e| {
        let _ = writeln!(std::io::stderr().lock(), "xtask: {e}");
        ExitCode::from(2)
    })
}

fn write_docs() -> std::io::Result<ExitCode> {
    let dir = docs::workspace_root().join(docs::DIR);
    let rendered = docs::render();
    let changed = docs::write(&dir, &rendered)?;
    let mut out = std::io::stdout().lock();
    for line in &changed {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}: {} files, {} changed", docs::DIR, rendered.len(), changed.len())?;
    Ok(ExitCode::SUCCESS)
}

fn check_docs() -> std::io::Result<ExitCode> {
    let dir = docs::workspace_root().join(docs::DIR);
    let problems = docs::check(&dir, &docs::render())?;
    if problems.is_empty() {
        writeln!(std::io::stdout().lock(), "{} is up to date", docs::DIR)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut err = std::io::stderr().lock();
    writeln!(err, "{} is out of date with the rule doc comments:", docs::DIR)?;
    for p in &problems {
        writeln!(err, "  {p}")?;
    }
    writeln!(err, "run `cargo xtask docs` and commit the result")?;
    Ok(ExitCode::FAILURE)
}
