//! Helpers shared by the gate's integration tests: fixture repositories on
//! a test hub (the upstream) and a gate in front of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use modelvet_server::{Config, Server};
use modelvet_testhub::{Repo, TestHub};

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixture (`rel` from `fixtures/`), hex-decoded when it ends in `.hex`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let raw = std::fs::read(repo_root().join("fixtures").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    if rel.ends_with(".hex") {
        let text: String = String::from_utf8(raw).unwrap().split_whitespace().collect();
        hex::decode(text).unwrap()
    } else {
        raw
    }
}

/// A tiny real BERT (config, safetensors weights, tokenizer): clean.
pub fn tiny_bert(id: &str) -> Repo {
    Repo::new(id).folder(&repo_root().join("fixtures/gate/tiny-bert")).unwrap()
}

/// A repository whose `pytorch_model.bin` runs `os.system` when loaded.
pub fn evil(id: &str) -> Repo {
    Repo::new(id)
        .file("config.json", fixture("gate/tiny-bert/config.json"))
        .file("pytorch_model.bin", fixture("malicious/torch/data_pkl_os_system.pt.hex"))
}

/// The fixture repositories most tests use.
pub fn hub() -> TestHub {
    TestHub::start(vec![tiny_bert("acme/tiny-bert"), evil("acme/evil")]).unwrap()
}

/// A gate on a free port in front of `upstream`, storing into `data`.
pub fn gate(upstream: &str, data: &Path, scan_wait: Duration) -> Server {
    let mut c = Config::new(upstream, data.to_path_buf());
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.limits.scan_wait = scan_wait;
    Server::start(c).unwrap()
}
