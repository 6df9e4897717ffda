//! `modelvet policy init|check|show`, and loading the policy for `scan`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use modelvet_engine::policy::{Diagnostic, FILE_NAME, Policy, TEMPLATE};

use crate::cli::PolicyCommand;

fn report_diagnostics(path: &Path, text: &str, diags: &[Diagnostic]) {
    let name = path.display().to_string();
    for d in diags {
        eprint!("{}", d.render(&name, text));
        eprintln!();
    }
}

/// The policy for a scan: `--no-policy` → defaults; `--policy FILE`; else
/// discovered from the current folder. Warnings go to standard error; errors
/// stop the run (exit code 2) after every one is shown.
/// The folder policy paths are relative to: the policy file's, or without a
/// policy the current folder.
pub fn policy_root(policy: &Policy, cwd: &Path) -> std::path::PathBuf {
    policy
        .source
        .as_ref()
        .and_then(|s| s.path.parent().map(|p| if p.as_os_str().is_empty() { cwd.to_path_buf() } else { cwd.join(p) }))
        .unwrap_or_else(|| cwd.to_path_buf())
}

pub fn load_policy(explicit: Option<&Path>, none: bool, cwd: &Path) -> Result<Policy> {
    if none {
        return Ok(Policy::default());
    }
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        // Shown relative to the current folder when it is below it.
        None => match Policy::discover(cwd) {
            Some(p) => p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p),
            None => return Ok(Policy::default()),
        },
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read policy {}", path.display()))?;
    let (policy, mut diags) = Policy::parse(&text, Some(&path));
    // Expired waivers are reported with the scan's results instead.
    diags.retain(|d| d.is_error() || !d.message.contains(" expired on "));
    report_diagnostics(&path, &text, &diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        bail!(
            "policy {} has {errors} error{}; `modelvet policy check` validates it",
            path.display(),
            if errors == 1 { "" } else { "s" }
        );
    }
    Ok(policy)
}

pub fn run(cmd: PolicyCommand) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    match cmd {
        PolicyCommand::Init { path, force } => {
            if path.exists() && !force {
                bail!("{} already exists; pass --force to replace it", path.display());
            }
            std::fs::write(&path, TEMPLATE).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("modelvet: wrote {}; check it with `modelvet policy check`", path.display());
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Check { path } => {
            let path = match path.or_else(|| Policy::discover(&cwd)) {
                Some(p) => p,
                None => bail!("no {FILE_NAME} here or at the repository root; `modelvet policy init` writes one"),
            };
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("cannot read policy {}", path.display()))?;
            let (policy, diags) = Policy::parse(&text, Some(&path));
            report_diagnostics(&path, &text, &diags);
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let warnings = diags.len() - errors;
            let mut out = std::io::stdout().lock();
            if errors > 0 {
                writeln!(
                    out,
                    "{}: {errors} error{}, {warnings} warning{}",
                    path.display(),
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" }
                )?;
                return Ok(ExitCode::from(1));
            }
            writeln!(
                out,
                "{}: ok ({} rule setting{}, {} allowed and {} denied name{}, {} waiver{}{})",
                path.display(),
                policy.rules.len(),
                if policy.rules.len() == 1 { "" } else { "s" },
                policy.globals.allow.len(),
                policy.globals.deny.len(),
                if policy.globals.deny.len() == 1 { "" } else { "s" },
                policy.waivers.len(),
                if policy.waivers.len() == 1 { "" } else { "s" },
                if warnings > 0 {
                    format!(", {warnings} warning{}", if warnings == 1 { "" } else { "s" })
                } else {
                    String::new()
                }
            )?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Show { policy } => {
            let p = load_policy(policy.as_deref(), false, &cwd)?;
            let mut out = std::io::stdout().lock();
            write!(out, "{}", p.show())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
