//! The gate's database: which blob a repository file is, scan results by
//! content hash, the latest verdict of each file (with the scanner and policy
//! that gave it), the append-only audit log, waivers and access tokens
//! (stored as SHA-256 hashes, never in clear).
//!
//! [`Db`] is the interface the gate uses; [`SqliteDb`] is the embedded
//! implementation (one file, zero configuration). It uses `rusqlite` with
//! SQLite compiled in: small, quick to build, no system library, and a
//! synchronous API that suits short statements. PostgreSQL is meant to come
//! as a second implementation of the same trait (with `tokio-postgres`), so
//! nothing above this module knows which database it talks to.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A database failure (operational: the request gets a 500-class answer
/// only when no verdict can be given at all).
#[derive(Debug, thiserror::Error)]
#[error("database: {0}")]
pub struct DbError(String);

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, DbError>;

/// A file of a repository at a commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileKey {
    pub repo: String,
    pub commit: String,
    pub path: String,
}

/// What a repository file is: a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub sha256: String,
    pub size: u64,
    /// The upstream's entity tag for it (what clients cache it under).
    pub etag: String,
}

/// One scan's result (findings before policy), stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredScan {
    pub format: String,
    pub findings_json: String,
}

/// One entry of the audit log: a decision of the gate, or an administrator's action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditEntry {
    /// Position in the log (filled in by the database; 0 when writing).
    pub id: i64,
    /// RFC 3339 time (UTC), filled in by the database.
    pub time: String,
    /// `download` (a client asked for a file), `rescan` (re-judged under the
    /// current scanner and policy), `waiver-added`, `waiver-removed`,
    /// `token-created`, `token-revoked`.
    pub event: String,
    /// Who asked (token name, or `anonymous`).
    pub who: String,
    pub repo: String,
    pub revision: String,
    pub path: String,
    pub sha256: String,
    /// `allowed`, `blocked`, `waived`, `held`; empty for administrators' actions.
    pub verdict: String,
    /// Rule codes that decided it, comma-separated.
    pub rules: String,
    /// For administrators' actions: what was done (a waiver's reason, a token's scope).
    pub detail: String,
}

/// A gate waiver: lets one blob through despite its blocking findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateWaiver {
    pub sha256: String,
    pub reason: String,
    /// `YYYY-MM-DD`, inclusive; none = no expiry.
    pub expires: Option<String>,
    pub who: String,
}

/// A stored waiver with its id (for removal) and creation time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRecord {
    pub id: i64,
    pub created: String,
    #[serde(flatten)]
    pub waiver: GateWaiver,
}

/// A filter on the audit log, newest entries first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub repo: Option<String>,
    pub verdict: Option<String>,
    /// Entries at or after this RFC 3339 time (or `YYYY-MM-DD`).
    pub since: Option<String>,
    /// Entries before this id (paging).
    pub before: Option<i64>,
    pub limit: usize,
}

/// An access token as stored: its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    /// `read` or `admin`.
    pub scope: String,
    /// Hex SHA-256 of the token.
    #[serde(skip)]
    pub hash: String,
    pub created: String,
    /// RFC 3339 (UTC); none = never expires.
    pub expires: Option<String>,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

/// The latest verdict on a repository file, with what gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredVerdict {
    pub sha256: String,
    /// modelvet version that scanned.
    pub scanner: String,
    /// Key of the policy and fail level that judged.
    pub policy: String,
    pub verdict: String,
    pub rules: String,
    pub time: String,
}

/// A repository the gate has fetched files of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoSummary {
    pub repo: String,
    pub files: u64,
}

/// The gate's storage of records.
pub trait Db: Send + Sync + 'static {
    fn file(&self, key: &FileKey) -> Result<Option<FileRecord>>;
    fn put_file(&self, key: &FileKey, rec: &FileRecord) -> Result<()>;
    /// The scan of a blob by this scanner version and scan settings.
    fn scan(&self, sha256: &str, scanner: &str, settings: &str) -> Result<Option<StoredScan>>;
    fn put_scan(&self, sha256: &str, scanner: &str, settings: &str, scan: &StoredScan) -> Result<()>;
    /// Stored files, by repository and path; `repo` filters.
    fn files(&self, repo: Option<&str>, limit: usize) -> Result<Vec<(FileKey, FileRecord)>>;
    /// Repositories with stored files, by name.
    fn repos(&self) -> Result<Vec<RepoSummary>>;
    /// The latest verdict on a file.
    fn verdict(&self, key: &FileKey) -> Result<Option<StoredVerdict>>;
    fn put_verdict(&self, key: &FileKey, v: &StoredVerdict) -> Result<()>;
    /// Appends to the audit log (the only write it allows).
    fn audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Audit entries matching `q`, newest first.
    fn audit_query(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// The newest `limit` audit entries, newest first; `repo` filters.
    fn audit_log(&self, repo: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        self.audit_query(&AuditQuery { repo: repo.map(str::to_string), limit, ..AuditQuery::default() })
    }
    /// Stores a waiver; returns its id.
    fn add_waiver(&self, w: &GateWaiver) -> Result<i64>;
    /// Waivers for a blob that have not expired on `today` (`YYYY-MM-DD`).
    fn waivers(&self, sha256: &str, today: &str) -> Result<Vec<GateWaiver>>;
    /// Every waiver, oldest first.
    fn all_waivers(&self) -> Result<Vec<WaiverRecord>>;
    /// Deletes a waiver; returns it, or `None` when there is no such id.
    fn remove_waiver(&self, id: i64) -> Result<Option<WaiverRecord>>;
    /// Files whose latest decision was `blocked` (the quarantine), newest first.
    fn quarantine(&self, limit: usize) -> Result<Vec<AuditEntry>>;
    /// Stores a new token (its hash); `false` when a token that is not
    /// revoked already has this name.
    fn add_token(&self, name: &str, scope: &str, hash: &str, expires: Option<&str>) -> Result<bool>;
    /// Every token, revoked ones included, oldest first.
    fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Revokes the live token of this name; `false` when there is none.
    fn revoke_token(&self, name: &str) -> Result<bool>;
    /// Records that a token was used at `time` (RFC 3339).
    fn touch_token(&self, id: i64, time: &str) -> Result<()>;
}

/// An RFC 3339 UTC time (`2026-12-03T18:24:07Z`) for `secs` after the epoch.
pub fn rfc3339(secs: u64) -> String {
    let date = modelvet_engine::policy::Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let s = secs % 86_400;
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Seconds since the epoch, now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The embedded SQLite database.
pub struct SqliteDb {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS files (
  repo TEXT NOT NULL, commit_id TEXT NOT NULL, path TEXT NOT NULL,
  sha256 TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  PRIMARY KEY (repo, commit_id, path));
CREATE TABLE IF NOT EXISTS scans (
  sha256 TEXT NOT NULL, scanner TEXT NOT NULL, settings TEXT NOT NULL,
  format TEXT NOT NULL, findings TEXT NOT NULL,
  scanned_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  PRIMARY KEY (sha256, scanner, settings));
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  who TEXT NOT NULL, repo TEXT NOT NULL, revision TEXT NOT NULL, path TEXT NOT NULL,
  sha256 TEXT NOT NULL, verdict TEXT NOT NULL, rules TEXT NOT NULL,
  event TEXT NOT NULL DEFAULT 'download', detail TEXT NOT NULL DEFAULT '');
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS waivers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sha256 TEXT NOT NULL, reason TEXT NOT NULL, expires TEXT, who TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
CREATE INDEX IF NOT EXISTS waivers_sha ON waivers (sha256);
CREATE TABLE IF NOT EXISTS verdicts (
  repo TEXT NOT NULL, commit_id TEXT NOT NULL, path TEXT NOT NULL,
  sha256 TEXT NOT NULL, scanner TEXT NOT NULL, policy TEXT NOT NULL,
  verdict TEXT NOT NULL, rules TEXT NOT NULL,
  time TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (repo, commit_id, path));
CREATE TABLE IF NOT EXISTS tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  expires TEXT, last_used TEXT, revoked TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS tokens_live_name ON tokens (name) WHERE revoked IS NULL;
";

/// Columns added after the first release, for databases created before them.
fn migrate(c: &Connection) -> rusqlite::Result<()> {
    let has_event: bool =
        c.query_row("SELECT COUNT(*) FROM pragma_table_info('audit') WHERE name = 'event'", [], |r| {
            r.get::<_, i64>(0)
        })? > 0;
    if !has_event {
        c.execute_batch(
            "ALTER TABLE audit ADD COLUMN event TEXT NOT NULL DEFAULT 'download';
             ALTER TABLE audit ADD COLUMN detail TEXT NOT NULL DEFAULT '';",
        )?;
    }
    Ok(())
}

impl SqliteDb {
    /// Opens (creating) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self.conn.lock().map_err(|_| DbError("connection lock poisoned".into()))?;
        Ok(f(&conn)?)
    }
}

impl Db for SqliteDb {
    fn file(&self, key: &FileKey) -> Result<Option<FileRecord>> {
        self.with(|c| {
            c.query_row(
                "SELECT sha256, size, etag FROM files WHERE repo = ?1 AND commit_id = ?2 AND path = ?3",
                params![key.repo, key.commit, key.path],
                |r| Ok(FileRecord { sha256: r.get(0)?, size: r.get::<_, i64>(1)?.max(0) as u64, etag: r.get(2)? }),
            )
            .optional()
        })
    }

    fn put_file(&self, key: &FileKey, rec: &FileRecord) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO files (repo, commit_id, path, sha256, size, etag) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![key.repo, key.commit, key.path, rec.sha256, i64::try_from(rec.size).unwrap_or(i64::MAX), rec.etag],
            )
            .map(drop)
        })
    }

    fn scan(&self, sha256: &str, scanner: &str, settings: &str) -> Result<Option<StoredScan>> {
        self.with(|c| {
            c.query_row(
                "SELECT format, findings FROM scans WHERE sha256 = ?1 AND scanner = ?2 AND settings = ?3",
                params![sha256, scanner, settings],
                |r| Ok(StoredScan { format: r.get(0)?, findings_json: r.get(1)? }),
            )
            .optional()
        })
    }

    fn put_scan(&self, sha256: &str, scanner: &str, settings: &str, scan: &StoredScan) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO scans (sha256, scanner, settings, format, findings) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![sha256, scanner, settings, scan.format, scan.findings_json],
            )
            .map(drop)
        })
    }

    fn files(&self, repo: Option<&str>, limit: usize) -> Result<Vec<(FileKey, FileRecord)>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT repo, commit_id, path, sha256, size, etag FROM files
                 WHERE ?1 IS NULL OR repo = ?1 ORDER BY repo, path, commit_id LIMIT ?2",
            )?;
            let rows = st.query_map(params![repo, sql_limit(limit)], |r| {
                Ok((
                    FileKey { repo: r.get(0)?, commit: r.get(1)?, path: r.get(2)? },
                    FileRecord { sha256: r.get(3)?, size: r.get::<_, i64>(4)?.max(0) as u64, etag: r.get(5)? },
                ))
            })?;
            rows.collect()
        })
    }

    fn repos(&self) -> Result<Vec<RepoSummary>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT repo, COUNT(*) FROM files GROUP BY repo ORDER BY repo")?;
            let rows =
                st.query_map([], |r| Ok(RepoSummary { repo: r.get(0)?, files: r.get::<_, i64>(1)?.max(0) as u64 }))?;
            rows.collect()
        })
    }

    fn verdict(&self, key: &FileKey) -> Result<Option<StoredVerdict>> {
        self.with(|c| {
            c.query_row(
                "SELECT sha256, scanner, policy, verdict, rules, time FROM verdicts
                 WHERE repo = ?1 AND commit_id = ?2 AND path = ?3",
                params![key.repo, key.commit, key.path],
                |r| {
                    Ok(StoredVerdict {
                        sha256: r.get(0)?,
                        scanner: r.get(1)?,
                        policy: r.get(2)?,
                        verdict: r.get(3)?,
                        rules: r.get(4)?,
                        time: r.get(5)?,
                    })
                },
            )
            .optional()
        })
    }

    fn put_verdict(&self, key: &FileKey, v: &StoredVerdict) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO verdicts (repo, commit_id, path, sha256, scanner, policy, verdict, rules)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![key.repo, key.commit, key.path, v.sha256, v.scanner, v.policy, v.verdict, v.rules],
            )
            .map(drop)
        })
    }

    fn audit(&self, e: &AuditEntry) -> Result<()> {
        let event = if e.event.is_empty() { "download" } else { e.event.as_str() };
        self.with(|c| {
            c.execute(
                "INSERT INTO audit (event, who, repo, revision, path, sha256, verdict, rules, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![event, e.who, e.repo, e.revision, e.path, e.sha256, e.verdict, e.rules, e.detail],
            )
            .map(drop)
        })
    }

    fn audit_query(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit
                 WHERE (?1 IS NULL OR repo = ?1) AND (?2 IS NULL OR verdict = ?2) AND (?3 IS NULL OR time >= ?3)
                   AND (?4 IS NULL OR id < ?4)
                 ORDER BY id DESC LIMIT ?5"
            ))?;
            let rows = st.query_map(params![q.repo, q.verdict, q.since, q.before, sql_limit(q.limit)], audit_row)?;
            rows.collect()
        })
    }

    fn add_waiver(&self, w: &GateWaiver) -> Result<i64> {
        self.with(|c| {
            c.execute(
                "INSERT INTO waivers (sha256, reason, expires, who) VALUES (?1, ?2, ?3, ?4)",
                params![w.sha256, w.reason, w.expires, w.who],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn waivers(&self, sha256: &str, today: &str) -> Result<Vec<GateWaiver>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT sha256, reason, expires, who FROM waivers
                 WHERE sha256 = ?1 AND (expires IS NULL OR expires >= ?2) ORDER BY id",
            )?;
            let rows = st.query_map(params![sha256, today], waiver_row)?;
            rows.collect()
        })
    }

    fn all_waivers(&self) -> Result<Vec<WaiverRecord>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT id, created, sha256, reason, expires, who FROM waivers ORDER BY id")?;
            let rows = st.query_map([], waiver_record_row)?;
            rows.collect()
        })
    }

    fn remove_waiver(&self, id: i64) -> Result<Option<WaiverRecord>> {
        self.with(|c| {
            let w = c
                .query_row(
                    "SELECT id, created, sha256, reason, expires, who FROM waivers WHERE id = ?1",
                    params![id],
                    waiver_record_row,
                )
                .optional()?;
            if w.is_some() {
                c.execute("DELETE FROM waivers WHERE id = ?1", params![id])?;
            }
            Ok(w)
        })
    }

    fn quarantine(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit a
                 WHERE id = (SELECT MAX(id) FROM audit b WHERE b.repo = a.repo AND b.path = a.path
                             AND b.sha256 = a.sha256 AND b.verdict != '')
                   AND verdict = 'blocked' ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = st.query_map(params![sql_limit(limit)], audit_row)?;
            rows.collect()
        })
    }

    fn add_token(&self, name: &str, scope: &str, hash: &str, expires: Option<&str>) -> Result<bool> {
        self.with(|c| {
            let n = c.execute(
                "INSERT INTO tokens (name, scope, hash, expires) SELECT ?1, ?2, ?3, ?4
                 WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE name = ?1 AND revoked IS NULL)",
                params![name, scope, hash, expires],
            )?;
            Ok(n == 1)
        })
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT id, name, scope, hash, created, expires, last_used, revoked FROM tokens ORDER BY id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(TokenRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    scope: r.get(2)?,
                    hash: r.get(3)?,
                    created: r.get(4)?,
                    expires: r.get(5)?,
                    last_used: r.get(6)?,
                    revoked: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }

    fn revoke_token(&self, name: &str) -> Result<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE tokens SET revoked = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE name = ?1 AND revoked IS NULL",
                params![name],
            )?;
            Ok(n > 0)
        })
    }

    fn touch_token(&self, id: i64, time: &str) -> Result<()> {
        self.with(|c| c.execute("UPDATE tokens SET last_used = ?2 WHERE id = ?1", params![id, time]).map(drop))
    }
}

const AUDIT_COLUMNS: &str = "id, time, event, who, repo, revision, path, sha256, verdict, rules, detail";

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn waiver_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GateWaiver> {
    Ok(GateWaiver { sha256: r.get(0)?, reason: r.get(1)?, expires: r.get(2)?, who: r.get(3)? })
}

fn waiver_record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WaiverRecord> {
    Ok(WaiverRecord {
        id: r.get(0)?,
        created: r.get(1)?,
        waiver: GateWaiver { sha256: r.get(2)?, reason: r.get(3)?, expires: r.get(4)?, who: r.get(5)? },
    })
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        time: r.get(1)?,
        event: r.get(2)?,
        who: r.get(3)?,
        repo: r.get(4)?,
        revision: r.get(5)?,
        path: r.get(6)?,
        sha256: r.get(7)?,
        verdict: r.get(8)?,
        rules: r.get(9)?,
        detail: r.get(10)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh database in a temporary folder (also used by other modules' tests).
    pub(crate) fn db() -> (tempfile::TempDir, SqliteDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDb::open(&dir.path().join("gate.sqlite")).unwrap();
        (dir, db)
    }

    #[test]
    fn files_scans_and_waivers_round_trip() {
        let (_d, db) = db();
        let key = FileKey { repo: "o/n".into(), commit: "c".repeat(40), path: "a.bin".into() };
        assert_eq!(db.file(&key).unwrap(), None);
        let rec = FileRecord { sha256: "ab".repeat(32), size: 7, etag: "e1".into() };
        db.put_file(&key, &rec).unwrap();
        assert_eq!(db.file(&key).unwrap(), Some(rec.clone()));

        let s = StoredScan { format: "pickle".into(), findings_json: "[]".into() };
        db.put_scan(&rec.sha256, "0.1.0", "k1", &s).unwrap();
        assert_eq!(db.scan(&rec.sha256, "0.1.0", "k1").unwrap(), Some(s));
        // Another scanner version or other settings: not the same verdict.
        assert_eq!(db.scan(&rec.sha256, "0.2.0", "k1").unwrap(), None);
        assert_eq!(db.scan(&rec.sha256, "0.1.0", "k2").unwrap(), None);

        let w = |exp: Option<&str>| GateWaiver {
            sha256: rec.sha256.clone(),
            reason: "reviewed".into(),
            expires: exp.map(str::to_string),
            who: "admin".into(),
        };
        db.add_waiver(&w(Some("2026-01-31"))).unwrap();
        assert_eq!(db.waivers(&rec.sha256, "2026-01-31").unwrap().len(), 1);
        assert_eq!(db.waivers(&rec.sha256, "2026-02-01").unwrap().len(), 0);
        let id = db.add_waiver(&w(None)).unwrap();
        assert_eq!(db.waivers(&rec.sha256, "2099-01-01").unwrap().len(), 1);
        assert_eq!(db.all_waivers().unwrap().len(), 2);
        assert_eq!(db.remove_waiver(id).unwrap().map(|r| r.waiver.expires), Some(None));
        assert_eq!(db.remove_waiver(id).unwrap(), None);
        assert_eq!(db.waivers(&rec.sha256, "2099-01-01").unwrap().len(), 0);

        assert_eq!(db.repos().unwrap(), [RepoSummary { repo: "o/n".into(), files: 1 }]);
        assert_eq!(db.files(Some("o/n"), 10).unwrap(), [(key.clone(), rec.clone())]);
        assert!(db.files(Some("o/other"), 10).unwrap().is_empty());
        assert_eq!(db.verdict(&key).unwrap(), None);
        let v = StoredVerdict {
            sha256: rec.sha256.clone(),
            scanner: "0.1.0".into(),
            policy: "p1".into(),
            verdict: "blocked".into(),
            rules: "PKL001".into(),
            time: String::new(),
        };
        db.put_verdict(&key, &v).unwrap();
        let got = db.verdict(&key).unwrap().unwrap();
        assert_eq!((got.verdict.as_str(), got.policy.as_str()), ("blocked", "p1"));
        db.put_verdict(&key, &StoredVerdict { verdict: "allowed".into(), ..v }).unwrap();
        assert_eq!(db.verdict(&key).unwrap().unwrap().verdict, "allowed");
    }

    #[test]
    fn tokens_are_unique_by_live_name_and_revocable() {
        let (_d, db) = db();
        assert!(db.add_token("ci", "read", &"aa".repeat(32), None).unwrap());
        assert!(!db.add_token("ci", "admin", &"bb".repeat(32), None).unwrap(), "a live token has the name");
        assert!(db.revoke_token("ci").unwrap());
        assert!(!db.revoke_token("ci").unwrap());
        assert!(db.add_token("ci", "admin", &"bb".repeat(32), Some("2030-01-01T00:00:00Z")).unwrap());
        let t = db.tokens().unwrap();
        assert_eq!(t.len(), 2);
        assert!(t[0].revoked.is_some() && t[1].revoked.is_none());
        assert_eq!(t[1].expires.as_deref(), Some("2030-01-01T00:00:00Z"));
        db.touch_token(t[1].id, "2026-12-03T10:00:00Z").unwrap();
        assert_eq!(db.tokens().unwrap()[1].last_used.as_deref(), Some("2026-12-03T10:00:00Z"));
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_235_847), "2026-12-02T18:24:07Z");
    }

    #[test]
    fn an_older_database_gains_the_event_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gate.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT,
                   time TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                   who TEXT NOT NULL, repo TEXT NOT NULL, revision TEXT NOT NULL, path TEXT NOT NULL,
                   sha256 TEXT NOT NULL, verdict TEXT NOT NULL, rules TEXT NOT NULL);
                 INSERT INTO audit (who, repo, revision, path, sha256, verdict, rules)
                   VALUES ('anonymous', 'o/n', 'main', 'x', '', 'allowed', '');",
            )
            .unwrap();
        }
        let db = SqliteDb::open(&path).unwrap();
        assert_eq!(db.audit_log(None, 5).unwrap()[0].event, "download");
    }

    #[test]
    fn the_audit_log_only_grows() {
        let (_d, db) = db();
        for (i, v) in ["allowed", "blocked"].iter().enumerate() {
            db.audit(&AuditEntry {
                who: "anonymous".into(),
                repo: format!("o/r{i}"),
                revision: "main".into(),
                path: "x".into(),
                sha256: "00".repeat(32),
                verdict: v.to_string(),
                ..AuditEntry::default()
            })
            .unwrap();
        }
        let log = db.audit_log(None, 10).unwrap();
        assert_eq!(log.iter().map(|e| e.verdict.as_str()).collect::<Vec<_>>(), ["blocked", "allowed"]);
        assert!(log[0].time.ends_with('Z'));
        assert_eq!(db.audit_log(Some("o/r0"), 10).unwrap().len(), 1);
        let q = db.quarantine(10).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].repo, "o/r1");
        // Filters: verdict, time, paging by id.
        let q = |verdict: Option<&str>, since: Option<&str>, before: Option<i64>| {
            let q = AuditQuery {
                verdict: verdict.map(str::to_string),
                since: since.map(str::to_string),
                before,
                limit: 10,
                ..AuditQuery::default()
            };
            db.audit_query(&q).unwrap().iter().map(|e| e.repo.clone()).collect::<Vec<_>>()
        };
        assert_eq!(q(Some("allowed"), None, None), ["o/r0"]);
        assert_eq!(q(None, Some("2000-01-01"), None).len(), 2);
        assert!(q(None, Some("2999-01-01"), None).is_empty());
        assert_eq!(q(None, None, Some(log[0].id)), ["o/r0"]);
        assert_eq!(log[0].event, "download");
        // An administrator's action later does not take a file out of quarantine.
        db.audit(&AuditEntry {
            event: "waiver-added".into(),
            who: "alice".into(),
            repo: "o/r1".into(),
            path: "x".into(),
            sha256: "00".repeat(32),
            ..AuditEntry::default()
        })
        .unwrap();
        assert_eq!(db.quarantine(10).unwrap().len(), 1);
        let c = db.conn.lock().unwrap();
        assert!(c.execute("DELETE FROM audit", []).is_err());
        assert!(c.execute("UPDATE audit SET verdict = 'allowed'", []).is_err());
    }
}
