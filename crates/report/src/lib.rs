//! Report emitters: one file per output format, all implementing [`Emitter`].
#![forbid(unsafe_code)]

pub mod cyclonedx;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use std::io::{self, Write};
use std::path::PathBuf;

use modelvet_engine::{Severity, TargetReport};
use serde::Serialize;

/// Where rule documentation lives (the SARIF `helpUri`, the CycloneDX source URL, the gate's web page).
pub const RULE_DOCS: &str = "https://github.com/modelvet/modelvet/blob/main/docs/rules";

/// A rule's documentation page.
pub fn rule_docs_url(code: &str) -> String {
    format!("{RULE_DOCS}/{code}.md")
}

/// What one target's findings mean for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A finding at or above the fail level.
    Blocked,
    /// Findings, all below the fail level.
    Warn,
    /// No findings (or only waived ones).
    Pass,
}

/// A target that could not be scanned (missing, unreadable).
#[derive(Debug, Clone, Serialize)]
pub struct ScanFailure {
    pub path: String,
    pub message: String,
}

/// The policy a run used.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyInfo {
    pub path: String,
    /// SHA-256 of the policy file's bytes.
    pub sha256: String,
}

/// The baseline a run compared against.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineInfo {
    pub path: String,
    /// Findings left out because the baseline already had them.
    pub suppressed: usize,
}

/// What a scan of a remote repository (`hf://ORG/NAME@COMMIT`) read of it.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteRead {
    /// `hf://ORG/NAME@COMMIT`.
    pub repository: String,
    /// Files listed at the commit.
    pub files: usize,
    /// Sum of their sizes.
    pub repository_bytes: u64,
    /// File content bytes received (whole files and ranges).
    pub bytes_read: u64,
    /// Files scanned from HTTP ranges (only what the scanner read of them;
    /// their `sha256` is the repository's LFS pointer, not computed here).
    pub range_read: Vec<String>,
}

/// Facts about the run as a whole.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    pub policy: Option<PolicyInfo>,
    /// Policy warnings for the run (unused or expired waivers).
    pub warnings: Vec<String>,
    pub baseline: Option<BaselineInfo>,
    /// Folder that report paths are made relative to in SARIF (the repository
    /// root); `None` keeps them as scanned.
    pub root: Option<PathBuf>,
    /// Remote repositories scanned, and how much of each was read.
    pub remote: Vec<RemoteRead>,
}

/// Everything an emitter needs to write a report.
#[derive(Debug)]
pub struct Report<'a> {
    pub targets: &'a [TargetReport],
    pub failures: &'a [ScanFailure],
    pub fail_on: Severity,
    pub elapsed_ms: f64,
    pub run: &'a RunInfo,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub targets: usize,
    pub blocked: usize,
    pub warned: usize,
    pub passed: usize,
    pub errors: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// Findings accepted by an active waiver (not counted above).
    pub waived: usize,
}

impl Report<'_> {
    pub fn verdict(&self, t: &TargetReport) -> Verdict {
        if t.blocked(self.fail_on) {
            Verdict::Blocked
        } else if t.warns(self.fail_on) {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }

    /// Whether the run blocks (exit code 1).
    pub fn blocked(&self) -> bool {
        self.targets.iter().any(|t| t.blocked(self.fail_on))
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary { targets: self.targets.len(), errors: self.failures.len(), ..Summary::default() };
        for t in self.targets {
            match self.verdict(t) {
                Verdict::Blocked => s.blocked += 1,
                Verdict::Warn => s.warned += 1,
                Verdict::Pass => s.passed += 1,
            }
            for f in &t.findings {
                if f.is_waived() {
                    s.waived += 1;
                    continue;
                }
                match f.severity {
                    Severity::Critical => s.critical += 1,
                    Severity::High => s.high += 1,
                    Severity::Medium => s.medium += 1,
                    Severity::Low => s.low += 1,
                }
            }
        }
        s
    }
}

/// Writes a report in one format.
pub trait Emitter {
    fn emit(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()>;
}
