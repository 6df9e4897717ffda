//! Scanning a blob with the engine and deciding about it with the policy:
//! the same scanner, policy file and fail level as `modelvet scan`.
//!
//! Scan results are stored before policy, keyed by the blob's SHA-256, the
//! modelvet version and the settings that change what a scan finds
//! (limits and the policy's `[globals]`). Rule settings, waivers and the fail
//! level are applied when a file is asked for, so changing them takes effect
//! without rescanning.

use std::io;
use std::path::Path;

use modelvet_engine::cache::StoredFinding;
use modelvet_engine::policy::{Date, Policy, WaiverUsage};
use modelvet_engine::{Finding, Limits, Options, Scanner, Severity, TargetReport};
use sha2::{Digest, Sha256};

use crate::db::{GateWaiver, StoredScan};
use crate::ranged::{Chunks, Miss, RangeReader};

/// The gate's verdict on one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Blocked,
    /// Blocking findings, all accepted by a gate waiver.
    Waived,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Blocked => "blocked",
            Verdict::Waived => "waived",
        }
    }
}

/// A decision and what it rests on.
#[derive(Debug, Clone)]
pub struct Decision {
    pub verdict: Verdict,
    /// The report after policy (and gate waivers).
    pub report: TargetReport,
    /// Codes of the blocking rules (before gate waivers).
    pub rules: Vec<&'static str>,
    /// One line for people: file, rule, reason.
    pub message: String,
}

/// Scans and decides.
#[derive(Debug, Clone)]
pub struct Judge {
    scanner: Scanner,
    policy: Policy,
    fail_on: Severity,
    settings: String,
    policy_key: String,
}

/// The modelvet version that scans (a new version rescans).
pub const SCANNER_VERSION: &str = env!("CARGO_PKG_VERSION");

impl Judge {
    pub fn new(policy: Policy, fail_on: Option<Severity>, limits: Limits) -> Self {
        let fail_on = fail_on.or(policy.fail_on).unwrap_or(Severity::Medium);
        let mut h = Sha256::new();
        h.update(format!("{limits:?}").as_bytes());
        h.update(policy.scan_key().as_bytes());
        let settings = hex::encode(&h.finalize()[..16]);
        // Everything that turns a scan into a verdict (the scan settings too).
        let mut p = Sha256::new();
        p.update(settings.as_bytes());
        p.update(format!("{:?}|{:?}|{fail_on}", policy.rules, policy.waivers).as_bytes());
        let policy_key = hex::encode(&p.finalize()[..8]);
        let scanner =
            Scanner::new(Options { limits, follow_symlinks: false, hash: false, globals: policy.globals.clone() });
        Self { scanner, policy, fail_on, settings, policy_key }
    }

    /// The key of the policy and fail level that decide (stored with each
    /// verdict, with [`SCANNER_VERSION`]; a rescan shows which are stale).
    pub fn policy_key(&self) -> &str {
        &self.policy_key
    }

    /// The key of the scan settings (with [`SCANNER_VERSION`], part of a scan's key).
    pub fn settings(&self) -> &str {
        &self.settings
    }

    pub fn fail_on(&self) -> Severity {
        self.fail_on
    }

    /// Scans a blob as the file `name` (its path in the repository). The
    /// engine recognises formats by content but reads names for some hints
    /// (`*.py`, `tokenizer_config.json`), so the blob is linked under the
    /// file's own name in a scratch folder first.
    pub fn scan(&self, blob: &Path, name: &str, scratch: &Path) -> io::Result<TargetReport> {
        let dir = tempfile::tempdir_in(scratch)?;
        let base = name.rsplit('/').next().filter(|b| !b.is_empty() && *b != "." && *b != "..").unwrap_or("file");
        let linked = dir.path().join(base);
        if std::fs::hard_link(blob, &linked).is_err() {
            std::fs::copy(blob, &linked)?;
        }
        let mut report = self.scanner.scan_file(&linked).map_err(|e| io::Error::other(e.to_string()))?;
        report.path = name.to_string();
        for f in &mut report.findings {
            f.location.path = name.to_string();
        }
        Ok(report)
    }

    /// Scans the file `name` from the byte ranges fetched so far, as
    /// [`Judge::scan`] would scan the whole file; with the first read of
    /// bytes not fetched (then the report is not the file's: fetch and scan again).
    pub fn scan_ranges(&self, name: &str, chunks: &Chunks, scratch: &Path) -> (TargetReport, Option<Miss>) {
        let base = name.rsplit('/').next().filter(|b| !b.is_empty() && *b != "." && *b != "..").unwrap_or("file");
        let mut r = RangeReader::new(chunks);
        let mut report = self.scanner.scan_source(&scratch.join(base), &mut r, chunks.len(), None);
        report.path = name.to_string();
        for f in &mut report.findings {
            f.location.path = name.to_string();
        }
        (report, r.miss())
    }

    /// A report as stored in the database.
    pub fn encode(report: &TargetReport) -> StoredScan {
        let findings: Vec<StoredFinding> = report.findings.iter().map(StoredFinding::from_finding).collect();
        StoredScan {
            format: report.format.clone(),
            findings_json: serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into()),
        }
    }

    /// A stored scan as a report for `path`; `None` when it cannot be read
    /// back by this build (then the blob is scanned again).
    pub fn decode(stored: &StoredScan, sha256: &str, size: u64, path: &str) -> Option<TargetReport> {
        let list: Vec<StoredFinding> = serde_json::from_str(&stored.findings_json).ok()?;
        let findings = list.into_iter().map(|f| f.into_finding(path)).collect::<Option<Vec<_>>>()?;
        Some(TargetReport {
            path: path.to_string(),
            format: stored.format.clone(),
            size,
            sha256: Some(sha256.to_string()),
            findings,
            duration_ms: 0.0,
        })
    }

    /// Applies the policy to a file's scan (waivers in `modelvet.toml` match
    /// `namespace/name/path` or the SHA-256), then the gate's own waivers.
    pub fn decide(&self, mut report: TargetReport, repo: &str, waivers: &[GateWaiver]) -> Decision {
        let rel = format!("{repo}/{}", report.path);
        let mut usage = WaiverUsage::new(&self.policy);
        self.policy.apply(&mut report, &rel, Date::today(), &mut usage);
        report.assign_fingerprints();
        let blocking: Vec<&Finding> = report.findings.iter().filter(|f| f.blocks(self.fail_on)).collect();
        let mut rules: Vec<&'static str> = blocking.iter().map(|f| f.rule.code).collect();
        rules.dedup();
        let sha = report.sha256.clone().unwrap_or_default();
        let short = sha.get(..12).unwrap_or(&sha);
        let Some(first) = blocking.first() else {
            return Decision {
                verdict: Verdict::Allowed,
                message: format!("{rel} (sha256 {short}) passed the scan"),
                report,
                rules,
            };
        };
        let more = match blocking.len() {
            1 => String::new(),
            n => format!(" (and {} more blocking finding{})", n - 1, if n == 2 { "" } else { "s" }),
        };
        let mut message = format!(
            "Blocked by modelvet policy: {rel} (sha256 {short}): {} {} {}: {}{more}",
            first.severity, first.rule.code, first.rule.name, first.message
        );
        if let Some(w) = waivers.first() {
            let until = w.expires.as_deref().map(|d| format!(" until {d}")).unwrap_or_default();
            message = format!("{rel} (sha256 {short}) released by a gate waiver{until} ({}): {message}", w.reason);
            return Decision { verdict: Verdict::Waived, report, rules, message };
        }
        Decision { verdict: Verdict::Blocked, report, rules, message }
    }
}
