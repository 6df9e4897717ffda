//! Findings: what a rule says about a place in a file. Data, not errors.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::Rule;

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!("unknown severity {s:?} (expected critical, high, medium or low)")),
        }
    }
}

/// Where a finding is: the file, the chain of archive members (and nested
/// payloads) inside it, and the byte offset within the innermost one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        for m in &self.members {
            write!(f, " > {m}")?;
        }
        if let Some(o) = self.offset {
            write!(f, " @ {o}")?;
        }
        Ok(())
    }
}

/// What the policy says a finding does to the verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Blocks when its severity is at or above the fail level.
    #[default]
    Default,
    /// Reported, never blocks (`warn` in the policy's `[rules]`).
    Warn,
    /// Always blocks, whatever the fail level (`deny` in `[rules]`).
    Deny,
}

impl Action {
    pub fn is_default(&self) -> bool {
        *self == Action::Default
    }
}

/// A policy waiver that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverUse {
    /// Why the finding is accepted (mandatory in the policy).
    pub reason: String,
    /// Last day the waiver applies (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The waiver has expired: the finding counts again.
    #[serde(default)]
    pub expired: bool,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "serialize_rule")]
    pub rule: &'static Rule,
    pub severity: Severity,
    /// What was found, in one sentence.
    pub message: String,
    pub location: Location,
    /// What would run or what is wrong, decompiled or quoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// How many times the same thing occurs in this place (merged into one finding).
    pub occurrences: u32,
    /// What the policy made of it (default: severity against the fail level).
    #[serde(skip_serializing_if = "Action::is_default")]
    pub action: Action,
    /// The waiver that accepts it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverUse>,
    /// Stable identity for de-duplication and baselines (see [`Finding::fingerprint_for`]).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fingerprint: String,
}

fn serialize_rule<S: serde::Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.code)
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>, location: Location) -> Self {
        Self {
            rule,
            severity: rule.severity,
            message: message.into(),
            location,
            evidence: None,
            occurrences: 1,
            action: Action::Default,
            waiver: None,
            fingerprint: String::new(),
        }
    }
    #[must_use]
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    #[must_use]
    pub fn evidence(mut self, e: impl Into<String>) -> Self {
        self.evidence = Some(e.into());
        self
    }

    /// Whether an active waiver accepts this finding.
    pub fn is_waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }

    /// Whether this finding blocks at the given fail level, after policy.
    pub fn blocks(&self, fail_on: Severity) -> bool {
        if self.is_waived() {
            return false;
        }
        match self.action {
            Action::Default => self.severity >= fail_on,
            Action::Warn => false,
            Action::Deny => true,
        }
    }

    /// The fingerprint: SHA-256 over the rule code, the target's identity (its
    /// content hash, or its path when not hashed), the archive members and byte
    /// offset, and an ordinal among otherwise identical keys. It does not
    /// depend on the message wording, the severity or the file's location on
    /// disk (when hashed), so it survives rewording, policy changes and moves.
    pub fn fingerprint_for(&self, target: &str, ordinal: u32) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"modelvet-fp-v1\0");
        h.update(self.rule.code.as_bytes());
        h.update(b"\0");
        h.update(target.as_bytes());
        for m in &self.location.members {
            h.update(b"\0m");
            h.update(m.as_bytes());
        }
        if let Some(o) = self.location.offset {
            h.update(b"\0o");
            h.update(o.to_string().as_bytes());
        }
        if ordinal > 0 {
            h.update(b"\0n");
            h.update(ordinal.to_string().as_bytes());
        }
        hex::encode(&h.finalize()[..16])
    }
}
