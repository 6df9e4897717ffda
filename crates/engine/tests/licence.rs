//! Issue 9 (licences): each kind of declaration in `fixtures/licences/`, real
//! SPDX licence texts written from the `spdx` crate, model-file metadata,
//! adapters over Llama and Gemma bases, and the findings a scan reports.

use std::path::{Path, PathBuf};

use modelvet_engine::Action;
use modelvet_engine::licence::{self, LicenceClass, LicencePolicy, ModelLicence, Scope, Verdict};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/licences")
}

fn spdx_text(id: &str) -> &'static str {
    spdx::text::LICENSE_TEXTS.iter().find(|(n, _)| *n == id).map(|(_, t)| *t).expect("SPDX text")
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn model<'a>(all: &'a [ModelLicence], name: &str) -> &'a ModelLicence {
    all.iter()
        .find(|m| m.model.file_name().is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("no model {name} in {:?}", all.iter().map(|m| &m.model).collect::<Vec<_>>()))
}

fn codes(all: &[ModelLicence], name: &str, scope: Scope) -> Vec<(&'static str, Action)> {
    let m = model(all, name);
    licence::findings(std::slice::from_ref(m), scope).iter().map(|f| (f.rule.code, f.action)).collect()
}

#[test]
fn fixtures_get_the_expected_class_and_verdict() {
    let all = licence::assess(&[fixtures()], &LicencePolicy::default());
    let expect = [
        ("apache-card", LicenceClass::Permissive, Verdict::Allow, Some("apache-2.0")),
        ("nc-card", LicenceClass::NonCommercial, Verdict::Deny, Some("cc-by-nc-4.0")),
        ("llama3-repo", LicenceClass::Llama, Verdict::Review, Some("llama3")),
        ("conflict", LicenceClass::Llama, Verdict::Review, Some("llama3.1")),
        ("gemma-base", LicenceClass::Gemma, Verdict::Review, Some("gemma")),
        ("gemma-lora", LicenceClass::Gemma, Verdict::Review, Some("gemma")),
        ("llama-adapter", LicenceClass::Llama, Verdict::Review, Some("llama3")),
        ("missing", LicenceClass::Missing, Verdict::Review, None),
        ("other-named", LicenceClass::ResearchOnly, Verdict::Deny, Some("qwen-research")),
        ("unknown-id", LicenceClass::Unknown, Verdict::Review, Some("apache2")),
        ("openrail", LicenceClass::Rail, Verdict::Review, Some("creativeml-openrail-m")),
        ("nc-dataset-model", LicenceClass::Permissive, Verdict::Allow, Some("mit")),
    ];
    for (name, class, verdict, id) in expect {
        let m = model(&all, name);
        assert_eq!((m.class, m.verdict, m.licence.as_deref()), (class, verdict, id), "{name}: {m:#?}");
    }
    // The diffusers pipeline is one model: its unet/ is a component.
    assert!(!all.iter().any(|m| m.model.ends_with("openrail/unet")));
    assert!(model(&all, "nc-instruct").dataset);
    assert_eq!(all.len(), expect.len() + 1);
}

#[test]
fn fixtures_get_the_expected_findings() {
    let all = licence::assess(&[fixtures()], &LicencePolicy::default());
    let scan = Scope::Scan { check_loose_files: false };
    assert_eq!(codes(&all, "apache-card", scan), vec![]);
    assert_eq!(codes(&all, "nc-card", scan), vec![("LIC001", Action::Deny)]);
    assert_eq!(codes(&all, "llama3-repo", scan), vec![("LIC002", Action::Warn)]);
    assert_eq!(codes(&all, "conflict", scan), vec![("LIC002", Action::Warn), ("LIC005", Action::Warn)]);
    assert_eq!(codes(&all, "gemma-lora", scan), vec![("LIC002", Action::Warn), ("LIC006", Action::Warn)]);
    assert_eq!(codes(&all, "llama-adapter", scan), vec![("LIC002", Action::Warn)]);
    assert_eq!(codes(&all, "missing", scan), vec![("LIC003", Action::Warn)]);
    assert_eq!(codes(&all, "other-named", scan), vec![("LIC001", Action::Deny)]);
    assert_eq!(codes(&all, "unknown-id", scan), vec![("LIC004", Action::Warn)]);
    assert_eq!(codes(&all, "nc-dataset-model", scan), vec![("LIC007", Action::Warn)]);
    assert_eq!(codes(&all, "nc-instruct", scan), vec![], "a dataset has no verdict of its own");

    // Located at the card's line, with the declaration as evidence.
    let nc = licence::findings(std::slice::from_ref(model(&all, "nc-card")), scan);
    assert!(nc[0].location.path.ends_with("nc-card/README.md"), "{:?}", nc[0].location);
    let card = std::fs::read_to_string(fixtures().join("nc-card/README.md")).unwrap();
    let line3: usize = card.split_inclusive('\n').take(2).map(str::len).sum();
    assert_eq!(nc[0].location.offset, Some(line3 as u64));
    assert_eq!(nc[0].evidence.as_deref(), Some("README.md:3 license: cc-by-nc-4.0"));
    assert!(nc[0].message.contains("cc-by-nc-4.0 (non-commercial) is denied"), "{}", nc[0].message);

    // The adapter without a card is reported at its adapter_config.json, inheriting the base.
    let ad = licence::findings(std::slice::from_ref(model(&all, "llama-adapter")), scan);
    assert!(ad[0].location.path.ends_with("adapter_config.json"));
    assert!(ad[0].message.contains("inherited from base model meta-llama/llama3-repo"), "{}", ad[0].message);
    let lora = model(&all, "gemma-lora");
    assert_eq!(lora.base_models[0].found.as_deref(), Some(fixtures().join("gemma-base").as_path()));
}

#[test]
fn the_policy_changes_verdicts_by_id_and_class() {
    let (policy, diags) = modelvet_engine::policy::Policy::parse(
        "[licences]\nallow = [\"llama3\", \"cc-by-nc-4.0\"]\ndeny = [\"gemma\", \"missing\"]\n",
        None,
    );
    assert!(diags.is_empty(), "{diags:#?}");
    let all = licence::assess(&[fixtures()], &policy.licences);
    assert_eq!(model(&all, "llama3-repo").verdict, Verdict::Allow);
    assert_eq!(model(&all, "conflict").verdict, Verdict::Review, "llama3.1 is not llama3");
    assert_eq!(model(&all, "nc-card").verdict, Verdict::Allow);
    assert_eq!(model(&all, "gemma-lora").verdict, Verdict::Deny);
    let scan = Scope::Scan { check_loose_files: false };
    assert_eq!(codes(&all, "missing", scan), vec![("LIC003", Action::Deny)]);
    assert_eq!(codes(&all, "gemma-lora", scan), vec![("LIC001", Action::Deny), ("LIC006", Action::Warn)]);
}

#[test]
fn real_spdx_texts_in_licence_files() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let mit = spdx_text("MIT").replace("<year> <copyright holders>", "2024 Example Org");
    write(r, "mit/LICENSE", mit.as_bytes());
    write(r, "mit/config.json", b"{}");
    write(r, "apache/LICENSE.txt", spdx_text("Apache-2.0").as_bytes());
    write(r, "apache/README.md", b"---\nlicense: apache-2.0\n---\n");
    write(r, "ccnc/LICENSE", spdx_text("CC-BY-NC-4.0").as_bytes());
    write(r, "ccnc/README.md", b"---\nlicense: cc-by-4.0\n---\n");
    let all = licence::assess(&[r.to_path_buf()], &LicencePolicy::default());
    let mitm = model(&all, "mit");
    assert_eq!((mitm.class, mitm.verdict), (LicenceClass::Permissive, Verdict::Allow));
    assert!(mitm.detected[0].confidence >= 0.9, "{:?}", mitm.detected);
    assert!(mitm.detected[0].method.starts_with("SPDX"), "{:?}", mitm.detected);
    let ap = model(&all, "apache");
    assert_eq!((ap.verdict, ap.issues.len()), (Verdict::Allow, 0), "{ap:#?}");
    // The card says CC-BY-4.0 but the text is CC-BY-NC-4.0: denied, and a conflict.
    let nc = model(&all, "ccnc");
    assert_eq!((nc.class, nc.verdict), (LicenceClass::NonCommercial, Verdict::Deny));
    let f = licence::findings(std::slice::from_ref(nc), Scope::All);
    let got: Vec<&str> = f.iter().map(|f| f.rule.code).collect();
    assert_eq!(got, vec!["LIC001", "LIC005"]);
    assert!(f[0].location.path.ends_with("ccnc/LICENSE"));
}

/// A GGUF file with string metadata.
fn gguf(kvs: &[(&str, &str)]) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.extend((kvs.len() as u64).to_le_bytes());
    for (k, v) in kvs {
        b.extend((k.len() as u64).to_le_bytes());
        b.extend(k.as_bytes());
        b.extend(8u32.to_le_bytes());
        b.extend((v.len() as u64).to_le_bytes());
        b.extend(v.as_bytes());
    }
    b
}

fn safetensors(metadata: &str) -> Vec<u8> {
    let header = format!("{{\"__metadata__\":{metadata}}}");
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend(header.as_bytes());
    b
}

/// Loose weight files and a repository whose weights declare licences in their metadata.
fn weights_with_metadata(r: &Path) {
    write(r, "loose/nc.gguf", &gguf(&[("general.architecture", "llama"), ("general.license", "cc-by-nc-4.0")]));
    write(r, "loose/plain.gguf", &gguf(&[("general.architecture", "llama")]));
    write(r, "loose/st.safetensors", &safetensors(r#"{"modelspec.license":"creativeml-openrail-m"}"#));
    write(r, "repo/config.json", b"{}");
    write(r, "repo/README.md", b"---\nlicense: mit\n---\n");
    write(r, "repo/model.gguf", &gguf(&[("general.license", "llama3.2")]));
}

#[test]
fn model_file_metadata_declares_licences() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    weights_with_metadata(r);
    let all = licence::assess(&[r.to_path_buf()], &LicencePolicy::default());
    let nc = model(&all, "nc.gguf");
    assert_eq!((nc.class, nc.verdict, nc.repo), (LicenceClass::NonCommercial, Verdict::Deny, false));
    assert_eq!(nc.declared[0].source.key, "general.license");
    let st = model(&all, "st.safetensors");
    assert_eq!(st.class, LicenceClass::Rail);
    // A loose file without a licence: nothing in a scan, LIC003 when asked or in `modelvet licence`.
    let plain = std::slice::from_ref(model(&all, "plain.gguf"));
    assert!(licence::findings(plain, Scope::Scan { check_loose_files: false }).is_empty());
    assert_eq!(licence::findings(plain, Scope::Scan { check_loose_files: true })[0].rule.code, "LIC003");
    assert_eq!(licence::findings(plain, Scope::All)[0].rule.code, "LIC003");
    // The repo's GGUF says llama3.2, its card mit: the stricter applies, and they conflict.
    let repo = model(&all, "repo");
    assert_eq!(repo.licence.as_deref(), Some("llama3.2"));
    let f = licence::findings(std::slice::from_ref(repo), Scope::All);
    assert_eq!(f.iter().map(|f| f.rule.code).collect::<Vec<_>>(), vec!["LIC002", "LIC005"]);
    // A single file given as the target is a model of its own.
    let one = licence::assess(&[r.join("loose/nc.gguf")], &LicencePolicy::default());
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].verdict, Verdict::Deny);
}

/// A folder scan reads each weight file's licence metadata from the bytes
/// the scan read (`Scanner::scan_item_noting`), and the assessment takes it
/// from there instead of opening the file again: the same entries, the same
/// verdicts, and the files are really not read a second time.
#[test]
fn the_scan_reads_weight_metadata_once_with_the_same_result() {
    use modelvet_engine::{Item, Options, Scanner};
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    weights_with_metadata(r);
    let scanner = Scanner::new(Options::default());
    let mut known = licence::KnownMeta::new();
    for item in scanner.collect(r).unwrap() {
        let mut meta = None;
        scanner.scan_item_noting(&item, None, &mut meta).unwrap();
        let Item::File(p) = item else { panic!("no links here") };
        let meta = meta.expect("a scanned file's metadata is noted");
        // The same entries as the licence pass reads from the file itself.
        let bytes = std::fs::read(&p).unwrap();
        let alone = licence::file_meta(&mut std::io::Cursor::new(&bytes[..]), bytes.len() as u64, &p);
        assert_eq!(meta, alone, "{}", p.display());
        known.insert(p, meta);
    }
    assert_eq!(known[&r.join("loose/nc.gguf")][0].value, "cc-by-nc-4.0");
    assert!(known[&r.join("loose/plain.gguf")].is_empty());
    let policy = LicencePolicy::default();
    let json = |m: &[ModelLicence]| serde_json::to_string(m).unwrap();
    let read = licence::assess(&[r.to_path_buf()], &policy);
    let noted = licence::assess_listed(&[r.to_path_buf()], Vec::new(), &known, &policy);
    assert_eq!(json(&noted), json(&read));
    assert_eq!(model(&noted, "nc.gguf").verdict, Verdict::Deny);
    // What is noted is what counts: the file is not opened again.
    let mut swapped = known.clone();
    swapped.insert(r.join("loose/plain.gguf"), known[&r.join("loose/nc.gguf")].clone());
    let all = licence::assess_listed(&[r.to_path_buf()], Vec::new(), &swapped, &policy);
    assert_eq!(model(&all, "plain.gguf").verdict, Verdict::Deny);
}

#[test]
fn hostile_inputs_do_not_panic_and_are_bounded() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    // An alias bomb, binary junk, and a 3 MiB licence file.
    let mut bomb = String::from("---\na: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for i in 0..12 {
        let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
        bomb.push_str(&format!(
            "l{i}: &l{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    bomb.push_str("license: mit\n---\n");
    write(r, "bomb/README.md", bomb.as_bytes());
    write(r, "junk/README.md", b"---\n\xff\xfe\x00license: [\x00\n---");
    write(r, "junk/config.json", b"{");
    write(r, "junk/adapter_config.json", b"\x00\x01not json");
    let big = "LLAMA 2 COMMUNITY LICENSE AGREEMENT\n".to_string() + &"x ".repeat(1_500_000);
    write(r, "big/LICENSE", big.as_bytes());
    write(r, "big/config.json", b"{}");
    write(r, "bad/model.gguf", b"GGUF\x03\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
    write(r, "bad/x.safetensors", b"\xff\xff\xff\xff\xff\xff\xff\x7f{");
    let all = licence::assess(&[r.to_path_buf()], &LicencePolicy::default());
    assert_eq!(model(&all, "big").licence.as_deref(), Some("llama2"));
    let junk = model(&all, "junk");
    assert!(junk.repo);
    let _ = licence::findings(&all, Scope::All);
}
