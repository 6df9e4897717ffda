//! Turns the pickle machine's events into findings.

use std::collections::HashMap;
use std::rc::Rc;

use modelvet_formats::pickle::machine::{Anomaly, AnomalyKind, Event, Via};
use modelvet_formats::pickle::value::{Call, Global, Value};

use crate::finding::{Finding, Location, Severity};
use crate::knowledge::{self, Class};
use crate::policy::GlobalPolicy;
use crate::rules::pickle as r;

const EVIDENCE: usize = 240;

/// What a `getattr(obj, 'name')` call reads, when the machine sees all of it:
/// a plain attribute name (not a special one such as `__globals__`) of an
/// object the pickle built itself (an instance it rebuilt, or a container: a
/// bound method, which is how pickle writes one), or of a class the machine
/// resolved, reaching a name that is not dangerous (it is then judged as an
/// import of its own). `None` for anything else, which keeps `getattr` dangerous.
fn getattr_reads<'c>(call: &'c Call, g: &Global) -> Option<(&'c str, GetattrOn)> {
    if g.name.as_ref() != "getattr" || knowledge::fold_module(&g.module) != "builtins" {
        return None;
    }
    let Value::Tuple(argv) = call.args.resolved() else { return None };
    let [obj, name] = &argv[..] else { return None };
    let name = name.as_str()?;
    let plain = modelvet_formats::pickle::machine::is_dotted_identifier(name)
        && !name.contains('.')
        && !(name.starts_with("__") && name.ends_with("__"));
    if !plain {
        return None;
    }
    match obj.resolved() {
        Value::Dict(_) | Value::List(_) | Value::Set(_) | Value::Tuple(_) => Some((name, GetattrOn::Instance)),
        // An instance the pickle rebuilt: NEWOBJ, or a reconstructor.
        Value::Call(c) if c.value.is_none() => {
            let rebuilt = matches!(c.opcode, "NEWOBJ" | "NEWOBJ_EX")
                || c.func.as_global().is_some_and(|f| {
                    matches!(
                        canonical_callee(f).as_str(),
                        "copyreg._reconstructor" | "copyreg.__newobj__" | "copyreg.__newobj_ex__"
                    )
                });
            rebuilt.then_some((name, GetattrOn::Instance))
        }
        // A class imported by name: what getattr reaches is an import judged on its own; it
        // stays dangerous here when that is (and on modules, which only import machinery makes).
        Value::Global(_) => match call.value.as_ref().and_then(Value::as_global) {
            Some(r) if !matches!(knowledge::classify(&r.module, &r.name), Class::Dangerous(_)) => {
                Some((name, GetattrOn::Name))
            }
            _ => None,
        },
        _ => None,
    }
}

/// What a resolved `getattr` read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GetattrOn {
    /// An object the pickle built: the result is a bound method.
    Instance,
    /// A class: the result is a name, reported as an import of its own.
    Name,
}

/// `module.name` with the module aliases folded (`copy_reg` → `copyreg`).
fn canonical_callee(g: &Global) -> String {
    format!("{}.{}", knowledge::fold_module(&g.module), g.name)
}

/// A byte string handed to a deserializer, to be scanned as a file of its own.
pub struct Nested {
    pub offset: u64,
    pub loader: String,
    pub data: NestedBytes,
}

/// Where a nested payload's bytes are.
pub enum NestedBytes {
    /// Bytes the machine holds (short operands, decoded payloads).
    Held(Vec<u8>),
    /// An operand too long to hold: `len` bytes at `offset` of the pickle stream,
    /// read from the stream itself.
    InStream { offset: u64, len: u64 },
}

struct ImportEntry {
    global: Global,
    class: Class,
    offset: u64,
    count: u32,
    via: Via,
    written: Option<Global>,
    origin: Option<String>,
    evidence: Option<String>,
    /// How loading uses the name: called with arguments from the file, or
    /// only rebuilt as an instance; neither means it is only a value.
    called: bool,
    rebuilt: bool,
    /// Calls of this name, and how many of them were `getattr(obj, 'name')`
    /// on an object the pickle rebuilt: a bound method, as pickle writes them.
    calls: u32,
    method_refs: u32,
    /// The attribute names those calls read.
    methods: Vec<String>,
}

/// How a call uses its callee.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Called with arguments from the file (`REDUCE`, `INST`, `OBJ`).
    Call,
    /// An instance created with the class's own `__new__` (`NEWOBJ`,
    /// `copyreg.__newobj__`, `copyreg._reconstructor` with `object` as base).
    Rebuild,
}

/// Collects findings for one pickle stream.
pub struct PickleSink<'g> {
    globals: &'g GlobalPolicy,
    base: Location,
    imports: Vec<ImportEntry>,
    index: HashMap<String, usize>,
    findings: Vec<Finding>,
    /// (rule code, key) of findings already made, to merge repeats.
    seen: HashMap<(&'static str, String), usize>,
    pub nested: Vec<Nested>,
    max_nested: usize,
    /// Scratch space for `module.name` lookups in `index`.
    key: String,
    /// The analysis-limit finding (its index in `findings`), and whether
    /// anything was imported after it.
    limit: Option<(usize, bool)>,
    /// The last name found in `index`: calls repeat the same global (one `Rc`),
    /// and an entry's position never changes once made.
    last: Option<(Rc<str>, Rc<str>, usize)>,
}

impl<'g> PickleSink<'g> {
    pub fn new(base: Location, max_nested: usize, globals: &'g GlobalPolicy) -> Self {
        Self {
            globals,
            base,
            imports: Vec::new(),
            index: HashMap::new(),
            findings: Vec::new(),
            seen: HashMap::new(),
            nested: Vec::new(),
            max_nested,
            key: String::new(),
            limit: None,
            last: None,
        }
    }

    fn at(&self, offset: u64) -> Location {
        Location { offset: Some(offset), ..self.base.clone() }
    }

    /// Adds a finding unless one with the same rule and key exists (then counts it).
    fn push(&mut self, key: String, f: Finding) {
        match self.seen.get(&(f.rule.code, key.clone())) {
            Some(&i) => {
                let existing = &mut self.findings[i];
                existing.occurrences += 1;
                if f.severity > existing.severity {
                    existing.severity = f.severity;
                    existing.message = f.message;
                    existing.evidence = f.evidence;
                }
            }
            None => {
                self.seen.insert((f.rule.code, key), self.findings.len());
                self.findings.push(f);
            }
        }
    }

    /// The findings, imports first (most severe first), then the rest in order.
    pub fn finish(mut self) -> Vec<Finding> {
        if let Some((i, false)) = self.limit {
            // Only data followed the bound: nothing there is judged less precisely.
            let f = &mut self.findings[i];
            f.severity = Severity::Low;
            f.message.push_str("; nothing is imported after that point");
        }
        let mut out = Vec::new();
        let mut imports = std::mem::take(&mut self.imports);
        // What would run (a process, code) before how it was reached (resolvers).
        imports.sort_by_key(|e| match e.class {
            Class::Dangerous(knowledge::Category::ImportMachinery | knowledge::Category::Introspection) => 1,
            Class::Dangerous(_) if e.global.name.is_empty() => 1,
            _ => 0,
        });
        for e in imports {
            if matches!(e.class, Class::Safe | Class::CodeBuilder) || (e.class == Class::Rebuildable && !e.called) {
                continue;
            }
            let dotted = if e.global.name.is_empty() { e.global.module.to_string() } else { e.global.dotted() };
            let mut how = String::new();
            if let Some(w) = &e.written {
                how.push_str(&format!(" (written as {}, which the unpickler remaps)", w.dotted()));
            }
            match e.via {
                Via::Ext => how.push_str(" (through a copyreg extension code, with no GLOBAL opcode)"),
                Via::Dynamic => how.push_str(" (a name built at load time)"),
                _ => {}
            }
            let loc = self.at(e.offset);
            let bound_methods_only = e.calls > 0 && e.calls == e.method_refs;
            let mut f = match e.class {
                Class::Safe | Class::CodeBuilder => continue,
                // A known class or function, allowlisted to be rebuilt or kept as a value,
                // called here with the file's arguments.
                Class::Rebuildable => Finding::new(
                    &r::unknown_import::RULE,
                    format!(
                        "imports {dotted}{how} and calls it while loading; it is allowlisted only to be rebuilt \
                         or kept as a value, not to be called with the file's arguments"
                    ),
                    loc,
                ),
                // `getattr(obj, 'method')` on objects the pickle rebuilt is how pickle
                // writes a bound method; what it reaches is judged where it is called.
                Class::Dangerous(_) if bound_methods_only => Finding::new(
                    &r::uncalled_unknown_import::RULE,
                    format!(
                        "imports {dotted}{how} only to read `{}` from objects and classes it rebuilds (how pickle \
                         stores a method); what it reads is judged on its own",
                        e.methods.join("`, `")
                    ),
                    loc,
                ),
                Class::Dangerous(cat) => Finding::new(
                    &r::dangerous_import::RULE,
                    format!("imports {dotted}{how}, which {}", cat.describe()),
                    loc,
                ),
                Class::Unknown if e.called => Finding::new(
                    &r::unknown_import::RULE,
                    format!("imports {dotted}{how}, which is not on the allowlist, and calls it while loading"),
                    loc,
                ),
                Class::Unknown if e.rebuilt => Finding::new(
                    &r::uncalled_unknown_import::RULE,
                    format!(
                        "rebuilds an instance of {dotted}{how}, which is not on the allowlist, without calling it; \
                         loading needs that module installed"
                    ),
                    loc,
                ),
                Class::Unknown => Finding::new(
                    &r::uncalled_unknown_import::RULE,
                    format!(
                        "references {dotted}{how}, which is not on the allowlist, as a value; it is not called \
                         while loading, but loading needs that module installed"
                    ),
                    loc,
                ),
            };
            f.occurrences = e.count;
            f.evidence = match (e.evidence, e.origin) {
                (Some(ev), _) => Some(ev),
                (None, Some(o)) => Some(o),
                (None, None) => None,
            };
            out.push(f);
        }
        out.sort_by_key(|f| std::cmp::Reverse(f.severity));
        out.append(&mut self.findings);
        out
    }

    pub fn on_event(&mut self, ev: &Event<'_>) {
        match ev {
            Event::Import { global, written, via, offset, origin } => {
                self.import(global, *written, *via, *offset, *origin)
            }
            Event::Call { call, target } => self.call(call, *target),
            Event::Code { code, offset, by } => {
                let names = r::code_by_value::dangerous_names(&code.strings);
                let name = code.name.clone().unwrap_or_else(|| "?".into());
                let shown: Vec<&str> =
                    code.strings.iter().map(String::as_str).filter(|s| s.len() < 80).take(24).collect();
                let mut f = Finding::new(
                    &r::code_by_value::RULE,
                    format!("rebuilds Python code `{name}` by value with {}", by.dotted()),
                    self.at(*offset),
                )
                .evidence(format!("names and constants: {}", shown.join(", ")));
                if !names.is_empty() {
                    f.severity = Severity::Critical;
                    f.message = format!("{}; its bytecode refers to {}", f.message, names.join(", "));
                }
                self.push(format!("code {name} {offset}"), f);
            }
            Event::Build { target, state, offset } => self.build(target, state, *offset),
            Event::Anomaly(a) => self.anomaly(a),
        }
    }

    /// Where `module.name` is in `imports` (the key is built in a reused buffer).
    fn import_index(&mut self, g: &Global) -> Option<usize> {
        if let Some((m, n, i)) = &self.last
            && Rc::ptr_eq(m, &g.module)
            && Rc::ptr_eq(n, &g.name)
        {
            return Some(*i);
        }
        self.key.clear();
        self.key.push_str(&g.module);
        self.key.push('.');
        self.key.push_str(&g.name);
        let found = self.index.get(self.key.as_str()).copied();
        if let Some(i) = found {
            self.last = Some((g.module.clone(), g.name.clone(), i));
        }
        found
    }

    fn import(&mut self, g: &Global, written: Option<&Global>, via: Via, offset: u64, origin: Option<&Value>) {
        if let Some((_, after)) = &mut self.limit {
            *after = true;
        }
        if let Some(i) = self.import_index(g) {
            self.imports[i].count += 1;
            return;
        }
        let class = self.globals.classify(&g.module, &g.name);
        self.index.insert(self.key.clone(), self.imports.len());
        self.imports.push(ImportEntry {
            global: g.clone(),
            class,
            offset,
            count: 1,
            via,
            written: written.cloned(),
            origin: origin.map(|o| format!("resolved from {}", o.render(EVIDENCE))),
            evidence: None,
            called: false,
            rebuilt: false,
            calls: 0,
            method_refs: 0,
            methods: Vec::new(),
        });
    }

    /// Records that loading uses the imported name `g` in this way.
    fn mark_use(&mut self, g: &Global, how: Use) {
        if let Some(i) = self.import_index(g) {
            let e = &mut self.imports[i];
            match how {
                Use::Call => e.called = true,
                Use::Rebuild => e.rebuilt = true,
            }
        }
    }

    /// Records how a call uses its callee and, for the standard reconstructors,
    /// the classes and functions it is handed.
    fn mark_call_uses(&mut self, call: &Call, target: Option<&Global>) {
        let Some(g) = target else { return };
        let how = match call.opcode {
            "NEWOBJ" | "NEWOBJ_EX" => Use::Rebuild,
            _ => Use::Call,
        };
        self.mark_use(g, how);
        if !matches!(
            &*g.name,
            "__newobj__"
                | "__newobj_ex__"
                | "_reconstructor"
                | "_reconstruct"
                | "_rebuild_from_type"
                | "_rebuild_from_type_v2"
        ) {
            return;
        }
        let argv = match call.args.resolved() {
            Value::Tuple(t) => t.clone(),
            _ => return,
        };
        let arg = |i: usize| argv.get(i).and_then(Value::as_global).cloned();
        match canonical_callee(g).as_str() {
            // cls.__new__(cls, *args)
            "copyreg.__newobj__" | "copyreg.__newobj_ex__" => {
                if let Some(cls) = arg(0) {
                    self.mark_use(&cls, Use::Rebuild);
                }
            }
            // base.__new__(cls, state), then base.__init__(obj, state) unless base is object
            "copyreg._reconstructor" => {
                if let Some(cls) = arg(0) {
                    self.mark_use(&cls, Use::Rebuild);
                }
                if let Some(base) = arg(1)
                    && base.dotted() != "builtins.object"
                {
                    self.mark_use(&base, Use::Call);
                }
            }
            // ndarray.__new__(subtype, ...)
            "numpy.core.multiarray._reconstruct" | "numpy._core.multiarray._reconstruct" => {
                if let Some(cls) = arg(0) {
                    self.mark_use(&cls, Use::Rebuild);
                }
            }
            // func(*args), then the result viewed as new_type
            "torch._tensor._rebuild_from_type" | "torch._tensor._rebuild_from_type_v2" => {
                if let Some(func) = arg(0) {
                    self.mark_use(&func, Use::Call);
                }
                if let Some(cls) = arg(1) {
                    self.mark_use(&cls, Use::Rebuild);
                }
            }
            _ => {}
        }
    }

    fn call(&mut self, call: &Rc<Call>, target: Option<&Global>) {
        self.mark_call_uses(call, target);
        if let Some(g) = target
            && let Some(i) = self.import_index(g)
        {
            self.imports[i].calls += 1;
            if let Some((method, _)) = getattr_reads(call, g) {
                let e = &mut self.imports[i];
                e.method_refs += 1;
                if e.methods.len() < 8 && !e.methods.iter().any(|m| m == method) {
                    e.methods.push(method.to_string());
                }
            }
        }
        // Calling a bound method read with `getattr` runs that method with the file's arguments.
        if let Value::Call(inner) = call.func.resolved()
            && let Some(g) = inner.func.as_global()
            && let Some((method, GetattrOn::Instance)) = getattr_reads(inner, g)
        {
            let obj = inner.args.items().first().map_or_else(String::new, |o| o.render(80));
            let f = Finding::new(
                &r::unknown_import::RULE,
                format!("calls the method `{method}` of {obj} with arguments from the file while loading"),
                self.at(call.offset),
            )
            .evidence(Value::Call(call.clone()).render(EVIDENCE));
            self.push(format!("method {method}"), f);
        }
        let rendered = || Value::Call(call.clone()).render(EVIDENCE);
        // Attach the first call of an imported name as that import's evidence.
        let mut known_class = None;
        // The import entry is keyed by `module.name`; its class is this callee's own
        // classification only if it is the same (module, name) pair.
        let mut known_exact = false;
        if let Some(g) = target
            && let Some(i) = self.import_index(g)
        {
            known_class = Some(self.imports[i].class);
            known_exact = self.imports[i].global == *g;
            // Allowlisted imports make no finding, so their evidence is never shown.
            let shown = !matches!(self.imports[i].class, Class::Safe | Class::CodeBuilder);
            if shown && self.imports[i].evidence.is_none() {
                self.imports[i].evidence = Some(rendered());
            }
        }
        if let Value::Function(func) = call.func.resolved() {
            let name = func.name.clone().unwrap_or_else(|| "?".into());
            let f = Finding::new(
                &r::code_by_value::RULE,
                format!("calls the function `{name}`, serialized by value, while loading"),
                self.at(call.offset),
            )
            .severity(Severity::Critical)
            .evidence(rendered());
            self.push(format!("invoke {name}"), f);
        }
        let class =
            known_class.unwrap_or_else(|| target.map_or(Class::Unknown, |g| self.globals.classify(&g.module, &g.name)));
        if class == Class::Unknown {
            let mut code_arg = None;
            let mut budget = 256usize;
            let args = Value::Tuple(call.args.items().into());
            args.walk(&mut budget, &mut |v| {
                if let Some(s) = v.as_str()
                    && r::code_string_argument::looks_like_code(s)
                {
                    code_arg = Some(s.to_string());
                    return false;
                }
                true
            });
            if let Some(s) = code_arg {
                let callee = target.map_or_else(|| call.func.render(80), Global::dotted);
                let f = Finding::new(
                    &r::code_string_argument::RULE,
                    format!("calls {callee} with an argument that looks like a command or code: {s:.80}"),
                    self.at(call.offset),
                )
                .evidence(rendered());
                self.push(format!("{callee} {s}"), f);
            }
        }
        // Bytes handed to a deserializer (or that are themselves a pickle) are a nested file.
        let loader = target.is_some_and(|g| {
            if known_exact {
                knowledge::is_loader_classified(class, &g.module, &g.name)
            } else {
                knowledge::is_loader(&g.module, &g.name)
            }
        });
        // An allowlisted callable that is not a loader never deserializes its arguments.
        if self.nested.len() < self.max_nested && (loader || class != Class::Safe) {
            let mut found: Option<NestedBytes> = None;
            let mut budget = 256usize;
            let args = Value::Tuple(call.args.items().into());
            args.walk(&mut budget, &mut |v| {
                let Value::Bytes(b) = v.resolved() else { return true };
                if b.is_complete() {
                    let looks = modelvet_formats::pickle::sniff(&b.data)
                        == Some(modelvet_formats::pickle::Sniff::Strong)
                        || b.data.starts_with(b"PK\x03\x04");
                    if loader || looks {
                        found = Some(NestedBytes::Held(b.data.clone()));
                        return false;
                    }
                } else if loader {
                    // A second stage larger than the machine keeps in memory (a padded
                    // checkpoint) is read from the stream rather than skipped.
                    found = Some(NestedBytes::InStream { offset: b.offset, len: b.len });
                    return false;
                }
                true
            });
            if let Some(data) = found {
                let name = target.map_or_else(|| call.func.render(60), Global::dotted);
                self.nested.push(Nested { offset: call.offset, loader: name, data });
            }
        }
    }

    fn build(&mut self, target: &Value, state: &Value, offset: u64) {
        match target.resolved() {
            Value::Function(_) | Value::Code(_) => {}
            Value::Global(g) => {
                let f = Finding::new(
                    &r::state_hijack::RULE,
                    format!("sets attributes on {} (a class, function or module) while loading", g.dotted()),
                    self.at(offset),
                )
                .evidence(format!("BUILD {} <- {}", g.dotted(), state.render(EVIDENCE)));
                self.push(format!("global {}", g.dotted()), f);
            }
            Value::Module(m) => {
                let f = Finding::new(
                    &r::state_hijack::RULE,
                    format!("sets attributes on module {m} while loading"),
                    self.at(offset),
                )
                .evidence(format!("BUILD <module {m}> <- {}", state.render(EVIDENCE)));
                self.push(format!("module {m}"), f);
            }
            _ => {
                let parts: &[Value] = match state.resolved() {
                    Value::Tuple(t) if t.len() == 2 => t,
                    other => std::slice::from_ref(other),
                };
                let mut special = Vec::new();
                for p in parts {
                    if let Value::Dict(d) = p.resolved() {
                        for (k, _) in &d.borrow().items {
                            if let Some(k) = k.as_str()
                                && r::state_hijack::is_special_attribute(k)
                            {
                                special.push(k.to_string());
                            }
                        }
                    }
                }
                if !special.is_empty() {
                    let obj = target.render(80);
                    let f = Finding::new(
                        &r::state_hijack::RULE,
                        format!("sets {} on an object while loading", special.join(", ")),
                        self.at(offset),
                    )
                    .evidence(format!("{obj}.__dict__.update({})", state.render(EVIDENCE)));
                    self.push(format!("attrs {}", special.join(",")), f);
                }
            }
        }
    }

    fn anomaly(&mut self, a: &Anomaly) {
        let (rule, key) = match a.kind {
            AnomalyKind::Broken
            | AnomalyKind::NoStop
            | AnomalyKind::StackUnderflow
            | AnomalyKind::MemoMiss
            | AnomalyKind::BadOperand
            | AnomalyKind::UnknownProtocol => (&r::malformed_pickle::RULE, format!("{:?}", a.kind)),
            AnomalyKind::UnregisteredExtension | AnomalyKind::UnresolvedImport => {
                (&r::unresolved_import::RULE, a.detail.clone())
            }
            AnomalyKind::TrailingData | AnomalyKind::Concatenated => {
                (&r::data_after_stop::RULE, format!("{:?}", a.kind))
            }
            AnomalyKind::LimitReached => (&r::analysis_limit::RULE, a.detail.clone()),
        };
        let f = Finding::new(rule, a.detail.clone(), self.at(a.offset));
        let limit = a.kind == AnomalyKind::LimitReached && self.limit.is_none();
        self.push(key, f);
        if limit {
            self.limit = Some((self.findings.len() - 1, false));
        }
    }
}
