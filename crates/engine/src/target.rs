//! What a finished [`TargetReport`] means: verdicts and fingerprints.

use std::collections::HashMap;

use crate::finding::Severity;
use crate::scan::TargetReport;

impl TargetReport {
    /// Whether any finding blocks at `fail_on`, after policy and waivers.
    pub fn blocked(&self, fail_on: Severity) -> bool {
        self.findings.iter().any(|f| f.blocks(fail_on))
    }

    /// Whether any finding is neither waived nor blocking (a warning).
    pub fn warns(&self, fail_on: Severity) -> bool {
        self.findings.iter().any(|f| !f.is_waived() && !f.blocks(fail_on))
    }

    /// Gives every finding its fingerprint. The target is identified by its
    /// SHA-256 when known (so a moved or renamed file keeps its fingerprints),
    /// else by its path.
    pub fn assign_fingerprints(&mut self) {
        let target = match &self.sha256 {
            Some(h) => format!("sha256:{h}"),
            None => format!("path:{}", self.path),
        };
        let mut seen: HashMap<(&'static str, Vec<String>, Option<u64>), u32> = HashMap::new();
        for f in &mut self.findings {
            let n = seen.entry((f.rule.code, f.location.members.clone(), f.location.offset)).or_insert(0);
            f.fingerprint = f.fingerprint_for(&target, *n);
            *n += 1;
        }
    }
}
