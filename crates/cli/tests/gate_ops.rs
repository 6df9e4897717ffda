//! `modelvet gate token|rescan` and the `--server` mode of the admin
//! commands, as an operator runs them against `modelvet serve`.

mod common;

use common::{free_addr, http_get};

use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use modelvet_testhub::{Repo, TestHub};

fn modelvet() -> Command {
    Command::cargo_bin("modelvet").unwrap()
}

fn hub() -> TestHub {
    let tiny = Repo::new("acme/tiny-bert").folder(&common::repo_root().join("fixtures/gate/tiny-bert")).unwrap();
    let evil = Repo::new("acme/evil")
        .file("config.json", common::fixture("gate/tiny-bert/config.json"))
        .file("pytorch_model.bin", common::fixture("malicious/torch/data_pkl_os_system.pt.hex"));
    TestHub::start(vec![tiny, evil]).unwrap()
}

/// A minimal HTTP/1.1 GET with an optional bearer token: (status, headers, body).
/// Starts `modelvet serve EXTRA...` and waits for `/healthz`.
fn serve(upstream: &str, data: &Path, addr: &str, extra: &[&str]) -> Child {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("modelvet"))
        .args(["serve", "--no-policy", "--upstream", upstream, "--listen", addr, "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some((200, _, _)) = http_get(addr, "/healthz", None) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("modelvet serve did not answer /healthz");
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

fn create_token(data: &Path, name: &str, scope: &str) -> String {
    let a = modelvet()
        .args(["gate", "token", "create", "--name", name, "--scope", scope, "--data"])
        .arg(data)
        .env_remove("MODELVET_GATE_URL")
        .assert()
        .success();
    let out = stdout(&a);
    let token = out.trim().to_string();
    assert_eq!(out.lines().count(), 1, "the token alone on standard output: {out}");
    assert!(token.starts_with("mvg_") && token.len() == 68, "{token}");
    assert!(stderr(&a).contains("shown only now"), "{}", stderr(&a));
    token
}

#[test]
fn tokens_are_created_listed_without_secrets_and_revoked() {
    let data = tempfile::tempdir().unwrap();
    let token = create_token(data.path(), "ci", "read");
    let a = modelvet()
        .args(["gate", "token", "create", "--name", "ops", "--scope", "admin", "--expires", "30d", "--data"])
        .arg(data.path())
        .assert()
        .success();
    assert!(stderr(&a).contains("admin scope, expires 20"), "{}", stderr(&a));

    let list = stdout(&modelvet().args(["gate", "token", "list", "--data"]).arg(data.path()).assert().success());
    assert!(list.starts_with("NAME "), "{list}");
    let ci = list.lines().find(|l| l.starts_with("ci ")).unwrap();
    assert!(ci.contains(" read ") && ci.contains(" never ") && ci.ends_with("active"), "{ci}");
    assert!(list.lines().any(|l| l.starts_with("ops ") && l.contains(" admin ")), "{list}");
    assert!(!list.contains(&token) && !list.contains(&token[4..]), "never the secret");
    let json = stdout(
        &modelvet().args(["gate", "token", "list", "--format", "json", "--data"]).arg(data.path()).assert().success(),
    );
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["name"], "ci");
    assert!(first.get("hash").is_none() && !json.contains(&token[4..]), "{json}");

    // Mistakes are refused with the reason.
    for (args, why) in [
        (vec!["create", "--name", "ci", "--scope", "read"], "already exists"),
        (vec!["create", "--name", "a b", "--scope", "read"], "not a usable token name"),
        (vec!["create", "--name", "x", "--scope", "read", "--expires", "soon"], "not an expiry"),
        (vec!["revoke", "nobody"], "no active token"),
    ] {
        let a = modelvet().args(["gate", "token"]).args(&args).arg("--data").arg(data.path()).assert().code(2);
        assert!(stderr(&a).contains(why), "{args:?}: {}", stderr(&a));
    }
    let a = modelvet().args(["gate", "--server", "http://127.0.0.1:9", "token", "list"]).assert().code(2);
    assert!(stderr(&a).contains("data folder"), "{}", stderr(&a));

    modelvet().args(["gate", "token", "revoke", "ci", "--data"]).arg(data.path()).assert().success();
    let list = stdout(&modelvet().args(["gate", "token", "list", "--data"]).arg(data.path()).assert().success());
    assert!(list.lines().find(|l| l.starts_with("ci ")).unwrap().ends_with("revoked"), "{list}");
    // Creating and revoking are audited.
    let audit = stdout(&modelvet().args(["gate", "audit", "--data"]).arg(data.path()).assert().success());
    assert!(audit.contains(" token-revoked by ") && audit.contains(" token-created by "), "{audit}");
    assert!(audit.contains(": ci: read scope, never expires"), "{audit}");
}

#[test]
fn admin_commands_work_through_a_running_gate_and_rescan_follows_a_policy_change() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let url = format!("http://{addr}");
    let mut server = serve(&hub.url(), data.path(), &addr, &["--no-anonymous"]);
    let dev = create_token(data.path(), "dev", "read");
    let ops = create_token(data.path(), "ops", "admin");

    let (status, head, _) = http_get(&addr, "/acme/evil/resolve/main/pytorch_model.bin", None).unwrap();
    assert_eq!(status, 401, "{head}");
    assert!(head.contains("requires a token"), "{head}");
    let (status, _, body) = http_get(&addr, "/acme/evil/resolve/main/pytorch_model.bin", Some(&dev)).unwrap();
    assert_eq!(status, 403);
    let sha = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["sha256"].as_str().unwrap().to_string();
    assert_eq!(http_get(&addr, "/acme/evil/resolve/main/config.json", Some(&dev)).unwrap().0, 200);

    let remote = |token: &str| {
        let mut c = modelvet();
        c.args(["gate", "--server", &url, "--token", token]);
        c
    };
    // A read token cannot administer; a wrong one is not accepted.
    let a = remote(&dev).arg("waivers").assert().code(2);
    assert!(stderr(&a).contains("403") && stderr(&a).contains("read scope"), "{}", stderr(&a));
    let a = remote("mvg_wrong").arg("quarantine").assert().code(2);
    assert!(stderr(&a).contains("401") && stderr(&a).contains("Invalid modelvet gate token"), "{}", stderr(&a));

    let q = stdout(&remote(&ops).arg("quarantine").assert().success());
    assert!(q.contains(&format!("acme/evil/pytorch_model.bin  {sha}  PKL001")), "{q}");
    let w = stdout(&remote(&ops).args(["waive", &sha, "--reason", "reviewed in SEC-42"]).assert().success());
    assert!(w.starts_with(&format!("waived {sha} (waiver ")), "{w}");
    let list = stdout(&remote(&ops).arg("waivers").assert().success());
    assert!(list.contains(&format!("{sha}  no expiry  by ops: reviewed in SEC-42")), "{list}");
    let id = list.split_whitespace().next().unwrap().to_string();
    assert_eq!(http_get(&addr, "/acme/evil/resolve/main/pytorch_model.bin", Some(&dev)).unwrap().0, 200);
    remote(&ops).args(["unwaive", &id]).assert().success();
    assert_eq!(http_get(&addr, "/acme/evil/resolve/main/pytorch_model.bin", Some(&dev)).unwrap().0, 403);
    // The environment variables do the same as the flags.
    let a = modelvet()
        .args(["gate", "audit", "--verdict", "waived", "--format", "json"])
        .env("MODELVET_GATE_URL", &url)
        .env("MODELVET_GATE_TOKEN", &ops)
        .assert()
        .success();
    let lines: Vec<serde_json::Value> = stdout(&a).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0]["who"].as_str(), lines[0]["path"].as_str()), (Some("dev"), Some("pytorch_model.bin")));
    let text = stdout(&remote(&ops).args(["audit", "--limit", "4"]).assert().success());
    assert!(text.contains(&format!("waiver-removed sha256:{sha} by ops: reviewed in SEC-42")), "{text}");
    remote(&ops).args(["audit", "--verdict", "maybe"]).assert().code(2);

    // Rescan through the server: same policy, nothing changes.
    let r = stdout(&remote(&ops).args(["rescan", "--all"]).assert().success());
    assert!(r.starts_with("rescanned 2 files under modelvet ") && r.contains(", 2 unchanged"), "{r}");
    remote(&ops).args(["rescan", "--all", "--no-policy"]).assert().code(2);
    server.kill().unwrap();
    server.wait().unwrap();

    // A policy change, rescanned in the data folder: the blocked file is allowed now.
    let policy = data.path().join("relaxed.toml");
    std::fs::write(&policy, "[rules]\nPKL001 = \"allow\"\n").unwrap();
    let a = modelvet()
        .args(["gate", "rescan", "--repo", "acme/evil", "--policy"])
        .arg(&policy)
        .arg("--data")
        .arg(data.path())
        .env_remove("MODELVET_GATE_URL")
        .assert()
        .success();
    let r = stdout(&a);
    assert!(r.contains("newly allowed (1):\n  acme/evil/pytorch_model.bin@"), "{r}");
    assert!(r.contains(&format!("sha256:{sha} blocked -> allowed")), "{r}");
    let log = stdout(&modelvet().args(["gate", "audit", "--limit", "1", "--data"]).arg(data.path()).assert().success());
    assert!(log.contains(" allowed acme/evil/pytorch_model.bin@") && log.ends_with("(rescan)\n"), "{log}");
    // And back: newly blocked, as JSON.
    let a = modelvet()
        .args(["gate", "rescan", "--all", "--no-policy", "--format", "json", "--data"])
        .arg(data.path())
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v["newly_blocked"][0]["path"], "pytorch_model.bin", "{v}");
    assert_eq!(v["files"], 2);
    modelvet().args(["gate", "rescan", "--data"]).arg(data.path()).assert().code(2);
}
