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
use crate::ranged::{Chunks, FIRST_RANGE, MAX_RANGED_BYTES, MAX_ROUNDS, next_range};
use crate::store::{BlobStore, PendingBlob};
use crate::upstream::{FileMeta, Upstream, UpstreamError};

/// Smallest file streamed while it is fetched: smaller ones take less time
/// to fetch whole than the header's round trips.
const STREAM_MIN_BYTES: u64 = 1 << 20;

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
type Streams = Mutex<HashMap<FileKey, Arc<Streaming>>>;

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
    /// Files judged by their headers whose bodies are being fetched.
    streams: Streams,
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
            streams: Mutex::new(HashMap::new()),
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
            _ => match self.fetch_streaming(key, repo, meta).await? {
                Some(ready) => return Ok(ready),
                None => self.fetch(key, repo, meta).await?,
            },
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
        self.receive(&mut resp, &mut pending, meta, None).await?;
        self.store_verified(key, pending, meta).await
    }

    /// Writes a body into a pending blob, refusing more bytes than announced;
    /// reports progress to streaming clients.
    async fn receive(
        &self,
        resp: &mut reqwest::Response,
        pending: &mut Box<dyn PendingBlob>,
        meta: &FileMeta,
        progress: Option<&watch::Sender<Progress>>,
    ) -> Result<(), Failure> {
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
            if let Some(p) = progress {
                // Flushed first: readers of the pending file see what is announced.
                pending.flush().map_err(|e| Failure::new(500, format!("blob store: {e}")))?;
                p.send_replace(Progress::Written(pending.written()));
            }
        }
        Ok(())
    }

    /// Checks a received blob's size, commits it, checks its SHA-256 against
    /// the upstream's and records it.
    async fn store_verified(
        &self,
        key: &FileKey,
        pending: Box<dyn PendingBlob>,
        meta: &FileMeta,
    ) -> Result<FileRecord, Failure> {
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

    /// For a file whose verdict its header decides (safetensors, GGUF, with
    /// a stated SHA-256): reads the header by ranges and scans it exactly as
    /// the whole file would be scanned (see `ranged`), then fetches the body
    /// into the blob store while clients that were waiting receive it
    /// ([`Gate::wait_or_stream`]). The scan is stored only once the whole
    /// blob's SHA-256 is the one the upstream stated; if it is not, the blob
    /// is not recorded and streaming clients lose the connection before the
    /// last byte. `None`: not such a file (or its header needs more than
    /// ranges give): fetch whole and scan.
    async fn fetch_streaming(&self, key: &FileKey, repo: &RepoId, meta: &FileMeta) -> Result<Option<Ready>, Failure> {
        let Some(sha) = meta.sha256.clone() else { return Ok(None) };
        let lower = key.path.to_ascii_lowercase();
        if meta.size <= STREAM_MIN_BYTES
            || meta.size > self.limits.max_blob_bytes
            || !(lower.ends_with(".safetensors") || lower.ends_with(".gguf"))
        {
            return Ok(None);
        }
        let mut read = 0u64;
        let ranged = |e: crate::hf::HfError| match e {
            crate::hf::HfError::Upstream(u) => Failure::from(u),
            other => Failure::new(502, other.to_string()),
        };
        let first = meta.size.min(FIRST_RANGE);
        let head = crate::hf::read_range(&self.upstream, repo, &key.commit, &key.path, 0, first, meta.size, &mut read)
            .await
            .map_err(ranged)?;
        let Some(head) = head.filter(|h| h.len() as u64 == first) else { return Ok(None) };
        if !(modelvet_formats::safetensors::sniff(&head) || modelvet_formats::gguf::sniff(&head)) {
            self.counters.upstream_bytes.fetch_add(read, Ordering::Relaxed);
            return Ok(None);
        }
        let mut chunks = Chunks::new(meta.size);
        chunks.insert(0, head);
        let mut report = None;
        for _ in 0..MAX_ROUNDS {
            let (judge, name, scratch) = (self.judge.clone(), key.path.clone(), self.scratch.clone());
            let (back, (r, miss)) = tokio::task::spawn_blocking(move || {
                let out = judge.scan_ranges(&name, &chunks, &scratch);
                (chunks, out)
            })
            .await
            .map_err(|e| Failure::new(500, format!("scan task failed: {e}")))?;
            chunks = back;
            let Some(miss) = miss else {
                report = Some(r);
                break;
            };
            let next = next_range(&chunks, miss, FIRST_RANGE);
            if next.start >= next.end || chunks.held() + (next.end - next.start) > MAX_RANGED_BYTES {
                break;
            }
            let more = crate::hf::read_range(
                &self.upstream,
                repo,
                &key.commit,
                &key.path,
                next.start,
                next.end,
                meta.size,
                &mut read,
            )
            .await
            .map_err(ranged)?;
            let Some(more) = more else { break };
            chunks.insert(next.start, more);
        }
        self.counters.upstream_bytes.fetch_add(read, Ordering::Relaxed);
        let Some(mut report) = report else { return Ok(None) };
        report.sha256 = Some(sha.clone());
        self.counters.scans.fetch_add(1, Ordering::Relaxed);

        // The body: into the blob store, and to waiting clients as it arrives.
        self.counters.upstream_fetches.fetch_add(1, Ordering::Relaxed);
        let mut resp =
            self.upstream.get_file(repo, &key.commit, &key.path).await.inspect_err(|_| self.upstream_error())?;
        let mut pending = self.store.create().map_err(|e| Failure::new(500, format!("blob store: {e}")))?;
        let (tx, rx) = watch::channel(Progress::Written(0));
        let record = FileRecord { sha256: sha.clone(), size: meta.size, etag: meta.etag.clone() };
        let stream = pending
            .local_path()
            .map(|tmp| Arc::new(Streaming { report: report.clone(), record: record.clone(), tmp, progress: rx }));
        if let (Some(s), Ok(mut m)) = (&stream, self.streams.lock()) {
            m.insert(key.clone(), s.clone());
        }
        let _unpublish = StreamGuard { streams: &self.streams, key: key.clone() };
        let fetched = async {
            self.receive(&mut resp, &mut pending, meta, Some(&tx)).await?;
            self.store_verified(key, pending, meta).await
        }
        .await;
        let record = match fetched {
            Ok(r) => r,
            Err(f) => {
                tx.send_replace(Progress::Failed);
                return Err(f);
            }
        };
        // The header's scan is the whole file's: stored, not repeated.
        self.db
            .put_scan(&record.sha256, SCANNER_VERSION, self.judge.settings(), &Judge::encode(&report))
            .map_err(db_failure)?;
        tx.send_replace(Progress::Verified);
        tracing::info!(repo = %key.repo, commit = %key.commit, path = %key.path, sha256 = %record.sha256,
            findings = report.findings.len(), format = %report.format, header_bytes = chunks.held(), "scanned by its header");
        Ok(Some(Ready { record, report }))
    }

    /// Waits up to `d` for a job's outcome, or for its file to be judged by
    /// its header and streamable (only when `streamable`: a whole-file `GET`).
    pub async fn wait_or_stream(
        &self,
        mut rx: watch::Receiver<Option<Outcome>>,
        key: &FileKey,
        d: Duration,
        streamable: bool,
    ) -> Waited {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            if let Some(o) = rx.borrow_and_update().clone() {
                return Waited::Done(o);
            }
            if streamable && let Some(s) = self.streams.lock().ok().and_then(|m| m.get(key).cloned()) {
                return Waited::Stream(s);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Waited::Pending;
            }
            let tick = (deadline - now).min(Duration::from_millis(20));
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        let o = rx.borrow().clone().unwrap_or_else(|| {
                            Err(Failure::new(500, "the fetch-and-scan task ended without a result"))
                        });
                        return Waited::Done(o);
                    }
                }
                () = tokio::time::sleep(tick) => {}
            }
        }
    }

    fn upstream_error(&self) {
        self.counters.upstream_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// Removes a file from the streams however its fetch ends.
struct StreamGuard<'a> {
    streams: &'a Streams,
    key: FileKey,
}

impl Drop for StreamGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.streams.lock() {
            m.remove(&self.key);
        }
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

/// How a download request's wait ended.
pub enum Waited {
    /// The file is fetched and scanned (or failed).
    Done(Outcome),
    /// Judged from its header; its body is being fetched and can be streamed.
    Stream(Arc<Streaming>),
    /// Still running.
    Pending,
}

/// Progress of a streamed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Bytes written to the pending blob so far.
    Written(u64),
    /// Complete, and its SHA-256 is the one the upstream stated.
    Verified,
    /// Broken off, or not the content the upstream stated: clients lose the connection.
    Failed,
}

/// A file whose verdict is decided by its header (safetensors, GGUF) while
/// its body is still being fetched.
pub struct Streaming {
    /// The scan (before policy): of the header, which for these formats is
    /// the scan of the whole file.
    pub report: TargetReport,
    pub record: FileRecord,
    /// The pending blob, readable while it is written.
    tmp: PathBuf,
    progress: watch::Receiver<Progress>,
}

impl Streaming {
    /// The body for a client: the bytes as they are stored, ending early
    /// (the client sees a broken download) if the fetch fails or the content
    /// is not what the upstream stated.
    pub fn body(&self, store: &Arc<dyn BlobStore>) -> axum::body::Body {
        let (mut tx, rx) = tokio::io::duplex(1 << 16);
        let mut progress = self.progress.clone();
        let (tmp, size, sha) = (self.tmp.clone(), self.record.size, self.record.sha256.clone());
        let store = store.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
            // The pending file, or the blob it was renamed to.
            let file = match tokio::fs::File::open(&tmp).await {
                Ok(f) => f,
                Err(_) => match store.local_path(&sha) {
                    Some(p) => match tokio::fs::File::open(p).await {
                        Ok(f) => f,
                        Err(_) => return,
                    },
                    None => return,
                },
            };
            let mut file = file;
            let mut sent = 0u64;
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let state = *progress.borrow_and_update();
                let available = match state {
                    Progress::Written(n) => n,
                    Progress::Verified => size,
                    Progress::Failed => return,
                };
                while sent < available {
                    let want = usize::try_from((available - sent).min(buf.len() as u64)).unwrap_or(buf.len());
                    if file.seek(std::io::SeekFrom::Start(sent)).await.is_err() {
                        return;
                    }
                    let n = match file.read(&mut buf[..want]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    // The last bytes wait for the hash check: a client never
                    // receives a complete body that was not verified.
                    let n = if state != Progress::Verified && sent + n as u64 >= size {
                        usize::try_from(size - 1 - sent).unwrap_or(0)
                    } else {
                        n
                    };
                    if n == 0 {
                        break;
                    }
                    if tx.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                    sent += n as u64;
                }
                if sent >= size {
                    let _ = tx.shutdown().await;
                    return;
                }
                if state == Progress::Verified {
                    return;
                }
                if progress.changed().await.is_err() {
                    // The job ended without a last word: give up.
                    if *progress.borrow() != Progress::Verified {
                        return;
                    }
                }
            }
        });
        axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(rx))
    }
}
