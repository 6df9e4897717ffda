//! `modelvet rules` and `modelvet rule CODE`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use modelvet_engine::rules;

use crate::cli::{ListFormat as Format, RuleArgs, RulesArgs};

pub fn list(args: RulesArgs) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let v: Vec<_> = rules::RULES
                .iter()
                .map(|r| serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary}))
                .collect();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Text => {
            for r in rules::RULES.iter() {
                writeln!(out, "{}  {:<22} {:<8}  {}", r.code, r.name, r.severity.as_str(), r.summary)?;
            }
            writeln!(out, "\n`modelvet rule CODE` shows a rule's documentation.")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(args: RuleArgs) -> Result<ExitCode> {
    let Some(r) = rules::find(&args.code) else {
        bail!("no rule {:?}; `modelvet rules` lists them", args.code);
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "# {} {}\n\nDefault severity: {}. {}\n", r.code, r.name, r.severity, r.summary)?;
    writeln!(out, "{}", r.doc())?;
    Ok(ExitCode::SUCCESS)
}
