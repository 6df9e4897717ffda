//! The gate's web page under `/ui`: plain server-rendered HTML and a little
//! CSS, no script. Every piece of text that came from outside (repository
//! names, paths, finding messages and evidence, waiver reasons, token names)
//! goes through [`esc`]; a `Content-Security-Policy` that allows no script
//! at all backs that up.
//!
//! Reading needs the `read` scope (or anonymous read); a browser signs in
//! once with a token through a form, which keeps it in an `HttpOnly`,
//! `SameSite=Strict` cookie scoped to `/ui`.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use modelvet_engine::policy::Date;
use serde::Deserialize;

use crate::auth::{self, Identity};
use crate::db::{AuditEntry, AuditQuery, FileKey, FileRecord};
use crate::gate::Gate;
use crate::judge::{Judge, SCANNER_VERSION};
use crate::names::RepoId;
use crate::routes::Access;

/// Audit entries on one page.
pub const PAGE: usize = 50;

pub fn router() -> Router<Arc<Gate>> {
    Router::new()
        .route("/ui", get(home))
        .route("/ui/", get(home))
        .route("/ui/style.css", get(style))
        .route("/ui/login", get(login_form).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/repos/{ns}/{name}", get(repo_page))
        .route("/ui/quarantine", get(quarantine))
        .route("/ui/audit", get(audit))
        .route("/ui/waivers", get(waivers))
        .route("/ui/{*rest}", get(not_found))
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters (for query values).
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Where a rule is documented: the same address the SARIF and CycloneDX
/// reports give.
pub fn rule_url(code: &str) -> String {
    modelvet_report::rule_docs_url(code)
}

const CSS: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a:hover{text-decoration:underline}
header .who{margin-left:auto;opacity:.85}header form{display:inline}
header button{background:none;border:1px solid #fff8;color:#fff;border-radius:4px;cursor:pointer}
main{padding:1em 1.5em;max-width:1200px}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5em 0 1.5em}
th,td{border:1px solid #d8dce1;padding:.35em .55em;text-align:left;vertical-align:top}
th{background:#eef0f3}code,.mono{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
.verdict{font-weight:600;padding:.05em .45em;border-radius:3px}
.blocked{background:#fbe0e0;color:#9b1111}.allowed{background:#dff5e3;color:#135e22}
.waived{background:#fff2cc;color:#7a5300}.held{background:#fbe0e0;color:#9b1111}
.finding{margin:.2em 0}.evidence{color:#555}.muted{color:#666}.error{color:#9b1111}
form.login{background:#fff;padding:1.2em;border:1px solid #d8dce1;max-width:28em}
form.login input{width:100%;box-sizing:border-box;padding:.4em;margin:.4em 0 .8em}
";

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=300")], CSS).into_response()
}

/// A whole page: navigation, who is signed in, the content.
fn page(title: &str, who: Option<&Identity>, body: &str) -> Response {
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} · modelvet gate</title><link rel=\"stylesheet\" href=\"/ui/style.css\"></head><body><header>\
         <strong>modelvet gate</strong><a href=\"/ui\">Repositories</a><a href=\"/ui/quarantine\">Quarantine</a>\
         <a href=\"/ui/audit\">Audit log</a><a href=\"/ui/waivers\">Waivers</a>",
        esc(title)
    );
    if let Some(w) = who {
        if w.authenticated {
            let _ = write!(
                html,
                "<span class=\"who\">signed in as <b id=\"who\">{}</b> ({})</span>\
                 <form method=\"post\" action=\"/ui/logout\"><button>Sign out</button></form>",
                esc(&w.name),
                w.scope.as_str()
            );
        } else {
            html.push_str(
                "<span class=\"who\">anonymous (read) · <a href=\"/ui/login\">sign in with a token</a></span>",
            );
        }
    }
    let _ = write!(html, "</header><main><h1>{}</h1>{body}</main></body></html>", esc(title));
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    secure_headers(r.headers_mut());
    r
}

fn secure_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn failed(who: &Identity, status: u16, msg: &str) -> Response {
    let mut r = page("Error", Some(who), &format!("<p class=\"error\">{}</p>", esc(msg)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

async fn not_found(Extension(who): Extension<Identity>) -> Response {
    failed(&who, 404, "No such page.")
}

fn verdict_badge(v: &str) -> String {
    let class = match v {
        "blocked" | "allowed" | "waived" | "held" => v,
        _ => "muted",
    };
    format!("<span class=\"verdict {class}\">{}</span>", esc(v))
}

fn repo_link(repo: &str) -> String {
    match RepoId::parse(repo) {
        Ok(id) => {
            format!("<a href=\"/ui/repos/{}/{}\">{}</a>", url_encode(id.namespace()), url_encode(id.name()), esc(repo))
        }
        Err(_) => esc(repo),
    }
}

async fn home(State(gate): State<Arc<Gate>>, Extension(who): Extension<Identity>) -> Response {
    let repos = match gate.db.repos() {
        Ok(r) => r,
        Err(e) => return failed(&who, 500, &e.to_string()),
    };
    let quarantined = gate.db.quarantine(crate::admin::MAX_LIMIT).map(|q| q.len()).unwrap_or(0);
    let mut body = format!(
        "<p>{} repositories fetched through the gate; <a href=\"/ui/quarantine\">{quarantined} file{} in quarantine</a>. \
         Scanner modelvet {SCANNER_VERSION}, fail level {}.</p>",
        repos.len(),
        if quarantined == 1 { "" } else { "s" },
        gate.judge.fail_on()
    );
    if repos.is_empty() {
        body.push_str("<p class=\"muted\">Nothing fetched yet.</p>");
    } else {
        body.push_str("<table id=\"repos\"><tr><th>Repository</th><th>Files stored</th></tr>");
        for r in &repos {
            let _ = write!(body, "<tr><td>{}</td><td>{}</td></tr>", repo_link(&r.repo), r.files);
        }
        body.push_str("</table>");
    }
    page("Repositories", Some(&who), &body)
}

/// A file's verdict and findings under the current scanner and policy (the
/// stored verdict when its scan is from another version or settings).
fn file_row(gate: &Gate, key: &FileKey, rec: &FileRecord) -> String {
    let short_commit = key.commit.get(..12).unwrap_or(&key.commit);
    let mut row = format!(
        "<tr class=\"file\" data-path=\"{}\"><td><code>{}</code><div class=\"muted\">commit <code>{}</code> · {} bytes</div></td>\
         <td><code>{}</code></td>",
        esc(&key.path),
        esc(&key.path),
        esc(short_commit),
        rec.size,
        esc(&rec.sha256)
    );
    let scan = gate.db.scan(&rec.sha256, SCANNER_VERSION, gate.judge.settings()).ok().flatten();
    let report = scan.and_then(|s| Judge::decode(&s, &rec.sha256, rec.size, &key.path));
    let Some(report) = report else {
        let stored = gate.db.verdict(key).ok().flatten();
        let v = stored.as_ref().map_or("not judged", |v| v.verdict.as_str());
        let _ = write!(
            row,
            "<td>{}</td><td class=\"muted\">scanned by another modelvet version or settings; \
             run <code>modelvet gate rescan</code></td></tr>",
            verdict_badge(v)
        );
        return row;
    };
    let waivers = gate.db.waivers(&rec.sha256, &Date::today().to_string()).unwrap_or_default();
    let d = gate.judge.decide(report, &key.repo, &waivers);
    let _ = write!(row, "<td>{}</td><td>", verdict_badge(d.verdict.as_str()));
    if d.report.findings.is_empty() {
        row.push_str("<span class=\"muted\">no findings</span>");
    }
    for f in &d.report.findings {
        let blocks = if f.blocks(gate.judge.fail_on()) { " blocking" } else { "" };
        let _ = write!(
            row,
            "<div class=\"finding{blocks}\">{} <a class=\"rule\" href=\"{}\">{}</a> {}: {}",
            esc(&f.severity.to_string()),
            esc(&rule_url(f.rule.code)),
            esc(f.rule.code),
            esc(f.rule.name),
            esc(&f.message)
        );
        if let Some(ev) = &f.evidence {
            let ev: String = ev.chars().take(500).collect();
            let _ = write!(row, "<div class=\"evidence\">evidence: <code>{}</code></div>", esc(&ev));
        }
        row.push_str("</div>");
    }
    row.push_str("</td></tr>");
    row
}

async fn repo_page(
    State(gate): State<Arc<Gate>>,
    Extension(who): Extension<Identity>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    let repo = match RepoId::new(&ns, &name) {
        Ok(r) => r.to_string(),
        Err(e) => return failed(&who, 400, &e.0),
    };
    let files = match gate.db.files(Some(&repo), 10_000) {
        Ok(f) => f,
        Err(e) => return failed(&who, 500, &e.to_string()),
    };
    if files.is_empty() {
        return failed(&who, 404, &format!("The gate has stored no file of {repo}."));
    }
    let gate2 = gate.clone();
    let rows =
        tokio::task::spawn_blocking(move || files.iter().map(|(k, r)| file_row(&gate2, k, r)).collect::<String>())
            .await
            .unwrap_or_default();
    let body = format!(
        "<p><a href=\"/ui/audit?repo={}\">Audit log of this repository</a></p>\
         <table id=\"files\"><tr><th>File</th><th>SHA-256</th><th>Verdict</th><th>Findings</th></tr>{rows}</table>",
        url_encode(&repo)
    );
    page(&repo, Some(&who), &body)
}

fn audit_table(entries: &[AuditEntry]) -> String {
    let mut t = String::from(
        "<table id=\"audit\"><tr><th>Time (UTC)</th><th>Event</th><th>Who</th><th>Repository / file</th>\
         <th>Verdict</th><th>Rules</th><th>SHA-256 / detail</th></tr>",
    );
    for e in entries {
        let file = if e.repo.is_empty() {
            String::new()
        } else if e.path.is_empty() {
            repo_link(&e.repo)
        } else {
            format!("{}/<code>{}</code>", repo_link(&e.repo), esc(&e.path))
        };
        let rules: String = e
            .rules
            .split(',')
            .filter(|r| !r.is_empty())
            .map(|r| {
                // Rule codes link to their documentation; hold reasons are words.
                if r.len() <= 8 && r.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    format!("<a class=\"rule\" href=\"{}\">{}</a> ", esc(&rule_url(r)), esc(r))
                } else {
                    format!("{} ", esc(r))
                }
            })
            .collect();
        let detail = match (e.sha256.is_empty(), e.detail.is_empty()) {
            (false, true) => format!("<code>{}</code>", esc(&e.sha256)),
            (false, false) => format!("<code>{}</code><div>{}</div>", esc(&e.sha256), esc(&e.detail)),
            (true, _) => esc(&e.detail),
        };
        let _ = write!(
            t,
            "<tr class=\"entry\"><td class=\"mono\">{}</td><td>{}</td><td class=\"who\">{}</td><td>{file}</td><td>{}</td><td>{rules}</td><td>{detail}</td></tr>",
            esc(&e.time),
            esc(&e.event),
            esc(&e.who),
            if e.verdict.is_empty() { String::new() } else { verdict_badge(&e.verdict) },
        );
    }
    t.push_str("</table>");
    t
}

async fn quarantine(State(gate): State<Arc<Gate>>, Extension(who): Extension<Identity>) -> Response {
    match gate.db.quarantine(1000) {
        Ok(q) if q.is_empty() => page("Quarantine", Some(&who), "<p class=\"muted\">No file is blocked.</p>"),
        Ok(q) => {
            let body = format!(
                "<p>Files whose latest decision was a block. An administrator releases one with \
                 <code>modelvet gate waive SHA256 --reason …</code>.</p>{}",
                audit_table(&q)
            );
            page("Quarantine", Some(&who), &body)
        }
        Err(e) => failed(&who, 500, &e.to_string()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct AuditPage {
    repo: Option<String>,
    verdict: Option<String>,
    before: Option<i64>,
}

async fn audit(
    State(gate): State<Arc<Gate>>,
    Extension(who): Extension<Identity>,
    q: Result<Query<AuditPage>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else { return failed(&who, 400, "bad query") };
    let filter = crate::admin::AuditFilter {
        repo: q.repo.clone().filter(|r| !r.is_empty()),
        verdict: q.verdict.clone().filter(|v| !v.is_empty()),
        since: None,
        before: q.before,
        limit: Some(PAGE),
    };
    let query: AuditQuery = match crate::admin::audit_query(&filter) {
        Ok(q) => q,
        Err(e) => return failed(&who, 400, &e),
    };
    let entries = match gate.db.audit_query(&query) {
        Ok(e) => e,
        Err(e) => return failed(&who, 500, &e.to_string()),
    };
    let mut body = String::new();
    if let Some(r) = &filter.repo {
        let _ = write!(body, "<p>Repository {} · <a href=\"/ui/audit\">all</a></p>", repo_link(r));
    }
    if entries.is_empty() {
        body.push_str("<p class=\"muted\">No entries.</p>");
    } else {
        body.push_str(&audit_table(&entries));
    }
    if entries.len() == PAGE
        && let Some(last) = entries.last()
    {
        let mut next = format!("/ui/audit?before={}", last.id);
        if let Some(r) = &filter.repo {
            let _ = write!(next, "&repo={}", url_encode(r));
        }
        if let Some(v) = &filter.verdict {
            let _ = write!(next, "&verdict={}", url_encode(v));
        }
        let _ = write!(body, "<p><a id=\"older\" href=\"{}\">Older entries →</a></p>", esc(&next));
    }
    page("Audit log", Some(&who), &body)
}

async fn waivers(State(gate): State<Arc<Gate>>, Extension(who): Extension<Identity>) -> Response {
    let list = match gate.db.all_waivers() {
        Ok(w) => w,
        Err(e) => return failed(&who, 500, &e.to_string()),
    };
    let today = Date::today().to_string();
    let mut body = String::from(
        "<table id=\"waivers\"><tr><th>Id</th><th>Subject</th><th>Reason</th><th>Expires</th><th>By</th><th>Created</th></tr>",
    );
    for w in &list {
        let subject = match w.waiver.sha256.strip_prefix("repo:") {
            Some(r) => format!("repository {}", repo_link(r)),
            None => format!("<code>{}</code>", esc(&w.waiver.sha256)),
        };
        let expires = match &w.waiver.expires {
            Some(e) if *e < today => format!("{} <span class=\"muted\">(expired)</span>", esc(e)),
            Some(e) => esc(e),
            None => "never".into(),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{subject}</td><td class=\"reason\">{}</td><td>{expires}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
            w.id,
            esc(&w.waiver.reason),
            esc(&w.waiver.who),
            esc(&w.created)
        );
    }
    body.push_str("</table>");
    if list.is_empty() {
        body = "<p class=\"muted\">No waivers.</p>".into();
    }
    page("Waivers", Some(&who), &body)
}

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    next: Option<String>,
    failed: Option<String>,
}

/// Only a path of the page itself is a place to go back to.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/ui" || n.starts_with("/ui/") || n.starts_with("/ui?"))
                && !n.contains("//")
                && !n.contains('\\')
                && n.len() <= 2000
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/ui".into(),
    }
}

async fn login_form(
    Extension(access): Extension<Access>,
    q: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let next = safe_next(q.next.as_deref());
    let mut body = String::new();
    if q.failed.is_some() {
        body.push_str(
            "<p class=\"error\" id=\"login-error\">That token was not accepted (unknown, revoked or expired).</p>",
        );
    }
    let anon = if access.anonymous_read {
        "<p class=\"muted\">Anonymous reading is allowed on this gate; <a href=\"/ui\">continue without a token</a>.</p>"
    } else {
        "<p>This gate requires a token. An administrator creates one with \
         <code>modelvet gate token create --name NAME --scope read</code>.</p>"
    };
    let _ = write!(
        body,
        "{anon}<form class=\"login\" method=\"post\" action=\"/ui/login\">\
         <label for=\"token\">Gate token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" placeholder=\"mvg_…\" required>\
         <input type=\"hidden\" name=\"next\" value=\"{}\"><button type=\"submit\">Sign in</button></form>",
        esc(&next)
    );
    let mut r = page("Sign in", None, &body);
    if q.failed.is_some() {
        *r.status_mut() = StatusCode::UNAUTHORIZED;
    }
    r
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    token: String,
    next: Option<String>,
}

async fn login(
    State(gate): State<Arc<Gate>>,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/ui/login?failed=1".to_string())]).into_response();
    };
    let next = safe_next(form.next.as_deref());
    let token = form.token.trim().to_string();
    let db = gate.db.clone();
    let checked =
        tokio::task::spawn_blocking(move || auth::verify(db.as_ref(), &token, crate::db::unix_now()).map(|_| token))
            .await;
    match checked {
        Ok(Ok(token)) => {
            let cookie = format!("{}={token}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=43200", auth::COOKIE);
            let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        _ => {
            let to = format!("/ui/login?failed=1&next={}", url_encode(&next));
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
    }
}

async fn logout() -> Response {
    let clear = format!("{}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0", auth::COOKIE);
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/ui/login".to_string())]).into_response();
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_encoding() {
        assert_eq!(esc("<script>alert('x')</script>&\""), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
        assert_eq!(url_encode("/ui/audit?repo=a b&x"), "%2Fui%2Faudit%3Frepo%3Da%20b%26x");
        assert_eq!(safe_next(Some("/ui/repos/a/b")), "/ui/repos/a/b");
        for bad in ["https://evil.example", "//evil.example", "/ui//evil", "/admin/api/waivers", "/ui\\x", "/uix"] {
            assert_eq!(safe_next(Some(bad)), "/ui", "{bad}");
        }
        assert!(rule_url("PKL001").ends_with("/docs/rules/PKL001.md"));
    }
}
