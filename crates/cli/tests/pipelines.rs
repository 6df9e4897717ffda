//! The pipeline definitions at the repository root (`action.yml`,
//! `.pre-commit-hooks.yaml`) keep the shape docs/ci.md documents.
//!
//! The real pre-commit runs the hooks in `precommit.rs`; here the files are
//! parsed with a YAML parser and their structure is checked, plus `bash -n` on
//! every shell script of the action.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn load(rel: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: not YAML: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one YAML document");
    docs.remove(0)
}

fn str_at<'a>(y: &'a Yaml, key: &str, what: &str) -> &'a str {
    y[key].as_str().unwrap_or_else(|| panic!("{what}: `{key}` must be a string, got {:?}", y[key]))
}

fn keys(y: &Yaml) -> BTreeSet<String> {
    y.as_hash().map(|h| h.keys().filter_map(|k| k.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

// ---------------------------------------------------------------- pre-commit

fn hooks() -> Vec<Yaml> {
    load(".pre-commit-hooks.yaml").into_vec().expect(".pre-commit-hooks.yaml is a list of hooks")
}

fn hook(id: &str) -> Yaml {
    hooks().into_iter().find(|h| h["id"].as_str() == Some(id)).unwrap_or_else(|| panic!("no hook {id}"))
}

/// pre-commit matches `files` with Python's `re.search`; the pattern only uses
/// syntax that Python and the regex crate read the same way (`(?ix)`, groups,
/// alternation, anchors, escapes), so `is_match` gives pre-commit's answer.
fn files_regex(h: &Yaml) -> Regex {
    Regex::new(str_at(h, "files", "hook")).expect("files is a valid regex")
}

#[test]
fn hooks_are_declared_as_documented() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks.iter().map(|h| str_at(h, "id", "hook")).collect();
    assert_eq!(ids, ["modelvet", "modelvet-system"]);
    let allowed: BTreeSet<&str> = [
        "id",
        "name",
        "description",
        "entry",
        "language",
        "files",
        "exclude",
        "types",
        "types_or",
        "exclude_types",
        "always_run",
        "fail_fast",
        "verbose",
        "pass_filenames",
        "require_serial",
        "language_version",
        "minimum_pre_commit_version",
        "args",
        "stages",
    ]
    .into();
    for h in &hooks {
        let id = str_at(h, "id", "hook");
        for k in keys(h) {
            assert!(allowed.contains(k.as_str()), "hook {id}: unknown key {k}");
        }
        assert!(!str_at(h, "name", id).is_empty());
        assert_eq!(h["pass_filenames"].as_bool(), Some(true), "{id}: pass_filenames");
        assert_eq!(h["require_serial"].as_bool(), Some(false), "{id}: require_serial");
        assert!(h["always_run"].is_badvalue(), "{id}: runs only when model files are staged");
    }
    let rust = hook("modelvet");
    assert_eq!(str_at(&rust, "language", "modelvet"), "rust");
    assert_eq!(str_at(&rust, "entry", "modelvet"), "modelvet-hook scan");
    let system = hook("modelvet-system");
    assert_eq!(str_at(&system, "language", "modelvet-system"), "system");
    assert_eq!(str_at(&system, "entry", "modelvet-system"), "modelvet scan");
    assert_eq!(rust["files"], system["files"], "both hooks take the same files");
}

#[test]
fn hook_files_pattern_takes_model_files_only() {
    let re = files_regex(&hook("modelvet-system"));
    for yes in [
        "model.safetensors",
        "pytorch_model.bin",
        "x.PT",
        "models/resnet.pth",
        "ckpt/last.ckpt",
        "clf.pkl",
        "data.pickle",
        "pipe.joblib",
        "f.dill",
        "arr.npy",
        "arrs.NPZ",
        "llama.Q4_K_M.gguf",
        "old.ggml",
        "net.onnx",
        "m.keras",
        "weights.h5",
        "weights.hdf5",
        "saved_model/saved_model.pb",
        "flax_model.msgpack",
        "handler.mar",
        "bundle.zip",
        "bundle.tar",
        "bundle.tar.gz",
        "bundle.tgz",
        "m.pkl.bz2",
        "m.pkl.xz",
        "m.zst",
        "m.lz4",
        "m.7z",
        "config.json",
        "org/model/config.json",
        "tokenizer_config.json",
        "preprocessor_config.json",
        "model_index.json",
        "chat_template.jinja",
        "chat_template.json",
    ] {
        assert!(re.is_match(yes), "files should match {yes}");
    }
    for no in [
        "setup.py",
        "train.py",
        "modeling_evil.py",
        "README.md",
        "package.json",
        "tsconfig.json",
        "myconfig.json.txt",
        "src/bin/main.rs",
        "binary.txt",
        "docs/pt.md",
        "Cargo.toml",
        "notes.ptx",
    ] {
        assert!(!re.is_match(no), "files should not match {no}");
    }
}

/// The `language: rust` hook builds the root package, which compiles the CLI's
/// sources; its dependencies must stay those of crates/cli.
#[test]
fn root_hook_package_mirrors_the_cli_dependencies() {
    fn deps(manifest: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut inside = false;
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                inside = line == "[dependencies]";
            } else if inside && !line.is_empty() && !line.starts_with('#') {
                out.insert(line.to_string());
            }
        }
        out
    }
    let root_manifest = read("Cargo.toml");
    assert!(root_manifest.contains("name = \"modelvet-hook\""));
    assert!(root_manifest.contains("path = \"crates/cli/src/main.rs\""));
    assert_eq!(deps(&root_manifest), deps(&read("crates/cli/Cargo.toml")), "root [dependencies] = crates/cli's");
}

// ------------------------------------------------------------------- action

/// Every `${{ ... }}` expression in the file.
fn expressions(text: &str) -> Vec<String> {
    Regex::new(r"\$\{\{(.*?)\}\}").unwrap().captures_iter(text).map(|c| c[1].trim().to_string()).collect()
}

#[test]
fn action_metadata_has_the_documented_shape() {
    let text = read("action.yml");
    let action = load("action.yml");
    for k in ["name", "description"] {
        assert!(!str_at(&action, k, "action.yml").is_empty());
    }
    assert_eq!(str_at(&action["runs"], "using", "runs"), "composite");

    let inputs = keys(&action["inputs"]);
    let want: BTreeSet<String> =
        ["paths", "fail-on", "policy", "sarif", "upload-sarif", "install", "args"].map(String::from).into();
    assert_eq!(inputs, want);
    for name in &inputs {
        let input = &action["inputs"][name.as_str()];
        assert!(!str_at(input, "description", name).is_empty());
        assert!(input["default"].as_str().is_some(), "input {name}: default must be a string");
    }
    assert_eq!(action["inputs"]["paths"]["default"].as_str(), Some("."));
    assert_eq!(action["inputs"]["fail-on"]["default"].as_str(), Some(""));
    assert_eq!(action["inputs"]["sarif"]["default"].as_str(), Some("modelvet.sarif"));
    assert_eq!(action["inputs"]["upload-sarif"]["default"].as_str(), Some("true"));

    // Every `inputs.X` and `steps.ID` used in an expression exists.
    let steps = action["runs"]["steps"].as_vec().expect("runs.steps is a list");
    let ids: BTreeSet<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
    let input_ref = Regex::new(r"\binputs\.([A-Za-z0-9_-]+)").unwrap();
    let step_ref = Regex::new(r"\bsteps\.([A-Za-z0-9_-]+)\.").unwrap();
    let exprs = expressions(&text);
    let conditions: Vec<String> = steps.iter().filter_map(|s| s["if"].as_str().map(String::from)).collect();
    for e in exprs.iter().chain(&conditions) {
        for c in input_ref.captures_iter(e) {
            assert!(inputs.contains(&c[1]), "`{e}` uses undeclared input {}", &c[1]);
        }
        for c in step_ref.captures_iter(e) {
            assert!(ids.contains(&c[1]), "`{e}` uses unknown step id {}", &c[1]);
        }
    }
    // Inputs reach scripts through `env:` only (no `${{ }}` inside `run:`,
    // which would let an input inject shell code).
    for s in steps {
        if let Some(run) = s["run"].as_str() {
            assert!(!run.contains("${{"), "step {:?}: expression inside run:", s["name"]);
            assert_eq!(s["shell"].as_str(), Some("bash"), "step {:?}: composite run steps need shell", s["name"]);
        }
    }

    let outputs = keys(&action["outputs"]);
    assert_eq!(outputs, ["exit-code", "sarif"].map(String::from).into());
    for o in &outputs {
        let value = str_at(&action["outputs"][o.as_str()], "value", o);
        assert!(value.starts_with("${{ steps.scan.outputs."), "output {o}: {value}");
    }

    let scan = steps.iter().find(|s| s["id"].as_str() == Some("scan")).expect("scan step");
    let run = str_at(scan, "run", "scan");
    for needle in [
        "cmd=(\"$MV_BIN\" scan)",
        "--output \"sarif=$MV_SARIF\"",
        "--output \"markdown=$GITHUB_STEP_SUMMARY\"",
        "--policy \"$MV_POLICY\"",
        "--fail-on \"$MV_FAIL_ON\"",
        "echo \"exit-code=$code\" >> \"$GITHUB_OUTPUT\"",
    ] {
        assert!(run.contains(needle), "scan step lacks {needle}");
    }

    let upload = steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@")))
        .expect("an upload-sarif step");
    assert_eq!(upload["uses"].as_str(), Some("github/codeql-action/upload-sarif@v3"));
    assert_eq!(upload["with"]["category"].as_str(), Some("modelvet"));
    let cond = str_at(upload, "if", "upload");
    assert!(cond.contains("always()") && cond.contains("inputs.upload-sarif == 'true'"), "{cond}");

    let build = steps.iter().find(|s| s["name"].as_str() == Some("Build modelvet")).expect("build step");
    assert!(str_at(build, "run", "build").contains("cargo install --locked --path \"$GITHUB_ACTION_PATH/crates/cli\""));
    let cache = steps.iter().find(|s| s["id"].as_str() == Some("cache")).expect("cache step");
    assert!(str_at(cache, "uses", "cache").starts_with("actions/cache@"));

    // The last step turns the recorded exit code into the step's result.
    let last = steps.last().unwrap();
    assert!(str_at(last, "if", "last").contains("always()"));
    assert!(str_at(last, "run", "last").contains("exit \"$MV_CODE\""));
}

/// Each `run:` script of the action is valid bash.
#[test]
fn action_scripts_parse_with_bash() {
    let action = load("action.yml");
    let Ok(bash) = which("bash") else {
        eprintln!("bash not found; skipping");
        return;
    };
    for s in action["runs"]["steps"].as_vec().unwrap() {
        let Some(run) = s["run"].as_str() else { continue };
        let out = std::process::Command::new(&bash).args(["-n", "-c", run]).output().expect("run bash -n");
        assert!(out.status.success(), "step {:?}: bash -n: {}", s["name"], String::from_utf8_lossy(&out.stderr));
    }
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|c| c.is_file()))
        .ok_or(())
}

/// docs/ci.md shows the action's inputs and both hooks by their real names.
#[test]
fn ci_docs_name_the_real_inputs_and_hooks() {
    let doc = read("docs/ci.md");
    let action = load("action.yml");
    for name in keys(&action["inputs"]) {
        assert!(doc.contains(&format!("`{name}`")), "docs/ci.md does not document input `{name}`");
    }
    for id in ["modelvet", "modelvet-system"] {
        assert!(doc.contains(&format!("id: {id}\n")), "docs/ci.md lacks a config snippet for hook {id}");
    }
    assert!(doc.contains("security-events: write"));
}

/// The action's scan and result scripts, run with bash against the built
/// binary the way the runner would (inputs arrive as `MV_*` variables).
/// The SARIF report and the job summary are written as the runner would see them.
#[test]
fn action_scan_step_records_the_exit_code() {
    let Ok(bash) = which("bash") else {
        eprintln!("bash not found; skipping");
        return;
    };
    let action = load("action.yml");
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let script = |id: &str| {
        let s = steps.iter().find(|s| s["id"].as_str() == Some(id) || s["name"].as_str() == Some(id)).unwrap();
        str_at(s, "run", id).to_string()
    };
    let (scan, result) = (script("scan"), script("Result"));

    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("clean");
    std::fs::create_dir_all(&clean).unwrap();
    std::fs::create_dir_all(tmp.path().join("models dir")).unwrap();
    std::fs::copy(root().join("examples/models/clean_state_dict.pt"), clean.join("clean.pt")).unwrap();
    let hex: String = read("examples/models/evil_checkpoint.pt.hex").split_whitespace().collect::<Vec<_>>().concat();
    let evil = tmp.path().join("evil.pt");
    std::fs::write(&evil, hex::decode(hex).unwrap()).unwrap();

    let run = |paths: &str, fail_on: &str| {
        let output_file = tmp.path().join("github_output");
        std::fs::write(&output_file, "").unwrap();
        let out = std::process::Command::new(&bash)
            .args(["-c", &scan])
            .current_dir(tmp.path())
            .env("MV_BIN", env!("CARGO_BIN_EXE_modelvet"))
            .env("MV_PATHS", paths)
            .env("MV_FAIL_ON", fail_on)
            .env("MV_POLICY", "")
            .env("MV_SARIF", "reports/modelvet.sarif")
            .env("MV_ARGS", "--jobs 1")
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", tmp.path().join("summary.md"))
            .output()
            .unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "the scan step itself succeeds:\n{log}");
        let recorded = std::fs::read_to_string(&output_file).unwrap();
        let code = recorded.lines().find_map(|l| l.strip_prefix("exit-code=")).expect("exit-code output").to_string();
        if code != "2" {
            assert!(recorded.contains("sarif=reports/modelvet.sarif"), "{recorded}");
        }
        (code, log)
    };
    let result_exit = |code: &str| {
        std::process::Command::new(&bash).args(["-c", &result]).env("MV_CODE", code).output().unwrap().status.code()
    };

    let (code, log) = run("evil.pt\nclean", "");
    assert_eq!(code, "1", "{log}");
    assert!(log.contains("PKL001") && log.contains("clean.pt"), "both paths scanned:\n{log}");
    assert_eq!(result_exit(&code), Some(1));
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("reports/modelvet.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "PKL001");
    let summary = std::fs::read_to_string(tmp.path().join("summary.md")).unwrap();
    assert!(summary.starts_with("## 🛑 modelvet blocked") && summary.contains("`evil.pt`"), "{summary}");

    // Splitting is on whitespace: quote-free paths only; a folder with a space is two paths.
    let (code, log) = run("models dir", "critical");
    assert_eq!(code, "2", "`models` and `dir` do not exist:\n{log}");
    assert_eq!(result_exit(&code), Some(2));

    let (code, log) = run("  clean\n", "critical");
    assert_eq!(code, "0", "{log}");
    assert_eq!(result_exit(&code), Some(0));
}

/// `action-validator` (npm `@action-validator/cli`: the SchemaStore GitHub
/// Action schema plus glob checks) accepts action.yml and rejects a broken
/// copy. `.ci/run` installs it and sets `MODELVET_ACTION_VALIDATOR` and
/// `MODELVET_REQUIRE_ACTION_VALIDATOR=1`; elsewhere the test is skipped with a
/// notice unless required.
#[test]
fn action_yml_passes_action_validator() {
    let tool = std::env::var_os("MODELVET_ACTION_VALIDATOR").map(PathBuf::from).filter(|t| t.is_file());
    let Some(tool) = tool else {
        assert!(
            std::env::var_os("MODELVET_REQUIRE_ACTION_VALIDATOR").is_none(),
            "MODELVET_REQUIRE_ACTION_VALIDATOR is set but MODELVET_ACTION_VALIDATOR does not name the action-validator binary"
        );
        eprintln!("skipped: set MODELVET_ACTION_VALIDATOR to action-validator (npm @action-validator/cli)");
        return;
    };
    let run = |path: &std::path::Path| {
        let out = std::process::Command::new(&tool).arg(path).output().unwrap();
        (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let (code, log) = run(&root().join("action.yml"));
    assert_eq!(code, Some(0), "action.yml:\n{log}");
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("action.yml");
    std::fs::write(&broken, read("action.yml").replace("  using: composite", "  using: composit")).unwrap();
    let (code, log) = run(&broken);
    assert_ne!(code, Some(0), "a broken action passed:\n{log}");
}
