//! GGUF and chat-template rules: exact rule codes and severities on the fixtures
//! and on files built here.

use modelvet_engine::{Options, Scanner, Severity, TargetReport};

fn fixture(rel: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    if rel.ends_with(".hex") {
        let text: String = String::from_utf8(raw).unwrap().split_whitespace().collect();
        hex::decode(text).unwrap()
    } else {
        raw
    }
}

fn scan(name: &str, data: &[u8]) -> TargetReport {
    Scanner::new(Options::default()).scan_bytes(name, data)
}

fn scan_fixture(rel: &str) -> TargetReport {
    scan(rel.trim_end_matches(".hex"), &fixture(rel))
}

/// (code, severity) of every finding.
fn found(r: &TargetReport) -> Vec<(&'static str, Severity)> {
    r.findings.iter().map(|f| (f.rule.code, f.severity)).collect()
}

fn has(r: &TargetReport, code: &str, sev: Severity) -> bool {
    r.findings.iter().any(|f| f.rule.code == code && f.severity == sev)
}

/// A minimal GGUF v3 file with one chat template and no tensors.
fn gguf_with_template(key: &str, template: &str) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.extend(1u64.to_le_bytes());
    b.extend((key.len() as u64).to_le_bytes());
    b.extend(key.as_bytes());
    b.extend(8u32.to_le_bytes());
    b.extend((template.len() as u64).to_le_bytes());
    b.extend(template.as_bytes());
    b
}

#[test]
fn benign_gguf_files_have_no_findings() {
    for name in [
        "chatml_template",
        "llama3_template",
        "llama31_tools_template",
        "mistral_template",
        "gemma_template",
        "qwen25_tools_template",
        "named_templates",
        "base_model_no_template",
        "alignment_64",
    ] {
        let r = scan_fixture(&format!("benign/gguf/{name}.gguf"));
        assert_eq!(r.format, "gguf", "{name}");
        assert!(r.findings.is_empty(), "{name}: {:?}", found(&r));
    }
}

#[test]
fn template_injection_is_critical() {
    for name in [
        "ssti_cycler_globals_popen",
        "ssti_subclasses_catch_warnings",
        "ssti_hidden_branch",
        "ssti_attr_concat",
        "ssti_attr_hex_escape",
        "ssti_attr_join_format",
        "ssti_str_format_fields",
        "ssti_named_template",
    ] {
        let r = scan_fixture(&format!("malicious/gguf/{name}.gguf.hex"));
        assert!(has(&r, "TPL001", Severity::Critical), "{name}: {:?}", found(&r));
    }
    let r = scan_fixture("malicious/gguf/ssti_named_template.gguf.hex");
    let f = r.findings.iter().find(|f| f.rule.code == "TPL001").unwrap();
    assert_eq!(f.location.members, vec!["tokenizer.chat_template.tool_use".to_string()]);
    assert!(f.location.offset.is_some());
}

#[test]
fn recon_and_unparsable_templates_are_medium() {
    let r = scan_fixture("suspicious/gguf/ssti_recon_only.gguf.hex");
    assert_eq!(r.max_severity(), Some(Severity::Medium));
    assert!(has(&r, "TPL002", Severity::Medium), "{:?}", found(&r));
    let r = scan_fixture("suspicious/gguf/unparsable_template.gguf.hex");
    assert_eq!(found(&r), vec![("TPL003", Severity::Medium)]);
}

#[test]
fn header_anomalies_have_their_rules() {
    for (name, code, sev) in [
        ("n_kv_max", "GGF001", Severity::Medium),
        ("array_len_huge", "GGF001", Severity::Medium),
        ("string_len_huge", "GGF001", Severity::Medium),
        ("truncated", "GGF001", Severity::Medium),
        ("alignment_1gib", "GGF003", Severity::High),
        ("alignment_zero", "GGF003", Severity::High),
        ("tensor_offset_oob", "GGF005", Severity::High),
        ("token_type_u8", "GGF004", Severity::High),
    ] {
        let r = scan_fixture(&format!("malicious/gguf/{name}.gguf.hex"));
        assert!(has(&r, code, sev), "{name}: {:?}", found(&r));
    }
    let r = scan_fixture("suspicious/gguf/unknown_version.gguf.hex");
    assert_eq!(found(&r), vec![("GGF002", Severity::Medium)]);
}

#[test]
fn built_files() {
    let r = scan("t.gguf", &gguf_with_template("tokenizer.chat_template", "{{ messages[0].content }}"));
    assert!(r.findings.is_empty(), "{:?}", found(&r));
    let r = scan(
        "t.gguf",
        &gguf_with_template("tokenizer.chat_template.x", "{{ request.application.__globals__.__builtins__ }}"),
    );
    assert!(has(&r, "TPL001", Severity::Critical));
    // Not GGUF: left to other scanners.
    let r = scan("t.bin", b"GGUX\x03\0\0\0");
    assert_ne!(r.format, "gguf");
}
