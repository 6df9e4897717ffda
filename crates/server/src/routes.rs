//! The Hub-compatible HTTP surface (docs/gate.md lists what each route
//! answers and why). Nothing from the upstream is relayed verbatim: JSON is
//! filtered (no Xet fields), headers are rebuilt, and file bytes are served
//! only from the blob store after a verdict.

use std::io::{Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use modelvet_engine::policy::Date;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::auth::{self, AuthError, Identity, Scope};
use crate::db::{AuditEntry, FileKey, StoredVerdict};
use crate::gate::{Failure, Gate, Ready, Streaming, Waited};
use crate::judge::{SCANNER_VERSION, Verdict};
use crate::lookalike::Hold;
use crate::names::{self, RepoId, encode_segment, is_commit};

type Shared = State<Arc<Gate>>;

/// Who may do what without a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Downloads, listings and the web page without a token.
    pub anonymous_read: bool,
}

/// Largest request body the gate reads (admin API, login form).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The gate's routes: the Hub-compatible ones, the admin API under
/// `/admin/api/`, the web page under `/ui`, all behind the token check.
pub fn router(gate: Arc<Gate>, access: Access) -> Router {
    Router::new()
        .merge(crate::admin::router())
        .merge(crate::web::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/models/{ns}/{name}", get(model_info))
        .route("/api/models/{ns}/{name}/revision/{rev}", get(model_info_rev))
        .route("/api/models/{ns}/{name}/tree/{rev}", get(tree_root))
        .route("/api/models/{ns}/{name}/tree/{rev}/{*path}", get(tree_path))
        .route("/api/models/{ns}/{name}/xet-read-token/{rev}", get(no_xet))
        .route("/api/models/{ns}/{name}/xet-write-token/{rev}", get(no_xet))
        .route("/{ns}/{name}/resolve/{rev}/{*path}", get(resolve_get).head(resolve_head))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state((gate.clone(), access), authenticate))
        .layer(middleware::from_fn(request_id))
        .with_state(gate)
}

/// What a path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Nothing,
    Read,
    Admin,
}

fn need(path: &str) -> Need {
    match path {
        "/healthz" | "/ui/login" | "/ui/logout" | "/ui/style.css" => Need::Nothing,
        p if p.starts_with("/admin/") => Need::Admin,
        _ => Need::Read,
    }
}

fn is_ui(path: &str) -> bool {
    path == "/ui" || path.starts_with("/ui/")
}

/// Finds who is asking (a bearer token; for the web page also its cookie),
/// refuses what they may not do, and hands the [`Identity`] to the handler.
async fn authenticate(State((gate, access)): State<(Arc<Gate>, Access)>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let need = need(&path);
    let ui = is_ui(&path);
    let presented = {
        // (A block: nothing borrowed from the request lives across the await below.)
        let headers = req.headers();
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        match auth::bearer(header(header::AUTHORIZATION)) {
            Some(t) => Some(t.to_string()),
            None if ui => auth::cookie(header(header::COOKIE)).map(str::to_string),
            None => None,
        }
    };
    let identity = match presented {
        Some(t) => match auth::verify(gate.db.as_ref(), &t, crate::db::unix_now()) {
            Ok(id) => Some(id),
            Err(AuthError::Db(e)) => return error(500, None, &e.to_string(), None),
            Err(_) if need == Need::Nothing => None,
            Err(e) => return unauthorized(&e, ui, &req),
        },
        None => None,
    };
    let identity = match identity {
        Some(id) => id,
        None if need == Need::Nothing || (need == Need::Read && access.anonymous_read) => Identity::anonymous(),
        None => return unauthorized(&AuthError::Missing, ui, &req),
    };
    if need == Need::Admin && identity.scope < Scope::Admin {
        return error(
            403,
            None,
            &format!(
                "the token {:?} has the read scope; this needs an admin token (modelvet gate token create --scope admin)",
                identity.name
            ),
            None,
        );
    }
    req.extensions_mut().insert(identity);
    req.extensions_mut().insert(access);
    next.run(req).await
}

/// `401`: the web page sends people to its login form; everything else gets
/// the reason in `X-Error-Message`, which the Hub client prints.
fn unauthorized(e: &AuthError, ui: bool, req: &Request) -> Response {
    if ui && req.method() == axum::http::Method::GET {
        let next = req.uri().path_and_query().map_or("/ui", |p| p.as_str());
        let why = if matches!(e, AuthError::Missing) { "" } else { "&failed=1" };
        let to = format!("/ui/login?next={}{why}", crate::web::url_encode(next));
        return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    }
    let msg = match e {
        AuthError::Missing => "This modelvet gate requires a token: set HF_TOKEN to a gate token (sent as \
             Authorization: Bearer mvg_...); an administrator creates one with \
             `modelvet gate token create --name NAME --scope read`"
            .to_string(),
        e => format!("Invalid modelvet gate token: {e}; ask an administrator for a new one"),
    };
    let mut r = error(401, None, &msg, None);
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"modelvet gate\""));
    r
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Every answer carries an `X-Request-Id`, which clients print with errors.
async fn request_id(req: Request, next: Next) -> Response {
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let id = format!("mv-{}-{n}", std::process::id());
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// Untrusted text made fit for a header: printable ASCII only, bounded, and
/// without a final period (the client adds one).
pub(crate) fn header_text(s: &str) -> HeaderValue {
    let mut t: String = s.chars().map(|c| if (' '..='~').contains(&c) { c } else { '?' }).take(1000).collect();
    while t.ends_with(['.', ' ']) {
        t.pop();
    }
    HeaderValue::from_str(&t).unwrap_or(HeaderValue::from_static("modelvet gate error"))
}

/// An error answer as the Hub client reads it: `X-Error-Message` (HEAD has
/// no body), `X-Error-Code` for not-found cases, and `{"error": ...}`.
pub(crate) fn error(status: u16, code: Option<&str>, message: &str, commit: Option<&str>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut r = (status, axum::Json(json!({ "error": message }))).into_response();
    let h = r.headers_mut();
    h.insert("x-error-message", header_text(message));
    if let Some(c) = code.filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric())) {
        h.insert("x-error-code", header_text(c));
    }
    if let Some(c) = commit.filter(|c| is_commit(c)) {
        h.insert("x-repo-commit", header_text(c));
    }
    r
}

/// The subject of a waiver that releases a held repository.
pub fn repo_subject(repo: &RepoId) -> String {
    format!("repo:{repo}")
}

/// `403` with the reason when the repository is held (a look-alike of a
/// well-known publisher, a well-known model's name under another publisher,
/// or a publisher not on the allowlist) and no waiver releases it.
fn held(gate: &Gate, repo: &RepoId) -> Option<(Response, &'static str)> {
    let hold = gate.publishers.check_repo(repo.namespace(), repo.name())?;
    match gate.db.waivers(&repo_subject(repo), &Date::today().to_string()) {
        Ok(w) if !w.is_empty() => return None,
        Ok(_) => {}
        Err(e) => return Some((error(500, None, &e.to_string(), None), "")),
    }
    let (message, rule) = match hold {
        Hold::LookAlike { publisher, how } => (
            format!(
                "Held by modelvet gate: {repo} looks like the well-known publisher {publisher} ({how}); \
                 an administrator can release it with `modelvet gate waive repo:{repo} --reason ...`"
            ),
            "lookalike-name",
        ),
        Hold::Impersonation { original } => (
            format!(
                "Held by modelvet gate: {repo} has the name of the well-known model {original} under another publisher; \
                 an administrator can release it with `modelvet gate waive repo:{repo} --reason ...`"
            ),
            "impersonated-model-name",
        ),
        Hold::NotAllowed => (
            format!("Held by modelvet gate: {} is not on the publisher allowlist", repo.namespace()),
            "publisher-allowlist",
        ),
    };
    gate.counters.held.fetch_add(1, Ordering::Relaxed);
    Some((error(403, None, &message, None), rule))
}

fn bad_request(e: &names::NameError) -> Response {
    error(400, None, &e.0, None)
}

fn failure(f: &Failure, commit: Option<&str>) -> Response {
    error(f.status, f.code.as_deref(), &f.message, commit)
}

async fn healthz() -> Response {
    (StatusCode::OK, axum::Json(json!({ "status": "ok" }))).into_response()
}

async fn metrics(State(gate): Shared) -> Response {
    let c = &gate.counters;
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, kind: &str, v: &AtomicU64| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}\n", v.load(Ordering::Relaxed)));
    };
    metric(
        "modelvet_gate_upstream_fetches_total",
        "File downloads started from the upstream.",
        "counter",
        &c.upstream_fetches,
    );
    metric("modelvet_gate_upstream_bytes_total", "Bytes downloaded from the upstream.", "counter", &c.upstream_bytes);
    metric(
        "modelvet_gate_upstream_errors_total",
        "Failed or refused upstream downloads.",
        "counter",
        &c.upstream_errors,
    );
    metric("modelvet_gate_scans_total", "Blobs scanned.", "counter", &c.scans);
    metric("modelvet_gate_allowed_total", "Downloads served.", "counter", &c.allowed);
    metric("modelvet_gate_blocked_total", "Downloads refused by policy.", "counter", &c.blocked);
    metric("modelvet_gate_waived_total", "Blocked files served under a gate waiver.", "counter", &c.waived);
    metric("modelvet_gate_held_total", "Requests refused for a look-alike or unlisted publisher.", "counter", &c.held);
    metric(
        "modelvet_gate_pending_total",
        "Downloads answered 429 while the file was fetched and scanned.",
        "counter",
        &c.pending,
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

async fn no_xet() -> Response {
    error(403, None, "This modelvet gate does not serve Xet storage; files are downloaded over plain HTTP", None)
}

async fn fallback() -> Response {
    error(404, None, "Not found (this modelvet gate serves model downloads only)", None)
}

/// Upstream query strings are passed on only when they are plain
/// `key=value&...` text.
fn pass_query(q: Option<String>) -> String {
    match q {
        Some(q)
            if !q.is_empty()
                && q.len() <= 1024
                && q.bytes().all(|b| b.is_ascii_alphanumeric() || b"=&%._-+,".contains(&b)) =>
        {
            format!("?{q}")
        }
        _ => String::new(),
    }
}

/// Removes every Xet field (`xetHash`, `xetEnabled`, ...) at any depth, so
/// clients never fetch chunks from the upstream's storage past the gate.
fn strip_xet(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.to_ascii_lowercase().starts_with("xet"));
            m.values_mut().for_each(strip_xet);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_xet),
        _ => {}
    }
}

async fn model_info(State(gate): Shared, Path((ns, name)): Path<(String, String)>, RawQuery(q): RawQuery) -> Response {
    info(gate, ns, name, None, q).await
}

async fn model_info_rev(
    State(gate): Shared,
    Path((ns, name, rev)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    info(gate, ns, name, Some(rev), q).await
}

async fn info(gate: Arc<Gate>, ns: String, name: String, rev: Option<String>, q: Option<String>) -> Response {
    let repo = match RepoId::new(&ns, &name) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    if let Some((r, _)) = held(&gate, &repo) {
        return r;
    }
    let path = match &rev {
        Some(rev) => match names::revision(rev) {
            Ok(rev) => format!("/api/models/{repo}/revision/{}", encode_segment(rev)),
            Err(e) => return bad_request(&e),
        },
        None => format!("/api/models/{repo}"),
    };
    match gate.upstream.api_json(&format!("{path}{}", pass_query(q))).await {
        Ok((mut v, _)) => {
            let sha_ok = v.get("sha").and_then(Value::as_str).is_some_and(is_commit);
            if v.get("id").and_then(Value::as_str).is_none() || !sha_ok {
                return error(502, None, "upstream model info lacks an id or a 40-hex sha", None);
            }
            strip_xet(&mut v);
            axum::Json(v).into_response()
        }
        Err(e) => failure(&Failure::from(e), None),
    }
}

async fn tree_root(
    State(gate): Shared,
    headers: HeaderMap,
    Path((ns, name, rev)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    tree(gate, headers, ns, name, rev, None, q).await
}

async fn tree_path(
    State(gate): Shared,
    headers: HeaderMap,
    Path((ns, name, rev, path)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    tree(gate, headers, ns, name, rev, Some(path), q).await
}

async fn tree(
    gate: Arc<Gate>,
    headers: HeaderMap,
    ns: String,
    name: String,
    rev: String,
    path: Option<String>,
    q: Option<String>,
) -> Response {
    let repo = match RepoId::new(&ns, &name) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let rev = match names::revision(&rev) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let sub = match path.as_deref().map(names::repo_path).transpose() {
        Ok(p) => p.map(|p| format!("/{}", names::encode_path(p))).unwrap_or_default(),
        Err(e) => return bad_request(&e),
    };
    if let Some((r, _)) = held(&gate, &repo) {
        return r;
    }
    let url = format!("/api/models/{repo}/tree/{}{sub}{}", encode_segment(rev), pass_query(q));
    match gate.upstream.api_json(&url).await {
        Ok((mut v, link)) => {
            if !v.is_array() {
                return error(502, None, "upstream tree listing is not a JSON array", None);
            }
            strip_xet(&mut v);
            let mut r = axum::Json(v).into_response();
            if let Some(next) = link.and_then(|l| next_link(&l, gate.upstream.base(), &headers)) {
                r.headers_mut().insert(header::LINK, next);
            }
            r
        }
        Err(e) => failure(&Failure::from(e), None),
    }
}

/// The upstream's `Link: <url>; rel="next"` pointed at the gate instead, so
/// paging goes on through it.
fn next_link(link: &str, upstream: &str, headers: &HeaderMap) -> Option<HeaderValue> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)) {
        return None;
    }
    let part = link.split(',').find(|p| p.contains("rel=\"next\""))?;
    let url = part.trim().strip_prefix('<')?.split('>').next()?;
    let rest = crate::upstream::same_origin_rest(url, upstream)?;
    if !rest.starts_with("/api/") || !rest.bytes().all(|b| b.is_ascii_graphic() && b != b'>' && b != b'<') {
        return None;
    }
    HeaderValue::from_str(&format!("<http://{host}{rest}>; rel=\"next\"")).ok()
}

/// Validated `(repo, rev, path)` of a resolve URL.
fn resolve_args(ns: &str, name: &str, rev: &str, path: &str) -> Result<(RepoId, String, String), names::NameError> {
    let repo = RepoId::new(ns, name)?;
    let rev = names::revision(rev)?.to_string();
    let path = names::repo_path(path)?.to_string();
    Ok((repo, rev, path))
}

fn file_headers(commit: &str, etag: &str, size: u64) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-repo-commit", header_text(commit));
    h.insert(header::ETAG, header_text(&format!("\"{etag}\"")));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h
}

/// `HEAD` of a file: answered at once from the upstream's metadata (the
/// client gives up after 10 s); the fetch and scan start in the background.
async fn resolve_head(
    State(gate): Shared,
    Path((ns, name, rev, path)): Path<(String, String, String, String)>,
) -> Response {
    let (repo, rev, path) = match resolve_args(&ns, &name, &rev, &path) {
        Ok(a) => a,
        Err(e) => return bad_request(&e),
    };
    let meta = match gate.upstream.head_file(&repo, &rev, &path).await {
        Ok(m) => m,
        Err(e) => {
            let commit = match &e {
                crate::upstream::UpstreamError::Status { commit, .. } => commit.clone(),
                _ => None,
            };
            return failure(&Failure::from(e), commit.as_deref());
        }
    };
    let key = FileKey { repo: repo.to_string(), commit: meta.commit.clone(), path };
    if matches!(gate.known(&key), Ok(None)) {
        drop(gate.start(key, repo, meta.clone()));
    }
    (StatusCode::OK, file_headers(&meta.commit, &meta.etag, meta.size)).into_response()
}

/// `GET` of a file: served from the blob store once scanned and allowed;
/// `403` with the reason when blocked; `429` + `Retry-After` while the
/// fetch and scan run.
async fn resolve_get(
    State(gate): Shared,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path((ns, name, rev, path)): Path<(String, String, String, String)>,
) -> Response {
    let (repo, rev, path) = match resolve_args(&ns, &name, &rev, &path) {
        Ok(a) => a,
        Err(e) => return bad_request(&e),
    };
    if let Some((r, rule)) = held(&gate, &repo) {
        let entry = AuditEntry {
            who: who.name.clone(),
            repo: repo.to_string(),
            revision: rev.clone(),
            path: path.clone(),
            verdict: "held".into(),
            rules: rule.into(),
            ..AuditEntry::default()
        };
        if let Err(e) = gate.db.audit(&entry) {
            return error(500, None, &format!("cannot write the audit log: {e}"), None);
        }
        return r;
    }
    // A commit id already seen needs no upstream round trip.
    let mut known = None;
    if is_commit(&rev) {
        let key = FileKey { repo: repo.to_string(), commit: rev.clone(), path: path.clone() };
        known = gate.known(&key).ok().flatten().map(|r| (key, r));
    }
    let (key, ready) = match known {
        Some(k) => k,
        None => {
            let meta = match gate.upstream.head_file(&repo, &rev, &path).await {
                Ok(m) => m,
                Err(e) => {
                    let commit = match &e {
                        crate::upstream::UpstreamError::Status { commit, .. } => commit.clone(),
                        _ => None,
                    };
                    return failure(&Failure::from(e), commit.as_deref());
                }
            };
            let key = FileKey { repo: repo.to_string(), commit: meta.commit.clone(), path: path.clone() };
            match gate.known(&key) {
                Err(f) => return failure(&f, Some(&key.commit)),
                Ok(Some(r)) => (key, r),
                Ok(None) => {
                    let rx = gate.start(key.clone(), repo.clone(), meta);
                    // A file judged by its header streams while it is fetched (whole-file GETs).
                    let whole = headers.get(header::RANGE).is_none();
                    match gate.wait_or_stream(rx, &key, gate.limits.scan_wait, whole).await {
                        Waited::Done(Ok(r)) => (key, r),
                        Waited::Done(Err(f)) => return failure(&f, Some(&key.commit)),
                        Waited::Stream(s) => {
                            let ready = Ready { record: s.record.clone(), report: s.report.clone() };
                            return decide_and_serve(&gate, &key, &rev, ready, &headers, Some(s), &who.name).await;
                        }
                        Waited::Pending => return pending(&gate, &key),
                    }
                }
            }
        }
    };
    decide_and_serve(&gate, &key, &rev, ready, &headers, None, &who.name).await
}

/// `429` + `Retry-After`: the file is still being fetched or scanned.
fn pending(gate: &Gate, key: &FileKey) -> Response {
    gate.counters.pending.fetch_add(1, Ordering::Relaxed);
    let msg = format!("scan in progress for {}/{}; retry shortly", key.repo, key.path);
    let mut r = error(429, None, &msg, Some(&key.commit));
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(gate.limits.retry_after));
    r
}

async fn decide_and_serve(
    gate: &Arc<Gate>,
    key: &FileKey,
    rev: &str,
    ready: Ready,
    headers: &HeaderMap,
    stream: Option<Arc<Streaming>>,
    who: &str,
) -> Response {
    let sha = ready.record.sha256.clone();
    let waivers = match gate.db.waivers(&sha, &Date::today().to_string()) {
        Ok(w) => w,
        Err(e) => return error(500, None, &e.to_string(), Some(&key.commit)),
    };
    let d = gate.judge.decide(ready.report, &key.repo, &waivers);
    let entry = AuditEntry {
        who: who.to_string(),
        repo: key.repo.clone(),
        revision: rev.to_string(),
        path: key.path.clone(),
        sha256: sha.clone(),
        verdict: d.verdict.as_str().into(),
        rules: d.rules.join(","),
        ..AuditEntry::default()
    };
    if let Err(e) = gate.db.audit(&entry) {
        // No decision without its audit record.
        return error(500, None, &format!("cannot write the audit log: {e}"), Some(&key.commit));
    }
    let verdict = StoredVerdict {
        sha256: sha.clone(),
        scanner: SCANNER_VERSION.into(),
        policy: gate.judge.policy_key().into(),
        verdict: entry.verdict.clone(),
        rules: entry.rules.clone(),
        time: String::new(),
    };
    if let Err(e) = gate.db.put_verdict(key, &verdict) {
        return error(500, None, &format!("cannot record the verdict: {e}"), Some(&key.commit));
    }
    tracing::info!(repo = %key.repo, revision = rev, commit = %key.commit, path = %key.path, sha256 = %sha,
        verdict = d.verdict.as_str(), rules = %entry.rules, "decision");
    match d.verdict {
        Verdict::Blocked => {
            gate.counters.blocked.fetch_add(1, Ordering::Relaxed);
            let mut r = error(403, None, &d.message, Some(&key.commit));
            // The findings, for tools that read the body.
            let body = json!({ "error": d.message, "verdict": "blocked", "sha256": sha, "rules": d.rules,
                "findings": d.report.findings });
            *r.body_mut() = Body::from(body.to_string());
            r
        }
        Verdict::Allowed | Verdict::Waived => {
            let counter = if d.verdict == Verdict::Waived { &gate.counters.waived } else { &gate.counters.allowed };
            counter.fetch_add(1, Ordering::Relaxed);
            let mut r = match stream {
                Some(s) => {
                    let h = file_headers(&key.commit, &ready.record.etag, ready.record.size);
                    (StatusCode::OK, h, s.body(&gate.store)).into_response()
                }
                None => serve_blob(gate, key, &ready.record.sha256, &ready.record.etag, headers).await,
            };
            if d.verdict == Verdict::Waived {
                r.headers_mut()
                    .insert(HeaderName::from_static("x-hf-warning"), header_text(&format!("modelvet; {}", d.message)));
            }
            r
        }
    }
}

/// Parses `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` against `size`.
/// `Some(None)` = unsatisfiable; `None` = no (usable) range: whole file.
fn parse_range(h: &HeaderMap, size: u64) -> Option<Option<(u64, u64)>> {
    let spec = h.get(header::RANGE)?.to_str().ok()?.strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let range = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (n > 0 && size > 0).then(|| (size.saturating_sub(n), size - 1))
    } else {
        let start: u64 = a.parse().ok()?;
        let end =
            if b.is_empty() { size.saturating_sub(1) } else { b.parse::<u64>().ok()?.min(size.saturating_sub(1)) };
        (start < size && start <= end).then_some((start, end))
    };
    Some(range)
}

/// Bytes read from a blob per chunk of a download.
pub const BLOB_CHUNK: usize = 256 << 10;

async fn serve_blob(gate: &Arc<Gate>, key: &FileKey, sha: &str, etag: &str, headers: &HeaderMap) -> Response {
    let (file, size) = match gate.store.open(sha) {
        Ok(Some(f)) => f,
        Ok(None) => return error(500, None, "blob missing from the store", Some(&key.commit)),
        Err(e) => return error(500, None, &format!("blob store: {e}"), Some(&key.commit)),
    };
    let mut h = file_headers(&key.commit, etag, size);
    let (status, start, len) = match parse_range(headers, size) {
        None => (StatusCode::OK, 0, size),
        Some(None) => {
            let mut r = error(416, None, "requested range not satisfiable", Some(&key.commit));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
        Some(Some((a, b))) => {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {a}-{b}/{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(b - a + 1));
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
    };
    let mut file = file;
    if let Err(e) = file.seek(SeekFrom::Start(start)) {
        return error(500, None, &format!("blob store: {e}"), Some(&key.commit));
    }
    let reader = tokio::fs::File::from_std(file).take(len);
    // 256 KiB reads: tokio's file reads go through a blocking thread each, and
    // the default 4 KiB chunk held cached downloads to ~300 MB/s on loopback
    // (crates/server/benches/gate_load.rs).
    (status, h, Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, BLOB_CHUNK))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_range(&h, 10), None);
        let mut with = |s: &str| {
            h.insert(header::RANGE, HeaderValue::from_str(s).unwrap());
            parse_range(&h, 10)
        };
        assert_eq!(with("bytes=2-"), Some(Some((2, 9))));
        assert_eq!(with("bytes=2-4"), Some(Some((2, 4))));
        assert_eq!(with("bytes=-3"), Some(Some((7, 9))));
        assert_eq!(with("bytes=5-100"), Some(Some((5, 9))));
        assert_eq!(with("bytes=10-"), Some(None));
        assert_eq!(with("bytes=4-2"), Some(None));
        assert_eq!(with("bytes=0-1,4-5"), None);
        assert_eq!(with("items=0-1"), None);
    }

    #[test]
    fn header_text_is_safe() {
        assert_eq!(header_text("a\r\nSet-Cookie: x").to_str().unwrap(), "a??Set-Cookie: x");
        assert_eq!(header_text("ends with a period.").to_str().unwrap(), "ends with a period");
        assert_eq!(header_text("é").to_str().unwrap(), "?");
    }

    #[test]
    fn xet_is_stripped_and_links_point_at_the_gate() {
        let mut v = json!({"id": "o/n", "xetEnabled": true, "siblings": [{"rfilename": "a", "xetHash": "x"}]});
        strip_xet(&mut v);
        assert_eq!(v, json!({"id": "o/n", "siblings": [{"rfilename": "a"}]}));
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8765"));
        let link = "<https://hub.example/api/models/o/n/tree/main?cursor=3>; rel=\"next\"";
        assert_eq!(
            next_link(link, "https://hub.example", &h).unwrap().to_str().unwrap(),
            "<http://127.0.0.1:8765/api/models/o/n/tree/main?cursor=3>; rel=\"next\""
        );
        assert!(next_link("<https://evil.example/api/x>; rel=\"next\"", "https://hub.example", &h).is_none());
        h.insert(header::HOST, HeaderValue::from_static("evil>; rel=x"));
        assert!(next_link(link, "https://hub.example", &h).is_none());
    }
}
