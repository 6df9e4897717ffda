//! Every fixture in `fixtures/manifest.csv` is scanned: malicious ones must be
//! blocked at the default level (and by the rule the manifest names), benign
//! ones must pass, suspicious ones must be flagged at medium but not at high.

use std::path::{Path, PathBuf};

use modelvet_engine::{Options, Scanner, Severity, TargetReport};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Reads a fixture, decoding `.hex` files (malicious samples are stored encoded).
pub fn load(rel: &str) -> Vec<u8> {
    let raw = std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    if rel.ends_with(".hex") {
        let text: String = String::from_utf8(raw).unwrap().split_whitespace().collect();
        hex::decode(text).unwrap_or_else(|e| panic!("{rel}: bad hex: {e}"))
    } else {
        raw
    }
}

/// Minimal CSV reading with quoted fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn scan(rel: &str) -> TargetReport {
    let name = rel.trim_end_matches(".hex");
    Scanner::new(Options::default()).scan_bytes(name, &load(rel))
}

fn describe(r: &TargetReport) -> String {
    r.findings.iter().map(|f| format!("\n    {} {} {}", f.rule.code, f.severity, f.message)).collect()
}

#[test]
fn manifest_expectations_hold() {
    // manifest.csv, plus one manifest-<area>.csv per format family.
    let mut rows = Vec::new();
    let mut manifests: Vec<_> = std::fs::read_dir(root())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("manifest") && n.ends_with(".csv"))
        .collect();
    manifests.sort();
    for m in manifests {
        let text = std::fs::read_to_string(root().join(&m)).unwrap();
        rows.extend(parse_csv(&text).into_iter().skip(1));
    }
    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    for row in &rows {
        let (path, expect, hint) = (&row[0], &row[1], row.get(2).map_or("", String::as_str));
        let r = scan(path);
        let max = r.max_severity();
        let ok = match expect.as_str() {
            "malicious" => {
                counts[0] += 1;
                let blocked = max >= Some(Severity::Medium);
                // "dangerous-global mod.name ..." names the import that must be flagged critical.
                let named = match hint.strip_prefix("dangerous-global ") {
                    Some(rest) => {
                        let g =
                            rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).next().unwrap_or("");
                        r.findings.iter().any(|f| f.rule.code == "PKL001" && f.message.contains(g))
                    }
                    None => true,
                };
                blocked && named
            }
            "benign" => {
                counts[1] += 1;
                max < Some(Severity::Medium)
            }
            "suspicious" => {
                counts[2] += 1;
                max == Some(Severity::Medium)
            }
            other => panic!("unknown expectation {other}"),
        };
        if !ok {
            failures.push(format!("{expect} {path} [{hint}]{}", describe(&r)));
        }
    }
    assert!(failures.is_empty(), "{} fixtures misjudged:\n{}", failures.len(), failures.join("\n"));
    assert!(counts[0] >= 90 && counts[1] >= 50 && counts[2] >= 5, "manifest shrank: {counts:?}");
}

/// Helper for the rule tests below: the codes of findings at or above `min`.
fn codes(rel: &str, min: Severity) -> Vec<&'static str> {
    scan(rel).findings.iter().filter(|f| f.severity >= min).map(|f| f.rule.code).collect()
}

fn find(dir: &str, needle: &str) -> String {
    let base = root().join(dir);
    let mut stack = vec![base.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap().to_string_lossy().contains(needle) {
                return p.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
            }
        }
    }
    panic!("no fixture matching {needle} under {dir}")
}

#[test]
fn specific_rules_fire() {
    let cases: &[(&str, &str, &str, Severity)] = &[
        ("malicious", "build_setstate_hijack", "PKL005", Severity::Critical),
        ("malicious", "payload_then_invalid_opcode", "PKL006", Severity::Medium),
        ("malicious", "payload_then_invalid_opcode", "PKL001", Severity::Critical),
        ("malicious", "payload_no_stop", "PKL006", Severity::Medium),
        ("malicious", "payload_after_stop_trailing", "PKL008", Severity::Low),
        ("malicious", "dill_function_invoked", "PKL004", Severity::Critical),
        ("suspicious", "dill_benign_lambda", "PKL004", Severity::Medium),
        ("malicious", "bad_crc", "ARC004", Severity::Medium),
        ("malicious", "build_module_global_patch", "PKL005", Severity::Critical),
        ("malicious", "copyreg_add_extension_ext1", "PKL001", Severity::Critical),
        ("malicious", "payload_after_numpy_array_block", "PKL001", Severity::Critical),
        ("malicious", "object_array_os_system_v3", "NPY001", Severity::Low),
        ("malicious", "tar_traversal_links", "ARC001", Severity::High),
        ("malicious", "local_central_name_mismatch", "ARC004", Severity::Medium),
        ("malicious", "zip_path_traversal", "ARC001", Severity::High),
        ("malicious", "zip_bomb", "ARC003", Severity::High),
        ("malicious", "legacy_object", "TOR001", Severity::Low),
    ];
    for (dir, needle, code, min) in cases {
        let rel = find(dir, needle);
        let got = codes(&rel, *min);
        assert!(got.contains(code), "{rel}: expected {code} at >= {min}, got {got:?}");
    }
}

#[test]
fn fixture_paths_exist() {
    assert!(Path::new(&root().join("manifest.csv")).exists());
}

/// Inputs that once crashed, hung or leaked under the fuzzers (`fuzz/`): each
/// must still scan to completion. (Leaks are checked by the fuzzers'
/// LeakSanitizer, which runs these files as seeds.)
#[test]
fn fuzz_regressions_scan_cleanly() {
    let dir = root().join("regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let rel = format!("regressions/{}", e.file_name().to_string_lossy());
        let r = scan(&rel);
        assert!(!r.format.is_empty(), "{rel}");
        n += 1;
    }
    assert!(n >= 1);
}
