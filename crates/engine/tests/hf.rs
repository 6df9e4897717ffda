//! Hugging Face repository files and Python remote code: each rule's code and
//! severity on positive and negative cases.

use modelvet_engine::{Options, Scanner, Severity, TargetReport};

fn scan(name: &str, data: &str) -> TargetReport {
    Scanner::new(Options::default()).scan_bytes(name, data.as_bytes())
}

fn findings(r: &TargetReport) -> Vec<(&'static str, Severity)> {
    r.findings.iter().map(|f| (f.rule.code, f.severity)).collect()
}

fn has(r: &TargetReport, code: &str, sev: Severity) -> bool {
    r.findings.iter().any(|f| f.rule.code == code && f.severity == sev)
}

#[test]
fn auto_map_local_module_is_medium() {
    let r = scan(
        "config.json",
        r#"{"model_type": "x", "auto_map": {"AutoModel": "modeling_x.M", "AutoConfig": "modeling_x.C"}}"#,
    );
    assert_eq!(r.format, "hf-config");
    assert_eq!(findings(&r), vec![("HFC001", Severity::Medium)]);
    assert!(r.findings[0].message.contains("modeling_x.py"));
    let r = scan("tokenizer_config.json", r#"{"auto_map": {"AutoTokenizer": ["tokenization_x.T", null]}}"#);
    assert_eq!(findings(&r), vec![("HFC001", Severity::Medium)]);
}

#[test]
fn auto_map_other_repository_is_high() {
    let r = scan("config.json", r#"{"auto_map": {"AutoModel": "org/repo--modeling_x.M"}}"#);
    assert_eq!(findings(&r), vec![("HFC002", Severity::High)]);
    assert!(r.findings[0].message.contains("org/repo"));
}

#[test]
fn model_index_custom_component_is_medium() {
    let r = scan(
        "model_index.json",
        r#"{"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.31.0",
            "unet": ["my_unet", "MyUNet"], "vae": ["diffusers", "AutoencoderKL"],
            "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"], "tokenizer": [null, null]}"#,
    );
    assert_eq!(findings(&r), vec![("HFC003", Severity::Medium)]);
    let r =
        scan("model_index.json", r#"{"_diffusers_version": "0.31.0", "unet": ["diffusers", "UNet2DConditionModel"]}"#);
    assert!(r.findings.is_empty());
}

#[test]
fn ordinary_json_has_no_findings() {
    for (name, text) in [
        ("config.json", r#"{"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 8}"#),
        ("model.safetensors.index.json", r#"{"metadata": {"total_size": 1}, "weight_map": {"a": "b.safetensors"}}"#),
        ("adapter_config.json", r#"{"peft_type": "LORA", "r": 8}"#),
        ("x.json", "[1, 2, 3]"),
        ("data", "\u{feff}  {\"a\": 1}"),
    ] {
        let r = scan(name, text);
        assert!(r.findings.is_empty(), "{name}: {:?}", findings(&r));
    }
}

#[test]
fn malformed_json_is_medium_only_for_json_files() {
    let r = scan("config.json", r#"{"auto_map": {"AutoModel": "modeling_x.M""#);
    assert_eq!(findings(&r), vec![("HFC004", Severity::Medium)]);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = scan("deep.json", &deep);
    assert_eq!(findings(&r), vec![("HFC004", Severity::Medium)]);
    // Not named .json: left to the other scanners.
    let r = scan("notes.txt", "{ not json");
    assert!(r.findings.iter().all(|f| f.rule.code != "HFC004"));
}

#[test]
fn chat_templates_in_json_and_jinja_are_checked() {
    let evil = "{{ cycler.__init__.__globals__.os.popen('true').read() }}";
    let json = serde_json::json!({"chat_template": evil}).to_string();
    let r = scan("tokenizer_config.json", &json);
    assert!(r.max_severity() >= Some(Severity::High), "{:?}", findings(&r));
    let json = serde_json::json!({"chat_template": [{"name": "default", "template": "{{ messages }}"}, {"name": "tool_use", "template": evil}]}).to_string();
    let r = scan("chat_template.json", &json);
    assert!(r.max_severity() >= Some(Severity::High), "{:?}", findings(&r));
    let r = scan("repo/chat_template.jinja", evil);
    assert!(r.max_severity() >= Some(Severity::High), "{:?}", findings(&r));
    let ok = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] }}{% endfor %}";
    let r = scan("repo/chat_template.jinja", ok);
    assert!(r.max_severity() < Some(Severity::Medium), "{:?}", findings(&r));
}

#[test]
fn python_rules_and_severities() {
    let cases: &[(&str, &str, Severity)] = &[
        ("import os\nos.system('true')\n", "PYT001", Severity::Critical),
        ("import os\ndef f():\n    os.popen('true')\n", "PYT001", Severity::High),
        ("def f(s):\n    eval(s)\n", "PYT002", Severity::Critical),
        ("import base64\nexec(base64.b64decode('dHJ1ZQ=='))\n", "PYT003", Severity::Critical),
        ("getattr(__import__('o'+'s'), 'sy'+'stem')('true')\n", "PYT004", Severity::Critical),
        ("import requests, pickle\npickle.loads(requests.get(u).content)\n", "PYT005", Severity::Critical),
        ("import pickle\ndef f(p):\n    pickle.load(open(p, 'rb'))\n", "PYT006", Severity::Medium),
        ("import ctypes\nctypes.CDLL('x')\n", "PYT007", Severity::High),
        ("import sys\nsys.modules['torch'] = None\n", "PYT008", Severity::High),
        ("open('/home/u/.bashrc', 'a')\n", "PYT009", Severity::Critical),
        ("import socket\nsocket.socket()\n", "PYT010", Severity::Critical),
        ("import threading\nthreading.Timer(5, f).start()\n", "PYT011", Severity::High),
        ("import urllib.request\ndef f(u):\n    urllib.request.urlretrieve(u, 'x')\n", "PYT012", Severity::Low),
        ("def f(:\n", "PYT013", Severity::Medium),
    ];
    for (src, code, sev) in cases {
        let r = scan("modeling_x.py", src);
        assert_eq!(r.format, "python");
        assert!(has(&r, code, *sev), "{src:?}: want {code} {sev:?}, got {:?}", findings(&r));
    }
}

#[test]
fn python_findings_carry_line_and_offset() {
    let r = scan("modeling_x.py", "import os\n\n\nos.system('true')\n");
    let f = &r.findings[0];
    assert!(f.message.starts_with("line 4, column 1:"), "{}", f.message);
    assert_eq!(f.location.offset, Some(12));
}

#[test]
fn ordinary_python_passes() {
    let src = "import math\nimport torch\nfrom torch import nn\nimport sys\n\n\
               class M(nn.Module):\n    def forward(self, x):\n        return torch.relu(x) * math.sqrt(2)\n\n\
               sys.modules[__name__] = M\nmodel = M()\nmodel.eval()\n";
    let r = scan("modeling_x.py", src);
    assert!(r.findings.is_empty(), "{:?}", findings(&r));
    // Only names ending in .py are Python; binary content is not.
    assert_ne!(scan("notes.txt", "import os\nos.system('x')\n").format, "python");
    assert_ne!(scan("x.py", "\u{0}\u{1}binary").format, "python");
}
