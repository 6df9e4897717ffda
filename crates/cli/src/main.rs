//! The `modelvet` command: flags in, library calls, exit codes out.
#![forbid(unsafe_code)]

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

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
