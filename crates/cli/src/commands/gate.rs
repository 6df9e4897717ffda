//! `modelvet gate token|waive|waivers|unwaive|quarantine|audit|rescan`: the
//! gate's records, from the command line: directly in the data folder, or
//! through a running gate's admin API (`--server URL --token TOKEN`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use modelvet_engine::Limits;
use modelvet_server::admin::{self, AuditFilter, NewWaiver};
use modelvet_server::auth::{self, Scope};
use modelvet_server::client::AdminClient;
use modelvet_server::db::{AuditEntry, Db, SqliteDb, WaiverRecord, unix_now};
use modelvet_server::judge::Judge;
use modelvet_server::rescan::{self, Summary};
use modelvet_server::store::LocalBlobStore;

use super::policy::load_policy;
use super::scan::severity;
use crate::cli::{GateArgs, GateCommand, ListFormat, TokenCommand, TokenScope};

/// Where the records are: the data folder, or a running gate.
enum Target {
    Data(std::path::PathBuf, SqliteDb),
    Server(AdminClient),
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn run(args: GateArgs) -> Result<ExitCode> {
    let is_token_cmd = matches!(args.command, GateCommand::Token(_));
    if is_token_cmd && args.server.is_some() {
        bail!("token commands work on the gate's data folder (--data DIR), not through --server");
    }
    // --data wins over MODELVET_GATE_URL; token commands always use the data folder.
    let server = match args.server {
        Some(s) => Some(s),
        None if args.data.is_none() && !is_token_cmd => env_nonempty("MODELVET_GATE_URL"),
        None => None,
    };
    let target = match server {
        Some(url) => {
            let token = args.token.or_else(|| env_nonempty("MODELVET_GATE_TOKEN")).ok_or_else(|| {
                anyhow!(
                    "--server needs an admin token: --token TOKEN or MODELVET_GATE_TOKEN \
                     (modelvet gate token create --scope admin)"
                )
            })?;
            Target::Server(AdminClient::new(&url, &token)?)
        }
        None => {
            let data = match args.data {
                Some(d) => d,
                None => modelvet_server::default_data_dir()
                    .ok_or_else(|| anyhow!("no HOME or XDG_CACHE_HOME; pass --data DIR"))?,
            };
            let db = modelvet_server::open_db(&data).with_context(|| format!("gate data folder {}", data.display()))?;
            Target::Data(data, db)
        }
    };
    let mut out = std::io::stdout().lock();
    let me = || env_nonempty("USER").unwrap_or_else(|| "admin".into());
    match args.command {
        GateCommand::Waive { sha256, reason, expires, by } => {
            let w = NewWaiver { subject: sha256, reason, expires };
            let rec = match &target {
                Target::Data(_, db) => {
                    let w = admin::validate_waiver(&w, &by.unwrap_or_else(me)).map_err(|e| anyhow!(e))?;
                    admin::store_waiver(db, &w)?
                }
                Target::Server(c) => {
                    if by.is_some() {
                        bail!("--by is the token's name with --server");
                    }
                    c.add_waiver(&w)?
                }
            };
            writeln!(out, "waived {} (waiver {})", rec.waiver.sha256, rec.id)?;
        }
        GateCommand::Waivers { format } => {
            let list = match &target {
                Target::Data(_, db) => db.all_waivers()?,
                Target::Server(c) => c.waivers()?,
            };
            for w in list {
                match format {
                    ListFormat::Json => writeln!(out, "{}", serde_json::to_string(&w)?)?,
                    ListFormat::Text => writeln!(out, "{}", waiver_line(&w))?,
                }
            }
        }
        GateCommand::Unwaive { id } => {
            let rec = match &target {
                Target::Data(_, db) => {
                    admin::delete_waiver(db, id, &me())?.ok_or_else(|| anyhow!("no waiver with id {id}"))?
                }
                Target::Server(c) => c.remove_waiver(id)?,
            };
            writeln!(out, "removed waiver {id} ({})", rec.waiver.sha256)?;
        }
        GateCommand::Quarantine { limit, format } => {
            let list = match &target {
                Target::Data(_, db) => db.quarantine(limit)?,
                Target::Server(c) => c.quarantine(limit)?,
            };
            for e in list {
                match format {
                    ListFormat::Json => writeln!(out, "{}", serde_json::to_string(&e)?)?,
                    ListFormat::Text => writeln!(out, "{}  {}/{}  {}  {}", e.time, e.repo, e.path, e.sha256, e.rules)?,
                }
            }
        }
        GateCommand::Audit { repo, verdict, since, limit, format } => {
            let f = AuditFilter { repo, verdict, since, before: None, limit: Some(limit) };
            let list = match &target {
                Target::Data(_, db) => db.audit_query(&admin::audit_query(&f).map_err(|e| anyhow!(e))?)?,
                Target::Server(c) => c.audit(&f)?,
            };
            for e in list {
                match format {
                    ListFormat::Json => writeln!(out, "{}", serde_json::to_string(&e)?)?,
                    ListFormat::Text => writeln!(out, "{}", line(&e))?,
                }
            }
        }
        GateCommand::Rescan { repo, all: _, policy, no_policy, fail_on, format } => {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("rescan {bar:30} {pos}/{len} files {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let mut progress = |done: usize, total: usize| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            };
            let summary = match &target {
                Target::Server(c) => {
                    if policy.is_some() || no_policy || fail_on.is_some() {
                        bail!(
                            "--policy, --no-policy and --fail-on apply to the data folder; with --server the gate's own policy is used"
                        );
                    }
                    c.rescan(repo.as_deref(), &mut progress)?
                }
                Target::Data(data, db) => {
                    let repo = repo.as_deref().map(modelvet_server::names::RepoId::parse).transpose()?;
                    let cwd = std::env::current_dir().context("cannot read the current folder")?;
                    let policy = load_policy(policy.as_deref(), no_policy, &cwd)?;
                    let judge = Judge::new(policy, fail_on.map(severity), Limits::default());
                    let blobs = data.join("blobs");
                    let store =
                        LocalBlobStore::attach(&blobs).with_context(|| format!("blob store {}", blobs.display()))?;
                    // Scans link blobs into temporary folders here (same file system; each
                    // scan removes its own). Not blobs/tmp, which a starting gate clears.
                    let scratch = blobs.join("rescan");
                    std::fs::create_dir_all(&scratch).context("cannot make a scratch folder")?;
                    let parts = rescan::Parts { db, store: &store, judge: &judge, scratch: &scratch };
                    let who = format!("{} (command line)", me());
                    rescan::rescan(&parts, repo.map(|r| r.to_string()).as_deref(), &who, &mut progress)?
                }
            };
            bar.finish_and_clear();
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string(&summary)?)?,
                ListFormat::Text => write!(out, "{}", summary_text(&summary))?,
            }
        }
        GateCommand::Token(cmd) => {
            let Target::Data(_, db) = &target else { unreachable!("token commands use the data folder") };
            token(db, cmd, &mut out, &me())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token(db: &SqliteDb, cmd: TokenCommand, out: &mut impl Write, me: &str) -> Result<()> {
    match cmd {
        TokenCommand::Create { name, scope, expires } => {
            let scope = match scope {
                TokenScope::Read => Scope::Read,
                TokenScope::Admin => Scope::Admin,
            };
            let expires = expires.map(|e| auth::parse_expiry(&e, unix_now())).transpose()?;
            let (token, rec) = auth::create(db, &name, scope, expires.as_deref())?;
            let until = rec.expires.as_deref().map_or("never expires".to_string(), |e| format!("expires {e}"));
            db.audit(&admin::admin_entry("token-created", me, &name, format!("{} scope, {until}", scope.as_str())))?;
            // The token alone on standard output (for `$(...)`); the notes on standard error.
            writeln!(out, "{token}")?;
            eprintln!(
                "created token {name:?} ({} scope, {until}); it is shown only now (the gate stores its SHA-256)",
                scope.as_str()
            );
        }
        TokenCommand::List { format } => {
            let now = modelvet_server::db::rfc3339(unix_now());
            let list = db.tokens()?;
            if matches!(format, ListFormat::Text) && !list.is_empty() {
                writeln!(
                    out,
                    "{:<20} {:<6} {:<21} {:<21} {:<21} STATUS",
                    "NAME", "SCOPE", "CREATED", "LAST USED", "EXPIRES"
                )?;
            }
            for t in list {
                let status = if t.revoked.is_some() {
                    "revoked"
                } else if t.expires.as_deref().is_some_and(|e| *e <= *now) {
                    "expired"
                } else {
                    "active"
                };
                match format {
                    ListFormat::Json => {
                        let mut v = serde_json::to_value(&t)?;
                        v["status"] = status.into();
                        writeln!(out, "{v}")?;
                    }
                    ListFormat::Text => writeln!(
                        out,
                        "{:<20} {:<6} {:<21} {:<21} {:<21} {status}",
                        t.name,
                        t.scope,
                        t.created,
                        t.last_used.as_deref().unwrap_or("never"),
                        t.expires.as_deref().unwrap_or("never"),
                    )?,
                }
            }
        }
        TokenCommand::Revoke { name } => {
            if !db.revoke_token(&name)? {
                bail!("no active token named {name:?} (see modelvet gate token list)");
            }
            db.audit(&admin::admin_entry("token-revoked", me, &name, String::new()))?;
            writeln!(out, "revoked {name}")?;
        }
    }
    Ok(())
}

fn waiver_line(w: &WaiverRecord) -> String {
    let until = w.waiver.expires.as_deref().unwrap_or("no expiry");
    format!("{:>4}  {}  {until}  by {}: {}", w.id, w.waiver.sha256, w.waiver.who, w.waiver.reason)
}

fn summary_text(s: &Summary) -> String {
    let mut t = format!(
        "rescanned {} file{} under modelvet {} (policy {}): {} scanned again, {} stale verdict{}, {} unchanged\n",
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.scanner,
        s.policy,
        s.scanned,
        s.stale,
        if s.stale == 1 { "" } else { "s" },
        s.unchanged
    );
    for (title, list) in
        [("newly blocked", &s.newly_blocked), ("newly allowed", &s.newly_allowed), ("other changes", &s.other_changes)]
    {
        if list.is_empty() {
            continue;
        }
        t.push_str(&format!("{title} ({}):\n", list.len()));
        for c in list {
            let before = c.before.as_deref().unwrap_or("no verdict");
            let rules = if c.rules.is_empty() { String::new() } else { format!(" {}", c.rules) };
            t.push_str(&format!(
                "  {}/{}@{} sha256:{} {before} -> {}{rules}\n",
                c.repo,
                c.path,
                c.commit.get(..12).unwrap_or(&c.commit),
                c.sha256,
                c.after
            ));
        }
    }
    for e in &s.errors {
        t.push_str(&format!("error: {e}\n"));
    }
    t
}

fn line(e: &AuditEntry) -> String {
    if e.event != "download" && e.event != "rescan" {
        let subject = if !e.repo.is_empty() {
            format!(" repo:{}", e.repo)
        } else if !e.sha256.is_empty() {
            format!(" sha256:{}", e.sha256)
        } else {
            String::new()
        };
        return format!("{} {}{subject} by {}: {}", e.time, e.event, e.who, e.detail);
    }
    let rules = if e.rules.is_empty() { String::new() } else { format!(" {}", e.rules) };
    let rescan = if e.event == "rescan" { " (rescan)" } else { "" };
    format!(
        "{} {:<7} {}/{}@{} sha256:{} by {}{rules}{rescan}",
        e.time, e.verdict, e.repo, e.path, e.revision, e.sha256, e.who
    )
}
