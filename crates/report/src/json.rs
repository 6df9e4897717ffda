//! The JSON report: versioned and documented by `docs/report.schema.json`.

use std::io::{self, Write};

use modelvet_engine::{Action, Finding, Location, Severity, WaiverUse};
use serde::Serialize;

use crate::{BaselineInfo, Emitter, PolicyInfo, RemoteRead, Report, ScanFailure, Summary, Verdict};

/// Version of the JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

pub struct Json {
    pub pretty: bool,
}

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    tool: Tool,
    fail_on: Severity,
    elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a PolicyInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a BaselineInfo>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    remote: &'a [RemoteRead],
    summary: Summary,
    targets: Vec<Target<'a>>,
    errors: &'a [ScanFailure],
    warnings: &'a [String],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Target<'a> {
    path: &'a str,
    format: &'a str,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
    verdict: Verdict,
    duration_ms: f64,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    location: &'a Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    occurrences: u32,
    why: &'static str,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Action::is_default")]
    action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<&'a WaiverUse>,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        Self {
            rule: f.rule.code,
            name: f.rule.name,
            severity: f.severity,
            message: &f.message,
            location: &f.location,
            evidence: f.evidence.as_deref(),
            occurrences: f.occurrences,
            why: f.rule.summary,
            fingerprint: &f.fingerprint,
            action: f.action,
            waiver: f.waiver.as_ref(),
        }
    }
}

impl Emitter for Json {
    fn emit(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let doc = Doc {
            schema_version: SCHEMA_VERSION,
            tool: Tool { name: "modelvet", version: env!("CARGO_PKG_VERSION") },
            fail_on: report.fail_on,
            elapsed_ms: report.elapsed_ms,
            policy: report.run.policy.as_ref(),
            baseline: report.run.baseline.as_ref(),
            remote: &report.run.remote,
            summary: report.summary(),
            targets: report
                .targets
                .iter()
                .map(|t| Target {
                    path: &t.path,
                    format: &t.format,
                    size: t.size,
                    sha256: t.sha256.as_deref(),
                    verdict: report.verdict(t),
                    duration_ms: t.duration_ms,
                    findings: t.findings.iter().map(JsonFinding::from).collect(),
                })
                .collect(),
            errors: report.failures,
            warnings: &report.run.warnings,
        };
        if self.pretty {
            serde_json::to_writer_pretty(&mut *out, &doc)?;
        } else {
            serde_json::to_writer(&mut *out, &doc)?;
        }
        writeln!(out)
    }
}
