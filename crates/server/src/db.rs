//! The gate's database: which blob a repository file is, scan results by
//! content hash, the append-only audit log, and waivers.
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
use serde::Serialize;

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

/// One decision of the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// RFC 3339 time (UTC), filled in by the database.
    pub time: String,
    /// Who asked (token name, or `anonymous`).
    pub who: String,
    pub repo: String,
    pub revision: String,
    pub path: String,
    pub sha256: String,
    /// `allowed`, `blocked`, `waived`.
    pub verdict: String,
    /// Rule codes that decided it, comma-separated.
    pub rules: String,
}

/// A gate waiver: lets one blob through despite its blocking findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateWaiver {
    pub sha256: String,
    pub reason: String,
    /// `YYYY-MM-DD`, inclusive; none = no expiry.
    pub expires: Option<String>,
    pub who: String,
}

/// The gate's storage of records.
pub trait Db: Send + Sync + 'static {
    fn file(&self, key: &FileKey) -> Result<Option<FileRecord>>;
    fn put_file(&self, key: &FileKey, rec: &FileRecord) -> Result<()>;
    /// The scan of a blob by this scanner version and scan settings.
    fn scan(&self, sha256: &str, scanner: &str, settings: &str) -> Result<Option<StoredScan>>;
    fn put_scan(&self, sha256: &str, scanner: &str, settings: &str, scan: &StoredScan) -> Result<()>;
    /// Appends to the audit log (the only write it allows).
    fn audit(&self, entry: &AuditEntry) -> Result<()>;
    /// The newest `limit` audit entries, newest first; `repo` filters.
    fn audit_log(&self, repo: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>>;
    fn add_waiver(&self, w: &GateWaiver) -> Result<()>;
    /// Waivers for a blob that have not expired on `today` (`YYYY-MM-DD`).
    fn waivers(&self, sha256: &str, today: &str) -> Result<Vec<GateWaiver>>;
    /// Every waiver, oldest first.
    fn all_waivers(&self) -> Result<Vec<GateWaiver>>;
    /// Files whose latest decision was `blocked` (the quarantine), newest first.
    fn quarantine(&self, limit: usize) -> Result<Vec<AuditEntry>>;
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
  sha256 TEXT NOT NULL, verdict TEXT NOT NULL, rules TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS waivers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sha256 TEXT NOT NULL, reason TEXT NOT NULL, expires TEXT, who TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
CREATE INDEX IF NOT EXISTS waivers_sha ON waivers (sha256);
";

impl SqliteDb {
    /// Opens (creating) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
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

    fn audit(&self, e: &AuditEntry) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit (who, repo, revision, path, sha256, verdict, rules) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![e.who, e.repo, e.revision, e.path, e.sha256, e.verdict, e.rules],
            )
            .map(drop)
        })
    }

    fn audit_log(&self, repo: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT time, who, repo, revision, path, sha256, verdict, rules FROM audit
                 WHERE ?1 IS NULL OR repo = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = st.query_map(params![repo, i64::try_from(limit).unwrap_or(i64::MAX)], audit_row)?;
            rows.collect()
        })
    }

    fn add_waiver(&self, w: &GateWaiver) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO waivers (sha256, reason, expires, who) VALUES (?1, ?2, ?3, ?4)",
                params![w.sha256, w.reason, w.expires, w.who],
            )
            .map(drop)
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

    fn all_waivers(&self) -> Result<Vec<GateWaiver>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT sha256, reason, expires, who FROM waivers ORDER BY id")?;
            let rows = st.query_map([], waiver_row)?;
            rows.collect()
        })
    }

    fn quarantine(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT time, who, repo, revision, path, sha256, verdict, rules FROM audit a
                 WHERE id = (SELECT MAX(id) FROM audit b WHERE b.repo = a.repo AND b.path = a.path AND b.sha256 = a.sha256)
                   AND verdict = 'blocked' ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = st.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], audit_row)?;
            rows.collect()
        })
    }
}

fn waiver_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GateWaiver> {
    Ok(GateWaiver { sha256: r.get(0)?, reason: r.get(1)?, expires: r.get(2)?, who: r.get(3)? })
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        time: r.get(0)?,
        who: r.get(1)?,
        repo: r.get(2)?,
        revision: r.get(3)?,
        path: r.get(4)?,
        sha256: r.get(5)?,
        verdict: r.get(6)?,
        rules: r.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, SqliteDb) {
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
        db.add_waiver(&w(None)).unwrap();
        assert_eq!(db.waivers(&rec.sha256, "2099-01-01").unwrap().len(), 1);
    }

    #[test]
    fn the_audit_log_only_grows() {
        let (_d, db) = db();
        for (i, v) in ["allowed", "blocked"].iter().enumerate() {
            db.audit(&AuditEntry {
                time: String::new(),
                who: "anonymous".into(),
                repo: format!("o/r{i}"),
                revision: "main".into(),
                path: "x".into(),
                sha256: "00".repeat(32),
                verdict: v.to_string(),
                rules: String::new(),
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
        let c = db.conn.lock().unwrap();
        assert!(c.execute("DELETE FROM audit", []).is_err());
        assert!(c.execute("UPDATE audit SET verdict = 'allowed'", []).is_err());
    }
}
