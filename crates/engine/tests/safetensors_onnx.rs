//! safetensors and ONNX: each fixture yields the exact rule and severity expected,
//! and the on-disk checks of ONNX external data (symbolic links, ranges) work.

use std::path::PathBuf;

use modelvet_engine::{Options, Scanner, Severity, TargetReport};

fn load(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel);
    let raw = std::fs::read(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
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

fn has(r: &TargetReport, code: &str, sev: Severity) -> bool {
    r.findings.iter().any(|f| f.rule.code == code && f.severity == sev)
}

fn codes(r: &TargetReport) -> Vec<String> {
    r.findings.iter().map(|f| format!("{} {} {}", f.rule.code, f.severity, f.message)).collect()
}

#[test]
fn safetensors_rules() {
    use Severity::*;
    let cases = [
        ("malicious/safetensors/header_len_overflow.safetensors.hex", "SAF001", High),
        ("malicious/safetensors/header_beyond_file.safetensors.hex", "SAF001", High),
        ("malicious/safetensors/hole_with_pickle.safetensors.hex", "SAF008", High),
        ("malicious/safetensors/hole_with_pickle.safetensors.hex", "PKL001", Critical),
        ("malicious/safetensors/trailing_pickle.safetensors.hex", "SAF008", High),
        ("malicious/safetensors/trailing_pickle.safetensors.hex", "PKL001", Critical),
        ("malicious/safetensors/metadata_b64_pickle.safetensors.hex", "PKL001", Critical),
        ("malicious/safetensors/negative_shape.safetensors.hex", "SAF006", High),
        ("malicious/safetensors/shape_larger_than_range.safetensors.hex", "SAF007", High),
        ("malicious/safetensors/overlapping.safetensors.hex", "SAF007", High),
        ("malicious/safetensors/duplicate_key.safetensors.hex", "SAF003", High),
        ("suspicious/safetensors/invalid_json_header.safetensors.hex", "SAF002", Medium),
        ("suspicious/safetensors/unknown_dtype.safetensors.hex", "SAF004", Medium),
        ("suspicious/safetensors/metadata_non_string.safetensors.hex", "SAF005", Medium),
    ];
    for (rel, code, sev) in cases {
        let r = scan(rel);
        assert_eq!(r.format, "safetensors", "{rel}");
        assert!(has(&r, code, sev), "{rel}: expected {code} {sev}, got {:?}", codes(&r));
    }
    for rel in [
        "benign/safetensors/model.safetensors",
        "benign/safetensors/empty_and_scalar.safetensors",
        "benign/safetensors/adapter_model.safetensors",
    ] {
        let r = scan(rel);
        assert_eq!(r.format, "safetensors", "{rel}");
        assert!(r.findings.is_empty(), "{rel}: {:?}", codes(&r));
    }
}

#[test]
fn indented_text_is_not_safetensors() {
    let r = Scanner::new(Options::default()).scan_bytes("notes.txt", b"        {\"a\": 1}\n");
    assert_ne!(r.format, "safetensors");
    assert!(r.findings.iter().all(|f| f.severity < Severity::Medium), "{:?}", codes(&r));
}

#[test]
fn onnx_rules() {
    use Severity::*;
    let cases = [
        ("malicious/onnx/ext_traversal.onnx.hex", "ONX001", Critical),
        ("malicious/onnx/ext_absolute.onnx.hex", "ONX001", Critical),
        ("malicious/onnx/ext_backslash.onnx.hex", "ONX001", Critical),
        ("malicious/onnx/ext_attr_injection.onnx.hex", "ONX003", Critical),
        ("malicious/onnx/python_op.onnx.hex", "ONX005", Critical),
        ("malicious/onnx/metadata_b64_pickle.onnx.hex", "PKL001", Critical),
        ("malicious/onnx/string_tensor_pickle.onnx.hex", "PKL001", Critical),
        ("suspicious/onnx/custom_domain.onnx.hex", "ONX006", Medium),
        ("suspicious/onnx/truncated.onnx.hex", "ONX007", Medium),
    ];
    for (rel, code, sev) in cases {
        let r = scan(rel);
        assert_eq!(r.format, "onnx", "{rel}");
        assert!(has(&r, code, sev), "{rel}: expected {code} {sev}, got {:?}", codes(&r));
    }
    for rel in [
        "benign/onnx/mlp.onnx",
        "benign/onnx/contrib_ops.onnx",
        "benign/onnx/external_beside.onnx",
        "benign/onnx/metadata_and_strings.onnx",
        "benign/onnx/if_subgraph.onnx",
    ] {
        let r = scan(rel);
        assert_eq!(r.format, "onnx", "{rel}");
        assert!(r.findings.is_empty(), "{rel}: {:?}", codes(&r));
    }
}

#[test]
fn onnx_is_not_claimed_for_other_bytes() {
    let r = Scanner::new(Options::default()).scan_bytes("notes.txt", b"\x08\x05 just some bytes that are not a model");
    assert_ne!(r.format, "onnx");
    // Named .onnx but unreadable: reported, not silently passed.
    let r = Scanner::new(Options::default()).scan_bytes("model.onnx", b"\xff\xff\xff\xff");
    assert_eq!(r.format, "onnx");
    assert!(has(&r, "ONX007", Severity::Medium), "{:?}", codes(&r));
}

#[cfg(unix)]
#[test]
fn onnx_external_data_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let model = load("benign/onnx/external_beside.onnx"); // location model.onnx.data, length 64
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, &model).unwrap();
    let scanner = Scanner::new(Options::default());
    // Missing external file: nothing to judge.
    assert!(scanner.scan_file(&path).unwrap().findings.is_empty());
    // A real file of the right size: fine.
    std::fs::write(dir.path().join("model.onnx.data"), [0u8; 64]).unwrap();
    assert!(scanner.scan_file(&path).unwrap().findings.is_empty());
    // Too short for the declared range: high.
    std::fs::write(dir.path().join("model.onnx.data"), [0u8; 10]).unwrap();
    let r = scanner.scan_file(&path).unwrap();
    assert!(has(&r, "ONX004", Severity::High), "{:?}", codes(&r));
    // Scanned on its own, the short file is judged against the model beside it.
    let r = scanner.scan_file(&dir.path().join("model.onnx.data")).unwrap();
    assert_eq!(r.format, "onnx-external-data");
    assert!(has(&r, "ONX004", Severity::High), "{:?}", codes(&r));
    // A symbolic link: critical.
    std::fs::remove_file(dir.path().join("model.onnx.data")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.path().join("model.onnx.data")).unwrap();
    let r = scanner.scan_file(&path).unwrap();
    assert!(has(&r, "ONX002", Severity::Critical), "{:?}", codes(&r));
}
