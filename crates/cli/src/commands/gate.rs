//! `modelvet gate waive|waivers|quarantine|audit`: the gate's database, from
//! the command line.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use modelvet_engine::policy::Date;
use modelvet_server::db::{AuditEntry, Db, GateWaiver};
use modelvet_server::names::{RepoId, is_sha256};

use crate::cli::{GateArgs, GateCommand, ListFormat};

pub fn run(args: GateArgs) -> Result<ExitCode> {
    let data = match args.data {
        Some(d) => d,
        None => {
            modelvet_server::default_data_dir().ok_or_else(|| anyhow!("no HOME or XDG_CACHE_HOME; pass --data DIR"))?
        }
    };
    let db = modelvet_server::open_db(&data).with_context(|| format!("gate data folder {}", data.display()))?;
    let mut out = std::io::stdout().lock();
    match args.command {
        GateCommand::Waive { sha256, reason, expires, by } => {
            // A content hash, or `repo:ORG/NAME` to release a held repository.
            let sha256 = match sha256.strip_prefix("repo:") {
                Some(id) => format!("repo:{}", RepoId::parse(id)?),
                None => sha256.to_ascii_lowercase(),
            };
            if !sha256.starts_with("repo:") && !is_sha256(&sha256) {
                bail!("{sha256:?} is neither a SHA-256 (64 hex digits) nor repo:ORG/NAME");
            }
            if reason.trim().is_empty() {
                bail!("--reason must say why the file is accepted");
            }
            if let Some(e) = &expires
                && Date::parse(e).is_none()
            {
                bail!("--expires {e:?} is not a date (YYYY-MM-DD)");
            }
            let who = by.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "admin".into());
            db.add_waiver(&GateWaiver { sha256: sha256.clone(), reason, expires, who })?;
            writeln!(out, "waived {sha256}")?;
        }
        GateCommand::Waivers => {
            for w in db.all_waivers()? {
                let until = w.expires.as_deref().unwrap_or("no expiry");
                writeln!(out, "{}  {until}  by {}: {}", w.sha256, w.who, w.reason)?;
            }
        }
        GateCommand::Quarantine { limit } => {
            for e in db.quarantine(limit)? {
                writeln!(out, "{}  {}/{}  {}  {}", e.time, e.repo, e.path, e.sha256, e.rules)?;
            }
        }
        GateCommand::Audit { repo, limit, format } => {
            for e in db.audit_log(repo.as_deref(), limit)? {
                match format {
                    ListFormat::Json => writeln!(out, "{}", serde_json::to_string(&e)?)?,
                    ListFormat::Text => writeln!(out, "{}", line(&e))?,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn line(e: &AuditEntry) -> String {
    let rules = if e.rules.is_empty() { String::new() } else { format!(" {}", e.rules) };
    format!("{} {:<7} {}/{}@{} sha256:{} by {}{rules}", e.time, e.verdict, e.repo, e.path, e.revision, e.sha256, e.who)
}
