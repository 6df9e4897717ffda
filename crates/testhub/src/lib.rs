//! Test scaffolding: a small Hugging-Face-Hub-compatible server that holds
//! fixture repositories in memory. It is the *upstream* of `modelvet serve`
//! in the integration tests and the README demo; it is not part of modelvet.
//!
//! It behaves like the real Hub where the gate depends on it
//! (docs/gate.md): `X-Repo-Commit` on resolve answers, large files
//! (`*.safetensors`, `*.bin`, `*.pt`) redirected cross-origin to a "CDN"
//! route with `X-Linked-Etag`/`X-Linked-Size`, `EntryNotFound` and
//! `RevisionNotFound` codes, tree paging through `Link`, and Xet metadata
//! (`xetHash`, `X-Xet-Hash`, a `rel="xet-auth"` link) that a gate must strip.
//! It counts content downloads per file so tests can prove single-flight,
//! and the content bytes it sent. It answers `Range: bytes=a-b` requests with
//! `206` (or ignores them, [`TestHub::set_ignore_range`], like some servers),
//! and can serve files from the disk ([`Repo::disk_file`]) so that
//! gigabyte-sized layouts are sparse files rather than memory.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Tree entries per page (small, so that paging is exercised).
const PAGE: usize = 3;

/// A repository: an id (`org/name`), one commit and its files.
#[derive(Debug, Clone)]
pub struct Repo {
    pub id: String,
    pub commit: String,
    pub files: Vec<(String, Content)>,
}

/// A file's bytes: in memory, or a file on the disk (read when served).
#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Vec<u8>),
    Disk { path: PathBuf, size: u64, sha256: String },
}

impl Content {
    fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::Disk { size, .. } => *size,
        }
    }

    fn sha256(&self) -> String {
        match self {
            Content::Bytes(b) => sha256(b),
            Content::Disk { sha256, .. } => sha256.clone(),
        }
    }

    /// A git-blob-like id (40 hex).
    fn oid(&self) -> String {
        match self {
            Content::Bytes(b) => blob_oid(b),
            Content::Disk { sha256, .. } => sha256[..40].to_string(),
        }
    }

    /// Bytes `[start, start + n)`.
    fn read(&self, start: u64, n: u64) -> std::io::Result<Vec<u8>> {
        match self {
            Content::Bytes(b) => {
                let a = usize::try_from(start).unwrap_or(usize::MAX).min(b.len());
                let e = a.saturating_add(usize::try_from(n).unwrap_or(usize::MAX)).min(b.len());
                Ok(b[a..e].to_vec())
            }
            Content::Disk { path, .. } => {
                let mut f = std::fs::File::open(path)?;
                f.seek(SeekFrom::Start(start))?;
                let mut out = Vec::new();
                f.take(n).read_to_end(&mut out)?;
                Ok(out)
            }
        }
    }
}

/// Files up to this size are held in memory by [`Repo::folder`]; larger ones are read from the disk.
const IN_MEMORY: u64 = 1 << 20;

impl Repo {
    /// An empty repository; its commit id is derived from its id.
    pub fn new(id: &str) -> Self {
        let commit = hex::encode(Sha256::digest(format!("commit {id}").as_bytes()))[..40].to_string();
        Self { id: id.to_string(), commit, files: Vec::new() }
    }

    /// Adds a file (`path` inside the repository).
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.to_string(), Content::Bytes(bytes.into())));
        self
    }

    /// Adds a file served from the disk (hashed once now, read when asked for).
    pub fn disk_file(mut self, path: &str, local: &Path) -> std::io::Result<Self> {
        let mut f = std::fs::File::open(local)?;
        let size = f.metadata()?.len();
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        let sha256 = hex::encode(h.finalize());
        self.files.push((path.to_string(), Content::Disk { path: local.to_path_buf(), size, sha256 }));
        Ok(self)
    }

    /// Adds every file under a folder, recursively, named by their paths in
    /// it (`unet/config.json`); files above 1 MiB are served from the disk.
    pub fn folder(mut self, dir: &Path) -> std::io::Result<Self> {
        let mut stack = vec![(dir.to_path_buf(), String::new())];
        let mut found = Vec::new();
        while let Some((d, prefix)) = stack.pop() {
            for e in std::fs::read_dir(&d)?.filter_map(Result::ok) {
                let name = format!("{prefix}{}", e.file_name().to_string_lossy());
                let ft = e.file_type()?;
                if ft.is_dir() {
                    stack.push((e.path(), format!("{name}/")));
                } else if ft.is_file() {
                    found.push((name, e.path()));
                }
            }
        }
        found.sort();
        for (name, p) in found {
            if std::fs::metadata(&p)?.len() > IN_MEMORY {
                self = self.disk_file(&name, &p)?;
            } else {
                self.files.push((name, Content::Bytes(std::fs::read(&p)?)));
            }
        }
        Ok(self)
    }
}

/// Stored in LFS: model files by extension, and every file above 1 MiB (the
/// Hub refuses large files outside LFS).
fn is_lfs(path: &str, size: u64) -> bool {
    size > 1 << 20 || [".safetensors", ".bin", ".pt", ".pkl", ".gguf", ".onnx", ".h5"].iter().any(|e| path.ends_with(e))
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A stand-in for a git blob id (40 hex), as the Hub reports for small files.
fn blob_oid(b: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(format!("blob {}\0", b.len()).as_bytes());
    h.update(b);
    hex::encode(h.finalize())[..40].to_string()
}

struct Hub {
    repos: Vec<Repo>,
    /// Content downloads per `org/name/path`.
    fetches: Mutex<HashMap<String, usize>>,
    /// Delay before answering a content download.
    delay_ms: AtomicU64,
    /// Pause in the middle of a content download's body.
    stall_ms: AtomicU64,
    /// Answer range requests with the whole file (`200`), as some servers do.
    ignore_range: std::sync::atomic::AtomicBool,
    /// Whole-file answers carry a wrong last byte (content that is not what
    /// the listing's SHA-256 says).
    corrupt: std::sync::atomic::AtomicBool,
    /// Content bytes sent (bodies of downloads and ranges).
    bytes_sent: AtomicU64,
    /// Origin of the "CDN" (another host name for the same server, so the
    /// redirect is cross-origin as on the real Hub).
    cdn: String,
    /// The hub's own origin (`http://127.0.0.1:PORT`), for absolute `Link`s.
    origin: String,
}

impl Hub {
    fn repo(&self, ns: &str, name: &str) -> Option<&Repo> {
        let id = format!("{ns}/{name}");
        self.repos.iter().find(|r| r.id == id)
    }
}

/// A running test hub; stops when dropped.
pub struct TestHub {
    addr: SocketAddr,
    hub: Arc<Hub>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestHub {
    /// Starts a hub on a free loopback port, on its own thread and runtime.
    pub fn start(repos: Vec<Repo>) -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0".parse().map_err(std::io::Error::other)?, repos)
    }

    /// Starts a hub on `addr`.
    pub fn start_on(addr: SocketAddr, repos: Vec<Repo>) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let hub = Arc::new(Hub {
            repos,
            fetches: Mutex::new(HashMap::new()),
            delay_ms: AtomicU64::new(0),
            stall_ms: AtomicU64::new(0),
            ignore_range: std::sync::atomic::AtomicBool::new(false),
            bytes_sent: AtomicU64::new(0),
            corrupt: std::sync::atomic::AtomicBool::new(false),
            cdn: format!("http://localhost:{}", addr.port()),
            origin: format!("http://{addr}"),
        });
        let app = router(hub.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(Self { addr, hub, stop: Some(stop), thread: Some(thread) })
    }

    /// The hub's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many times the content of `org/name/path` was downloaded.
    pub fn fetches(&self, file: &str) -> usize {
        self.hub.fetches.lock().map(|m| m.get(file).copied().unwrap_or(0)).unwrap_or(0)
    }

    /// Delays every content download by `d` (a slow upstream).
    pub fn set_delay(&self, d: Duration) {
        self.hub.delay_ms.store(d.as_millis() as u64, Ordering::Relaxed);
    }

    /// Sends the first half of every content download, then pauses for `d`
    /// before the rest (a download to interrupt).
    pub fn set_stall(&self, d: Duration) {
        self.hub.stall_ms.store(d.as_millis() as u64, Ordering::Relaxed);
    }

    /// Makes the hub answer range requests with the whole file (`200`).
    pub fn set_ignore_range(&self, on: bool) {
        self.hub.ignore_range.store(on, Ordering::Relaxed);
    }

    /// Makes whole-file answers end with a wrong byte (ranges stay true).
    pub fn set_corrupt(&self, on: bool) {
        self.hub.corrupt.store(on, Ordering::Relaxed);
    }

    /// Content bytes of the bodies answered so far (a body counts whole when
    /// it starts: a client that drops it early read fewer).
    pub fn bytes_sent(&self) -> u64 {
        self.hub.bytes_sent.load(Ordering::Relaxed)
    }

    /// The commit id of a repository.
    pub fn commit(&self, id: &str) -> Option<String> {
        self.hub.repos.iter().find(|r| r.id == id).map(|r| r.commit.clone())
    }

    /// Blocks until the hub is stopped from elsewhere (the demo binary).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/api/models/{ns}/{name}", get(info))
        .route("/api/models/{ns}/{name}/revision/{rev}", get(info_rev))
        .route("/api/models/{ns}/{name}/tree/{rev}", get(tree_root))
        .route("/api/models/{ns}/{name}/tree/{rev}/{*path}", get(tree_path))
        .route("/{ns}/{name}/resolve/{rev}/{*path}", get(resolve).head(resolve))
        .route("/cdn/{sha}", get(cdn))
        .with_state(hub)
}

fn not_found(code: &str, msg: &str, commit: Option<&str>) -> Response {
    let mut r = (StatusCode::NOT_FOUND, axum::Json(json!({ "error": msg }))).into_response();
    let h = r.headers_mut();
    h.insert("x-error-code", HeaderValue::from_str(code).unwrap_or(HeaderValue::from_static("NotFound")));
    if let Ok(v) = HeaderValue::from_str(msg) {
        h.insert("x-error-message", v);
    }
    if let Some(c) = commit.and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert("x-repo-commit", c);
    }
    r
}

fn rev_ok(repo: &Repo, rev: &str) -> bool {
    rev == "main" || rev == repo.commit
}

async fn info(State(hub): State<Arc<Hub>>, UrlPath((ns, name)): UrlPath<(String, String)>) -> Response {
    info_rev(State(hub), UrlPath((ns, name, "main".into()))).await
}

async fn info_rev(
    State(hub): State<Arc<Hub>>,
    UrlPath((ns, name, rev)): UrlPath<(String, String, String)>,
) -> Response {
    let Some(repo) = hub.repo(&ns, &name) else {
        return not_found("RepoNotFound", "Repository not found", None);
    };
    if !rev_ok(repo, &rev) {
        return not_found("RevisionNotFound", &format!("Invalid rev id: {rev}"), None);
    }
    let siblings: Vec<Value> =
        repo.files.iter().map(|(p, b)| json!({ "rfilename": p, "size": b.len(), "xetHash": b.sha256() })).collect();
    axum::Json(json!({
        "_id": "0123456789abcdef01234567",
        "id": repo.id,
        "modelId": repo.id,
        "sha": repo.commit,
        "private": false,
        "gated": false,
        "disabled": false,
        "xetEnabled": true,
        "lastModified": "2026-01-01T00:00:00.000Z",
        "tags": ["safetensors"],
        "siblings": siblings,
    }))
    .into_response()
}

async fn tree_root(
    State(hub): State<Arc<Hub>>,
    UrlPath((ns, name, rev)): UrlPath<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    tree(hub, ns, name, rev, String::new(), q)
}

async fn tree_path(
    State(hub): State<Arc<Hub>>,
    UrlPath((ns, name, rev, path)): UrlPath<(String, String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    tree(hub, ns, name, rev, path, q)
}

fn tree(hub: Arc<Hub>, ns: String, name: String, rev: String, dir: String, q: HashMap<String, String>) -> Response {
    let Some(repo) = hub.repo(&ns, &name) else {
        return not_found("RepoNotFound", "Repository not found", None);
    };
    if !rev_ok(repo, &rev) {
        return not_found("RevisionNotFound", &format!("Invalid rev id: {rev}"), None);
    }
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let files: Vec<&(String, Content)> = repo.files.iter().filter(|(p, _)| p.starts_with(&prefix)).collect();
    if files.is_empty() && !dir.is_empty() {
        return not_found("EntryNotFound", &format!("{dir} does not exist on \"{rev}\""), Some(&repo.commit));
    }
    let entries: Vec<Value> = files
        .iter()
        .map(|(p, b)| {
            let mut e = json!({ "type": "file", "path": p, "size": b.len(), "oid": b.oid() });
            if is_lfs(p, b.len()) {
                e["lfs"] = json!({ "oid": b.sha256(), "size": b.len(), "pointerSize": 134 });
                e["xetHash"] = json!(b.sha256());
            }
            e
        })
        .collect();
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0).min(entries.len());
    let end = (start + PAGE).min(entries.len());
    let mut r = axum::Json(Value::Array(entries[start..end].to_vec())).into_response();
    if end < entries.len() {
        let path = if dir.is_empty() { String::new() } else { format!("/{dir}") };
        let next = format!(
            "<{}/api/models/{}/tree/{rev}{path}?recursive=true&expand=false&cursor={end}>; rel=\"next\"",
            hub.origin, repo.id
        );
        if let Ok(v) = HeaderValue::from_str(&next) {
            r.headers_mut().insert(header::LINK, v);
        }
    }
    r
}

async fn resolve(
    State(hub): State<Arc<Hub>>,
    method: Method,
    req_headers: HeaderMap,
    UrlPath((ns, name, rev, path)): UrlPath<(String, String, String, String)>,
) -> Response {
    let Some(repo) = hub.repo(&ns, &name) else {
        return not_found("RepoNotFound", "Repository not found", None);
    };
    if !rev_ok(repo, &rev) {
        return not_found("RevisionNotFound", &format!("Invalid rev id: {rev}"), None);
    }
    let Some((_, content)) = repo.files.iter().find(|(p, _)| *p == path) else {
        return not_found("EntryNotFound", &format!("{path} does not exist on \"{rev}\""), Some(&repo.commit));
    };
    let mut h = HeaderMap::new();
    let hv = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("x"));
    let sha = content.sha256();
    h.insert("x-repo-commit", hv(&repo.commit));
    h.insert("x-xet-hash", hv(&sha));
    h.insert(header::LINK, hv("<http://127.0.0.1:9/xet-read-token/main>; rel=\"xet-auth\""));
    if is_lfs(&path, content.len()) {
        h.insert("x-linked-etag", hv(&format!("\"{sha}\"")));
        h.insert("x-linked-size", hv(&content.len().to_string()));
        h.insert(header::ETAG, hv(&format!("\"{}\"", content.oid())));
        h.insert(header::LOCATION, hv(&format!("{}/cdn/{sha}", hub.cdn)));
        return (StatusCode::FOUND, h).into_response();
    }
    h.insert(header::ETAG, hv(&format!("\"{}\"", content.oid())));
    h.insert(header::CONTENT_LENGTH, hv(&content.len().to_string()));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if method == Method::HEAD {
        return (StatusCode::OK, h).into_response();
    }
    count_and_wait(&hub, &format!("{}/{path}", repo.id)).await;
    send(&hub, content, &req_headers, h)
}

async fn cdn(State(hub): State<Arc<Hub>>, req_headers: HeaderMap, UrlPath(sha): UrlPath<String>) -> Response {
    let found = hub.repos.iter().find_map(|r| {
        r.files.iter().find(|(_, b)| b.sha256() == sha).map(|(p, b)| (format!("{}/{p}", r.id), b.clone()))
    });
    let Some((name, content)) = found else {
        return (StatusCode::NOT_FOUND, "no such object").into_response();
    };
    count_and_wait(&hub, &name).await;
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    send(&hub, &content, &req_headers, h)
}

/// `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` against `size`: `Some(None)`
/// when unsatisfiable, `None` for no (usable) range.
fn parse_range(h: &HeaderMap, size: u64) -> Option<Option<(u64, u64)>> {
    let spec = h.get(header::RANGE)?.to_str().ok()?.strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    Some(if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (n > 0 && size > 0).then(|| (size.saturating_sub(n), size - 1))
    } else {
        let start: u64 = a.parse().ok()?;
        let end =
            if b.is_empty() { size.saturating_sub(1) } else { b.parse::<u64>().ok()?.min(size.saturating_sub(1)) };
        (start < size && start <= end).then_some((start, end))
    })
}

/// The whole file (`200`) or the range asked for (`206`).
fn send(hub: &Hub, content: &Content, req: &HeaderMap, mut h: HeaderMap) -> Response {
    let size = content.len();
    let range = if hub.ignore_range.load(Ordering::Relaxed) { None } else { parse_range(req, size) };
    let (status, start, n) = match range {
        None => (StatusCode::OK, 0, size),
        Some(None) => {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            return (StatusCode::RANGE_NOT_SATISFIABLE, h).into_response();
        }
        Some(Some((a, b))) => {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {a}-{b}/{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
    };
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    match content {
        Content::Bytes(b) => {
            let (a, e) = (start as usize, (start + n) as usize);
            hub.bytes_sent.fetch_add(n, Ordering::Relaxed);
            let mut bytes = b[a..e].to_vec();
            if status == StatusCode::OK
                && hub.corrupt.load(Ordering::Relaxed)
                && let Some(last) = bytes.last_mut()
            {
                *last ^= 0xff;
            }
            (status, h, body(hub, bytes)).into_response()
        }
        Content::Disk { .. } if n <= 8 << 20 => match content.read(start, n) {
            Ok(bytes) => {
                hub.bytes_sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                (status, h, body(hub, bytes)).into_response()
            }
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        },
        Content::Disk { path, .. } => {
            // Large files stream from the disk.
            let file = std::fs::File::open(path).and_then(|mut f| f.seek(SeekFrom::Start(start)).map(|_| f));
            match file {
                Ok(f) => {
                    hub.bytes_sent.fetch_add(n, Ordering::Relaxed);
                    use tokio::io::AsyncReadExt;
                    let reader = tokio::fs::File::from_std(f).take(n);
                    (status, h, Body::from_stream(tokio_util::io::ReaderStream::new(reader))).into_response()
                }
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
            }
        }
    }
}

/// A body sent whole, or in two halves with the configured stall between.
fn body(hub: &Hub, bytes: Vec<u8>) -> Body {
    let stall = hub.stall_ms.load(Ordering::Relaxed);
    if stall == 0 {
        return Body::from(bytes);
    }
    let (mut tx, rx) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let half = bytes.len() / 2;
        if tx.write_all(&bytes[..half]).await.is_err() || tx.flush().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(stall)).await;
        let _ = tx.write_all(&bytes[half..]).await;
    });
    Body::from_stream(tokio_util::io::ReaderStream::new(rx))
}

async fn count_and_wait(hub: &Hub, name: &str) {
    if let Ok(mut m) = hub.fetches.lock() {
        *m.entry(name.to_string()).or_insert(0) += 1;
    }
    let d = hub.delay_ms.load(Ordering::Relaxed);
    if d > 0 {
        tokio::time::sleep(Duration::from_millis(d)).await;
    }
}
