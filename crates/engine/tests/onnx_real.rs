//! ONNX models written by the real onnx library and converters parse with no
//! finding at all (subgraphs, tensor attributes, local functions, training
//! info, onnxruntime-extensions ops), and Python custom ops carrying Python
//! are blocked by ONX005 wherever they hide (fixtures from
//! `fixtures/generate/generate_onnx_real.py`).

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

fn scan(rel: &str) -> TargetReport {
    Scanner::new(Options::default()).scan_bytes(rel.trim_end_matches(".hex"), &load(rel))
}

fn describe(r: &TargetReport) -> Vec<String> {
    r.findings.iter().map(|f| format!("{} {} {} [{:?}]", f.rule.code, f.severity, f.message, f.evidence)).collect()
}

#[test]
fn real_models_have_no_finding() {
    let dir = root().join("benign/onnx");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("conformance_") || name.starts_with("real_")) {
            continue;
        }
        let rel = format!("benign/onnx/{name}");
        let r = scan(&rel);
        assert_eq!(r.format, "onnx", "{rel}");
        assert!(r.findings.is_empty(), "{rel}: {:#?}", describe(&r));
        n += 1;
    }
    assert!(n >= 12, "only {n} real ONNX fixtures");
}

#[test]
fn python_ops_are_blocked_with_the_exact_rule() {
    for (rel, code, evidence) in [
        ("malicious/onnx/pyop_source_attr.onnx.hex", "ONX005", "import os"),
        ("malicious/onnx/pyop_in_if_in_loop.onnx.hex", "ONX005", "then_branch"),
        ("malicious/onnx/pyop_tensor_attr_in_scan.onnx.hex", "ONX005", "os.system"),
        ("malicious/onnx/pyop_pickled_callable.onnx.hex", "ONX005", "pickled Python object"),
        ("malicious/onnx/pyop_in_function.onnx.hex", "ONX005", "function local.fns.Wrapper"),
        ("malicious/onnx/pyop_b64_pickle_attr.onnx.hex", "PKL001", ""),
    ] {
        let r = scan(rel);
        let hit = r.findings.iter().find(|f| f.rule.code == code && f.severity == Severity::Critical);
        let Some(f) = hit else { panic!("{rel}: no critical {code}: {:#?}", describe(&r)) };
        assert!(
            f.evidence.as_deref().unwrap_or("").contains(evidence) || f.message.contains(evidence),
            "{rel}: evidence lacks {evidence:?}: {:#?}",
            describe(&r)
        );
    }
}

#[test]
fn python_source_in_an_attribute_is_quoted() {
    let r = scan("malicious/onnx/pyop_source_attr.onnx.hex");
    let f = r.findings.iter().find(|f| f.rule.code == "ONX005").unwrap();
    assert!(f.message.contains("\"Preprocess\"") || f.message.contains("Preprocess"), "{}", f.message);
    let ev = f.evidence.as_deref().unwrap();
    assert!(ev.contains("attribute \"code\" holds Python source"), "{ev}");
    assert!(ev.contains("os.system"), "{ev}");
}

#[test]
fn a_python_operator_s_attributes_are_quoted() {
    let r = scan("malicious/onnx/pyop_in_if_in_loop.onnx.hex");
    let f = r.findings.iter().find(|f| f.rule.code == "ONX005").unwrap();
    let ev = f.evidence.as_deref().unwrap();
    assert!(ev.contains("graph/Loop.body/If.then_branch"), "{ev}");
    assert!(ev.contains("attribute \"script\" = \"print('modelvet-fixture')\""), "{ev}");
}

#[test]
fn base64_pickle_in_an_attribute_is_scanned_as_a_nested_file() {
    let r = scan("malicious/onnx/pyop_b64_pickle_attr.onnx.hex");
    let f = r.findings.iter().find(|f| f.rule.code == "PKL001").unwrap();
    assert!(f.message.contains("os.system") || f.message.contains("system"), "{}", f.message);
    assert!(f.location.members.iter().any(|m| m.contains("attribute \"state\"")), "{:?}", f.location.members);
    // The pickle is well-formed: only what it calls is reported.
    assert!(r.findings.iter().all(|f| f.rule.code != "PKL006"), "{:#?}", describe(&r));
}
