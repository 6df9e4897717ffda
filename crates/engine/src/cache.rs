//! A content-addressed scan cache (`--cache DIR`): a file whose bytes, scan
//! settings and modelvet version are unchanged is not scanned again.
//!
//! Entries are keyed by the file's SHA-256 and a salt made of the modelvet
//! version, the resource limits and the policy's `[globals]` (the only part of
//! a policy that changes what a scan finds; rule settings and waivers are
//! applied afterwards, so changing them does not invalidate the cache). An
//! entry holds the scan's findings before policy. Unreadable, corrupt or
//! foreign entries are ignored and rewritten; writes go through a temporary
//! file and a rename, so concurrent runs never see half an entry.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::{Finding, Location, Severity};
use crate::scan::{Item, ScanError, Scanner, TargetReport, hash_file};

const ENTRY_VERSION: u32 = 1;

/// An open cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    salt: String,
    format: String,
    size: u64,
    findings: Vec<StoredFinding>,
}

/// A finding as stored between runs (this cache, the gate's database): the
/// rule by code, and what the scan said; the path is the reader's.
#[derive(Serialize, Deserialize)]
pub struct StoredFinding {
    rule: String,
    severity: Severity,
    message: String,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    evidence: Option<String>,
    occurrences: u32,
}

impl StoredFinding {
    pub fn from_finding(f: &Finding) -> Self {
        Self {
            rule: f.rule.code.to_string(),
            severity: f.severity,
            message: f.message.clone(),
            members: f.location.members.clone(),
            offset: f.location.offset,
            evidence: f.evidence.clone(),
            occurrences: f.occurrences,
        }
    }

    /// The finding again, located in `path`; `None` when its rule is not one
    /// this build knows (the entry is foreign: scan again).
    pub fn into_finding(self, path: &str) -> Option<Finding> {
        let rule = crate::rules::find(&self.rule)?;
        let mut n = Finding::new(
            rule,
            self.message,
            Location { path: path.to_string(), members: self.members, offset: self.offset },
        );
        n.severity = self.severity;
        n.evidence = self.evidence;
        n.occurrences = self.occurrences;
        Some(n)
    }
}

impl Cache {
    /// Opens (creating if needed) a cache folder for scans with these
    /// settings; `scan_key` is [`crate::policy::Policy::scan_key`].
    pub fn open(dir: &Path, limits: &crate::Limits, scan_key: &str) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(format!("{limits:?}").as_bytes());
        h.update(scan_key.as_bytes());
        Ok(Self { dir: dir.to_path_buf(), salt: hex::encode(&h.finalize()[..8]) })
    }

    fn entry_path(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.dir.join(prefix).join(format!("{sha256}-{}.json", self.salt))
    }

    /// The cached report for a file with this hash, if any.
    pub fn get(&self, sha256: &str, path: &str) -> Option<TargetReport> {
        let start = Instant::now();
        let bytes = std::fs::read(self.entry_path(sha256)).ok()?;
        let e: Entry = serde_json::from_slice(&bytes).ok()?;
        if e.version != ENTRY_VERSION || e.salt != self.salt {
            return None;
        }
        // An entry naming a rule this build does not know is foreign: rescan.
        let findings = e.findings.into_iter().map(|f| f.into_finding(path)).collect::<Option<Vec<_>>>()?;
        Some(TargetReport {
            path: path.to_string(),
            format: e.format,
            size: e.size,
            sha256: Some(sha256.to_string()),
            findings,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Stores a report (its findings before policy). Failures are ignored: a
    /// cache that cannot be written only costs speed.
    pub fn put(&self, report: &TargetReport) {
        let Some(sha) = report.sha256.as_deref() else { return };
        let e = Entry {
            version: ENTRY_VERSION,
            salt: self.salt.clone(),
            format: report.format.clone(),
            size: report.size,
            findings: report.findings.iter().map(StoredFinding::from_finding).collect(),
        };
        let path = self.entry_path(sha);
        let Some(parent) = path.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let tmp = parent.join(format!(".{sha}.{}.{:?}.tmp", std::process::id(), std::thread::current().id()));
        let Ok(json) = serde_json::to_vec(&e) else { return };
        if std::fs::write(&tmp, json).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

impl Scanner {
    /// Scans an item through the cache: a hit skips the scan; a miss scans and
    /// stores. Reports from the cache always carry the file's SHA-256.
    pub fn scan_item_cached(&self, item: &Item, cache: &Cache) -> Result<TargetReport, ScanError> {
        let Item::File(path) = item else { return self.scan_item(item) };
        let sha = hash_file(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ScanError::NotFound { path: path.clone() },
            _ => ScanError::Io { path: path.clone(), source: e },
        })?;
        let display = path.display().to_string();
        if let Some(hit) = cache.get(&sha, &display) {
            return Ok(hit);
        }
        let report = self.scan_file_with(path, Some(sha))?;
        cache.put(&report);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;

    #[test]
    fn hit_after_miss_and_salted_by_settings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.pkl");
        // protocol 2: GLOBAL os system, 'true', TUPLE1, REDUCE, STOP
        std::fs::write(&file, b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R.").unwrap();
        let scanner = Scanner::new(Options::default());
        let limits = crate::Limits::default();
        let cache = Cache::open(&dir.path().join("cache"), &limits, "").unwrap();
        let first = scanner.scan_item_cached(&Item::File(file.clone()), &cache).unwrap();
        assert!(first.findings.iter().any(|f| f.rule.code == "PKL001"));
        let entry = cache.entry_path(first.sha256.as_deref().unwrap());
        assert!(entry.is_file());
        // A tampered entry proves the second answer comes from the cache.
        let text = std::fs::read_to_string(&entry).unwrap().replace("os.system", "CACHED os.system");
        std::fs::write(&entry, text).unwrap();
        let second = scanner.scan_item_cached(&Item::File(file.clone()), &cache).unwrap();
        assert!(second.findings.iter().any(|f| f.message.contains("CACHED")), "{:?}", second.findings);
        assert_eq!(second.format, first.format);
        // Other settings, other salt: a miss.
        let other = Cache::open(&dir.path().join("cache"), &limits, "a:mycorp.*").unwrap();
        let third = scanner.scan_item_cached(&Item::File(file.clone()), &other).unwrap();
        assert!(!third.findings.iter().any(|f| f.message.contains("CACHED")));
        // A corrupt entry is ignored and rewritten.
        std::fs::write(&entry, b"{not json").unwrap();
        let fourth = scanner.scan_item_cached(&Item::File(file), &cache).unwrap();
        assert_eq!(fourth.findings.len(), first.findings.len());
        assert!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&entry).unwrap()).is_ok());
    }
}
