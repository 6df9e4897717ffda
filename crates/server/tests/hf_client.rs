//! The real `huggingface_hub` and `transformers` from PyPI against a running
//! gate whose upstream is a test hub holding fixture repositories.
//!
//! `.ci/run` installs them, pinned, into a virtualenv outside the repository
//! and sets `MODELVET_HF_PYTHON` (its interpreter) and
//! `MODELVET_REQUIRE_HF_CLIENT=1`; elsewhere the tests print why they skip.
//! The transformers part runs when the interpreter has transformers and
//! torch (required when `MODELVET_REQUIRE_TRANSFORMERS=1`).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{evil, fixture, gate, repo_root, tiny_bert};
use modelvet_testhub::{Repo, TestHub};
use serde_json::Value;

fn python() -> Option<PathBuf> {
    let p = std::env::var_os("MODELVET_HF_PYTHON").map(PathBuf::from).filter(|p| p.is_file());
    if p.is_none() {
        assert!(
            std::env::var_os("MODELVET_REQUIRE_HF_CLIENT").is_none(),
            "MODELVET_REQUIRE_HF_CLIENT is set but MODELVET_HF_PYTHON does not name a Python with huggingface_hub"
        );
        eprintln!(
            "skipped: set MODELVET_HF_PYTHON to a Python with huggingface_hub (and transformers, torch) installed"
        );
    }
    p
}

/// Runs one phase of tests/hf_client.py with `HF_ENDPOINT` at the gate and
/// a fresh client cache; returns what it printed.
fn run_phase(python: &PathBuf, endpoint: &str, phase: &str) -> Value {
    run_phase_with(python, endpoint, phase, None)
}

/// [`run_phase`], with `HF_TOKEN` set to `token` when given.
fn run_phase_with(python: &PathBuf, endpoint: &str, phase: &str, token: Option<&str>) -> Value {
    let home = tempfile::tempdir().unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hf_client.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(phase)
        .arg(repo_root().join("fixtures/gate/tiny-bert"))
        .env("HF_ENDPOINT", endpoint)
        .env("HF_HOME", home.path())
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("TRANSFORMERS_VERBOSITY", "error")
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HF_HUB_DISABLE_XET")
        .env_remove("HF_TOKEN")
        .envs(token.map(|t| ("HF_TOKEN", t)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{phase}: {}\n{stdout}\n{stderr}", out.status);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{phase}: {e}\n{stdout}\n{stderr}"))
}

fn has_transformers(python: &PathBuf) -> bool {
    let ok = Command::new(python).args(["-c", "import transformers, torch"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("MODELVET_REQUIRE_TRANSFORMERS").is_none(),
            "MODELVET_REQUIRE_TRANSFORMERS is set but MODELVET_HF_PYTHON has no transformers and torch"
        );
        eprintln!("skipped: the transformers part needs transformers and torch in MODELVET_HF_PYTHON");
    }
    ok
}

#[test]
fn stock_huggingface_hub_downloads_through_the_gate_and_reads_the_block_reason() {
    let Some(py) = python() else { return };
    let hub = TestHub::start(vec![tiny_bert("acme/tiny-bert"), evil("acme/evil")]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let v = run_phase(&py, &gate.url(), "hub");

    assert_eq!(v["info"]["id"], "acme/tiny-bert");
    assert_eq!(v["info"]["sha"].as_str(), hub.commit("acme/tiny-bert").as_deref());
    let all = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];
    assert_eq!(v["files"], serde_json::json!(all));
    assert_eq!(v["tree"], serde_json::json!(all), "the tree is listed over several pages");
    assert_eq!(v["config_same"], true);
    assert_eq!(v["snapshot"], serde_json::json!(all));
    assert_eq!(v["snapshot_same"], true);
    // The client's own exception carries the gate's reason: file, rule, what it runs.
    let evil = &v["evil"];
    assert_eq!(evil["type"], "HfHubHTTPError", "{evil}");
    let text = evil["text"].as_str().unwrap();
    assert!(text.contains("403 Forbidden: Blocked by modelvet policy: acme/evil/pytorch_model.bin"), "{text}");
    assert!(text.contains("PKL001 dangerous-import") && text.contains("os.system"), "{text}");
    // Absent files stay "absent" (transformers skips optional files on it).
    assert_eq!(v["absent"]["type"], "RemoteEntryNotFoundError", "{}", v["absent"]);
    // Nothing reached the upstream's Xet storage: every download came through the gate.
    assert_eq!(hub.fetches("acme/tiny-bert/model.safetensors"), 1);
    let log = gate.gate().db.audit_log(Some("acme/evil"), 10).unwrap();
    assert!(log.iter().any(|e| e.verdict == "blocked" && e.rules == "PKL001"), "{log:?}");
}

#[test]
fn stock_huggingface_hub_sends_a_gate_token_as_hf_token() {
    let Some(py) = python() else { return };
    let hub = TestHub::start(vec![tiny_bert("acme/tiny-bert")]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = modelvet_server::Config::new(&hub.url(), data.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.allow_anonymous = Some(false);
    let gate = modelvet_server::Server::start(config).unwrap();
    let (token, _) =
        modelvet_server::auth::create(gate.gate().db.as_ref(), "ci-bot", modelvet_server::auth::Scope::Read, None)
            .unwrap();
    let v = run_phase_with(&py, &gate.url(), "token", Some(&token));
    assert_eq!(v["info"], "acme/tiny-bert");
    assert_eq!(v["config_same"], true);
    assert_eq!(v["snapshot"].as_array().map(Vec::len), Some(4), "{v}");
    // Without the token, and with a wrong one, the client says why.
    let anon = v["anonymous"]["text"].as_str().unwrap_or_default();
    assert!(anon.contains("This modelvet gate requires a token: set HF_TOKEN"), "{}", v["anonymous"]);
    let wrong = v["wrong"]["text"].as_str().unwrap_or_default();
    assert!(wrong.contains("Invalid modelvet gate token"), "{}", v["wrong"]);
    let info = v["anonymous_info"]["text"].as_str().unwrap_or_default();
    assert!(info.contains("requires a token"), "{}", v["anonymous_info"]);
    let log = gate.gate().db.audit_log(Some("acme/tiny-bert"), 10).unwrap();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|e| e.who == "ci-bot" && e.verdict == "allowed"), "{log:?}");
}

#[test]
fn concurrent_stock_clients_cause_one_upstream_fetch_and_one_scan() {
    let Some(py) = python() else { return };
    let weights = fixture("benign/safetensors/model.safetensors");
    let hub = TestHub::start(vec![Repo::new("acme/concurrent").file("model.safetensors", weights.clone())]).unwrap();
    hub.set_delay(Duration::from_millis(1500));
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let v = run_phase(&py, &gate.url(), "concurrent");
    assert_eq!(v["sizes"], serde_json::json!(vec![weights.len(); 4]), "{v}");
    assert_eq!(hub.fetches("acme/concurrent/model.safetensors"), 1);
    assert_eq!(gate.gate().counters.scans.load(Ordering::Relaxed), 1);
    assert_eq!(gate.gate().db.audit_log(None, 10).unwrap().len(), 4, "one decision per client");
}

#[test]
fn transformers_loads_a_clean_model_and_names_the_rule_of_a_blocked_one() {
    let Some(py) = python() else { return };
    if !has_transformers(&py) {
        return;
    }
    let hub = TestHub::start(vec![tiny_bert("acme/tiny-bert"), evil("acme/evil")]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let v = run_phase(&py, &gate.url(), "transformers");
    assert_eq!(v["model_type"], "bert");
    assert_eq!(v["hidden_shape"], serde_json::json!([1, 4, 8]), "[CLS] hello world [SEP], hidden size 8");
    assert_eq!(v["pipeline_tokens"], 4);
    let text = v["evil"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("Blocked by modelvet policy: acme/evil/pytorch_model.bin"), "{}", v["evil"]);
    assert!(text.contains("PKL001"), "{text}");
}

#[test]
fn stock_clients_receive_a_large_safetensors_file_while_the_gate_still_fetches_it() {
    let Some(py) = python() else { return };
    // 8 MiB of weights; the upstream pauses every body half-way for 3 s.
    let header = br#"{"w":{"dtype":"F32","shape":[2097152],"data_offsets":[0,8388608]}}"#;
    let mut weights = (header.len() as u64).to_le_bytes().to_vec();
    weights.extend_from_slice(header);
    weights.resize(weights.len() + (8 << 20), 7);
    let hub = TestHub::start(vec![Repo::new("acme/concurrent").file("model.safetensors", weights.clone())]).unwrap();
    hub.set_stall(Duration::from_secs(3));
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let v = run_phase(&py, &gate.url(), "concurrent");
    assert_eq!(v["sizes"], serde_json::json!(vec![weights.len(); 4]), "{v}");
    // One header range and one body from the upstream; one scan (of the header).
    assert_eq!(hub.fetches("acme/concurrent/model.safetensors"), 2);
    assert_eq!(gate.gate().counters.scans.load(Ordering::Relaxed), 1);
    assert_eq!(gate.gate().counters.upstream_fetches.load(Ordering::Relaxed), 1);
}
