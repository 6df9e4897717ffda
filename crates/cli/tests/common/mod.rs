//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the repository (`rel` from its root), hex-decoded when it ends in `.hex`.
pub fn repo_file(rel: &str) -> Vec<u8> {
    let raw = std::fs::read(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    if rel.ends_with(".hex") {
        let text: String = String::from_utf8(raw).unwrap().split_whitespace().collect();
        hex::decode(text).unwrap_or_else(|e| panic!("{rel}: bad hex: {e}"))
    } else {
        raw
    }
}

/// A test fixture (`rel` from `fixtures/`), decoded.
pub fn fixture(rel: &str) -> Vec<u8> {
    repo_file(&format!("fixtures/{rel}"))
}
