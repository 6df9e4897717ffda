//! `modelvet bom` end to end: real model folders in, CycloneDX out, checked
//! field by field and validated by the real CycloneDX validator
//! (cyclonedx-python-lib's strict JSON validator) and by the official JSON
//! Schemas that package ships, through the Rust `jsonschema` crate.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

mod common;

use assert_cmd::Command;
use common::{fixture, repo_root};
use serde_json::Value;
use sha2::{Digest, Sha256};

const REV: &str = "0123456789abcdef0123456789abcdef01234567";

/// A temporary folder of models (with a `.git`, so no policy above it applies).
struct Models(tempfile::TempDir);

impl Models {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        Models(dir)
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn put(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    }
    /// Copies a folder of `fixtures/` (decoding `.hex` files) to `name`.
    fn copy(&self, rel: &str, name: &str) {
        for e in std::fs::read_dir(repo_root().join("fixtures").join(rel)).unwrap().flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            self.put(&format!("{name}/{}", f.trim_end_matches(".hex")), &fixture(&format!("{rel}/{f}")));
        }
    }
    fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
        let mut c = Command::cargo_bin("modelvet").unwrap();
        c.current_dir(self.path()).args(args).env_remove("SOURCE_DATE_EPOCH");
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
    /// `modelvet bom ARGS`: exit code and the validated document.
    fn bom(&self, args: &[&str]) -> (i32, Value) {
        let mut a = vec!["bom"];
        a.extend_from_slice(args);
        let (code, out, err) = self.run(&a, &[]);
        assert!(code == 0 || code == 1, "exit {code}: {err}");
        let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
        validate(&doc);
        (code, doc)
    }
}

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The models the BOM describes (not base-model stand-ins): those with a verdict.
fn models(doc: &Value) -> Vec<&Value> {
    let top = doc["metadata"].get("component").into_iter();
    top.chain(doc["components"].as_array().into_iter().flatten())
        .filter(|c| !prop(c, "modelvet:verdict").is_empty())
        .collect()
}

fn prop<'a>(c: &'a Value, name: &str) -> Vec<&'a str> {
    c["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == name)
        .map(|p| p["value"].as_str().unwrap())
        .collect()
}

fn depends_on<'a>(doc: &'a Value, r: &str) -> Vec<&'a str> {
    doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == r)
        .unwrap_or_else(|| panic!("no dependency entry for {r}"))["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

// ---------------------------------------------------------------- validation

/// Skips with a printed reason when `var` is unset, unless `MODELVET_REQUIRE_CYCLONEDX` is set.
fn env_path(var: &str) -> Option<PathBuf> {
    let p = std::env::var_os(var).map(PathBuf::from).filter(|p| p.exists());
    if p.is_none() {
        assert!(
            std::env::var_os("MODELVET_REQUIRE_CYCLONEDX").is_none(),
            "MODELVET_REQUIRE_CYCLONEDX is set but {var} does not name an existing path"
        );
        eprintln!(
            "skipped: CycloneDX validation with {var}; install cyclonedx-python-lib[validation] in a virtualenv \
             (.ci/run does: MODELVET_CYCLONEDX_PYTHON is its python, MODELVET_CYCLONEDX_SCHEMAS its \
             cyclonedx/schema/_res folder)"
        );
    }
    p
}

/// cyclonedx-python-lib's strict JSON validator, run on the document.
fn validate_python(doc: &Value, spec: &str) {
    let Some(python) = env_path("MODELVET_CYCLONEDX_PYTHON") else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    std::fs::write(&file, serde_json::to_vec(doc).unwrap()).unwrap();
    let script = "import sys\n\
        from cyclonedx.schema import SchemaVersion\n\
        from cyclonedx.validation.json import JsonStrictValidator\n\
        v = SchemaVersion.from_version(sys.argv[1])\n\
        err = JsonStrictValidator(v).validate_str(open(sys.argv[2], encoding='utf-8').read())\n\
        print('valid' if err is None else err)\n\
        sys.exit(0 if err is None else 1)\n";
    let out = Process::new(python).arg("-c").arg(script).arg(spec).arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.trim() == "valid", "cyclonedx-python-lib rejects the BOM: {text}");
}

/// The official schemas from the installed package, resolved locally (no network).
struct LocalSchemas(PathBuf);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.as_str().rsplit('/').next().unwrap_or("");
        let name =
            if name.contains(".SNAPSHOT.") { name.to_string() } else { name.replace(".schema.", ".SNAPSHOT.schema.") };
        let text = std::fs::read(self.0.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        Ok(serde_json::from_slice(&text)?)
    }
}

fn validate_schema(doc: &Value, spec: &str) {
    let Some(dir) = env_path("MODELVET_CYCLONEDX_SCHEMAS") else { return };
    let schema: Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("bom-{spec}.SNAPSHOT.schema.json"))).unwrap()).unwrap();
    let v =
        jsonschema::options().with_retriever(LocalSchemas(dir)).build(&schema).expect("the official schema compiles");
    let errors: Vec<String> = v.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "does not match the CycloneDX {spec} schema: {errors:#?}");
}

fn validate(doc: &Value) {
    let spec = doc["specVersion"].as_str().unwrap();
    validate_schema(doc, spec);
    validate_python(doc, spec);
}

/// The validators are real: they reject what the specification forbids.
#[test]
fn validators_reject_invalid_boms() {
    let m = Models::new();
    m.copy("bom/tiny-model", "tiny-model");
    let (_, good) = m.bom(&["tiny-model"]);
    for (path, bad) in [
        ("/metadata/component/type", Value::from("model")),
        ("/metadata/component/components/0/hashes/0/alg", Value::from("sha256")),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(path).unwrap() = bad;
        if let Some(dir) = std::env::var_os("MODELVET_CYCLONEDX_SCHEMAS") {
            let r = std::panic::catch_unwind(|| validate_schema(&doc, "1.6"));
            assert!(r.is_err(), "schema accepted {path} (from {})", PathBuf::from(dir).display());
        }
        if std::env::var_os("MODELVET_CYCLONEDX_PYTHON").is_some() {
            let r = std::panic::catch_unwind(|| validate_python(&doc, "1.6"));
            assert!(r.is_err(), "cyclonedx-python-lib accepted {path}");
        }
    }
}

// ---------------------------------------------------------------- behaviour

#[test]
fn a_model_folder_is_one_model_with_every_file_hashed() {
    let m = Models::new();
    m.copy("bom/tiny-model", "tiny-model");
    let (code, doc) = m.bom(&["tiny-model"]);
    assert_eq!(code, 0);
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.6");
    let c = &doc["metadata"]["component"];
    assert_eq!(c["type"], "machine-learning-model");
    // The card's `model_name` names it.
    assert_eq!(c["purl"], "pkg:huggingface/modelvet-fixtures/tiny-model");
    assert_eq!(c["group"], "modelvet-fixtures");
    assert_eq!(c["name"], "tiny-model");
    let files = c["components"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["README.md", "config.json", "model.safetensors"]);
    for f in files {
        let want = sha256(&fixture(&format!("bom/tiny-model/{}", f["name"].as_str().unwrap())));
        assert_eq!(f["type"], "file");
        assert_eq!(f["hashes"], serde_json::json!([{"alg": "SHA-256", "content": want}]));
    }
    assert_eq!(prop(&files[2], "modelvet:format"), ["safetensors"]);
    let mp = &c["modelCard"]["modelParameters"];
    assert_eq!(mp["modelArchitecture"], "BertForSequenceClassification");
    assert_eq!(mp["architectureFamily"], "bert");
    assert_eq!(mp["task"], "text-classification");
    assert_eq!(prop(c, "modelvet:verdict"), ["pass"]);
    assert_eq!(prop(c, "modelvet:origin-source"), ["card-model-name"]);
    assert_eq!(prop(c, "modelvet:library"), ["transformers"]);
    assert_eq!(prop(c, "modelvet:base-model:finetune"), ["google-bert/bert-base-uncased"]);
    assert!(doc.get("vulnerabilities").is_none());
    // Card: licence, dataset, evaluation result, base model.
    assert_eq!(c["licenses"], serde_json::json!([{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]));
    assert_eq!(mp["datasets"], serde_json::json!([{"ref": "dataset/stanfordnlp/imdb"}]));
    assert_eq!(
        c["modelCard"]["quantitativeAnalysis"]["performanceMetrics"],
        serde_json::json!([{"type": "accuracy", "value": "0.5", "slice": "text-classification on stanfordnlp/imdb"}])
    );
    let comps = doc["components"].as_array().unwrap();
    let data = comps.iter().find(|x| x["type"] == "data").unwrap();
    assert_eq!(data["data"][0]["contents"]["url"], "https://huggingface.co/datasets/stanfordnlp/imdb");
    let base = comps.iter().find(|x| x["type"] == "machine-learning-model").unwrap();
    assert_eq!(base["purl"], "pkg:huggingface/google-bert/bert-base-uncased");
    assert_eq!(
        depends_on(&doc, c["bom-ref"].as_str().unwrap()),
        ["pkg:huggingface/google-bert/bert-base-uncased", "dataset/stanfordnlp/imdb"]
    );
    assert!(doc["serialNumber"].as_str().unwrap().starts_with("urn:uuid:"));
}

#[test]
fn hf_cache_layout_gives_the_purl_with_its_revision() {
    let m = Models::new();
    let snap = format!("hub/models--modelvet-fixtures--tiny-model/snapshots/{REV}");
    m.copy("bom/tiny-model", &snap);
    // blobs/ holds what the snapshot links point to; refs/main names the revision.
    m.put("hub/models--modelvet-fixtures--tiny-model/blobs/0a1b", b"{}");
    m.put("hub/models--modelvet-fixtures--tiny-model/refs/main", REV.as_bytes());
    let (_, doc) = m.bom(&["hub"]);
    let c = &doc["metadata"]["component"];
    assert_eq!(c["purl"], format!("pkg:huggingface/modelvet-fixtures/tiny-model@{REV}"));
    assert_eq!(c["version"], REV);
    assert_eq!(c["bom-ref"], c["purl"]);
    assert_eq!(prop(c, "modelvet:origin-source"), ["hf-cache-layout"]);
    assert_eq!(c["components"].as_array().unwrap().len(), 3, "blobs/ and refs/ are not model files");
    assert_eq!(
        c["externalReferences"][1],
        serde_json::json!({"type": "model-card", "url": format!("https://huggingface.co/modelvet-fixtures/tiny-model/blob/{REV}/README.md")})
    );
}

#[test]
fn name_flag_sets_the_origin_of_one_model_only() {
    let m = Models::new();
    m.copy("bom/tiny-model", "tiny-model");
    let (_, doc) = m.bom(&["--name", "acme/classifier@main", "tiny-model"]);
    assert_eq!(doc["metadata"]["component"]["purl"], "pkg:huggingface/acme/classifier@main");
    m.copy("bom/tiny-adapter", "tiny-adapter");
    let (code, _, err) = m.run(&["bom", "--name", "acme/classifier", "tiny-model", "tiny-adapter"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("2 models"), "{err}");
    let (code, _, err) = m.run(&["bom", "--name", "../etc/passwd", "tiny-model"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not a Hugging Face repository id"), "{err}");
}

#[test]
fn adapters_depend_on_their_base_in_the_same_bom() {
    let m = Models::new();
    m.copy("bom/tiny-model", "models/tiny-model");
    m.copy("bom/tiny-adapter", "models/tiny-adapter");
    let (_, doc) = m.bom(&["models"]);
    assert!(doc["metadata"].get("component").is_none());
    let comps = doc["components"].as_array().unwrap();
    let adapter = comps.iter().find(|c| c["name"] == "tiny-adapter").unwrap();
    let base = comps.iter().find(|c| c["name"] == "tiny-model" && c.get("components").is_some()).unwrap();
    assert_eq!(prop(adapter, "modelvet:peft-type"), ["LORA"]);
    assert_eq!(prop(adapter, "modelvet:base-model:adapter-of"), ["modelvet-fixtures/tiny-model"]);
    // The adapter's `base_model_name_or_path` is the other model of the BOM: an edge to it, no stand-in.
    let aref = adapter["bom-ref"].as_str().unwrap();
    assert_eq!(depends_on(&doc, aref), [base["bom-ref"].as_str().unwrap()]);
    assert_eq!(models(&doc).len(), 2);
    // The adapter's card names the same base: one edge, not two.
    assert_eq!(prop(adapter, "modelvet:base-model:adapter-of").len(), 1);
    assert!(prop(adapter, "modelvet:base-model:adapter").is_empty());
    let licence = &adapter["licenses"][0]["license"];
    assert_eq!(
        (licence["name"].as_str(), licence["url"].as_str()),
        (Some("tiny-adapter-licence"), Some("https://example.com/tiny-adapter/LICENSE"))
    );
}

#[test]
fn an_external_base_model_is_a_component_with_its_purl() {
    let m = Models::new();
    m.copy("bom/tiny-adapter", "tiny-adapter");
    let (_, doc) = m.bom(&["tiny-adapter"]);
    let model = &doc["metadata"]["component"];
    let base = doc["components"].as_array().unwrap().iter().find(|c| c["type"] == "machine-learning-model").unwrap();
    assert_eq!(base["purl"], "pkg:huggingface/modelvet-fixtures/tiny-model");
    assert_eq!(depends_on(&doc, model["bom-ref"].as_str().unwrap()), [base["bom-ref"].as_str().unwrap()]);
    assert!(depends_on(&doc, base["bom-ref"].as_str().unwrap()).is_empty());
    // Its own `_name_or_path`-less folder has no origin: named after the folder, no purl.
    assert_eq!(model["name"], "tiny-adapter");
    assert!(model.get("purl").is_none());
}

#[test]
fn a_malicious_pickle_is_a_blocked_model_with_vulnerabilities() {
    let m = Models::new();
    m.put("evil.pkl", &fixture("malicious/pickle/getattr_import_os_system.pkl.hex"));
    m.put("notes.txt", b"not a model");
    let (code, doc) = m.bom(&["."]);
    assert_eq!(code, 1, "a blocking finding exits 1, with the BOM written");
    let c = &doc["metadata"]["component"];
    assert_eq!(c["name"], "evil.pkl");
    assert_eq!(c["hashes"][0]["content"], sha256(&fixture("malicious/pickle/getattr_import_os_system.pkl.hex")));
    assert_eq!(prop(c, "modelvet:verdict"), ["blocked"]);
    assert_ne!(prop(c, "modelvet:findings:critical"), ["0"]);
    assert_eq!(prop(&doc["metadata"], "modelvet:files-outside-models"), ["1"]);
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let v = vulns.iter().find(|v| v["id"] == "PKL001").expect("a PKL001 vulnerability");
    assert_eq!(v["source"]["url"], "https://github.com/modelvet/modelvet/blob/main/docs/rules/PKL001.md");
    assert_eq!(v["ratings"][0]["severity"], "critical");
    assert_eq!(v["affects"][0]["ref"], c["bom-ref"]);
    assert!(v["detail"].as_str().unwrap().contains("os.system"), "{v}");
    assert_eq!(prop(v, "modelvet:blocks"), ["true"]);
}

#[test]
fn a_gguf_file_is_a_loose_model_with_its_architecture() {
    let m = Models::new();
    m.put("llm.gguf", &fixture("benign/gguf/chatml_template.gguf"));
    let (code, doc) = m.bom(&["llm.gguf", "--spec-version", "1.7"]);
    assert_eq!(code, 0);
    assert_eq!(doc["specVersion"], "1.7");
    let c = &doc["metadata"]["component"];
    assert_eq!(c["name"], "llm.gguf");
    assert_eq!(c["hashes"][0]["content"], sha256(&fixture("benign/gguf/chatml_template.gguf")));
    assert!(c["modelCard"]["modelParameters"]["architectureFamily"].is_string(), "{c}");
}

#[test]
fn source_date_epoch_makes_the_bom_reproducible() {
    let m = Models::new();
    m.copy("bom/tiny-model", "tiny-model");
    let env = [("SOURCE_DATE_EPOCH", "1767225600")];
    let (_, a, _) = m.run(&["bom", "tiny-model"], &env);
    let (_, b, _) = m.run(&["bom", "tiny-model"], &env);
    assert_eq!(a, b);
    let doc: Value = serde_json::from_str(&a).unwrap();
    assert_eq!(doc["metadata"]["timestamp"], "2026-01-01T00:00:00Z");
    let (_, c, _) = m.run(&["bom", "tiny-model"], &[]);
    let c: Value = serde_json::from_str(&c).unwrap();
    assert_ne!(doc["serialNumber"], c["serialNumber"]);
}

#[test]
fn output_file_and_scan_format_cyclonedx() {
    let m = Models::new();
    m.copy("bom/tiny-model", "tiny-model");
    let (code, out, err) = m.run(&["bom", "-o", "out/bom.cdx.json", "tiny-model"], &[]);
    assert_eq!(code, 2, "a missing output folder is an operational error: {out}{err}");
    std::fs::create_dir(m.path().join("out")).unwrap();
    let (code, out, err) = m.run(&["bom", "-o", "out/bom.cdx.json", "tiny-model"], &[]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let doc: Value = serde_json::from_slice(&std::fs::read(m.path().join("out/bom.cdx.json")).unwrap()).unwrap();
    validate(&doc);
    let (code, out, err) = m.run(&["scan", "--format", "cyclonedx", "tiny-model"], &[]);
    assert_eq!(code, 0, "{err}");
    let scanned: Value = serde_json::from_str(&out).unwrap();
    validate(&scanned);
    assert_eq!(scanned["metadata"]["component"]["components"], doc["metadata"]["component"]["components"]);
    assert_eq!(models(&scanned).len(), 1);
}

#[test]
fn licences_come_from_the_licence_assessment() {
    let m = Models::new();
    for name in ["conflict", "nc-card", "llama-adapter", "llama3-repo", "missing"] {
        m.copy(&format!("licences/{name}"), &format!("models/{name}"));
    }
    let (_, doc) = m.bom(&["models", "--no-policy"]);
    let comps = doc["components"].as_array().unwrap();
    let get = |name: &str| comps.iter().find(|c| c["name"] == name && c.get("components").is_some()).unwrap();
    // The card says Apache-2.0; the LICENSE file is the Llama 3.1 licence: both are listed, and the
    // strictest decides the class and verdict.
    let conflict = get("conflict");
    let names: Vec<String> = conflict["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["license"]["id"].as_str().or(l["license"]["name"].as_str()).unwrap().to_string())
        .collect();
    assert_eq!(names, ["Apache-2.0", "llama3.1"]);
    assert_eq!(prop(conflict, "modelvet:licence:class"), ["llama"]);
    assert_eq!(prop(conflict, "modelvet:licence:verdict"), ["review"]);
    let nc = get("nc-card");
    assert_eq!(nc["licenses"][0]["license"]["id"], "CC-BY-NC-4.0");
    assert_eq!(prop(nc, "modelvet:licence:verdict"), ["deny"]);
    // An adapter declares nothing of its own: its base model's licence applies, said so.
    let adapter = get("llama-adapter");
    assert_eq!(prop(adapter, "modelvet:licence:class"), ["llama"]);
    assert_eq!(prop(adapter, "modelvet:licence:inherited").len(), 1, "{adapter}");
    assert!(prop(adapter, "modelvet:licence:inherited")[0].starts_with("llama3 (from "), "{adapter}");
    assert_eq!(prop(get("missing"), "modelvet:licence:class"), ["missing"]);
}

#[test]
fn the_signature_status_is_in_the_bom() {
    use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
    let m = Models::new();
    m.copy("bom/tiny-model", "signed");
    m.copy("bom/tiny-model", "unsigned");
    let k = p256::SecretKey::random(&mut rand_core::OsRng);
    m.put("keys/private.pem", k.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes());
    m.put("keys/public.pem", k.public_key().to_public_key_pem(LineEnding::LF).unwrap().as_bytes());
    m.put("modelvet.toml", b"[signing]\nkeys = [\"keys/public.pem\"]\n");
    let (code, _, err) = m.run(&["sign", "signed", "--key", "keys/private.pem"], &[]);
    assert_eq!(code, 0, "{err}");
    // Both copies carry the same card, so each is BOM'd alone (one model: `metadata.component`).
    let status = |dir: &str| -> Vec<String> {
        let (_, doc) = m.bom(&[dir]);
        prop(&doc["metadata"]["component"], "modelvet:signature").iter().map(|s| s.to_string()).collect()
    };
    assert_eq!(status("signed"), ["verified"]);
    assert_eq!(status("unsigned"), ["unsigned"]);
    // A changed file after signing: the BOM says the signature no longer holds.
    m.put("signed/config.json", b"{\"changed\": true}");
    let (_, doc) = m.bom(&["signed"]);
    let c = &doc["metadata"]["component"];
    assert_eq!(prop(c, "modelvet:signature"), ["invalid"]);
    assert!(prop(c, "modelvet:signature:detail")[0].contains("config.json"), "{c}");
    // Without trusted keys in the policy the signature is reported, not verified.
    let (_, doc) = m.bom(&["signed", "--no-policy"]);
    assert_eq!(prop(&doc["metadata"]["component"], "modelvet:signature"), ["unverified"]);
}
