//! What `modelvet scan` does with signatures: for a scanned model folder, find
//! its `model.sig`, verify it against the policy's `[signing]` trust, and turn
//! the outcome into a finding of one of the `SIG` rules, so that it shows in
//! every report format.
use std::path::Path;
use std::time::Instant;

use super::{Failure, Ignore, SIGNATURE_FILE, Trust, Verdict, VerifyOptions, manifest::RelPath};
use crate::finding::{Action, Finding, Location};
use crate::policy::SigningPolicy;
use crate::rules::signing as rules;
use crate::scan::TargetReport;

/// The report's format name for a signature.
pub const FORMAT: &str = "model-signature";

/// Checks one model folder. `None` when there is nothing to say: no signature
/// and none required.
pub fn check_folder(folder: &Path, policy: &SigningPolicy) -> Option<TargetReport> {
    let start = Instant::now();
    let sig = folder.join(SIGNATURE_FILE);
    let report = |path: &Path, size: u64, finding: Finding| TargetReport {
        path: path.display().to_string(),
        format: FORMAT.into(),
        size,
        sha256: None,
        findings: vec![finding],
        duration_ms: start.elapsed().as_secs_f64() * 1000.0,
    };
    let loc = |p: &Path| Location { path: p.display().to_string(), members: Vec::new(), offset: None };
    let Ok(meta) = std::fs::symlink_metadata(&sig).map(|m| m.is_file().then_some(m.len())) else {
        return policy.require.then(|| {
            let msg = format!("no signature ({SIGNATURE_FILE}), and the policy requires one");
            report(folder, 0, Finding::new(&rules::signature_missing::RULE, msg, loc(folder)))
        });
    };
    let Some(size) = meta else {
        let msg = format!("{SIGNATURE_FILE} is not a regular file");
        return Some(report(&sig, 0, Finding::new(&rules::signature_invalid::RULE, msg, loc(&sig))));
    };
    if !policy.trusts_anyone() {
        let mut f = Finding::new(
            &rules::signature_unchecked::RULE,
            "a signature is present but the policy names no trusted key, so it was not verified",
            loc(&sig),
        );
        f.action = Action::Warn;
        return Some(report(&sig, size, f));
    }
    let bytes = match std::fs::read(&sig) {
        Ok(b) if b.len() as u64 <= super::bundle::MAX_BUNDLE_BYTES => b,
        Ok(_) => {
            let msg = "the signature file is too large to be a signature".to_owned();
            return Some(report(&sig, size, Finding::new(&rules::signature_invalid::RULE, msg, loc(&sig))));
        }
        Err(e) => {
            let msg = format!("the signature cannot be read: {e}");
            return Some(report(&sig, size, Finding::new(&rules::signature_invalid::RULE, msg, loc(&sig))));
        }
    };
    let options = VerifyOptions {
        ignore: Ignore { paths: RelPath::parse(SIGNATURE_FILE).into_iter().collect(), git_paths: true },
        ignore_unsigned_files: false,
    };
    let mut trusts: Vec<Trust> = policy.keys.iter().cloned().map(Trust::Key).collect();
    if !policy.roots.is_empty() {
        trusts.push(Trust::Roots(policy.roots.clone()));
    }
    if let Some(k) = policy.keyless() {
        trusts.push(Trust::Keyless(k));
    }
    // The most telling failure: one from a signer we trust beats "another key".
    let mut best: Option<Failure> = None;
    for trust in &trusts {
        match super::verify(folder, &bytes, trust, &options) {
            Ok(Verdict::Verified(v)) => {
                let msg = format!("verified: {} files signed by {}", v.files, v.signer);
                let mut f = Finding::new(&rules::signature_verified::RULE, msg, loc(&sig));
                f.action = Action::Warn;
                return Some(report(&sig, size, f));
            }
            Ok(Verdict::NotVerified(fail)) => {
                let weak = |f: &Failure| matches!(f, Failure::KeyMismatch { .. } | Failure::WrongKind(_));
                if best.as_ref().is_none_or(|b| weak(b) && !weak(&fail)) {
                    best = Some(fail);
                }
            }
            Err(e) => best = Some(Failure::Malformed(format!("the model could not be hashed: {e}"))),
        }
    }
    let fail = best.unwrap_or(Failure::Malformed("nothing to verify against".into()));
    let text = fail.to_string();
    let mut lines = text.lines();
    let mut f = Finding::new(
        &rules::signature_invalid::RULE,
        format!("not verified: {}", lines.next().unwrap_or_default().trim_end_matches(':')),
        loc(&sig),
    );
    let rest: Vec<&str> = lines.map(str::trim).collect();
    if !rest.is_empty() {
        f.evidence = Some(rest.join("; "));
    }
    Some(report(&sig, size, f))
}
