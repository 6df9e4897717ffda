//! ## What it does
//! Reports symbolic and hard links stored in an archive (whose targets stay
//! inside the archive; links that point outside are `path-traversal`).
//!
//! ## Why is this bad?
//! Links in model archives are unusual. A link followed by a member written
//! "through" it is a classic way to escape the extraction folder.
//!
//! ## Example
//! ```text
//! symlink weights -> shared/weights
//! ```
//!
//! ## References
//! - CVE-2007-4559 (tarfile link handling)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ARC002",
    name: "link-member",
    severity: Severity::Low,
    summary: "the archive contains a link; check where it points before extracting",
    path: "archive/link_member",
};
