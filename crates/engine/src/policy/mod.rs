//! The policy: what a team decides about findings, kept in `modelvet.toml`.
//!
//! A policy never changes what the scanner sees; it changes what findings
//! mean. `[globals]` is the exception, by design: it changes how imported
//! Python names are judged, so it is applied while scanning (through
//! [`crate::Options::globals`]); everything else is applied to finished
//! reports by [`Policy::apply`].
//!
//! ```
//! use modelvet_engine::policy::Policy;
//! let (policy, diags) = Policy::parse("fail-on = \"high\"\n[rules]\nTOR001 = \"allow\"\n", None);
//! assert!(diags.iter().all(|d| !d.is_error()));
//! assert_eq!(policy.fail_on, Some(modelvet_engine::Severity::High));
//! ```

mod date;
mod globals;
mod parse;
mod paths;
mod show;

use std::path::{Path, PathBuf};

use globset::GlobSet;

pub use date::Date;
pub use globals::{GlobalPolicy, NamePattern};
pub use parse::{Diagnostic, Level};
pub use paths::{Relative, absolute, relative_path, repository_root};

use crate::finding::{Action, Severity, WaiverUse};
use crate::rules::Rule;
use crate::scan::TargetReport;

/// The policy file's name, looked for in the current folder and then at the
/// repository root.
pub const FILE_NAME: &str = "modelvet.toml";

/// The commented default written by `modelvet policy init`.
pub const TEMPLATE: &str = include_str!("template.toml");

/// Where a policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, recorded in every report.
    pub sha256: String,
}

/// What `[rules]` says about one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    /// Change the finding's severity.
    Severity(Severity),
    /// Drop the rule's findings.
    Allow,
    /// Report, never block.
    Warn,
    /// Always block.
    Deny,
}

impl RuleSetting {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSetting::Severity(s) => s.as_str(),
            RuleSetting::Allow => "allow",
            RuleSetting::Warn => "warn",
            RuleSetting::Deny => "deny",
        }
    }
}

/// Include/exclude globs over paths relative to the policy's folder.
#[derive(Debug, Clone, Default)]
pub struct PathFilter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    include_set: Option<GlobSet>,
    exclude_set: Option<GlobSet>,
}

impl PathFilter {
    /// Whether a file (path relative to the policy root, `/`-separated) is scanned.
    pub fn admits(&self, rel: &str) -> bool {
        if self.exclude_set.as_ref().is_some_and(|s| s.is_match(rel)) {
            return false;
        }
        self.include_set.as_ref().is_none_or(|s| s.is_match(rel))
    }
}

/// One waiver: accepts one rule's findings in one file (by path glob or by
/// content hash), for a reason, until a date.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// Line of the `[[waivers]]` header in the policy file (1-based; 0 if built in code).
    pub line: usize,
    pub path: Option<String>,
    path_glob: Option<GlobSet>,
    pub sha256: Option<String>,
    pub rule: &'static Rule,
    pub reason: String,
    pub expires: Option<Date>,
}

impl Waiver {
    /// Whether the waiver names this file (by path or content hash).
    pub fn covers(&self, rel_path: &str, sha256: Option<&str>) -> bool {
        let by_path = self.path_glob.as_ref().is_some_and(|g| g.is_match(rel_path));
        let by_hash = self.sha256.as_deref().is_some_and(|h| sha256.is_some_and(|s| s.eq_ignore_ascii_case(h)));
        by_path || by_hash
    }

    /// `path=…`/`sha256=…` and rule, for messages.
    pub fn describe(&self) -> String {
        let what = match (&self.path, &self.sha256) {
            (Some(p), _) => format!("path {p}"),
            (None, Some(h)) => format!("sha256 {}", &h[..h.len().min(16)]),
            (None, None) => "nothing".into(),
        };
        let at = if self.line > 0 { format!(" (line {})", self.line) } else { String::new() };
        format!("waiver for {} in {what}{at}", self.rule.code)
    }
}

/// A team's policy. [`Policy::default`] is modelvet's own defaults.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub source: Option<Source>,
    /// `fail-on`; the command line's `--fail-on` wins over it.
    pub fail_on: Option<Severity>,
    /// `[rules]`, in file order.
    pub rules: Vec<(&'static Rule, RuleSetting)>,
    pub globals: GlobalPolicy,
    pub paths: PathFilter,
    pub waivers: Vec<Waiver>,
    /// `[licences]`: which licences are allowed, reviewed or denied.
    pub licences: crate::licence::LicencePolicy,
    /// `[signing]`: whom to trust for model signatures, and whether one is required.
    pub signing: SigningPolicy,
}

/// `[signing]` in `modelvet.toml`.
#[derive(Debug, Clone, Default)]
pub struct SigningPolicy {
    /// Trusted public keys (key-mode signatures), read from `key_files`.
    pub keys: Vec<crate::signing::keys::PublicKey>,
    /// Paths as written in the policy.
    pub key_files: Vec<String>,
    /// Trusted root certificates (certificate-mode signatures), read from `root_files`.
    pub roots: Vec<x509_cert::Certificate>,
    pub root_files: Vec<String>,
    /// Keyless (Sigstore) signatures: the trusted root read from `trust_root_file`.
    pub trust_root: Option<crate::signing::keyless::TrustRoot>,
    pub trust_root_file: Option<String>,
    /// Keyless identities trusted to sign (with `trust_root`).
    pub identities: Vec<crate::signing::keyless::Identity>,
    /// Block a scanned model folder that has no valid signature.
    pub require: bool,
}

impl SigningPolicy {
    /// Whether the policy trusts anyone.
    pub fn trusts_anyone(&self) -> bool {
        !self.keys.is_empty() || !self.roots.is_empty() || self.keyless().is_some()
    }

    /// The keyless trust, when the policy names a trusted root and identities.
    pub fn keyless(&self) -> Option<crate::signing::keyless::KeylessTrust> {
        let root = self.trust_root.clone()?;
        (!self.identities.is_empty())
            .then(|| crate::signing::keyless::KeylessTrust { root, identities: self.identities.clone() })
    }
}

/// Which waivers matched something during a run.
#[derive(Debug, Clone, Default)]
pub struct WaiverUsage {
    /// A finding was accepted (or would have been, had it not expired).
    used: Vec<bool>,
    /// A scanned file was named by the waiver.
    applicable: Vec<bool>,
}

impl WaiverUsage {
    pub fn new(policy: &Policy) -> Self {
        Self { used: vec![false; policy.waivers.len()], applicable: vec![false; policy.waivers.len()] }
    }
}

impl Policy {
    /// Parses policy text. Returns the policy built from every valid part and
    /// every problem found (errors and warnings); callers refuse a policy with
    /// errors. `path` is used for the source record only.
    pub fn parse(text: &str, path: Option<&Path>) -> (Policy, Vec<Diagnostic>) {
        parse::parse(text, path)
    }

    /// Reads and parses a policy file.
    pub fn load(path: &Path) -> std::io::Result<(Policy, Vec<Diagnostic>)> {
        let text = std::fs::read_to_string(path)?;
        Ok(parse::parse(&text, Some(path)))
    }

    /// The policy file that applies in `dir`: `dir/modelvet.toml`, else the
    /// one at the root of the enclosing repository (the nearest folder with a
    /// `.git`).
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        let here = dir.join(FILE_NAME);
        if here.is_file() {
            return Some(here);
        }
        let root = repository_root(dir);
        let f = root.join(FILE_NAME);
        (root.join(".git").exists() && f.is_file()).then_some(f)
    }

    /// The policy's setting for a rule, if any.
    pub fn rule_setting(&self, rule: &Rule) -> Option<RuleSetting> {
        self.rules.iter().rev().find(|(r, _)| r.code == rule.code).map(|(_, s)| *s)
    }

    /// Applies `[rules]` and `[[waivers]]` to one finished report. `rel_path`
    /// is the file's path relative to the policy root (`/`-separated).
    pub fn apply(&self, target: &mut TargetReport, rel_path: &str, today: Date, usage: &mut WaiverUsage) {
        let sha = target.sha256.clone();
        for (i, w) in self.waivers.iter().enumerate() {
            if w.covers(rel_path, sha.as_deref())
                && let Some(a) = usage.applicable.get_mut(i)
            {
                *a = true;
            }
        }
        target.findings.retain_mut(|f| {
            match self.rule_setting(f.rule) {
                Some(RuleSetting::Allow) => return false,
                Some(RuleSetting::Severity(s)) => f.severity = s,
                Some(RuleSetting::Warn) => f.action = Action::Warn,
                Some(RuleSetting::Deny) => f.action = Action::Deny,
                None => {}
            }
            // Every waiver that covers the finding is in use; an active one wins
            // over an expired one.
            let covering: Vec<(usize, &Waiver)> = self
                .waivers
                .iter()
                .enumerate()
                .filter(|(_, w)| w.rule.code == f.rule.code && w.covers(rel_path, sha.as_deref()))
                .collect();
            for (i, _) in &covering {
                if let Some(u) = usage.used.get_mut(*i) {
                    *u = true;
                }
            }
            let chosen = covering
                .iter()
                .find(|(_, w)| w.expires.is_none_or(|d| d >= today))
                .or_else(|| covering.first())
                .map(|(_, w)| *w);
            if let Some(w) = chosen {
                f.waiver = Some(WaiverUse {
                    reason: w.reason.clone(),
                    expires: w.expires.map(|d| d.to_string()),
                    expired: w.expires.is_some_and(|d| d < today),
                });
            }
            true
        });
    }

    /// Messages for waivers that named a scanned file but accepted no finding
    /// in it: stale waivers that should be removed. (A waiver whose file was
    /// not scanned in this run is not reported.)
    pub fn unused_waivers(&self, usage: &WaiverUsage) -> Vec<String> {
        self.waivers
            .iter()
            .enumerate()
            .filter(|(i, _)| usage.applicable.get(*i) == Some(&true) && usage.used.get(*i) == Some(&false))
            .map(|(_, w)| format!("{} matched no finding; remove it if the finding is gone", w.describe()))
            .collect()
    }

    /// Messages for waivers that have expired (each also shows on its finding).
    pub fn expired_waivers(&self, today: Date) -> Vec<String> {
        self.waivers
            .iter()
            .filter_map(|w| {
                let d = w.expires?;
                (d < today).then(|| format!("{} expired on {d}; its findings count again", w.describe()))
            })
            .collect()
    }

    /// Whether any waiver is keyed by content hash (then files must be hashed).
    pub fn needs_hashes(&self) -> bool {
        self.waivers.iter().any(|w| w.sha256.is_some())
    }

    /// The effective policy as commented TOML (`modelvet policy show`).
    pub fn show(&self) -> String {
        show::render(self)
    }

    /// A hash of everything in the policy that changes what a scan finds
    /// (`[globals]`), for cache keys.
    pub fn scan_key(&self) -> String {
        let g = &self.globals;
        let mut s = String::new();
        for p in &g.allow {
            s.push_str("a:");
            s.push_str(&p.text);
            s.push('\n');
        }
        for p in &g.deny {
            s.push_str("d:");
            s.push_str(&p.text);
            s.push('\n');
        }
        if let Some(pr) = &g.profiles {
            s.push_str("p:");
            s.push_str(&pr.join(","));
        }
        s
    }
}

#[cfg(test)]
mod tests;
