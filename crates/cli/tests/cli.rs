//! End-to-end tests of the `modelvet` binary: exit codes, output formats, and
//! snapshots of what a person sees.

use std::path::{Path, PathBuf};

mod common;

use common::fixture;

use assert_cmd::Command;
use predicates::prelude::*;

/// Writes decoded fixtures into a temporary folder under the given names.
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, rel) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, fixture(rel)).unwrap();
    }
    dir
}

fn modelvet() -> Command {
    Command::cargo_bin("modelvet").unwrap()
}

/// Replaces what changes between runs (temporary paths, timings).
fn normalise(out: &str, dir: &Path) -> String {
    let s = out.replace(&dir.display().to_string(), "[DIR]");
    s.lines()
        .map(|l| match l.find(" scanned in ") {
            Some(i) => {
                let rest = &l[i + " scanned in ".len()..];
                let after = rest.find(':').map_or("", |j| &rest[j..]);
                format!("{} scanned in [T]{after}", &l[..i])
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const EVIL: &str = "malicious/pickle/getattr_import_os_system.pkl.hex";
const CLEAN: &str = "benign/torch/state_dict.pt";

#[test]
fn blocked_file_exits_1_and_explains_itself() {
    let dir = workspace(&[("evil.pkl", EVIL)]);
    let out = modelvet().args(["scan", "--color", "never"]).arg(dir.path().join("evil.pkl")).assert().code(1);
    let text = normalise(&String::from_utf8_lossy(&out.get_output().stdout), dir.path());
    insta::assert_snapshot!("blocked_text", text);
}

#[test]
fn clean_file_exits_0() {
    let dir = workspace(&[("model.pt", CLEAN)]);
    modelvet()
        .args(["scan", "--color", "never"])
        .arg(dir.path().join("model.pt"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS").and(predicate::str::contains("pytorch")));
}

#[test]
fn folder_scan_reports_each_file_and_a_summary() {
    let dir = workspace(&[
        ("a/evil.pkl", EVIL),
        ("b/model.pt", CLEAN),
        ("b/notes.txt", "benign/pickle/nested_containers_p0.pkl"),
    ]);
    let out = modelvet().args(["scan", "--color", "never"]).arg(dir.path()).assert().code(1);
    let text = normalise(&String::from_utf8_lossy(&out.get_output().stdout), dir.path());
    assert!(text.contains("BLOCKED [DIR]/a/evil.pkl"), "{text}");
    assert!(text.contains("PASS    [DIR]/b/model.pt"), "{text}");
    assert!(text.contains("3 files scanned"), "{text}");
}

#[test]
fn fail_on_raises_the_threshold() {
    let dir = workspace(&[("s.pkl", "suspicious/fastai_learner_called.pkl.hex")]);
    let p = dir.path().join("s.pkl");
    modelvet().arg("scan").arg(&p).assert().code(1);
    modelvet().args(["scan", "--fail-on", "high"]).arg(&p).assert().code(0).stdout(predicate::str::contains("WARN"));
}

#[test]
fn json_report_is_complete_and_stable() {
    let dir = workspace(&[("evil.pkl", EVIL), ("model.pt", CLEAN)]);
    let out_file = dir.path().join("report.json");
    modelvet()
        .args(["scan", "--hash", "--format", "json", "--output"])
        .arg(&out_file)
        .arg(dir.path().join("evil.pkl"))
        .arg(dir.path().join("model.pt"))
        .assert()
        .code(1)
        .stdout("");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let schema_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("valid JSON Schema");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "report does not match docs/report.schema.json: {errors:?}");
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["summary"]["blocked"], 1);
    assert_eq!(doc["summary"]["passed"], 1);
    let evil = &doc["targets"][0];
    assert_eq!(evil["verdict"], "blocked");
    assert_eq!(evil["format"], "pickle");
    assert_eq!(evil["sha256"].as_str().unwrap().len(), 64);
    let rules: Vec<&str> = evil["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"PKL001"), "{rules:?}");
    let f = evil["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("os.system"))
        .unwrap();
    assert_eq!(f["severity"], "critical");
    assert!(f["evidence"].as_str().unwrap().contains("builtins.getattr(builtins.__import__('os'), 'system')"), "{f}");
    assert!(f["location"]["offset"].is_u64());
    let mut stable = doc.clone();
    stable["elapsed_ms"] = 0.into();
    for t in stable["targets"].as_array_mut().unwrap() {
        t["duration_ms"] = 0.into();
        let p = t["path"].as_str().unwrap().replace(&dir.path().display().to_string(), "[DIR]");
        t["path"] = p.into();
        for f in t["findings"].as_array_mut().unwrap() {
            let p = f["location"]["path"].as_str().unwrap().replace(&dir.path().display().to_string(), "[DIR]");
            f["location"]["path"] = p.into();
        }
    }
    stable["tool"]["version"] = "[VERSION]".into();
    insta::assert_snapshot!("report_json", serde_json::to_string_pretty(&stable).unwrap());
}

#[test]
fn missing_target_is_an_operational_error() {
    modelvet()
        .args(["scan", "/definitely/not/here.pt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file or folder"));
}

#[test]
fn bad_arguments_exit_2() {
    modelvet().args(["scan", "--fail-on", "sometimes", "x"]).assert().code(2);
    modelvet().args(["scan"]).assert().code(2);
}

#[test]
fn rules_are_listed_and_documented() {
    let out = modelvet().arg("rules").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for code in ["PKL001", "PKL002", "ARC001", "NPY001", "TOR001", "FIL001"] {
        assert!(text.contains(code), "{code} missing from `modelvet rules`");
    }
    modelvet()
        .args(["rule", "pkl005"])
        .assert()
        .success()
        .stdout(predicate::str::contains("## Why is this bad?").and(predicate::str::contains("__setstate__")));
    modelvet().args(["rule", "dangerous-import"]).assert().success().stdout(predicate::str::contains("PKL001"));
    modelvet().args(["rule", "NOPE999"]).assert().code(2).stderr(predicate::str::contains("no rule"));
}

#[test]
fn symlinks_in_folders_are_reported_not_followed() {
    let dir = workspace(&[("model.pt", CLEAN)]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("weights.bin")).unwrap();
    #[cfg(unix)]
    modelvet()
        .args(["scan", "--color", "never"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("FIL001").and(predicate::str::contains("/etc/passwd")));
}
