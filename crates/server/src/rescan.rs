//! Re-judging stored files under the current scanner and policy (after a
//! policy change or an upgrade): blobs without a scan by this modelvet
//! version and these scan settings are scanned again, every file is decided
//! again, and what changed (newly blocked, newly allowed) is reported and
//! written to the audit log. Nothing is fetched from the upstream.

use std::path::Path;

use modelvet_engine::policy::Date;
use serde::{Deserialize, Serialize};

use crate::db::{AuditEntry, Db, DbError, FileKey, StoredVerdict};
use crate::judge::{Judge, SCANNER_VERSION};
use crate::store::BlobStore;

/// Most files one rescan visits.
pub const MAX_FILES: usize = 1_000_000;

/// A file whose verdict changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub repo: String,
    pub commit: String,
    pub path: String,
    pub sha256: String,
    /// The verdict before (none: never judged with verdicts recorded).
    pub before: Option<String>,
    pub after: String,
    /// Blocking rules now.
    pub rules: String,
}

/// What a rescan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// modelvet version and policy key the files were judged with.
    pub scanner: String,
    pub policy: String,
    /// Files judged.
    pub files: usize,
    /// Blobs scanned again (no scan by this version and settings).
    pub scanned: usize,
    /// Files whose stored verdict came from another scanner or policy.
    pub stale: usize,
    pub unchanged: usize,
    pub newly_blocked: Vec<Change>,
    pub newly_allowed: Vec<Change>,
    /// Other changes (to or from `waived`, or first verdicts).
    pub other_changes: Vec<Change>,
    /// Files that could not be judged (blob missing, unreadable), with why.
    pub errors: Vec<String>,
}

/// The parts of a gate a rescan needs.
pub struct Parts<'a> {
    pub db: &'a dyn Db,
    pub store: &'a dyn BlobStore,
    pub judge: &'a Judge,
    /// Scratch folder for scans (on the blob store's file system).
    pub scratch: &'a Path,
}

/// Re-judges the stored files of `repo` (every repository when `None`).
/// `progress(done, total)` is called after each file; `who` is recorded in
/// the audit log.
pub fn rescan(
    parts: &Parts<'_>,
    repo: Option<&str>,
    who: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Summary, DbError> {
    let files = parts.db.files(repo, MAX_FILES)?;
    let total = files.len();
    let today = Date::today().to_string();
    let mut s = Summary {
        scanner: SCANNER_VERSION.to_string(),
        policy: parts.judge.policy_key().to_string(),
        files: total,
        ..Summary::default()
    };
    for (i, (key, rec)) in files.into_iter().enumerate() {
        let report = match parts.db.scan(&rec.sha256, SCANNER_VERSION, parts.judge.settings())? {
            Some(stored) => Judge::decode(&stored, &rec.sha256, rec.size, &key.path),
            None => None,
        };
        let report = match report {
            Some(r) => Some(r),
            None => match scan_again(parts, &key, &rec.sha256) {
                Ok(r) => {
                    s.scanned += 1;
                    Some(r)
                }
                Err(e) => {
                    s.errors.push(format!("{}/{}@{}: {e}", key.repo, key.path, key.commit));
                    None
                }
            },
        };
        if let Some(mut report) = report {
            report.size = rec.size;
            let waivers = parts.db.waivers(&rec.sha256, &today)?;
            let d = parts.judge.decide(report, &key.repo, &waivers);
            let after = d.verdict.as_str().to_string();
            let rules = d.rules.join(",");
            let before = parts.db.verdict(&key)?;
            if before.as_ref().is_some_and(|b| b.scanner != s.scanner || b.policy != s.policy) {
                s.stale += 1;
            }
            let before = before.map(|b| b.verdict);
            parts.db.put_verdict(
                &key,
                &StoredVerdict {
                    sha256: rec.sha256.clone(),
                    scanner: s.scanner.clone(),
                    policy: s.policy.clone(),
                    verdict: after.clone(),
                    rules: rules.clone(),
                    time: String::new(),
                },
            )?;
            if before.as_deref() == Some(after.as_str()) {
                s.unchanged += 1;
            } else {
                parts.db.audit(&AuditEntry {
                    event: "rescan".into(),
                    who: who.to_string(),
                    repo: key.repo.clone(),
                    revision: key.commit.clone(),
                    path: key.path.clone(),
                    sha256: rec.sha256.clone(),
                    verdict: after.clone(),
                    rules: rules.clone(),
                    ..AuditEntry::default()
                })?;
                let was_blocked = before.as_deref() == Some("blocked");
                let change = Change {
                    repo: key.repo,
                    commit: key.commit,
                    path: key.path,
                    sha256: rec.sha256,
                    before,
                    after: after.clone(),
                    rules,
                };
                if after == "blocked" && change.before.is_some() {
                    s.newly_blocked.push(change);
                } else if was_blocked && after == "allowed" {
                    s.newly_allowed.push(change);
                } else {
                    s.other_changes.push(change);
                }
            }
        }
        progress(i + 1, total);
    }
    Ok(s)
}

fn scan_again(parts: &Parts<'_>, key: &FileKey, sha256: &str) -> Result<modelvet_engine::TargetReport, String> {
    let blob = parts.store.local_path(sha256).ok_or("the blob is no longer in the store")?;
    let mut report = parts.judge.scan(&blob, &key.path, parts.scratch).map_err(|e| format!("cannot scan: {e}"))?;
    report.sha256 = Some(sha256.to_string());
    parts
        .db
        .put_scan(sha256, SCANNER_VERSION, parts.judge.settings(), &Judge::encode(&report))
        .map_err(|e| e.to_string())?;
    Ok(report)
}
