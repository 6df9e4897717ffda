//! ## What it does
//! Finds assignments to `sys.modules[...]` (other than a module replacing itself) and to `builtins`/
//! `__builtins__` attributes or items, `setattr(builtins, ...)`, additions to `sys.meta_path`/`sys.path_hooks`,
//! and `sys.settrace`/`sys.setprofile`.
//!
//! ## Why is this bad?
//! These let code loaded from a model repository hijack later imports (a fake `torch`, a patched `open`) or
//! watch everything the process does.
//!
//! ## Example
//! ```text
//! sys.modules['safetensors'] = fake   # high
//! ```
//!
//! ## References
//! - Python documentation: sys.modules, sys.meta_path
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT008",
    name: "runtime-tampering",
    severity: Severity::High,
    summary: "replacing sys.modules entries, builtins, import hooks or trace functions changes how other code behaves",
    path: "python/runtime_tampering",
};
