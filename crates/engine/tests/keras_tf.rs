//! Keras and TensorFlow rules: every fixture in `fixtures/manifest-keras.csv`
//! whose `rule_hint` is `CODE:severity` must raise that rule at that severity,
//! and benign ones must raise nothing at medium or above.

use std::path::PathBuf;

use modelvet_engine::{Options, Scanner, Severity, TargetReport};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn load(rel: &str) -> Vec<u8> {
    let raw = std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    if rel.ends_with(".hex") {
        let text: String = String::from_utf8(raw).unwrap().split_whitespace().collect();
        hex::decode(text).unwrap()
    } else {
        raw
    }
}

fn scan_named(name: &str, data: &[u8]) -> TargetReport {
    Scanner::new(Options::default()).scan_bytes(name, data)
}

fn sev(s: &str) -> Severity {
    match s {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        other => panic!("unknown severity {other}"),
    }
}

#[test]
fn manifest_rules_and_severities() {
    // The hand-built fixtures, and the real Keras 3 saves (`generate_keras_real.py`).
    let text = ["manifest-keras.csv", "manifest-keras-real.csv"]
        .iter()
        .map(|m| std::fs::read_to_string(root().join(m)).unwrap())
        .map(|t| t.lines().skip(1).map(|l| format!("{l}\n")).collect::<String>())
        .collect::<String>();
    let mut checked = 0;
    for line in text.lines() {
        let cols: Vec<&str> = line.splitn(4, ',').collect();
        let (path, expect, hint) = (cols[0], cols[1], cols[2]);
        let r = scan_named(path.trim_end_matches(".hex"), &load(path));
        let all: Vec<String> =
            r.findings.iter().map(|f| format!("{} {} {}", f.rule.code, f.severity, f.message)).collect();
        if expect == "benign" {
            assert!(r.max_severity() < Some(Severity::Medium), "{path}: {all:#?}");
            // A benign file may carry a note (`KRS008:low`): it must be there.
            if let Some((code, s)) = hint.split_once(':') {
                assert!(
                    r.findings.iter().any(|f| f.rule.code == code && f.severity == sev(s)),
                    "{path}: expected {code} at {s}, got {all:#?}"
                );
            }
        } else {
            let (code, s) = hint.split_once(':').expect("hint CODE:severity");
            assert!(
                r.findings.iter().any(|f| f.rule.code == code && f.severity == sev(s)),
                "{path}: expected {code} at {s}, got {all:#?}"
            );
            if expect == "suspicious" {
                assert_eq!(r.max_severity(), Some(Severity::Medium), "{path}: {all:#?}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "manifest-keras.csv shrank: {checked}");
}

fn codes(r: &TargetReport) -> Vec<(&'static str, Severity)> {
    r.findings.iter().map(|f| (f.rule.code, f.severity)).collect()
}

#[test]
fn keras_config_json_cases() {
    let cfg = |layer: &str| {
        format!(
            r#"{{"module": "keras", "class_name": "Sequential", "config": {{"name": "s", "layers": [{layer}]}}, "registered_name": null}}"#
        )
    };
    // CVE-2025-1550 shape with a dangerous callable -> critical.
    let r = scan_named(
        "config.json",
        cfg(r#"{"module": "os", "class_name": "function", "config": "system", "registered_name": "function"}"#)
            .as_bytes(),
    );
    assert!(codes(&r).contains(&("KRS002", Severity::Critical)), "{:?}", codes(&r));
    // Ordinary Keras layers and keras_hub registrations pass.
    let r = scan_named(
        "config.json",
        cfg(r#"{"module": "keras_hub.src.layers", "class_name": "X", "config": {"name": "x"}, "registered_name": "keras_hub>X"}"#)
            .as_bytes(),
    );
    assert!(r.max_severity() < Some(Severity::Medium), "{:?}", codes(&r));
    // safe_mode false anywhere -> high.
    let r = scan_named(
        "config.json",
        cfg(r#"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "safe_mode": false}}"#)
            .as_bytes(),
    );
    assert!(codes(&r).contains(&("KRS006", Severity::High)), "{:?}", codes(&r));
    // Vocabulary given as a URL -> high; inline list -> nothing.
    let r = scan_named(
        "config.json",
        cfg(r#"{"module": "keras.layers", "class_name": "TextVectorization", "config": {"name": "t", "vocabulary": "gs://bucket/vocab.txt"}}"#)
            .as_bytes(),
    );
    assert!(codes(&r).contains(&("KRS004", Severity::High)), "{:?}", codes(&r));
    // A Lambda whose code is not decodable is still critical.
    let r = scan_named(
        "config.json",
        cfg(r#"{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {"code": "!!!"}}}}"#)
            .as_bytes(),
    );
    assert!(codes(&r).contains(&("KRS001", Severity::Critical)), "{:?}", codes(&r));
}

#[test]
fn hostile_inputs_do_not_panic() {
    let mut h5 = b"\x89HDF\r\n\x1a\n".to_vec();
    h5.extend_from_slice(&[0u8; 2000]);
    let r = scan_named("model.h5", &h5);
    assert!(codes(&r).contains(&("KRS007", Severity::Medium)), "{:?}", codes(&r));
    for data in [&b"\x0a\xff\xff\xff\xff\x0f"[..], b"\x08\x01\x12\x80\x80\x80\x80\x10", b"\x0a\x02\x12\x00"] {
        let r = scan_named("saved_model.pb", data);
        assert!(r.max_severity() <= Some(Severity::Medium), "{:?}", codes(&r));
    }
    // Not a TensorFlow file: left alone.
    let r = scan_named("notes.txt", b"hello world, nothing to see");
    assert!(r.findings.iter().all(|f| !f.rule.code.starts_with("TFG")));
}
