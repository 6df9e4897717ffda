//! ## What it does
//! Finds `urllib.request.urlopen`/`urlretrieve`, `requests.get`/`post`, `httpx` and similar. Low inside
//! functions (processors fetch images by URL), medium at import time.
//!
//! ## Why is this bad?
//! Whatever is downloaded is outside the reviewed repository; if it is executed or unpickled,
//! `remote-payload` reports it as critical.
//!
//! ## Example
//! ```text
//! urllib.request.urlretrieve(URL, "/tmp/x")   # low; medium at import time
//! ```
//!
//! ## References
//! - transformers documentation: `trust_remote_code`
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT012",
    name: "network-download",
    severity: Severity::Low,
    summary: "model code that downloads from the network can change behaviour without changing the repository",
    path: "python/network_download",
};
