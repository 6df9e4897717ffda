//! The `modelvet` command: flags in, library calls, exit codes out.
#![forbid(unsafe_code)]

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: the pickle machine makes and frees
/// millions of small values per large pickle, and glibc's free path
/// (`malloc_consolidate`) took a sixth of a folder scan (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Scan(args) => commands::scan::run(args),
        cli::Command::Bom(args) => commands::bom::run(args),
        cli::Command::Rules(args) => commands::rules::list(args),
        cli::Command::Rule(args) => commands::rules::show(args),
        cli::Command::Policy(cmd) => commands::policy::run(cmd),
        cli::Command::Licence(args) => commands::licence::run(args),
        cli::Command::Serve(args) => commands::serve::run(args),
        cli::Command::Gate(args) => commands::gate::run(args),
        cli::Command::Sign(args) => commands::sign::run(args),
        cli::Command::Verify(args) => commands::verify::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("modelvet: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
