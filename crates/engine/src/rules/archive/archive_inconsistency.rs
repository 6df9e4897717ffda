//! ## What it does
//! Reports a container whose structures disagree: a wrong CRC-32, a local
//! header whose name differs from the central directory's, general-purpose flag
//! bits (encrypted, patched, strong encryption) that readers treat differently,
//! duplicate member names, overlapping members, declared sizes far from the
//! real ones, or data hidden before, between or after members.
//!
//! ## Why is this bad?
//! Each of these is a *parser differential*: Python's `zipfile` refuses or reads
//! one member while PyTorch's reader loads another, so a scanner built on one
//! reader checks different bytes than the loader runs. modelvet reads every
//! variant and scans them all, and tells you the container is inconsistent.
//!
//! The CRC-32 of a member is checked wherever the scan reads the member
//! through, which is every member whose bytes a loader interprets (pickles,
//! code, nested archives and files), and of any member of up to 16 MiB read
//! past its first 64 KiB. A stored member that the scan takes for opaque data
//! after a look at its first bytes (a checkpoint's tensor storages) is not
//! read for its CRC alone, unless at most 64 KiB of it are left unread: its
//! bytes run nothing, and reading them would make every checkpoint scan a
//! read of all its weights.
//!
//! ## Example
//! ```text
//! archive/data.pkl: CRC-32 0x00000000 does not match the data (0x3d8b1ab2)
//! local header names 'archive/data.pkl' but the central directory says 'archive/x.pkl'
//! ```
//!
//! ## References
//! - CVE-2025-10156 (bad CRC), CVE-2025-1944 (name mismatch), CVE-2025-1945 (flag bits)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "ARC004",
    name: "archive-inconsistency",
    severity: Severity::Medium,
    summary: "the archive's structures disagree, so different readers see different contents",
    path: "archive/archive_inconsistency",
};
