//! The gate's web page in a real headless browser: Debian's Chromium driven
//! by Playwright for Python (both installed by `.ci/run`, pinned; Playwright
//! uses the system browser, nothing is downloaded).
//!
//! `MODELVET_PLAYWRIGHT_PYTHON` names a Python with Playwright and
//! `MODELVET_CHROMIUM` the browser; with `MODELVET_REQUIRE_BROWSER=1` (as in
//! `.ci/run`) their absence fails the test, elsewhere it prints why it skips.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::evil;
use modelvet_engine::policy::Policy;
use modelvet_server::auth::{self, Scope};
use modelvet_server::{Config, Server};
use modelvet_testhub::{Repo, TestHub};
use serde_json::Value;

fn tools() -> Option<(PathBuf, PathBuf)> {
    let py = std::env::var_os("MODELVET_PLAYWRIGHT_PYTHON").map(PathBuf::from).filter(|p| p.is_file());
    let chromium = std::env::var_os("MODELVET_CHROMIUM").map(PathBuf::from).filter(|p| p.is_file());
    match (py, chromium) {
        (Some(p), Some(c)) => Some((p, c)),
        _ => {
            assert!(
                std::env::var_os("MODELVET_REQUIRE_BROWSER").is_none(),
                "MODELVET_REQUIRE_BROWSER is set but MODELVET_PLAYWRIGHT_PYTHON (a Python with playwright) \
                 or MODELVET_CHROMIUM (a Chromium binary) is missing"
            );
            eprintln!(
                "skipped: set MODELVET_PLAYWRIGHT_PYTHON (a Python with playwright) and MODELVET_CHROMIUM (chromium)"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_signs_in_and_sees_the_blocked_file_its_rule_and_the_audit_log() {
    let Some((python, chromium)) = tools() else { return };
    let hostile = b"\x80\x02cevil<script>alert(1)</script>\nrun\n)R.".to_vec();
    let hub = TestHub::start(vec![evil("acme/evil"), Repo::new("acme/hostile").file("model.pkl", hostile)]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::new(&hub.url(), data.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.limits.scan_wait = Duration::from_secs(20);
    config.allow_anonymous = Some(false);
    config.policy = Policy::parse("", None).0;
    let gate = Server::start(config).unwrap();
    let (token, _) = auth::create(gate.gate().db.as_ref(), "reviewer", Scope::Read, None).unwrap();

    // A clean and a malicious file downloaded through the gate with the token.
    let http = reqwest::Client::new();
    for (file, status) in [
        ("acme/evil/resolve/main/config.json", 200),
        ("acme/evil/resolve/main/pytorch_model.bin", 403),
        ("acme/hostile/resolve/main/model.pkl", 403),
    ] {
        let r = http.get(format!("{}/{file}", gate.url())).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{file}");
    }

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser.py");
    let out = Command::new(&python).arg(&script).arg(gate.url()).arg(&token).arg(&chromium).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}\n{stdout}\n{stderr}", out.status);
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"));
    let url = gate.url();

    // The login, as anonymous read is off.
    assert_eq!(v["login_url"], format!("{url}/ui/login?next=%2Fui%2Frepos%2Facme%2Fevil"));
    assert_eq!(v["login_heading"], "Sign in");
    assert_eq!(v["login_has_token_field"], true);
    assert!(v["bad_login_url"].as_str().unwrap().contains("/ui/login?failed=1"), "{v}");
    assert!(v["bad_login_message"].as_str().unwrap_or_default().contains("not accepted"), "{v}");
    assert_eq!(v["after_login_url"], format!("{url}/ui/repos/acme/evil"));
    assert_eq!(v["signed_in_as"], "reviewer");
    let cookie = &v["cookies"][0];
    assert_eq!((cookie["httpOnly"].as_bool(), cookie["sameSite"].as_str()), (Some(true), Some("Strict")), "{v}");
    assert_eq!(v["document_cookie"], "", "scripts cannot read the token cookie");

    // The blocked file with its rule and a link to the rule's documentation; the clean one allowed.
    let files = v["files"].as_array().unwrap();
    let file = |p: &str| files.iter().find(|f| f["path"] == p).unwrap_or_else(|| panic!("{p} in {files:?}"));
    let bin = file("pytorch_model.bin");
    assert_eq!(bin["verdict"], "blocked");
    assert!(bin["findings"].as_str().unwrap().contains("PKL001 dangerous-import"), "{bin}");
    assert!(bin["findings"].as_str().unwrap().contains("os.system"), "{bin}");
    assert_eq!(bin["rule_links"][0]["text"], "PKL001");
    assert_eq!(bin["rule_links"][0]["href"], "https://github.com/modelvet/modelvet/blob/main/docs/rules/PKL001.md");
    assert_eq!(bin["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(file("config.json")["verdict"], "allowed");

    // The audit log: newest first, with who.
    assert_eq!(v["audit_url"], format!("{url}/ui/audit"));
    let rows = v["audit_rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let evil_row = rows.iter().find(|r| r[3].as_str().unwrap().contains("pytorch_model.bin")).unwrap();
    assert_eq!(evil_row[1], "download");
    assert_eq!(evil_row[2], "reviewer");
    assert_eq!(evil_row[4], "blocked");
    assert_eq!(evil_row[5], "PKL001");

    // Markup in a finding is shown as text and never runs.
    let hostile = v["hostile_findings"].as_str().unwrap();
    assert!(hostile.contains("evil<script>alert(1)</script>"), "{hostile}");
    assert_eq!(v["hostile_script_elements"], 0);
    assert_eq!(v["dialogs"], serde_json::json!([]));
    assert!(v["quarantine"].as_str().unwrap().contains("model.pkl"));

    // Signing out ends the session.
    assert!(v["after_logout_url"].as_str().unwrap().starts_with(&format!("{url}/ui/login")));
    assert_eq!(v["after_logout_goto"], format!("{url}/ui/login?next=%2Fui"));
}
