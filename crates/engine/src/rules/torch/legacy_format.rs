//! ## What it does
//! Reports a PyTorch file in the legacy formats (the pre-1.6 sequence of
//! pickles — magic number, protocol, system info, objects, storage keys — or
//! the older tar layout). Every pickle in it is scanned.
//!
//! ## Why is this bad?
//! `torch.load(..., weights_only=True)` cannot read the tar format and users
//! fall back to unsafe loading; legacy files carry several pickles, each of
//! which runs on load. Re-save such models with a current PyTorch, or convert
//! them to safetensors.
//!
//! ## Example
//! ```text
//! 0x1950a86a20f9469cfc6c (magic) | 1001 | sys_info | objects | storage keys | raw storages
//! ```
//!
//! ## References
//! - PyTorch serialization documentation; CVE-2025-32434
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TOR001",
    name: "legacy-format",
    severity: Severity::Low,
    summary: "the file uses a legacy PyTorch format that cannot be loaded with weights_only=True",
    path: "torch/legacy_format",
};
