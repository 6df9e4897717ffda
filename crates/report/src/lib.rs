//! Report emitters: one file per output format, all implementing [`Emitter`].
#![forbid(unsafe_code)]

pub mod json;
pub mod text;

use std::io::{self, Write};

use modelvet_engine::{Severity, TargetReport};
use serde::Serialize;

/// What one target's findings mean for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A finding at or above the fail level.
    Blocked,
    /// Findings, all below the fail level.
    Warn,
    /// No findings.
    Pass,
}

/// A target that could not be scanned (missing, unreadable).
#[derive(Debug, Clone, Serialize)]
pub struct ScanFailure {
    pub path: String,
    pub message: String,
}

/// Everything an emitter needs to write a report.
#[derive(Debug)]
pub struct Report<'a> {
    pub targets: &'a [TargetReport],
    pub failures: &'a [ScanFailure],
    pub fail_on: Severity,
    pub elapsed_ms: f64,
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
}

impl Report<'_> {
    pub fn verdict(&self, t: &TargetReport) -> Verdict {
        match t.max_severity() {
            Some(s) if s >= self.fail_on => Verdict::Blocked,
            Some(_) => Verdict::Warn,
            None => Verdict::Pass,
        }
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
