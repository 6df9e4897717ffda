//! The gate's operations over HTTP: access tokens (read/admin, anonymous
//! settings, 401/403), the admin API, rescans after a policy change, and the
//! web page (login, escaping of hostile text).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{evil, fixture, hub, tiny_bert};
use modelvet_engine::policy::Policy;
use modelvet_server::auth::{self, Scope};
use modelvet_server::{Config, Server};
use modelvet_testhub::{Repo, TestHub};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn h<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// A gate on loopback with anonymous read as given and the policy `policy` (TOML).
fn gate_with(upstream: &str, data: &Path, anonymous: Option<bool>, policy: &str) -> Server {
    let mut c = Config::new(upstream, data.to_path_buf());
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.limits.scan_wait = Duration::from_secs(20);
    c.allow_anonymous = anonymous;
    let (p, diags) = Policy::parse(policy, None);
    assert!(diags.is_empty(), "{diags:?}");
    c.policy = p;
    Server::start(c).unwrap()
}

fn token(server: &Server, name: &str, scope: Scope, expires: Option<&str>) -> String {
    auth::create(server.gate().db.as_ref(), name, scope, expires).unwrap().0
}

#[tokio::test(flavor = "multi_thread")]
async fn without_anonymous_read_only_live_tokens_get_files() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate_with(&hub.url(), data.path(), Some(false), "");
    let url = format!("{}/acme/tiny-bert/resolve/main/config.json", gate.url());
    let c = client();

    // No token: 401 with the reason where the Hub client reads it.
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(h(&r, "x-error-message").contains("requires a token: set HF_TOKEN"), "{}", h(&r, "x-error-message"));
    assert!(h(&r, "www-authenticate").starts_with("Bearer"));
    assert_eq!(c.head(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let info = c.get(format!("{}/api/models/acme/tiny-bert", gate.url())).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
    // /healthz stays open for load balancers.
    assert_eq!(c.get(format!("{}/healthz", gate.url())).send().await.unwrap().status(), StatusCode::OK);

    let alice = token(&gate, "alice", Scope::Read, None);
    let r = c.get(&url).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), fixture("gate/tiny-bert/config.json").as_slice());

    // A wrong token is refused, even where anonymous read would be allowed.
    let r = c.get(&url).bearer_auth(format!("{alice}0")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(h(&r, "x-error-message").contains("Invalid modelvet gate token"), "{}", h(&r, "x-error-message"));

    // Expired and revoked tokens stop working.
    let past = token(&gate, "old", Scope::Read, Some("2020-01-01T00:00:00Z"));
    let r = c.get(&url).bearer_auth(&past).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(h(&r, "x-error-message").contains("expired"), "{}", h(&r, "x-error-message"));
    assert!(gate.gate().db.revoke_token("alice").unwrap());
    let r = c.get(&url).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(h(&r, "x-error-message").contains("revoked"), "{}", h(&r, "x-error-message"));

    // The audit log says who.
    let log = gate.gate().db.audit_log(Some("acme/tiny-bert"), 10).unwrap();
    assert_eq!(log.len(), 1, "refused requests are not decisions: {log:?}");
    assert_eq!((log[0].who.as_str(), log[0].verdict.as_str()), ("alice", "allowed"));
    let tokens = gate.gate().db.tokens().unwrap();
    assert!(tokens.iter().find(|t| t.name == "alice").unwrap().last_used.is_some());

    // Tokens are stored hashed: the database file never holds one in clear.
    drop(gate);
    let mut raw = Vec::new();
    for f in std::fs::read_dir(data.path()).unwrap() {
        let p = f.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("gate.sqlite3") {
            raw.extend(std::fs::read(&p).unwrap());
        }
    }
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(has(auth::hash_token(&alice).as_bytes()), "the hash is what is stored");
    assert!(!has(alice.as_bytes()) && !has(&alice.as_bytes()[4..]), "the token itself is not");
    assert!(!has(past.as_bytes()));
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_read_is_the_loopback_default_and_admin_needs_an_admin_token() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate_with(&hub.url(), data.path(), None, "");
    let c = client();
    let r = c.get(format!("{}/acme/tiny-bert/resolve/main/config.json", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "loopback: anonymous read by default");
    assert_eq!(gate.gate().db.audit_log(None, 1).unwrap()[0].who, "anonymous");

    let api = format!("{}/admin/api/waivers", gate.url());
    let r = c.get(&api).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "anonymous never administers");
    let reader = token(&gate, "reader", Scope::Read, None);
    let r = c.get(&api).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(h(&r, "x-error-message").contains("read scope"), "{}", h(&r, "x-error-message"));
    let admin = token(&gate, "ops", Scope::Admin, None);
    let r = c.get(&api).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    let me: Value = c
        .get(format!("{}/admin/api/whoami", gate.url()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me, json!({"name": "ops", "scope": "admin"}));
    // An admin token reads too.
    let r = c.get(format!("{}/acme/tiny-bert/resolve/main/config.json", gate.url())).bearer_auth(&admin).send().await;
    assert_eq!(r.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_api_manages_waivers_and_queries_the_audit_log() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate_with(&hub.url(), data.path(), Some(false), "");
    let c = client();
    let reader = token(&gate, "dev", Scope::Read, None);
    let admin = token(&gate, "ops", Scope::Admin, None);
    let evil_url = format!("{}/acme/evil/resolve/main/pytorch_model.bin", gate.url());
    let r = c.get(&evil_url).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let sha = r.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_string();
    let api = |p: &str| format!("{}/admin/api/{p}", gate.url());

    let q: Vec<Value> = c.get(api("quarantine")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0]["path"].as_str(), q[0]["who"].as_str()), (Some("pytorch_model.bin"), Some("dev")));

    // Bad waivers are refused with the reason.
    for (body, why) in [
        (json!({"subject": sha, "reason": "  "}), "needs a reason"),
        (json!({"subject": "abc", "reason": "x"}), "neither a SHA-256"),
        (json!({"subject": sha, "reason": "x", "expires": "soon"}), "not a date"),
    ] {
        let r = c.post(api("waivers")).bearer_auth(&admin).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
        assert!(h(&r, "x-error-message").contains(why), "{}", h(&r, "x-error-message"));
    }
    let r = c.post(api("waivers")).bearer_auth(&admin).body("{not json").header("content-type", "application/json");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    let huge = json!({"subject": sha, "reason": "x".repeat(100_000)});
    let r = c.post(api("waivers")).bearer_auth(&admin).json(&huge).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "request bodies are bounded");

    let body = json!({"subject": sha, "reason": "reviewed in SEC-42", "expires": "2099-12-31"});
    let r = c.post(api("waivers")).bearer_auth(&admin).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let w: Value = r.json().await.unwrap();
    assert_eq!((w["who"].as_str(), w["sha256"].as_str()), (Some("ops"), Some(sha.as_str())));
    let id = w["id"].as_i64().unwrap();
    let r = c.get(&evil_url).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the waiver releases it");
    assert!(h(&r, "x-hf-warning").contains("reviewed in SEC-42"));

    let r = c.delete(api(&format!("waivers/{id}"))).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(c.delete(api(&format!("waivers/{id}"))).bearer_auth(&admin).send().await.unwrap().status(), 404);
    assert_eq!(c.get(&evil_url).bearer_auth(&reader).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // The audit log, filtered; administrators' actions are in it with their names.
    let get = |q: &str| c.get(format!("{}?{q}", api("audit"))).bearer_auth(&admin).send();
    let all: Vec<Value> = get("limit=100").await.unwrap().json().await.unwrap();
    let events: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["who"].as_str().unwrap(), e["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("download", "dev", "blocked"),
            ("waiver-removed", "ops", ""),
            ("download", "dev", "waived"),
            ("waiver-added", "ops", ""),
            ("download", "dev", "blocked")
        ]
    );
    let blocked: Vec<Value> = get("verdict=blocked&repo=acme/evil").await.unwrap().json().await.unwrap();
    assert_eq!(blocked.len(), 2);
    let limited: Vec<Value> = get("limit=1").await.unwrap().json().await.unwrap();
    assert_eq!(limited.len(), 1);
    let older: Vec<Value> = get(&format!("before={}", all[1]["id"])).await.unwrap().json().await.unwrap();
    assert_eq!(older.len(), 3);
    let none: Vec<Value> = get("since=2999-01-01").await.unwrap().json().await.unwrap();
    assert!(none.is_empty());
    for bad in ["verdict=maybe", "since=yesterday", "repo=../x", "limit=x", "colour=red"] {
        assert_eq!(get(bad).await.unwrap().status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rescan_after_a_policy_change_flips_verdicts_and_records_them() {
    let hub = TestHub::start(vec![tiny_bert("acme/tiny-bert"), evil("acme/evil")]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let c = client();
    let admin;
    {
        let gate = gate_with(&hub.url(), data.path(), None, "");
        admin = token(&gate, "ops", Scope::Admin, None);
        for f in ["acme/evil/resolve/main/pytorch_model.bin", "acme/tiny-bert/resolve/main/config.json"] {
            c.get(format!("{}/{f}", gate.url())).send().await.unwrap();
        }
        assert_eq!(gate.gate().db.quarantine(10).unwrap().len(), 1);
        // Rescanning under the same policy changes nothing.
        let r = c.post(format!("{}/admin/api/rescan", gate.url())).bearer_auth(&admin).json(&json!({})).send().await;
        let lines = r.unwrap().text().await.unwrap();
        let summary: Value = serde_json::from_str(lines.lines().last().unwrap()).unwrap();
        assert_eq!(summary["summary"]["files"], 2, "{lines}");
        assert_eq!(summary["summary"]["unchanged"], 2, "{lines}");
    }
    // The team decides PKL001 findings are accepted (a policy change), restarts the gate and rescans.
    let gate = gate_with(&hub.url(), data.path(), None, "[rules]\nPKL001 = \"allow\"\n");
    let fetches = hub.fetches("acme/evil/pytorch_model.bin");
    let r = c
        .post(format!("{}/admin/api/rescan", gate.url()))
        .bearer_auth(&admin)
        .json(&json!({"repo": "acme/evil"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h(&r, "content-type"), "application/x-ndjson");
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().any(|l| l["done"] == 1 && l["total"] == 1), "progress lines: {text}");
    let s = &lines.last().unwrap()["summary"];
    assert_eq!(s["files"], 1, "only acme/evil: {s}");
    assert_eq!(s["stale"], 1, "judged under another policy before: {s}");
    assert_eq!(s["newly_allowed"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["newly_allowed"][0]["path"], "pytorch_model.bin");
    assert_eq!(s["newly_allowed"][0]["before"], "blocked");
    assert!(s["newly_blocked"].as_array().unwrap().is_empty());
    assert_eq!(hub.fetches("acme/evil/pytorch_model.bin"), fetches, "nothing is fetched again");
    let log = gate.gate().db.audit_log(Some("acme/evil"), 1).unwrap();
    assert_eq!((log[0].event.as_str(), log[0].who.as_str(), log[0].verdict.as_str()), ("rescan", "ops", "allowed"));
    assert!(gate.gate().db.quarantine(10).unwrap().is_empty(), "out of quarantine");
    drop(gate);

    // Back to the default policy: blocked again.
    let gate = gate_with(&hub.url(), data.path(), None, "");
    let r = c.post(format!("{}/admin/api/rescan", gate.url())).bearer_auth(&admin).json(&json!({})).send().await;
    let text = r.unwrap().text().await.unwrap();
    let s: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(s["summary"]["newly_blocked"][0]["path"], "pytorch_model.bin", "{text}");
    assert_eq!(s["summary"]["newly_blocked"][0]["rules"], "PKL001");
    assert_eq!(gate.gate().db.quarantine(10).unwrap().len(), 1);
    let r = c.post(format!("{}/admin/api/rescan", gate.url())).bearer_auth(&admin).json(&json!({"repo": "a/../b"}));
    assert_eq!(r.send().await.unwrap().status(), StatusCode::BAD_REQUEST);
}

/// A pickle that imports a callable whose module name is markup.
fn hostile_pickle() -> Vec<u8> {
    let mut p = b"\x80\x02c".to_vec();
    p.extend_from_slice(b"evil<script>alert(1)</script>\nrun\n");
    p.extend_from_slice(b")R.");
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn the_web_page_needs_a_login_and_escapes_hostile_text() {
    let hub =
        TestHub::start(vec![evil("acme/evil"), Repo::new("acme/hostile").file("model.pkl", hostile_pickle())]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let gate = gate_with(&hub.url(), data.path(), Some(false), "");
    let c = client();
    let reader = token(&gate, "dev", Scope::Read, None);
    for f in ["acme/evil/resolve/main/pytorch_model.bin", "acme/hostile/resolve/main/model.pkl"] {
        let r = c.get(format!("{}/{f}", gate.url())).bearer_auth(&reader).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{f}");
    }
    // A hostile waiver reason, through the database as an administrator would write it.
    let db = gate.gate().db.clone();
    db.add_waiver(&modelvet_server::db::GateWaiver {
        sha256: "ab".repeat(32),
        reason: "<img src=x onerror=alert(2)>".into(),
        expires: None,
        who: "<i>ops</i>".into(),
    })
    .unwrap();

    // Not signed in: sent to the login form.
    let r = c.get(format!("{}/ui/repos/acme/evil", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(h(&r, "location"), "/ui/login?next=%2Fui%2Frepos%2Facme%2Fevil");
    let form = c.get(format!("{}/ui/login", gate.url())).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("<form class=\"login\" method=\"post\" action=\"/ui/login\">"), "{form}");

    // A wrong token: back to the form with a message; a good one: a cookie only the page can use.
    let r = c.post(format!("{}/ui/login", gate.url())).form(&[("token", "mvg_nope"), ("next", "/ui")]).send().await;
    let r = r.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(h(&r, "location").starts_with("/ui/login?failed=1"));
    assert!(r.headers().get("set-cookie").is_none());
    let r = c
        .post(format!("{}/ui/login", gate.url()))
        .form(&[("token", reader.as_str()), ("next", "https://evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(h(&r, "location"), "/ui", "no open redirect");
    let cookie = h(&r, "set-cookie").to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/ui"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    // The cookie works for the page only, not for downloads or the admin API.
    let dl = c.get(format!("{}/acme/evil/resolve/main/config.json", gate.url())).header("cookie", &cookie).send();
    assert_eq!(dl.await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let get = |p: &str| c.get(format!("{}{p}", gate.url())).header("cookie", &cookie).send();
    let r = get("/ui").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(h(&r, "content-security-policy").contains("default-src 'none'"));
    let home = r.text().await.unwrap();
    assert!(home.contains("href=\"/ui/repos/acme/evil\"") && home.contains("signed in as <b id=\"who\">dev</b>"));

    let evil_page = get("/ui/repos/acme/evil").await.unwrap().text().await.unwrap();
    assert!(evil_page.contains("<span class=\"verdict blocked\">blocked</span>"), "{evil_page}");
    assert!(
        evil_page.contains(
            "<a class=\"rule\" href=\"https://github.com/modelvet/modelvet/blob/main/docs/rules/PKL001.md\">PKL001</a>"
        ),
        "{evil_page}"
    );
    assert!(evil_page.contains("os.system"));

    let hostile = get("/ui/repos/acme/hostile").await.unwrap().text().await.unwrap();
    assert!(hostile.contains("evil&lt;script&gt;alert(1)&lt;/script&gt;"), "{hostile}");
    assert!(!hostile.contains("<script"), "no markup from findings: {hostile}");
    let waivers = get("/ui/waivers").await.unwrap().text().await.unwrap();
    assert!(waivers.contains("&lt;img src=x onerror=alert(2)&gt;") && waivers.contains("&lt;i&gt;ops&lt;/i&gt;"));
    assert!(!waivers.contains("<img") && !waivers.contains("<i>"), "{waivers}");
    let audit = get("/ui/audit").await.unwrap().text().await.unwrap();
    assert!(audit.contains("<td class=\"who\">dev</td>"), "{audit}");
    assert!(!audit.contains("<script"), "{audit}");
    let quarantine = get("/ui/quarantine").await.unwrap().text().await.unwrap();
    assert!(quarantine.contains("pytorch_model.bin") && quarantine.contains("model.pkl"));

    // Names that are not repository names are refused, and echoed escaped.
    let r = get("/ui/repos/%3Cscript%3E/x").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(!r.text().await.unwrap().contains("<script"));
    // Signing out clears the cookie.
    let r = c.post(format!("{}/ui/logout", gate.url())).header("cookie", &cookie).send().await.unwrap();
    assert!(h(&r, "set-cookie").contains("Max-Age=0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_page_is_paged() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate_with(&hub.url(), data.path(), None, "");
    for i in 0..60 {
        gate.gate()
            .db
            .audit(&modelvet_server::db::AuditEntry {
                who: "anonymous".into(),
                repo: "acme/tiny-bert".into(),
                revision: "main".into(),
                path: format!("f{i}"),
                verdict: "allowed".into(),
                ..Default::default()
            })
            .unwrap();
    }
    let c = client();
    let first = c.get(format!("{}/ui/audit", gate.url())).send().await.unwrap().text().await.unwrap();
    assert_eq!(first.matches("<tr class=\"entry\">").count(), 50);
    assert!(first.contains("<code>f59</code>") && !first.contains("<code>f9</code>"));
    let next = first.split("id=\"older\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let second = c.get(format!("{}{next}", gate.url())).send().await.unwrap().text().await.unwrap();
    assert_eq!(second.matches("<tr class=\"entry\">").count(), 10);
    assert!(second.contains("<code>f0</code>") && !second.contains("id=\"older\""));
}
