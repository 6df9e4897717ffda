//! `modelvet serve`, `modelvet gate` and `modelvet scan hf://` as a user runs
//! them, against a test hub (crates/testhub) holding fixture repositories.

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

/// A minimal HTTP/1.1 GET: (status, headers, body).
/// Starts `modelvet serve` and waits for `/healthz`.
fn serve(upstream: &str, data: &Path, addr: &str) -> Child {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("modelvet"))
        .args(["serve", "--no-policy", "--upstream", upstream, "--listen", addr, "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some((200, _, body)) = http_get(addr, "/healthz", None) {
            assert_eq!(body, br#"{"status":"ok"}"#);
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("modelvet serve did not answer /healthz");
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

#[test]
fn sigkill_mid_fetch_leaves_nothing_served_or_judged_and_a_restart_resumes() {
    let hub = hub();
    hub.set_stall(Duration::from_secs(30));
    let data = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut server = serve(&hub.url(), data.path(), &addr);
    // A download starts; the upstream sends half the file and stalls.
    let a = addr.clone();
    let client = std::thread::spawn(move || http_get(&a, "/acme/tiny-bert/resolve/main/model.safetensors", None));
    let start = Instant::now();
    while files_under(&data.path().join("blobs/tmp")) == 0 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(files_under(&data.path().join("blobs/tmp")), 1, "a partial download is on disk");
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let _ = client.join();
    assert_eq!(files_under(&data.path().join("blobs/sha256")), 0, "no blob became visible");
    let audit = modelvet().args(["gate", "audit", "--data"]).arg(data.path()).assert().success();
    assert!(audit.get_output().stdout.is_empty(), "no decision was recorded");

    // Restart: the leftover goes, and the file is fetched, scanned and served whole.
    hub.set_stall(Duration::ZERO);
    let mut server = serve(&hub.url(), data.path(), &addr);
    assert_eq!(files_under(&data.path().join("blobs/tmp")), 0);
    let weights = common::fixture("gate/tiny-bert/model.safetensors");
    let (status, head, body) = http_get(&addr, "/acme/tiny-bert/resolve/main/model.safetensors", None).unwrap();
    assert_eq!(status, 200, "{head}");
    assert_eq!(body, weights);
    assert_eq!(hub.fetches("acme/tiny-bert/model.safetensors"), 2);
    let out = modelvet().args(["gate", "audit", "--data"]).arg(data.path()).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains(" allowed acme/tiny-bert/model.safetensors@main sha256:"), "{text}");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn gate_admin_commands_waive_and_list() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut server = serve(&hub.url(), data.path(), &addr);
    let (status, head, body) = http_get(&addr, "/acme/evil/resolve/main/pytorch_model.bin", None).unwrap();
    assert_eq!(status, 403, "{head}");
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let sha = v["sha256"].as_str().unwrap().to_string();

    let q = modelvet().args(["gate", "quarantine", "--data"]).arg(data.path()).assert().success();
    let text = String::from_utf8_lossy(&q.get_output().stdout).to_string();
    assert!(text.contains(&format!("acme/evil/pytorch_model.bin  {sha}  PKL001")), "{text}");

    modelvet().args(["gate", "waive", "nothex", "--reason", "x", "--data"]).arg(data.path()).assert().code(2);
    modelvet()
        .args(["gate", "waive", &sha, "--reason", "x", "--expires", "2027-13-01", "--data"])
        .arg(data.path())
        .assert()
        .code(2);
    modelvet()
        .args(["gate", "waive", &sha, "--reason", "reviewed in SEC-42", "--expires", "2099-12-31", "--by", "ana"])
        .arg("--data")
        .arg(data.path())
        .assert()
        .success();
    let w = modelvet().args(["gate", "waivers", "--data"]).arg(data.path()).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&w.get_output().stdout),
        format!("   1  {sha}  2099-12-31  by ana: reviewed in SEC-42\n")
    );
    // The running gate sees the waiver at once.
    let (status, head, _) = http_get(&addr, "/acme/evil/resolve/main/pytorch_model.bin", None).unwrap();
    assert_eq!(status, 200, "{head}");
    assert!(head.to_ascii_lowercase().contains("x-hf-warning: modelvet; acme/evil/pytorch_model.bin"), "{head}");
    let a = modelvet().args(["gate", "audit", "--format", "json", "--data"]).arg(data.path()).assert().success();
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&a.get_output().stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "two decisions and the waiver");
    assert_eq!((lines[0]["verdict"].as_str(), lines[2]["verdict"].as_str()), (Some("waived"), Some("blocked")));
    assert_eq!((lines[1]["event"].as_str(), lines[1]["who"].as_str()), (Some("waiver-added"), Some("ana")));
    let q = modelvet().args(["gate", "quarantine", "--data"]).arg(data.path()).assert().success();
    assert!(q.get_output().stdout.is_empty(), "a released file leaves the quarantine");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn scan_hf_scans_a_repository_where_it_lives() {
    let hub = hub();
    let commit = hub.commit("acme/evil").unwrap();
    let out = modelvet().args(["scan", "--no-policy", "hf://acme/evil"]).env("HF_ENDPOINT", hub.url()).assert().code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains(&format!("BLOCKED hf://acme/evil@{commit}/pytorch_model.bin (pytorch")), "{text}");
    assert!(text.contains("PKL001 dangerous-import"), "{text}");
    assert!(text.contains(&format!("PASS    hf://acme/evil@{commit}/config.json")), "{text}");

    let out = modelvet()
        .args(["scan", "--no-policy", "--format", "json", "hf://acme/tiny-bert@main"])
        .env("HF_ENDPOINT", hub.url())
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let mut paths: Vec<&str> = v["targets"].as_array().unwrap().iter().map(|t| t["path"].as_str().unwrap()).collect();
    paths.sort_unstable();
    let c = hub.commit("acme/tiny-bert").unwrap();
    // The repository declares no licence: a note on the repository folder (review, never blocks).
    let folder =
        v["targets"].as_array().unwrap().iter().find(|t| t["path"] == format!("hf://acme/tiny-bert@{c}/")).unwrap();
    assert_eq!(folder["findings"][0]["rule"], "LIC003", "{folder}");
    let expect: Vec<String> = ["", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
        .iter()
        .map(|p| format!("hf://acme/tiny-bert@{c}/{p}"))
        .collect();
    assert_eq!(paths, expect);

    // A policy waiver names the file as ORG/NAME/PATH, as in the gate.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("modelvet.toml"),
        "[[waivers]]\npath = \"acme/evil/pytorch_model.bin\"\nrule = \"PKL001\"\nreason = \"test fixture\"\n",
    )
    .unwrap();
    modelvet().current_dir(dir.path()).args(["scan", "hf://acme/evil"]).env("HF_ENDPOINT", hub.url()).assert().code(0);

    // Errors are operational: exit 2 with the reason.
    let out = modelvet().args(["scan", "hf://acme/missing"]).env("HF_ENDPOINT", hub.url()).assert().code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("Repository not found"));
    modelvet().args(["scan", "hf://acme"]).env("HF_ENDPOINT", hub.url()).assert().code(2);
    modelvet().args(["scan", "hf://acme/x@../main"]).env("HF_ENDPOINT", hub.url()).assert().code(2);
}

#[test]
fn scan_hf_checks_the_repository_name() {
    let tiny = Repo::new("rneta-llama/Llama-3.1-8B-Instruct")
        .folder(&common::repo_root().join("fixtures/gate/tiny-bert"))
        .unwrap();
    let copy =
        Repo::new("someone/Llama-3-8B-Instruct").folder(&common::repo_root().join("fixtures/gate/tiny-bert")).unwrap();
    let hub = TestHub::start(vec![tiny, copy]).unwrap();
    // The files are clean; the publisher imitates meta-llama: HUB001 (high) blocks.
    let out = modelvet()
        .args(["scan", "--no-policy", "--format", "json", "hf://rneta-llama/Llama-3.1-8B-Instruct"])
        .env("HF_ENDPOINT", hub.url())
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let t = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["path"] == "hf://rneta-llama/Llama-3.1-8B-Instruct")
        .unwrap();
    assert_eq!(t["findings"][0]["rule"], "HUB001", "{t}");
    assert!(t["findings"][0]["message"].as_str().unwrap().contains("meta-llama"), "{t}");
    // A well-known model's name under an unknown publisher: HUB002 (medium) blocks at the default level.
    let out = modelvet()
        .args(["scan", "--no-policy", "--fail-on", "high", "--format", "json", "hf://someone/Llama-3-8B-Instruct"])
        .env("HF_ENDPOINT", hub.url())
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let t = v["targets"].as_array().unwrap().iter().find(|t| t["path"] == "hf://someone/Llama-3-8B-Instruct").unwrap();
    assert_eq!(t["findings"][0]["rule"], "HUB002", "{t}");
}

#[test]
fn scan_hf_reads_headers_by_ranges_and_says_how_much_it_read() {
    // An 8 MiB safetensors file and a GGUF whose chat template runs code
    // (in its header), with 4 MiB of tensor data after it.
    let header = br#"{"w":{"dtype":"F32","shape":[2097152],"data_offsets":[0,8388608]}}"#;
    let mut weights = (header.len() as u64).to_le_bytes().to_vec();
    weights.extend_from_slice(header);
    weights.resize(weights.len() + (8 << 20), 0);
    let mut gguf = common::fixture("malicious/gguf/ssti_cycler_globals_popen.gguf.hex");
    gguf.resize(gguf.len() + (4 << 20), 0);
    let gguf_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&gguf));
    let repo = Repo::new("acme/ranged")
        .file("config.json", b"{}".to_vec())
        .file("model.safetensors", weights)
        .file("model-q4.gguf", gguf);
    let hub = TestHub::start(vec![repo]).unwrap();
    let c = hub.commit("acme/ranged").unwrap();
    let out = modelvet()
        .args(["scan", "--no-policy", "--format", "json", "hf://acme/ranged"])
        .env("HF_ENDPOINT", hub.url())
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let remote = &v["remote"][0];
    assert_eq!(remote["repository"], format!("hf://acme/ranged@{c}"));
    assert_eq!(remote["files"], 3);
    let (read, total) = (remote["bytes_read"].as_u64().unwrap(), remote["repository_bytes"].as_u64().unwrap());
    assert!(total > 12 << 20 && read < 200_000, "read {read} of {total}");
    let mut ranged: Vec<&str> = remote["range_read"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    ranged.sort_unstable();
    assert_eq!(
        ranged,
        [format!("hf://acme/ranged@{c}/model-q4.gguf"), format!("hf://acme/ranged@{c}/model.safetensors")]
    );
    let target = |p: &str| {
        v["targets"].as_array().unwrap().iter().find(|t| t["path"] == format!("hf://acme/ranged@{c}/{p}")).unwrap()
    };
    assert_eq!(v["targets"].as_array().unwrap().len(), 4, "each file once, and the folder: {v}");
    let g = target("model-q4.gguf");
    assert_eq!(g["verdict"], "blocked", "{g}");
    assert_eq!(g["sha256"], gguf_sha.as_str(), "the repository's LFS SHA-256, not a hash of what was read");
    assert_eq!(target("model.safetensors")["verdict"], "pass");

    let out =
        modelvet().args(["scan", "--no-policy", "hf://acme/ranged"]).env("HF_ENDPOINT", hub.url()).assert().code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains(&format!("hf://acme/ranged@{c}: read ")), "{text}");
    assert!(
        text.contains("(3 files); 2 files by ranges (headers only)") || text.contains("2 files by ranges"),
        "{text}"
    );
}
