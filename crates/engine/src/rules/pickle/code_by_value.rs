//! ## What it does
//! Flags Python code serialized *by value* inside a pickle: code objects and
//! functions rebuilt by dill (`dill._dill._create_code`/`_create_function`),
//! cloudpickle (`_make_function`, `_builtin_type('CodeType')`),
//! `types.CodeType`/`types.FunctionType` or `marshal.loads`. The finding lists
//! the names and constants the bytecode refers to, decoded statically (the code
//! is never unmarshalled or run).
//!
//! Severity is **medium** for a function that is only rebuilt (a serialized
//! lambda, say), and **critical** when the pickle calls the rebuilt function
//! while loading, or when its bytecode refers to process, code-execution or
//! network names (`system`, `popen`, `exec`, `__import__`, `socket`, ...).
//!
//! ## Why is this bad?
//! Bytecode can do anything. Even when it is not called at load time, it runs as
//! soon as the model calls it (a tokenizer hook, a loss function).
//!
//! ## Example
//! ```text
//! dill._dill._create_function(dill._dill._create_code(..., names=('os', 'system'), consts=('echo pwned',)), ...)
//! ```
//!
//! ## References
//! - Trail of Bits, "Never a dill moment: Exploiting machine learning pickle files" (2021)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL004",
    name: "code-by-value",
    severity: Severity::Medium,
    summary: "the file carries Python bytecode that runs when the object is used (or, if critical, while loading)",
    path: "pickle/code_by_value",
};

/// Names whose presence in serialized bytecode makes it dangerous.
const DANGEROUS_NAMES: &[&str] = &[
    "system",
    "popen",
    "Popen",
    "spawn",
    "spawnv",
    "spawnl",
    "execv",
    "execve",
    "execvp",
    "fork",
    "exec",
    "eval",
    "compile",
    "__import__",
    "import_module",
    "subprocess",
    "os",
    "posix",
    "nt",
    "pty",
    "socket",
    "connect",
    "urlopen",
    "check_output",
    "check_call",
    "getoutput",
    "run_path",
    "run_module",
    "marshal",
    "ctypes",
    "CDLL",
    "__builtins__",
    "__globals__",
    "__subclasses__",
    "builtins",
    "remove",
    "unlink",
    "rmtree",
    "urllib",
    "requests",
    "http",
    "open",
];

/// The dangerous names among `strings` (the code object's names and constants).
pub fn dangerous_names(strings: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = strings
        .iter()
        .map(String::as_str)
        .filter(|s| DANGEROUS_NAMES.contains(s) || super::code_string_argument::looks_like_code(s))
        .collect();
    out.dedup();
    out
}
