//! The gate's state and its one job: get a file's bytes from the upstream
//! into the blob store and a scan of them into the database, once per file
//! however many clients ask at the same time (single-flight).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use modelvet_engine::TargetReport;
use tokio::sync::watch;

use crate::db::{Db, FileKey, FileRecord};
use crate::judge::{Judge, SCANNER_VERSION};
use crate::names::RepoId;
use crate::store::BlobStore;
use crate::upstream::{FileMeta, Upstream, UpstreamError};

/// A file that has been fetched and scanned.
#[derive(Debug, Clone)]
pub struct Ready {
    pub record: FileRecord,
    /// The scan before policy.
    pub report: TargetReport,
}

/// Why a file could not be made ready: the answer the client gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    /// `X-Error-Code` for not-found answers.
    pub code: Option<String>,
    pub message: String,
}

impl Failure {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Self { status, code: None, message: message.into() }
    }
}

impl From<UpstreamError> for Failure {
    fn from(e: UpstreamError) -> Self {
        match e {
            // Not-found answers keep their status and code: clients rely on them.
            UpstreamError::Status { status, code, message, .. } if matches!(status, 401 | 403 | 404) => {
                Failure { status, code, message }
            }
            UpstreamError::Status { status, message, .. } => {
                Failure::new(502, format!("upstream answered {status}: {message}"))
            }
            other => Failure::new(502, other.to_string()),
        }
    }
}

pub type Outcome = Result<Ready, Failure>;

/// Limits and timings of the gate.
#[derive(Debug, Clone)]
pub struct GateLimits {
    /// Largest file fetched from the upstream.
    pub max_blob_bytes: u64,
    /// How long a download request waits for a fetch and scan before it is
    /// answered `429` with `Retry-After`.
    pub scan_wait: Duration,
    /// The `Retry-After` value, in seconds.
    pub retry_after: u64,
}

impl Default for GateLimits {
    fn default() -> Self {
        Self { max_blob_bytes: 64 << 30, scan_wait: Duration::from_secs(5), retry_after: 1 }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    pub upstream_fetches: AtomicU64,
    pub upstream_bytes: AtomicU64,
    pub scans: AtomicU64,
    pub allowed: AtomicU64,
    pub blocked: AtomicU64,
    pub waived: AtomicU64,
    pub pending: AtomicU64,
    pub held: AtomicU64,
    pub upstream_errors: AtomicU64,
}

type Inflight = Mutex<HashMap<FileKey, watch::Receiver<Option<Outcome>>>>;

/// Everything a request needs.
pub struct Gate {
    pub upstream: Upstream,
    pub store: Arc<dyn BlobStore>,
    pub db: Arc<dyn Db>,
    pub judge: Judge,
    pub limits: GateLimits,
    pub counters: Counters,
    /// Look-alike names and the publisher allowlist.
    pub publishers: crate::lookalike::Publishers,
    /// Scratch folder for scans (on the blob store's file system).
    scratch: PathBuf,
    inflight: Inflight,
}

impl Gate {
    pub fn new(
        upstream: Upstream,
        store: Arc<dyn BlobStore>,
        db: Arc<dyn Db>,
        judge: Judge,
        limits: GateLimits,
        scratch: PathBuf,
    ) -> Self {
        Self {
            upstream,
            store,
            db,
            judge,
            limits,
            counters: Counters::default(),
            publishers: crate::lookalike::Publishers::builtin(),
            scratch,
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// The scratch folder for scans (rescans use it too).
    pub fn scratch(&self) -> &std::path::Path {
        &self.scratch
    }

    /// The file's blob and scan, when both are already there.
    pub fn known(&self, key: &FileKey) -> Result<Option<Ready>, Failure> {
        let Some(record) = self.db.file(key).map_err(db_failure)? else { return Ok(None) };
        if self.store.local_path(&record.sha256).is_none() {
            return Ok(None);
        }
        let Some(stored) = self.db.scan(&record.sha256, SCANNER_VERSION, self.judge.settings()).map_err(db_failure)?
        else {
            return Ok(None);
        };
        Ok(Judge::decode(&stored, &record.sha256, record.size, &key.path).map(|report| Ready { record, report }))
    }

    /// Starts fetching and scanning a file, or joins the job already doing it.
    pub fn start(self: &Arc<Self>, key: FileKey, repo: RepoId, meta: FileMeta) -> watch::Receiver<Option<Outcome>> {
        let Ok(mut map) = self.inflight.lock() else {
            let (_, rx) = watch::channel(Some(Err(Failure::new(500, "gate state lock poisoned"))));
            return rx;
        };
        if let Some(rx) = map.get(&key) {
            return rx.clone();
        }
        let (tx, rx) = watch::channel(None);
        map.insert(key.clone(), rx.clone());
        drop(map);
        let gate = self.clone();
        tokio::spawn(async move {
            // Removed from the map however the job ends (results are in the
            // database first, so a later request finds them there).
            let _guard = InflightGuard { gate: gate.clone(), key: key.clone() };
            let out = gate.job(&key, &repo, &meta).await;
            let _ = tx.send(Some(out));
        });
        rx
    }

    async fn job(&self, key: &FileKey, repo: &RepoId, meta: &FileMeta) -> Outcome {
        let record = match self.db.file(key).map_err(db_failure)? {
            Some(r) if self.store.local_path(&r.sha256).is_some() => r,
            _ => self.fetch(key, repo, meta).await?,
        };
        if let Some(stored) =
            self.db.scan(&record.sha256, SCANNER_VERSION, self.judge.settings()).map_err(db_failure)?
            && let Some(report) = Judge::decode(&stored, &record.sha256, record.size, &key.path)
        {
            return Ok(Ready { record, report });
        }
        let blob = self.store.local_path(&record.sha256).ok_or_else(|| Failure::new(500, "stored blob vanished"))?;
        let (judge, name, scratch) = (self.judge.clone(), key.path.clone(), self.scratch.clone());
        let mut report = tokio::task::spawn_blocking(move || judge.scan(&blob, &name, &scratch))
            .await
            .map_err(|e| Failure::new(500, format!("scan task failed: {e}")))?
            .map_err(|e| Failure::new(500, format!("cannot scan: {e}")))?;
        report.sha256 = Some(record.sha256.clone());
        self.counters.scans.fetch_add(1, Ordering::Relaxed);
        self.db
            .put_scan(&record.sha256, SCANNER_VERSION, self.judge.settings(), &Judge::encode(&report))
            .map_err(db_failure)?;
        tracing::info!(repo = %key.repo, commit = %key.commit, path = %key.path, sha256 = %record.sha256,
            findings = report.findings.len(), format = %report.format, "scanned");
        Ok(Ready { record, report })
    }

    /// Downloads a file into the blob store, checking its size (and its
    /// SHA-256 when the upstream states it), and records it.
    async fn fetch(&self, key: &FileKey, repo: &RepoId, meta: &FileMeta) -> Result<FileRecord, Failure> {
        if meta.size > self.limits.max_blob_bytes {
            return Err(Failure::new(
                403,
                format!(
                    "{repo}/{} is {} bytes, above the gate's {}-byte limit; not fetched",
                    key.path, meta.size, self.limits.max_blob_bytes
                ),
            ));
        }
        self.counters.upstream_fetches.fetch_add(1, Ordering::Relaxed);
        let mut resp =
            self.upstream.get_file(repo, &key.commit, &key.path).await.inspect_err(|_| self.upstream_error())?;
        let mut pending = self.store.create().map_err(|e| Failure::new(500, format!("blob store: {e}")))?;
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    self.upstream_error();
                    return Err(Failure::new(502, format!("upstream broke off: {}", e.without_url())));
                }
            };
            if pending.written() + chunk.len() as u64 > meta.size {
                self.upstream_error();
                return Err(Failure::new(502, format!("upstream sent more than the {} bytes it announced", meta.size)));
            }
            pending.write_all(&chunk).map_err(|e| Failure::new(500, format!("blob store: {e}")))?;
            self.counters.upstream_bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        if pending.written() != meta.size {
            self.upstream_error();
            return Err(Failure::new(
                502,
                format!("upstream sent {} bytes of the {} it announced", pending.written(), meta.size),
            ));
        }
        let info = tokio::task::spawn_blocking(move || pending.commit())
            .await
            .map_err(|e| Failure::new(500, format!("blob store: {e}")))?
            .map_err(|e| Failure::new(500, format!("blob store: {e}")))?;
        if let Some(expected) = &meta.sha256
            && *expected != info.sha256
        {
            self.upstream_error();
            return Err(Failure::new(
                502,
                format!("upstream sent content with SHA-256 {} for a file it announced as {expected}", info.sha256),
            ));
        }
        let record = FileRecord { sha256: info.sha256, size: info.size, etag: meta.etag.clone() };
        self.db.put_file(key, &record).map_err(db_failure)?;
        Ok(record)
    }

    fn upstream_error(&self) {
        self.counters.upstream_errors.fetch_add(1, Ordering::Relaxed);
    }
}

struct InflightGuard {
    gate: Arc<Gate>,
    key: FileKey,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = self.gate.inflight.lock() {
            m.remove(&self.key);
        }
    }
}

fn db_failure(e: crate::db::DbError) -> Failure {
    Failure::new(500, e.to_string())
}

/// Waits up to `d` for a job's outcome; `None` when it is still running.
pub async fn wait(mut rx: watch::Receiver<Option<Outcome>>, d: Duration) -> Option<Outcome> {
    let waited = tokio::time::timeout(d, async {
        loop {
            if let Some(o) = rx.borrow_and_update().clone() {
                return o;
            }
            if rx.changed().await.is_err() {
                return rx
                    .borrow()
                    .clone()
                    .unwrap_or_else(|| Err(Failure::new(500, "the fetch-and-scan task ended without a result")));
            }
        }
    })
    .await;
    waited.ok()
}
