//! ## What it does
//! Finds `socket.socket`, `socket.create_connection` and similar. Critical at import time.
//!
//! ## Why is this bad?
//! Model code downloads nothing through raw sockets; a socket opened at import time is the classic reverse
//! shell.
//!
//! ## Example
//! ```text
//! s = socket.socket(); s.connect(("10.0.0.1", 4444))   # high
//! ```
//!
//! ## References
//! - Python documentation: socket
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT010",
    name: "network-socket",
    severity: Severity::High,
    summary: "raw sockets in model code are how reverse shells and exfiltration work",
    path: "python/network_socket",
};
