//! ## What it does
//! Flags an archive member (zip, tar, 7z) whose name, or whose link target, is
//! absolute, has a drive letter, or climbs out of the extraction folder with `..`.
//!
//! ## Why is this bad?
//! Extracting such an archive ("Zip Slip") writes files anywhere the user can
//! write: shell start-up files, `site-packages`, SSH keys. Model tooling
//! extracts archives (Keras `get_file`, ONNX model-zoo tarballs, 7z bundles).
//!
//! ## Example
//! ```text
//! ../../home/user/.bashrc
//! /etc/cron.d/job
//! hardlink model.bin -> /etc/passwd
//! ```
//!
//! ## References
//! - Snyk, "Zip Slip" (2018); CVE-2007-4559 (tarfile); CVE-2025-12060; CVE-2024-5187
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ARC001",
    name: "path-traversal",
    severity: Severity::High,
    summary: "extracting the archive would write outside the target folder",
    path: "archive/path_traversal",
};
