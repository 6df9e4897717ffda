//! The symbolic values the pickle machine pushes instead of real objects.
//!
//! Nothing here is ever constructed as a Python object: a `Global` is a name,
//! a `Call` is a record of what would have been called with what. Containers
//! keep a bounded number of items (the rest are counted), so memory does not
//! grow with the file.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

pub use super::reader::Blob;

/// A symbolic value on the machine's stack or in its memo.
#[derive(Debug, Clone)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer beyond `i64`, in decimal.
    BigInt(Rc<str>),
    Float(f64),
    /// A complete `str` (lossily decoded), in one allocation.
    Str(Rc<str>),
    /// A `str` kept only in part (longer than the inline bound): the prefix and
    /// the real length in bytes.
    StrPart(Rc<Text>),
    Bytes(Rc<Blob>),
    /// One allocation for the items (tuples are immutable).
    Tuple(Rc<[Value]>),
    List(Rc<RefCell<Seq>>),
    Dict(Rc<RefCell<Map>>),
    Set(Rc<RefCell<Seq>>),
    FrozenSet(Rc<Vec<Value>>),
    /// A name the unpickler would import (`module.name`, name may be dotted).
    Global(Rc<Global>),
    /// A module object obtained dynamically (e.g. from `__import__('os')`).
    Module(Rc<str>),
    /// The result of a call the unpickler would make.
    Call(Rc<Call>),
    /// What `persistent_load` returns for this persistent id.
    PersId(Rc<Value>),
    /// An out-of-band buffer (protocol 5).
    Buffer,
    /// A code object rebuilt from its parts (dill, cloudpickle, `types.CodeType`).
    Code(Rc<CodeInfo>),
    /// A function rebuilt from a code object: Python serialized *by value*.
    Function(Rc<Function>),
    /// A value the machine cannot know (the reason says why).
    Unknown(Rc<str>),
}

/// A function serialized by value.
#[derive(Debug, Clone, Default)]
pub struct Function {
    pub name: Option<String>,
    pub code: Option<Rc<CodeInfo>>,
}

/// The start of a long `str`, with its real length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub s: String,
    pub len: u64,
    pub offset: u64,
}

/// A list or set: the first items, and how many more there were.
#[derive(Debug, Default, Clone)]
pub struct Seq {
    pub items: Vec<Value>,
    pub dropped: u64,
}

/// A dict: the first pairs, and how many more there were.
#[derive(Debug, Default, Clone)]
pub struct Map {
    pub items: Vec<(Value, Value)>,
    pub dropped: u64,
}

/// An importable name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    pub module: Rc<str>,
    pub name: Rc<str>,
}

impl Global {
    pub fn new(module: &str, name: &str) -> Self {
        Self { module: module.into(), name: name.into() }
    }
    /// `module.name`.
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
    /// True when [`Global::dotted`] would equal `s` (without building it).
    pub fn dotted_is(&self, s: &str) -> bool {
        let (m, n) = (self.module.as_bytes(), self.name.as_bytes());
        let s = s.as_bytes();
        s.len() == m.len() + 1 + n.len() && s.starts_with(m) && s[m.len()] == b'.' && s.ends_with(n)
    }
}

/// A recorded call and what the machine knows of its result.
#[derive(Debug)]
pub struct Call {
    pub func: Value,
    pub args: Value,
    pub kwargs: Option<Value>,
    /// The opcode that made the call (`REDUCE`, `NEWOBJ`, `INST`, `BUILD`, …).
    pub opcode: &'static str,
    pub offset: u64,
    /// The result, when it can be computed without running anything
    /// (`getattr(module, 'x')`, `base64.b64decode(...)`, …).
    pub value: Option<Value>,
    /// Attributes set on the result by `BUILD` with a dict state.
    /// Keys are the (complete) `str` keys of the state dict, shared with it.
    pub attrs: RefCell<Vec<(Rc<str>, Value)>>,
}

/// A code object rebuilt by the pickle (dill, cloudpickle, `types.CodeType`).
#[derive(Debug, Clone, Default)]
pub struct CodeInfo {
    pub name: Option<String>,
    /// Every string the constructor received: names, constants, variable names.
    pub strings: Vec<String>,
}

impl Value {
    pub fn str(s: &str) -> Self {
        Value::Str(s.into())
    }

    /// Follows calls whose result is known.
    pub fn resolved(&self) -> &Value {
        let mut v = self;
        for _ in 0..64 {
            match v {
                Value::Call(c) => match &c.value {
                    Some(inner) => v = inner,
                    None => return v,
                },
                _ => return v,
            }
        }
        v
    }

    /// The complete text of a `str`, after resolving.
    pub fn as_str(&self) -> Option<&str> {
        match self.resolved() {
            Value::Str(t) => Some(t),
            _ => None,
        }
    }

    /// The complete bytes of a `bytes` (or the Latin-1 bytes of a `str`), after resolving.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self.resolved() {
            Value::Bytes(b) if b.is_complete() => Some(&b.data),
            Value::Str(t) => Some(t.as_bytes()),
            _ => None,
        }
    }

    pub fn as_global(&self) -> Option<&Global> {
        match self.resolved() {
            Value::Global(g) => Some(g),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.resolved() {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Items of a tuple or list (the kept ones).
    pub fn items(&self) -> Vec<Value> {
        match self.resolved() {
            Value::Tuple(t) => t.to_vec(),
            Value::List(l) => l.borrow().items.clone(),
            Value::FrozenSet(t) => t.as_ref().clone(),
            Value::Set(l) => l.borrow().items.clone(),
            _ => Vec::new(),
        }
    }

    /// True for values that cannot hide a call or an import.
    pub fn is_plain(&self) -> bool {
        matches!(
            self,
            Value::None
                | Value::Bool(_)
                | Value::Int(_)
                | Value::BigInt(_)
                | Value::Float(_)
                | Value::Str(_)
                | Value::StrPart(_)
                | Value::Bytes(_)
                | Value::Buffer
        )
    }

    /// Visits this value and everything reachable from it, depth-first, up to
    /// `budget` values; `f` returns false to stop.
    pub fn walk(&self, budget: &mut usize, f: &mut dyn FnMut(&Value) -> bool) -> bool {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        if !f(self) {
            return false;
        }
        let children: Vec<Value> = match self {
            Value::Tuple(t) => t.to_vec(),
            Value::FrozenSet(t) => t.as_ref().clone(),
            Value::List(l) | Value::Set(l) => l.borrow().items.clone(),
            Value::Dict(d) => d.borrow().items.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect(),
            Value::Call(c) => {
                let mut v = vec![c.func.clone(), c.args.clone()];
                v.extend(c.kwargs.clone());
                v.extend(c.value.clone());
                v.extend(c.attrs.borrow().iter().map(|(_, v)| v.clone()));
                v
            }
            Value::PersId(p) => vec![p.as_ref().clone()],
            _ => Vec::new(),
        };
        children.iter().all(|c| c.walk(budget, f))
    }

    /// Renders the value as a Python expression of at most about `max` characters.
    pub fn render(&self, max: usize) -> String {
        let mut out = String::new();
        render_into(self, &mut out, max, 0);
        if out.len() > max {
            let mut cut = max;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
        }
        out
    }
}

fn render_seq(out: &mut String, items: &[Value], dropped: u64, open: &str, close: &str, max: usize, depth: usize) {
    render_items(out, items, dropped, open, close, max, depth, open == "(");
}

#[allow(clippy::too_many_arguments)]
fn render_items(
    out: &mut String,
    items: &[Value],
    dropped: u64,
    open: &str,
    close: &str,
    max: usize,
    depth: usize,
    tuple: bool,
) {
    out.push_str(open);
    for (i, v) in items.iter().enumerate() {
        if out.len() > max {
            out.push('…');
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        render_into(v, out, max, depth + 1);
    }
    if dropped > 0 {
        let _ = write!(out, ", … {dropped} more");
    }
    if tuple && items.len() == 1 && dropped == 0 {
        out.push(',');
    }
    out.push_str(close);
}

fn render_into(v: &Value, out: &mut String, max: usize, depth: usize) {
    if out.len() > max {
        return;
    }
    if depth > 12 {
        out.push('…');
        return;
    }
    match v {
        Value::None => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(s) => out.push_str(s),
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Str(t) => push_repr_str(out, t, max),
        Value::StrPart(t) => {
            push_repr_str(out, &t.s, max);
            if (t.s.len() as u64) < t.len {
                let _ = write!(out, "… ({} bytes)", t.len);
            }
        }
        Value::Bytes(b) => {
            push_repr_bytes(out, &b.data, max);
            if !b.is_complete() {
                let _ = write!(out, "… ({} bytes)", b.len);
            }
        }
        Value::Tuple(t) => render_seq(out, t, 0, "(", ")", max, depth),
        Value::FrozenSet(t) => render_seq(out, t, 0, "frozenset({", "})", max, depth),
        Value::List(l) => {
            let l = l.borrow();
            render_seq(out, &l.items, l.dropped, "[", "]", max, depth);
        }
        Value::Set(l) => {
            let l = l.borrow();
            render_seq(out, &l.items, l.dropped, "{", "}", max, depth);
        }
        Value::Dict(d) => {
            let d = d.borrow();
            out.push('{');
            for (i, (k, v)) in d.items.iter().enumerate() {
                if out.len() > max {
                    out.push('…');
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                render_into(k, out, max, depth + 1);
                out.push_str(": ");
                render_into(v, out, max, depth + 1);
            }
            if d.dropped > 0 {
                let _ = write!(out, ", … {} more", d.dropped);
            }
            out.push('}');
        }
        Value::Global(g) => {
            let _ = write!(out, "{}.{}", g.module, g.name);
        }
        Value::Module(m) => {
            let _ = write!(out, "<module {m}>");
        }
        Value::Call(c) => {
            render_into(&c.func, out, max, depth + 1);
            match &c.args {
                Value::Tuple(t) => render_items(out, t, 0, "(", ")", max, depth, false),
                other => {
                    out.push_str("(*");
                    render_into(other, out, max, depth + 1);
                    out.push(')');
                }
            }
            if let Some(kw) = &c.kwargs {
                out.push_str("(**");
                render_into(kw, out, max, depth + 1);
                out.push(')');
            }
            let attrs = c.attrs.borrow();
            if !attrs.is_empty() {
                out.push_str(".__dict__.update({");
                for (i, (k, v)) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    push_repr_str(out, k, max);
                    out.push_str(": ");
                    render_into(v, out, max, depth + 1);
                }
                out.push_str("})");
            }
        }
        Value::PersId(p) => {
            out.push_str("persistent_load(");
            render_into(p, out, max, depth + 1);
            out.push(')');
        }
        Value::Buffer => out.push_str("<out-of-band buffer>"),
        Value::Code(c) => {
            let _ = write!(out, "<code {}>", c.name.as_deref().unwrap_or("?"));
        }
        Value::Function(f) => {
            let _ = write!(out, "<function {}>", f.name.as_deref().unwrap_or("?"));
        }
        Value::Unknown(why) => {
            let _ = write!(out, "<unknown: {why}>");
        }
    }
}

fn push_repr_str(out: &mut String, s: &str, max: usize) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        if out.len() > max {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

fn push_repr_bytes(out: &mut String, b: &[u8], max: usize) {
    out.push_str("b'");
    for &c in b {
        if out.len() > max {
            out.push('…');
            break;
        }
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push('\'');
}
