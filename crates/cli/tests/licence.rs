//! Issue 9 (licences) through the binary: `modelvet licence` and licence
//! findings inside `modelvet scan`, in every report format.

use std::path::Path;

mod common;

use assert_cmd::Command;
use common::repo_root;

fn modelvet(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("modelvet").unwrap();
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

/// A repository folder with the given files (`.git` stops policy discovery).
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    for (name, text) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

#[test]
fn licence_lists_every_fixture_model_and_fails_on_a_denied_one() {
    let dir = repo_root().join("fixtures/licences");
    let out = Command::cargo_bin("modelvet").unwrap().current_dir(&dir).args(["licence", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = |model: &str| text.lines().find(|l| l.starts_with(model)).unwrap_or_else(|| panic!("{model}: {text}"));
    let cols = |model: &str| row(model).split("  ").map(str::trim).filter(|c| !c.is_empty()).collect::<Vec<_>>();
    assert_eq!(cols("nc-card"), vec!["nc-card", "cc-by-nc-4.0", "-", "non-commercial", "deny", "README.md:3"]);
    assert_eq!(cols("apache-card"), vec!["apache-card", "apache-2.0", "-", "permissive", "allow", "README.md:2"]);
    assert_eq!(cols("conflict"), vec!["conflict", "apache-2.0", "llama3.1", "llama (llama3.1)", "review", "LICENSE"]);
    assert!(row("gemma-lora").contains("gemma (base google/gemma-base)"));
    assert!(
        text.contains("LIC005 review conflict/LICENSE: README.md:2 license says apache-2.0, LICENSE says llama3.1"),
        "{text}"
    );
    assert!(text.contains("12 model(s): 2 allowed, 8 to review, 2 denied"), "{text}");

    let out = Command::cargo_bin("modelvet")
        .unwrap()
        .current_dir(&dir)
        .args(["licence", "--format", "json", "apache-card"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["models"][0]["class"], "permissive");
    assert_eq!(v["models"][0]["declared"][0]["source"]["line"], 2);
    assert!(v["spdx_list_version"].as_str().is_some());

    let out = Command::cargo_bin("modelvet").unwrap().args(["licence", "/no/such/folder"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scan_blocks_a_non_commercial_card_in_every_format_and_passes_apache() {
    let d = repo(&[
        ("nc/README.md", "---\nlicense: cc-by-nc-4.0\n---\n# nc\n"),
        ("nc/config.json", "{}"),
        ("ok/README.md", "---\nlicense: apache-2.0\n---\n# ok\n"),
        ("ok/config.json", "{}"),
    ]);
    let out = modelvet(d.path()).args(["scan", "ok"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    let out = modelvet(d.path()).args(["scan", "nc", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f: Vec<&serde_json::Value> =
        v["targets"].as_array().unwrap().iter().flat_map(|t| t["findings"].as_array().unwrap()).collect();
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!((f[0]["rule"].as_str(), f[0]["action"].as_str()), (Some("LIC001"), Some("deny")));

    let out = modelvet(d.path()).args(["scan", "nc", "--format", "sarif"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "LIC001");
    for format in ["markdown", "junit", "text"] {
        let out = modelvet(d.path()).args(["scan", "nc", "--format", format]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("LIC001"), "{format}");
    }

    // The policy can allow it; a waiver works like for any rule.
    std::fs::write(d.path().join("modelvet.toml"), "[licences]\nallow = [\"cc-by-nc-4.0\"]\n").unwrap();
    let out = modelvet(d.path()).args(["scan", "nc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    std::fs::write(
        d.path().join("modelvet.toml"),
        "[[waivers]]\npath = \"nc/README.md\"\nrule = \"LIC001\"\nreason = \"research use only, approved in LEGAL-7\"\n",
    )
    .unwrap();
    let out = modelvet(d.path()).args(["scan", "nc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // A changed card passed on its own (as a pre-commit hook does) is judged with its folder.
    std::fs::remove_file(d.path().join("modelvet.toml")).unwrap();
    let out = modelvet(d.path()).args(["scan", "nc/README.md"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// A licence declared only in a weight file's own metadata (GGUF
/// `general.license`) blocks a folder scan, with one worker or several and
/// through a cache: the scan reads the metadata from the bytes it scanned
/// and the assessment takes it from there (or reads the file itself on a
/// cache hit), with the same report every way.
#[test]
fn scan_blocks_a_licence_declared_in_weight_metadata_with_any_jobs() {
    let key = "general.license";
    let value = "cc-by-nc-4.0";
    let mut gguf = b"GGUF".to_vec();
    gguf.extend(3u32.to_le_bytes());
    gguf.extend(0u64.to_le_bytes());
    gguf.extend(1u64.to_le_bytes());
    gguf.extend((key.len() as u64).to_le_bytes());
    gguf.extend(key.as_bytes());
    gguf.extend(8u32.to_le_bytes());
    gguf.extend((value.len() as u64).to_le_bytes());
    gguf.extend(value.as_bytes());
    let d = repo(&[("m/config.json", "{}"), ("m/other/notes.txt", "n")]);
    std::fs::write(d.path().join("m/model.gguf"), &gguf).unwrap();
    let cache = d.path().join("cache");
    let mut reports = Vec::new();
    for args in [
        vec!["--jobs", "1"],
        vec!["--jobs", "2"],
        vec!["--cache", cache.to_str().unwrap()],
        vec!["--cache", cache.to_str().unwrap()],
    ] {
        let out = modelvet(d.path()).args(["scan", "m", "--format", "json"]).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rules: Vec<&str> = v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["findings"].as_array().unwrap())
            .filter_map(|f| f["rule"].as_str())
            .collect();
        assert_eq!(rules, vec!["LIC001"], "{args:?}: {v:#}");
        // Compare what the scan found, not how long it took or the cache's hashes.
        v.as_object_mut().unwrap().remove("elapsed_ms");
        for t in v["targets"].as_array_mut().unwrap() {
            t.as_object_mut().unwrap().remove("duration_ms");
            t.as_object_mut().unwrap().remove("sha256");
        }
        reports.push(v);
    }
    assert!(reports.windows(2).all(|w| w[0] == w[1]), "{reports:#?}");
}

#[test]
fn missing_licences_never_block_by_default_and_loose_files_need_asking() {
    // An empty but valid GGUF v3 file: no tensors, no metadata.
    let gguf = "GGUF\u{3}\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    let d = repo(&[("repo/config.json", "{}"), ("loose/a.gguf", gguf)]);
    let out = modelvet(d.path()).args(["scan", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("LIC003") && text.contains("[policy: warn]"), "{text}");
    assert!(!text.contains("a.gguf (model"), "{text}");
    let out = modelvet(d.path()).args(["scan", "repo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    std::fs::write(d.path().join("modelvet.toml"), "[licences]\ncheck-loose-files = true\ndeny = [\"missing\"]\n")
        .unwrap();
    let out = modelvet(d.path()).args(["scan", "repo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = modelvet(d.path()).args(["policy", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(d.path().join("modelvet.toml"), "[licences]\ndeny = [\"missing\", 3]\nreview = [\"missing\"]\n")
        .unwrap();
    let out = modelvet(d.path()).args(["policy", "check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("modelvet.toml:2:20") && err.contains("modelvet.toml:3:11"), "{err}");
}
