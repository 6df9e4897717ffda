//! `modelvet licence PATH...`: each model's licence as a table (or JSON),
//! with the same findings `modelvet scan` reports; exit 1 when one is denied.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use modelvet_engine::licence::{self, ModelLicence, Origin, Scope, Verdict};

use super::policy::load_policy;
use crate::cli::{LicenceArgs, ListFormat};

/// Longest cell shown in the table (longer ones are cut with `…`).
const MAX_CELL: usize = 44;

fn cell(s: &str) -> String {
    if s.chars().count() <= MAX_CELL {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(MAX_CELL - 1).collect();
        c.push('…');
        c
    }
}

/// A path shown relative to the current folder when it is below it.
fn shown(p: &Path, cwd: &Path) -> String {
    let rel = p.strip_prefix(cwd).unwrap_or(p);
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    let s = rel.display().to_string();
    if s.is_empty() { ".".into() } else { s }
}

fn row(m: &ModelLicence, cwd: &Path) -> [String; 6] {
    let mut declared: Vec<String> = Vec::new();
    for d in &m.declared {
        if !declared.contains(&d.value) && !d.source.key.ends_with("link") {
            declared.push(d.value.clone());
        }
    }
    let mut detected: Vec<String> = Vec::new();
    for d in &m.detected {
        let id = d.id.clone().unwrap_or_else(|| "unrecognised".into());
        if !detected.contains(&id) {
            detected.push(id);
        }
    }
    for t in &m.terms {
        if let Origin::Inherited { base_model } = &t.origin {
            let s = format!("{} (base {base_model})", t.id);
            if !detected.contains(&s) {
                detected.push(s);
            }
        }
    }
    let verdict = if m.dataset { "dataset".to_string() } else { m.verdict.to_string() };
    let class = match &m.licence {
        Some(id) if !m.declared.iter().any(|d| &d.value == id) && m.class.as_str() != id => {
            format!("{} ({id})", m.class)
        }
        _ => m.class.to_string(),
    };
    let place = match m.deciding() {
        Some(t) => {
            let f = shown(&t.source.file, cwd);
            let f = f.strip_prefix(&format!("{}/", shown(&m.model, cwd))).map_or(f.clone(), str::to_string);
            match t.source.line {
                Some(l) => format!("{f}:{l}"),
                None if t.source.key == "text" => f,
                None => format!("{f} {}", t.source.key),
            }
        }
        None => "-".into(),
    };
    let or_dash = |v: Vec<String>| if v.is_empty() { "-".to_string() } else { v.join(", ") };
    [shown(&m.model, cwd), or_dash(declared), or_dash(detected), class, verdict, place].map(|c| cell(&c))
}

pub fn run(args: LicenceArgs) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            bail!("{}: no such file or folder", p.display());
        }
    }
    let policy = load_policy(args.policy.as_deref(), args.no_policy, &cwd)?;
    let models = licence::assess(&args.paths, &policy.licences);
    let findings = licence::findings(&models, Scope::All);
    let denied = models.iter().filter(|m| !m.dataset && m.verdict == Verdict::Deny).count();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ListFormat::Json => {
            let v = serde_json::json!({
                "spdx_list_version": licence::text::spdx_list_version(),
                "models": models,
                "findings": findings,
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let header = ["MODEL", "DECLARED", "DETECTED", "CLASS", "VERDICT", "WHERE FOUND"].map(String::from);
            let rows: Vec<[String; 6]> = std::iter::once(header).chain(models.iter().map(|m| row(m, &cwd))).collect();
            let mut widths = [0usize; 6];
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            for r in &rows {
                let mut line = String::new();
                for (i, (c, w)) in r.iter().zip(widths).enumerate() {
                    if i + 1 == r.len() {
                        line.push_str(c);
                    } else {
                        line.push_str(&format!("{c:<w$}  "));
                    }
                }
                writeln!(out, "{}", line.trim_end())?;
            }
            if !findings.is_empty() {
                writeln!(out)?;
            }
            for f in &findings {
                let action = match f.action {
                    modelvet_engine::Action::Deny => "deny",
                    _ => "review",
                };
                let at = shown(Path::new(&f.location.path), &cwd);
                writeln!(out, "{} {action:<6} {at}: {}", f.rule.code, f.message)?;
            }
            let count = |v: Verdict| models.iter().filter(|m| !m.dataset && m.verdict == v).count();
            let datasets = models.iter().filter(|m| m.dataset).count();
            writeln!(
                out,
                "\n{} model(s): {} allowed, {} to review, {denied} denied{}",
                models.len() - datasets,
                count(Verdict::Allow),
                count(Verdict::Review),
                if datasets > 0 { format!(" ({datasets} dataset card(s) read)") } else { String::new() }
            )?;
        }
    }
    out.flush()?;
    Ok(if denied > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
