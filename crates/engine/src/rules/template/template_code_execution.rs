//! ## What it does
//! Parses chat templates (GGUF `tokenizer.chat_template[.<name>]`, Hugging Face
//! `chat_template` fields and `chat_template.jinja`) with a Jinja parser,
//! never rendering them, and reports attribute chains that reach Python
//! globals or code execution: `__globals__`, `__builtins__`, `__import__`,
//! frames and loaders, or dunder traversal combined with `os`, `popen`,
//! `system`, `eval`, `exec`, `subprocess`; also when the names are built from
//! string pieces (`'__glo' ~ 'bals__'`, `'%c'|format(95)`, `join`, escapes),
//! reached through the `attr` filter or `str.format` fields, or hidden in a
//! branch ordinary chats never take.
//!
//! ## Why is this bad?
//! Tools render chat templates with Jinja on every request. With an
//! unsandboxed environment (llama-cpp-python before 0.2.72, several serving
//! stacks) such a template runs shell commands on the machine that loads the
//! model: server-side template injection. Real chat templates only format
//! messages.
//!
//! ## Example
//! ```text
//! {{ cycler.__init__.__globals__.os.popen('id').read() }}
//! ```
//!
//! ## References
//! - CVE-2024-34359 (llama-cpp-python, GHSA-56xg-wfcc-g829)
//! - Jinja sandbox escapes via `__globals__` of template globals
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TPL001",
    name: "template-code-execution",
    severity: Severity::Critical,
    summary: "a chat template reaches Python globals, builtins or process execution (template injection)",
    path: "template/template_code_execution",
};
