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

/// A plain HTTP/1.1 GET (optionally with a bearer token): status, head, body.
pub fn http_get(addr: &str, path: &str, token: Option<&str>) -> Option<(u16, String, Vec<u8>)> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).ok()?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head, raw[split + 4..].to_vec()))
}

/// A loopback address with a free port.
pub fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}
