//! The gate over HTTP, against a test hub as its upstream: headers the Hub
//! client needs, verdicts, single-flight, pending answers, validation and
//! upstream failures.

mod common;

use std::time::Duration;

use common::{fixture, gate, hub};
use modelvet_server::db::GateWaiver;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn h<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_files_are_served_with_the_headers_the_hub_client_needs() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(10));
    let commit = hub.commit("acme/tiny-bert").unwrap();
    let c = client();

    // A small file: HEAD answers from metadata, with no Xet hints.
    let config = fixture("gate/tiny-bert/config.json");
    let head = c.head(format!("{}/acme/tiny-bert/resolve/main/config.json", gate.url())).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(h(&head, "x-repo-commit"), commit);
    assert_eq!(h(&head, "content-length"), config.len().to_string());
    assert!(h(&head, "etag").starts_with('"'));
    assert!(head.headers().get("x-xet-hash").is_none() && head.headers().get("link").is_none());
    let etag = h(&head, "etag").to_string();
    let get = c.get(format!("{}/acme/tiny-bert/resolve/main/config.json", gate.url())).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(h(&get, "etag"), etag);
    assert!(!h(&get, "x-request-id").is_empty());
    assert_eq!(get.bytes().await.unwrap().as_ref(), config.as_slice());

    // A large file, which the upstream redirects to its CDN: the gate follows
    // the redirect itself and names the blob by its SHA-256.
    let weights = fixture("gate/tiny-bert/model.safetensors");
    let sha = hex::encode(Sha256::digest(&weights));
    let url = format!("{}/acme/tiny-bert/resolve/main/model.safetensors", gate.url());
    let head = c.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK, "the gate never hands out the upstream's redirect");
    assert_eq!(h(&head, "etag"), format!("\"{sha}\""));
    assert_eq!(h(&head, "content-length"), weights.len().to_string());
    let get = c.get(&url).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(get.bytes().await.unwrap().as_ref(), weights.as_slice());

    // Resuming: a range is answered 206 with Content-Range.
    let part = c.get(&url).header("range", "bytes=100-").send().await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(h(&part, "content-range"), format!("bytes 100-{}/{}", weights.len() - 1, weights.len()));
    assert_eq!(part.bytes().await.unwrap().as_ref(), &weights[100..]);

    // By commit id, a file already vetted is served without asking upstream.
    let fetches = hub.fetches("acme/tiny-bert/model.safetensors");
    drop(hub);
    let get = c.get(format!("{}/acme/tiny-bert/resolve/{commit}/model.safetensors", gate.url())).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(fetches, 1);

    let log = gate.gate().db.audit_log(Some("acme/tiny-bert"), 10).unwrap();
    assert!(log.iter().all(|e| e.verdict == "allowed" && e.who == "anonymous"), "{log:?}");
    assert!(log.iter().any(|e| e.path == "model.safetensors" && e.sha256 == sha));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malicious_file_is_refused_with_file_rule_and_reason() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(10));
    let c = client();
    let url = format!("{}/acme/evil/resolve/main/pytorch_model.bin", gate.url());
    // HEAD is not where blocks are said (the client would blame the network).
    assert_eq!(c.head(&url).send().await.unwrap().status(), StatusCode::OK);
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let msg = h(&r, "x-error-message").to_string();
    assert!(msg.starts_with("Blocked by modelvet policy: acme/evil/pytorch_model.bin (sha256 "), "{msg}");
    assert!(msg.contains("critical PKL001 dangerous-import") && msg.contains("os.system"), "{msg}");
    assert!(!msg.ends_with('.'), "the client appends its own period");
    assert_eq!(h(&r, "x-repo-commit"), hub.commit("acme/evil").unwrap());
    let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"].as_str(), Some(msg.as_str()));
    assert_eq!(body["rules"][0], "PKL001");
    assert_eq!(body["findings"][0]["rule"], "PKL001");

    let sha = hex::encode(Sha256::digest(fixture("malicious/torch/data_pkl_os_system.pt.hex")));
    let log = gate.gate().db.audit_log(Some("acme/evil"), 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].verdict.as_str(), log[0].rules.as_str(), log[0].sha256.as_str()),
        ("blocked", "PKL001", sha.as_str())
    );

    // An administrator's waiver releases that content (and says so).
    let w = GateWaiver { sha256: sha.clone(), reason: "reviewed in SEC-42".into(), expires: None, who: "admin".into() };
    gate.gate().db.add_waiver(&w).unwrap();
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(h(&r, "x-hf-warning").starts_with("modelvet; acme/evil/pytorch_model.bin"), "{}", h(&r, "x-hf-warning"));
    assert!(h(&r, "x-hf-warning").contains("reviewed in SEC-42"));
    assert_eq!(gate.gate().db.audit_log(Some("acme/evil"), 1).unwrap()[0].verdict, "waived");
    // Scanned once, decided twice.
    assert_eq!(gate.gate().counters.scans.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_clients_cause_one_upstream_fetch_and_one_scan() {
    let hub = hub();
    hub.set_delay(Duration::from_millis(700));
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(20));
    let weights = fixture("gate/tiny-bert/model.safetensors");
    let url = format!("{}/acme/tiny-bert/resolve/main/model.safetensors", gate.url());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let r = client().get(&url).send().await.unwrap();
            (r.status(), r.bytes().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.as_ref(), weights.as_slice());
    }
    assert_eq!(hub.fetches("acme/tiny-bert/model.safetensors"), 1);
    assert_eq!(gate.gate().counters.scans.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(gate.gate().counters.upstream_fetches.load(std::sync::atomic::Ordering::Relaxed), 1);
    let metrics = client().get(format!("{}/metrics", gate.url())).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("\nmodelvet_gate_scans_total 1\n"), "{metrics}");
    assert!(metrics.contains("\nmodelvet_gate_allowed_total 8\n"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_still_being_scanned_is_answered_429_with_retry_after() {
    let hub = hub();
    hub.set_delay(Duration::from_millis(1500));
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_millis(100));
    let url = format!("{}/acme/tiny-bert/resolve/main/model.safetensors", gate.url());
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(h(&r, "retry-after"), "1");
    assert!(h(&r, "x-error-message").starts_with("scan in progress"));
    // Retrying as the client does: the same fetch finishes, then it is served.
    let mut status = r.status();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = client().get(&url).send().await.unwrap().status();
        if status != StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hub.fetches("acme/tiny-bert/model.safetensors"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_are_refused_before_anything_is_asked() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let c = client();
    for path in [
        "/acme/tiny-bert/resolve/main/..%2F..%2Fetc%2Fpasswd",
        "/acme/tiny-bert/resolve/main/a%5Cb",
        "/acme/tiny-bert/resolve/ma%0Ain/config.json",
        "/acme/tiny-bert/resolve/..%2Fmain/config.json",
        "/acme/tiny..bert/resolve/main/config.json",
        "/-acme/tiny-bert/resolve/main/config.json",
        "/acme/tiny-bert/resolve/main/x%0D%0ASet-Cookie:%20a",
        "/api/models/acme/tiny-bert/tree/main/..%2F..",
    ] {
        let r = c.get(format!("{}{path}", gate.url())).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(r.headers().get("set-cookie").is_none());
        assert!(!h(&r, "x-error-message").is_empty(), "{path}");
    }
    assert_eq!(hub.fetches("acme/tiny-bert/config.json"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_answers_keep_their_meaning() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let c = client();
    // Absent file: EntryNotFound 404 with the commit (transformers relies on it).
    let r = c.head(format!("{}/acme/tiny-bert/resolve/main/tokenizer.model", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(h(&r, "x-error-code"), "EntryNotFound");
    assert_eq!(h(&r, "x-repo-commit"), hub.commit("acme/tiny-bert").unwrap());
    let r = c.get(format!("{}/api/models/acme/nothing", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(h(&r, "x-error-code"), "RepoNotFound");
    let r = c.get(format!("{}/api/models/acme/tiny-bert/xet-read-token/main", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The upstream gone: 502 with what went wrong, never a verdict.
    let url = hub.url();
    drop(hub);
    let r = c.get(format!("{}/acme/tiny-bert/resolve/main/config.json", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert!(h(&r, "x-error-message").contains("upstream unreachable"), "{} ({url})", h(&r, "x-error-message"));
    assert!(gate.gate().db.audit_log(None, 10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn model_info_and_tree_are_filtered_and_paged_through_the_gate() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let c = client();
    let info = c.get(format!("{}/api/models/acme/tiny-bert", gate.url())).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    let text = info.text().await.unwrap();
    assert!(!text.to_ascii_lowercase().contains("xet"), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["id"], "acme/tiny-bert");
    assert_eq!(v["sha"].as_str(), hub.commit("acme/tiny-bert").as_deref());

    let mut url = format!("{}/api/models/acme/tiny-bert/tree/main?recursive=true&expand=false", gate.url());
    let mut paths = Vec::new();
    for _ in 0..10 {
        let r = c.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let link = h(&r, "link").to_string();
        let page = r.text().await.unwrap();
        assert!(!page.contains("xetHash"), "{page}");
        let entries: Vec<Value> = serde_json::from_str(&page).unwrap();
        paths.extend(entries.iter().map(|e| e["path"].as_str().unwrap().to_string()));
        if link.is_empty() {
            break;
        }
        assert!(link.starts_with(&format!("<{}/api/", gate.url())), "paging stays on the gate: {link}");
        url = link.trim_start_matches('<').split('>').next().unwrap().to_string();
    }
    paths.sort();
    assert_eq!(paths, ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
}

#[test]
fn a_partial_download_left_by_a_killed_gate_is_discarded_on_restart() {
    let hub = hub();
    let data = tempfile::tempdir().unwrap();
    // What SIGKILL mid-fetch leaves behind: a temporary file, no record.
    std::fs::create_dir_all(data.path().join("blobs/tmp")).unwrap();
    std::fs::write(data.path().join("blobs/tmp/999-0.part"), &fixture("gate/tiny-bert/model.safetensors")[..100])
        .unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(10));
    assert_eq!(std::fs::read_dir(data.path().join("blobs/tmp")).unwrap().count(), 0);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let body = rt.block_on(async {
        let r = client().get(format!("{}/acme/tiny-bert/resolve/main/model.safetensors", gate.url())).send().await;
        r.unwrap().bytes().await.unwrap()
    });
    assert_eq!(body.as_ref(), fixture("gate/tiny-bert/model.safetensors").as_slice());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_look_alike_repository_is_held_until_released() {
    let hub = modelvet_testhub::TestHub::start(vec![common::tiny_bert("rneta-llama/Llama-3.2-1B")]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let c = client();
    let info = c.get(format!("{}/api/models/rneta-llama/Llama-3.2-1B", gate.url())).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::FORBIDDEN);
    let msg = h(&info, "x-error-message").to_string();
    assert!(msg.contains("rneta-llama/Llama-3.2-1B looks like the well-known publisher meta-llama"), "{msg}");
    let url = format!("{}/rneta-llama/Llama-3.2-1B/resolve/main/config.json", gate.url());
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(hub.fetches("rneta-llama/Llama-3.2-1B/config.json"), 0, "nothing is fetched for a held repository");
    let log = gate.gate().db.audit_log(None, 10).unwrap();
    assert_eq!((log[0].verdict.as_str(), log[0].rules.as_str()), ("held", "lookalike-name"));

    let w = GateWaiver {
        sha256: "repo:rneta-llama/Llama-3.2-1B".into(),
        reason: "a partner's real namespace".into(),
        expires: None,
        who: "admin".into(),
    };
    gate.gate().db.add_waiver(&w).unwrap();
    assert_eq!(c.get(&url).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_well_known_model_name_under_an_unknown_publisher_is_held() {
    let hub = modelvet_testhub::TestHub::start(vec![
        common::tiny_bert("someone/Llama-3-8B-Instruct"),
        common::tiny_bert("someone/my-classifier"),
    ])
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(5));
    let c = client();
    let r = c.get(format!("{}/someone/Llama-3-8B-Instruct/resolve/main/config.json", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let msg = h(&r, "x-error-message").to_string();
    assert!(msg.contains("well-known model meta-llama/Llama-3-8B-Instruct"), "{msg}");
    assert_eq!(hub.fetches("someone/Llama-3-8B-Instruct/config.json"), 0);
    let log = gate.gate().db.audit_log(None, 10).unwrap();
    assert_eq!((log[0].verdict.as_str(), log[0].rules.as_str()), ("held", "impersonated-model-name"));
    // The same publisher's own names pass.
    let r = c.get(format!("{}/someone/my-classifier/resolve/main/config.json", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A safetensors header followed by `data` zero bytes of tensor data.
fn big_safetensors(data: usize) -> Vec<u8> {
    let header = format!(r#"{{"w":{{"dtype":"F32","shape":[{}],"data_offsets":[0,{data}]}}}}"#, data / 4);
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data, 0);
    out
}

fn streaming_hub() -> (modelvet_testhub::TestHub, Vec<u8>) {
    let weights = big_safetensors(8 << 20);
    let mut evil = fixture("malicious/gguf/ssti_cycler_globals_popen.gguf.hex");
    evil.resize(evil.len() + (4 << 20), 0);
    let repo = modelvet_testhub::Repo::new("acme/big")
        .file("config.json", b"{}".to_vec())
        .file("model.safetensors", weights.clone())
        .file("model.gguf", evil);
    (modelvet_testhub::TestHub::start(vec![repo]).unwrap(), weights)
}

#[tokio::test(flavor = "multi_thread")]
async fn header_formats_stream_while_fetched_and_are_verified_at_the_end() {
    let (hub, weights) = streaming_hub();
    // Every upstream body pauses half-way for 3 s: the client's answer starts
    // before the gate has the whole file.
    hub.set_stall(Duration::from_secs(3));
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(20));
    let commit = hub.commit("acme/big").unwrap();
    let key = modelvet_server::db::FileKey {
        repo: "acme/big".into(),
        commit: commit.clone(),
        path: "model.safetensors".into(),
    };
    let r = client().get(format!("{}/acme/big/resolve/main/model.safetensors", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h(&r, "content-length"), weights.len().to_string());
    assert!(gate.gate().db.file(&key).unwrap().is_none(), "answered before the gate had the whole file");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), weights.len());
    assert!(body[..] == weights[..], "the streamed body is the file");
    // Stored and recorded once verified; the header's scan is kept (one scan).
    let rec = gate.gate().db.file(&key).unwrap().expect("recorded after the fetch");
    assert_eq!(rec.sha256, hex::encode(Sha256::digest(&weights)));
    assert_eq!(gate.gate().counters.scans.load(std::sync::atomic::Ordering::Relaxed), 1);
    hub.set_stall(Duration::ZERO);
    let again =
        client().get(format!("{}/acme/big/resolve/{commit}/model.safetensors", gate.url())).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.bytes().await.unwrap().len(), weights.len());

    // A chat template that runs code is in the GGUF header: blocked from the
    // header, before the body is fetched.
    hub.set_stall(Duration::from_secs(3));
    let r = client().get(format!("{}/acme/big/resolve/main/model.gguf", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        h(&r, "x-error-message").contains("Blocked by modelvet policy: acme/big/model.gguf"),
        "{}",
        h(&r, "x-error-message")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streamed_file_whose_content_is_not_what_the_upstream_stated_is_cut_off_and_not_kept() {
    let (hub, weights) = streaming_hub();
    hub.set_corrupt(true);
    // The body pauses half-way, so the answer has started streaming before the
    // fetch ends (on a busy machine the fetch could otherwise end first, and the
    // client would get the 502 of a finished, failed fetch instead).
    hub.set_stall(Duration::from_secs(2));
    let data = tempfile::tempdir().unwrap();
    let gate = gate(&hub.url(), data.path(), Duration::from_secs(20));
    let commit = hub.commit("acme/big").unwrap();
    let r = client().get(format!("{}/acme/big/resolve/main/model.safetensors", gate.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.bytes().await;
    match body {
        Err(_) => {}
        Ok(b) => panic!("the client received {} of {} bytes without an error", b.len(), weights.len()),
    }
    let key = modelvet_server::db::FileKey { repo: "acme/big".into(), commit, path: "model.safetensors".into() };
    // Wait for the job to end, then: nothing recorded, nothing served.
    for _ in 0..50 {
        if gate.gate().counters.upstream_errors.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gate.gate().counters.upstream_errors.load(std::sync::atomic::Ordering::Relaxed) > 0);
    assert!(gate.gate().db.file(&key).unwrap().is_none());
}
