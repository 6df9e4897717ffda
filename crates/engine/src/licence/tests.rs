use super::*;

#[test]
fn expressions_split_into_ids() {
    assert_eq!(expression_ids("Apache-2.0 OR MIT"), vec!["Apache-2.0", "MIT"]);
    assert_eq!(expression_ids("(LicenseRef-hf-llama3.1 AND Apache-2.0)"), vec!["llama3.1", "Apache-2.0"]);
    assert_eq!(expression_ids("cc-by-nc-4.0"), vec!["cc-by-nc-4.0"]);
    // Ultralytics' ONNX exports (metadata_props.license): one licence, not three.
    assert_eq!(expression_ids("AGPL-3.0 License (https://ultralytics.com/license)"), vec!["AGPL-3.0"]);
}

#[test]
fn repo_ids_match_folders() {
    assert!(matches_repo_id(Path::new("/m/meta-llama/Llama-3.1-8B"), "meta-llama/Llama-3.1-8B"));
    assert!(matches_repo_id(Path::new("/m/Llama-3.1-8B"), "meta-llama/llama-3.1-8b"));
    assert!(matches_repo_id(Path::new("/hf/hub/models--google--gemma-2b/snapshots/abc123"), "google/gemma-2b"));
    assert!(!matches_repo_id(Path::new("/m/gemma-2b-it"), "google/gemma-2b"));
    assert!(!matches_repo_id(Path::new("/m/x"), "../x"));
}

#[test]
fn metadata_values_are_ids_expressions_or_texts() {
    let p = LicencePolicy::default();
    let mut m = own(
        &walk::Found {
            path: PathBuf::from("m.gguf"),
            repo: false,
            card: None,
            adapter_config: None,
            licence_files: vec![],
            weights: vec![],
        },
        &KnownMeta::new(),
        &p,
    );
    metadata_value(&mut m, "general.license", "Apache-2.0 OR CC-BY-NC-4.0", source(Path::new("m.gguf"), "k"), &p);
    assert_eq!(m.terms.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["apache-2.0"]);
    metadata_value(&mut m, "general.license.link", "https://example.org/l", source(Path::new("m.gguf"), "k"), &p);
    assert_eq!(m.terms.len(), 1);
    let gemma = format!("Gemma Terms of Use\n{}", "Some terms. ".repeat(30));
    metadata_value(&mut m, "general.license", &gemma, source(Path::new("m.gguf"), "k"), &p);
    assert_eq!(m.terms.last().map(|t| t.class), Some(LicenceClass::Gemma));
    assert_eq!(m.declared.len(), 3);
}
