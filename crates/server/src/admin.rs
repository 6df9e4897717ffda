//! The admin API under `/admin/api/`, for tokens with the `admin` scope
//! (`modelvet gate --server URL --token TOKEN ...` uses it). JSON in and out;
//! bodies above [`crate::routes::BODY_LIMIT`] are refused.
//!
//! | request | answer |
//! |---|---|
//! | `GET /admin/api/whoami` | `{"name", "scope"}` |
//! | `GET /admin/api/waivers` | every waiver, with its id |
//! | `POST /admin/api/waivers` `{"subject", "reason", "expires"?}` | the new waiver (`201`) |
//! | `DELETE /admin/api/waivers/ID` | the removed waiver |
//! | `GET /admin/api/quarantine?limit=N` | files whose latest decision was a block |
//! | `GET /admin/api/audit?repo=&verdict=&since=&before=&limit=` | audit entries, newest first |
//! | `POST /admin/api/rescan` `{"repo"?}` | NDJSON: `{"done", "total"}` lines, then `{"summary": ...}` |

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use modelvet_engine::policy::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Identity;
use crate::db::{AuditEntry, AuditQuery, Db, GateWaiver, WaiverRecord};
use crate::gate::Gate;
use crate::names::{RepoId, is_sha256};
use crate::routes::error;

/// Most entries one listing returns.
pub const MAX_LIMIT: usize = 10_000;

pub fn router() -> Router<Arc<Gate>> {
    Router::new()
        .route("/admin/api/whoami", get(whoami))
        .route("/admin/api/waivers", get(list_waivers).post(add_waiver))
        .route("/admin/api/waivers/{id}", delete(remove_waiver))
        .route("/admin/api/quarantine", get(quarantine))
        .route("/admin/api/audit", get(audit))
        .route("/admin/api/rescan", post(rescan))
        .route("/admin/api/{*rest}", get(not_found).post(not_found).delete(not_found))
}

async fn not_found() -> Response {
    error(404, None, "no such admin API route (see docs/gate.md, \"Admin API\")", None)
}

async fn whoami(Extension(who): Extension<Identity>) -> Response {
    Json(json!({ "name": who.name, "scope": who.scope.as_str() })).into_response()
}

fn bad(msg: impl std::fmt::Display) -> Response {
    error(400, None, &msg.to_string(), None)
}

fn db_error(e: impl std::fmt::Display) -> Response {
    error(500, None, &e.to_string(), None)
}

fn body_error(e: &JsonRejection) -> Response {
    error(e.status().as_u16(), None, &format!("bad request body: {}", e.body_text()), None)
}

/// A waiver as the admin API and the command line take it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWaiver {
    /// A content SHA-256, or `repo:ORG/NAME` (releases a held repository).
    pub subject: String,
    pub reason: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub expires: Option<String>,
}

/// Checks a waiver and names its subject canonically (lower-case hash, or
/// `repo:` and a valid repository id).
pub fn validate_waiver(w: &NewWaiver, who: &str) -> Result<GateWaiver, String> {
    let subject = match w.subject.trim().strip_prefix("repo:") {
        Some(id) => format!("repo:{}", RepoId::parse(id).map_err(|e| e.0)?),
        None => w.subject.trim().to_ascii_lowercase(),
    };
    if !subject.starts_with("repo:") && !is_sha256(&subject) {
        return Err(format!("{:?} is neither a SHA-256 (64 hex digits) nor repo:ORG/NAME", w.subject));
    }
    let reason = w.reason.trim();
    if reason.is_empty() {
        return Err("a waiver needs a reason: say why the file is accepted".into());
    }
    if reason.len() > 2000 {
        return Err("the reason is longer than 2,000 bytes".into());
    }
    if let Some(e) = &w.expires
        && Date::parse(e).is_none()
    {
        return Err(format!("expiry {e:?} is not a date (YYYY-MM-DD)"));
    }
    Ok(GateWaiver { sha256: subject, reason: reason.to_string(), expires: w.expires.clone(), who: who.to_string() })
}

/// Stores a waiver and records it in the audit log.
pub fn store_waiver(db: &dyn Db, w: &GateWaiver) -> Result<WaiverRecord, crate::db::DbError> {
    let id = db.add_waiver(w)?;
    db.audit(&admin_entry("waiver-added", &w.who, &w.sha256, waiver_detail(w)))?;
    let rec = db.all_waivers()?.into_iter().find(|r| r.id == id);
    Ok(rec.unwrap_or(WaiverRecord { id, created: String::new(), waiver: w.clone() }))
}

/// Removes a waiver and records it in the audit log.
pub fn delete_waiver(db: &dyn Db, id: i64, who: &str) -> Result<Option<WaiverRecord>, crate::db::DbError> {
    let Some(rec) = db.remove_waiver(id)? else { return Ok(None) };
    db.audit(&admin_entry("waiver-removed", who, &rec.waiver.sha256, waiver_detail(&rec.waiver)))?;
    Ok(Some(rec))
}

fn waiver_detail(w: &GateWaiver) -> String {
    let until = w.expires.as_deref().map(|d| format!(" (until {d})")).unwrap_or_default();
    format!("{}{until}", w.reason)
}

/// An audit entry for an administrator's action on a subject (a hash,
/// `repo:ORG/NAME`, or a token's name).
pub fn admin_entry(event: &str, who: &str, subject: &str, detail: String) -> AuditEntry {
    let (repo, sha256) = match subject.strip_prefix("repo:") {
        Some(r) => (r.to_string(), String::new()),
        None if is_sha256(subject) => (String::new(), subject.to_string()),
        None => (String::new(), String::new()),
    };
    let detail = if repo.is_empty() && sha256.is_empty() { format!("{subject}: {detail}") } else { detail };
    AuditEntry { event: event.into(), who: who.into(), repo, sha256, detail, ..AuditEntry::default() }
}

async fn list_waivers(State(gate): State<Arc<Gate>>) -> Response {
    match gate.db.all_waivers() {
        Ok(w) => Json(w).into_response(),
        Err(e) => db_error(e),
    }
}

async fn add_waiver(
    State(gate): State<Arc<Gate>>,
    Extension(who): Extension<Identity>,
    body: Result<Json<NewWaiver>, JsonRejection>,
) -> Response {
    let Json(w) = match body {
        Ok(b) => b,
        Err(e) => return body_error(&e),
    };
    let w = match validate_waiver(&w, &who.name) {
        Ok(w) => w,
        Err(e) => return bad(e),
    };
    match store_waiver(gate.db.as_ref(), &w) {
        Ok(rec) => (StatusCode::CREATED, Json(rec)).into_response(),
        Err(e) => db_error(e),
    }
}

async fn remove_waiver(
    State(gate): State<Arc<Gate>>,
    Extension(who): Extension<Identity>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else { return bad(format!("{id:?} is not a waiver id")) };
    match delete_waiver(gate.db.as_ref(), id, &who.name) {
        Ok(Some(rec)) => Json(rec).into_response(),
        Ok(None) => error(404, None, &format!("no waiver with id {id}"), None),
        Err(e) => db_error(e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitQuery {
    limit: Option<usize>,
}

async fn quarantine(
    State(gate): State<Arc<Gate>>,
    q: Result<Query<LimitQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else { return bad("bad query: only limit=N is understood") };
    match gate.db.quarantine(q.limit.unwrap_or(100).min(MAX_LIMIT)) {
        Ok(v) => Json(v).into_response(),
        Err(e) => db_error(e),
    }
}

/// The audit-log filters, as the API and the command line take them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub repo: Option<String>,
    pub verdict: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD`.
    pub since: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<usize>,
}

/// The verdicts and events the audit log holds (for checking filters).
pub const VERDICTS: &[&str] = &["allowed", "blocked", "waived", "held"];

/// Checks the filters and makes a database query of them.
pub fn audit_query(f: &AuditFilter) -> Result<AuditQuery, String> {
    if let Some(r) = &f.repo {
        RepoId::parse(r).map_err(|e| e.0)?;
    }
    if let Some(v) = &f.verdict
        && !VERDICTS.contains(&v.as_str())
    {
        return Err(format!("verdict {v:?} is not one of {}", VERDICTS.join(", ")));
    }
    if let Some(s) = &f.since {
        let ok = s.len() <= 40
            && s.get(..10).and_then(Date::parse).is_some()
            && s.bytes().all(|b| b.is_ascii_digit() || b"-:.TZ".contains(&b));
        if !ok {
            return Err(format!("since {s:?} is not a date (YYYY-MM-DD) or an RFC 3339 UTC time"));
        }
    }
    Ok(AuditQuery {
        repo: f.repo.clone(),
        verdict: f.verdict.clone(),
        since: f.since.clone(),
        before: f.before,
        limit: f.limit.unwrap_or(50).min(MAX_LIMIT),
    })
}

async fn audit(
    State(gate): State<Arc<Gate>>,
    q: Result<Query<AuditFilter>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let f = match q {
        Ok(Query(f)) => f,
        Err(e) => return bad(format!("bad query: {}", e.body_text())),
    };
    let q = match audit_query(&f) {
        Ok(q) => q,
        Err(e) => return bad(e),
    };
    match gate.db.audit_query(&q) {
        Ok(v) => Json(v).into_response(),
        Err(e) => db_error(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RescanRequest {
    /// One repository; none = every stored file.
    repo: Option<String>,
}

/// Re-judges stored files; the answer streams progress lines while it works.
async fn rescan(
    State(gate): State<Arc<Gate>>,
    Extension(who): Extension<Identity>,
    body: Result<Json<RescanRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return body_error(&e),
    };
    let repo = match req.repo.as_deref().map(RepoId::parse).transpose() {
        Ok(r) => r.map(|r| r.to_string()),
        Err(e) => return bad(e.0),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(64);
    tokio::task::spawn_blocking(move || {
        let parts = crate::rescan::Parts {
            db: gate.db.as_ref(),
            store: gate.store.as_ref(),
            judge: &gate.judge,
            scratch: gate.scratch(),
        };
        let mut last = std::time::Instant::now();
        let mut progress = |done: usize, total: usize| {
            // At most ten lines a second, and always the last one.
            if done == total || last.elapsed().as_millis() >= 100 {
                last = std::time::Instant::now();
                let _ = tx.blocking_send(format!("{}\n", json!({ "done": done, "total": total })));
            }
        };
        let line = match crate::rescan::rescan(&parts, repo.as_deref(), &who.name, &mut progress) {
            Ok(s) => json!({ "summary": s }),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let _ = tx.blocking_send(format!("{line}\n"));
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-ndjson")], axum::body::Body::from_stream(Lines(rx)))
        .into_response()
}

/// Lines from a channel, as a response body.
struct Lines(tokio::sync::mpsc::Receiver<String>);

impl futures_core::Stream for Lines {
    type Item = Result<String, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|line| line.map(Ok))
    }
}
