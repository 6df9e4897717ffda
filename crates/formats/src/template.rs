//! Chat templates (Jinja): parsed with minijinja's parser, never rendered or
//! compiled, and walked for server-side template injection. Every branch is
//! inspected, including ones that ordinary conversations never reach.
//!
//! The analysis collects every attribute/item *access chain* (`cycler.__init__.__globals__.os.popen`),
//! constant-folding names built from string pieces (`'__cla' ~ 'ss__'`, `'%c'|format(95)`,
//! `['_','_']|join`, `'{}'.format(..)`, escapes decoded by the lexer), names reached through the
//! `attr` filter, `str.format` field traversal (`'{0.__class__}'.format(x)`) and keyword names.
//! A textual fallback looks for dunder names when the template does not parse.

use std::collections::{BTreeSet, HashMap};

/// Variables set to constant strings (`{% set n = '__glo' ~ 'bals__' %}`).
type Env = HashMap<String, String>;

use minijinja::machinery::ast::{self, CallArg, Expr, Stmt};

/// Largest template parsed into an AST; larger ones get the textual check only.
pub const MAX_PARSE_BYTES: usize = 512 << 10;
/// Deepest expression/statement nesting the walker follows.
const MAX_WALK_DEPTH: u32 = 600;
/// Longest string built by constant folding.
const MAX_FOLD_LEN: usize = 4096;
/// Most issues kept per template.
const MAX_ISSUES: usize = 64;

/// How bad a template issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IssueKind {
    /// Introspection (`__class__`, `__subclasses__()`, dynamic `attr`) without a path to code execution.
    Introspection,
    /// A chain that reaches globals, builtins, imports or process execution.
    CodeExecution,
    /// The template does not parse (or is too large to parse); only the textual check ran.
    Unparsable,
}

/// One problem found in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub kind: IssueKind,
    pub message: String,
    /// The access chain or text that triggered the issue.
    pub evidence: String,
    /// 1-based line and column in the template, when known.
    pub line: Option<u32>,
    pub col: Option<u32>,
}

/// The result of analysing one template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    pub parsed: bool,
    pub issues: Vec<Issue>,
}

impl Analysis {
    /// The worst issue kind for injection (code execution beats introspection).
    pub fn has(&self, kind: IssueKind) -> bool {
        self.issues.iter().any(|i| i.kind == kind)
    }
}

/// Names whose access is an exploit chain in itself (globals, builtins, frames, imports, loaders).
const EXPLOIT_NAMES: &[&str] = &[
    "__globals__",
    "__builtins__",
    "__import__",
    "__loader__",
    "__spec__",
    "__code__",
    "__closure__",
    "__func__",
    "func_globals",
    "func_code",
    "f_globals",
    "f_builtins",
    "f_locals",
    "f_back",
    "gi_frame",
    "cr_frame",
    "ag_frame",
    "tb_frame",
    "_module",
    "load_module",
    "import_module",
    "_TemplateReference__context",
];
/// Names that run code or processes when reached from an object graph.
const SINK_NAMES: &[&str] = &[
    "popen",
    "Popen",
    "system",
    "eval",
    "exec",
    "execfile",
    "compile",
    "subprocess",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "spawnl",
    "spawnlp",
    "spawnv",
    "spawnvp",
    "execl",
    "execlp",
    "execv",
    "execve",
    "execvp",
    "fork",
    "posix_spawn",
    "os",
    "sys",
    "builtins",
    "importlib",
    "open",
    "read",
];
/// Module-like names that are never variables of a chat template; calling through them runs code.
const MODULE_VARS: &[&str] =
    &["os", "subprocess", "sys", "builtins", "__builtins__", "importlib", "posix", "pty", "eval", "exec", "__import__"];
/// Jinja globals whose Python functions expose `__globals__` (the usual SSTI entry points).
const GLOBAL_GATEWAYS: &[&str] = &[
    "cycler",
    "joiner",
    "namespace",
    "lipsum",
    "range",
    "dict",
    "self",
    "request",
    "config",
    "url_for",
    "get_flashed_messages",
    "g",
    "session",
    "loop",
    "caller",
    "varargs",
    "kwargs",
];

fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

fn is_exploit(name: &str) -> bool {
    EXPLOIT_NAMES.contains(&name)
}

/// Analyses a template's text. Never renders it.
pub fn analyze(text: &str) -> Analysis {
    let mut out = Analysis::default();
    if text.len() > MAX_PARSE_BYTES {
        out.issues.push(Issue {
            kind: IssueKind::Unparsable,
            message: format!("template of {} bytes is above the {MAX_PARSE_BYTES}-byte parse limit", text.len()),
            evidence: String::new(),
            line: None,
            col: None,
        });
        textual(text, &mut out);
        return out;
    }
    let source = strip_unsupported_tags(text);
    // Parsing and walking deep left-leaning operator chains recurses (including the AST's drop),
    // so both run on a thread with a large stack.
    let result = std::thread::Builder::new()
        .name("modelvet-template".into())
        .stack_size(256 << 20)
        .spawn(move || parse_and_walk(&source))
        .ok()
        .and_then(|h| h.join().ok());
    match result {
        Some(Ok(walker)) => {
            out.parsed = true;
            walker.finish(&mut out);
        }
        Some(Err(e)) => {
            out.issues.push(Issue {
                kind: IssueKind::Unparsable,
                message: format!("template does not parse as Jinja: {e}"),
                evidence: String::new(),
                line: None,
                col: None,
            });
            textual(text, &mut out);
        }
        None => {
            out.issues.push(Issue {
                kind: IssueKind::Unparsable,
                message: "template analysis failed".into(),
                evidence: String::new(),
                line: None,
                col: None,
            });
            textual(text, &mut out);
        }
    }
    out.issues.truncate(MAX_ISSUES);
    out
}

/// Hugging Face templates use `{% generation %}` markers (a transformers extension); blank them
/// out (same length, so positions stay) so the rest parses.
fn strip_unsupported_tags(text: &str) -> String {
    let mut s = text.to_string();
    for tag in ["generation", "endgeneration"] {
        let mut from = 0;
        while let Some(rel) = s[from..].find("{%") {
            let start = from + rel;
            let Some(end_rel) = s[start + 2..].find("%}") else { break };
            let end = start + 2 + end_rel + 2;
            let inner = s[start + 2..end - 2].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
            if inner == tag {
                s.replace_range(start..end, &" ".repeat(end - start));
            }
            from = end;
        }
    }
    s
}

fn parse_and_walk(source: &str) -> Result<Walker, String> {
    let stmt = minijinja::machinery::parse(source, "<template>", Default::default()).map_err(|e| {
        let mut m = e.to_string();
        m.truncate(300);
        m
    })?;
    let mut w = Walker::default();
    w.stmt(&stmt, 0);
    Ok(w)
}

/// The fallback for templates that do not parse: the lexer's tokens (strings decoded, pieces
/// joined by `~`/`+` folded), plus the raw text, searched for dunder names and exploit words.
fn textual(text: &str, out: &mut Analysis) {
    let mut names = dunder_tokens(text);
    let mut words: BTreeSet<String> = BTreeSet::new();
    let mut pending: Option<String> = None;
    let mut joiner = false;
    let flush = |p: &mut Option<String>, names: &mut BTreeSet<String>| {
        if let Some(s) = p.take() {
            names.extend(dunder_tokens(&s));
            for field in format_fields(&s) {
                names.extend(field.into_iter().filter(|n| is_dunder(n)));
            }
        }
    };
    for (i, tok) in minijinja::machinery::tokenize(text, false, Default::default()).enumerate() {
        if i > 1 << 20 {
            break;
        }
        let Ok((tok, _)) = tok else { break };
        use minijinja::machinery::Token as T;
        let piece = match &tok {
            T::Str(s) => Some(s.to_string()),
            T::String(s) => Some(s.to_string()),
            _ => None,
        };
        match (piece, &tok) {
            (Some(s), _) => {
                match pending.as_mut() {
                    Some(p) if joiner && p.len() + s.len() <= MAX_FOLD_LEN => p.push_str(&s),
                    _ => {
                        flush(&mut pending, &mut names);
                        pending = Some(s);
                    }
                }
                joiner = false;
            }
            (None, T::Tilde | T::Plus) => joiner = pending.is_some(),
            (None, T::Ident(id)) => {
                flush(&mut pending, &mut names);
                joiner = false;
                if is_dunder(id) {
                    names.insert((*id).to_string());
                }
                if words.len() < 256 {
                    words.insert((*id).to_string());
                }
            }
            _ => {
                flush(&mut pending, &mut names);
                joiner = false;
            }
        }
    }
    flush(&mut pending, &mut names);
    if names.is_empty() {
        return;
    }
    let exploit = names.iter().any(|n| is_exploit(n));
    let sink = text_has_sink(text)
        || words.iter().any(|w| SINK_NAMES.contains(&w.as_str()) && w != "read" && w != "open" && w != "system");
    let kind = if exploit || sink { IssueKind::CodeExecution } else { IssueKind::Introspection };
    out.issues.push(Issue {
        kind,
        message: format!(
            "unparsed template text mentions {}",
            if kind == IssueKind::CodeExecution {
                "Python internals that reach globals or code execution"
            } else {
                "Python dunder attributes"
            }
        ),
        evidence: names.into_iter().take(32).collect::<Vec<_>>().join(", "),
        line: None,
        col: None,
    });
}

fn text_has_sink(text: &str) -> bool {
    ["popen", "system(", "subprocess", "eval(", "exec(", "check_output", "import_module"]
        .iter()
        .any(|s| text.contains(s))
}

/// `__name__`-shaped tokens in text (identifier characters between double underscores).
fn dunder_tokens(text: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() && set.len() < 32 {
        if b[i] == b'_' && b[i + 1] == b'_' && (i == 0 || !is_ident(b[i - 1])) {
            let mut j = i + 2;
            while j < b.len() && is_ident(b[j]) {
                j += 1;
            }
            let tok = &text[i..j];
            if is_dunder(tok) {
                set.insert(tok.to_string());
                i = j;
                continue;
            }
        }
        i += 1;
    }
    set
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// One attribute/item access chain: `base.a.b[c]`, and whether it is called.
#[derive(Debug, Clone, Default)]
struct Chain {
    base: Option<String>,
    names: Vec<String>,
    /// Which names were item lookups (`x[..]`), for display.
    items: Vec<bool>,
    called: bool,
    line: u32,
    col: u32,
}

impl Chain {
    fn render(&self) -> String {
        let mut s = self.base.clone().unwrap_or_else(|| "<expr>".into());
        for (i, n) in self.names.iter().enumerate() {
            if self.items.get(i).copied().unwrap_or(false) {
                s.push_str(&format!("[{n:?}]"));
            } else {
                s.push('.');
                s.push_str(n);
            }
        }
        if self.called {
            s.push_str("()");
        }
        s.truncate(400);
        s
    }
}

#[derive(Default)]
struct Walker {
    chains: Vec<Chain>,
    /// Names seen in string constants that look like Python internals (from folded strings).
    string_dunders: Vec<(String, u32, u32)>,
    /// `attr` filters whose name could not be folded to a constant.
    dynamic_attr: Vec<(u32, u32)>,
    /// Called names anywhere (`x.popen(...)`, `eval(...)`).
    called_names: BTreeSet<String>,
    depth_limited: bool,
    env: Env,
    /// Every string the template builds from constants (bounded), for the dynamic-`attr` check.
    strings: Vec<String>,
    strings_bytes: usize,
}

impl Walker {
    fn stmts(&mut self, list: &[Stmt<'_>], d: u32) {
        for s in list {
            self.stmt(s, d + 1);
        }
    }

    fn stmt(&mut self, s: &Stmt<'_>, d: u32) {
        if d > MAX_WALK_DEPTH {
            self.depth_limited = true;
            return;
        }
        match s {
            Stmt::Template(t) => self.stmts(&t.children, d),
            Stmt::EmitExpr(e) => self.expr(&e.expr, d),
            Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
            Stmt::ForLoop(f) => {
                self.expr(&f.target, d);
                self.expr(&f.iter, d);
                if let Some(fe) = &f.filter_expr {
                    self.expr(fe, d);
                }
                self.stmts(&f.body, d);
                self.stmts(&f.else_body, d);
            }
            Stmt::IfCond(c) => {
                self.expr(&c.expr, d);
                self.stmts(&c.true_body, d);
                self.stmts(&c.false_body, d);
            }
            Stmt::WithBlock(w) => {
                for (a, b) in &w.assignments {
                    self.expr(a, d);
                    self.expr(b, d);
                }
                self.stmts(&w.body, d);
            }
            Stmt::Set(x) => {
                if let Expr::Var(v) = &x.target {
                    match fold(&self.env, &x.expr, 0) {
                        Some(val) if self.env.len() < 1024 => {
                            self.env.insert(v.id.to_string(), val);
                        }
                        _ => {
                            self.env.remove(v.id);
                        }
                    }
                }
                self.expr(&x.target, d);
                self.expr(&x.expr, d);
            }
            Stmt::SetBlock(x) => {
                self.expr(&x.target, d);
                if let Some(f) = &x.filter {
                    self.expr(f, d);
                }
                self.stmts(&x.body, d);
            }
            Stmt::AutoEscape(a) => {
                self.expr(&a.enabled, d);
                self.stmts(&a.body, d);
            }
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter, d);
                self.stmts(&f.body, d);
            }
            Stmt::Block(b) => self.stmts(&b.body, d),
            Stmt::Import(i) => {
                self.expr(&i.expr, d);
                self.expr(&i.name, d);
            }
            Stmt::FromImport(i) => {
                self.expr(&i.expr, d);
                for (a, b) in &i.names {
                    self.expr(a, d);
                    if let Some(b) = b {
                        self.expr(b, d);
                    }
                }
            }
            Stmt::Extends(e) => self.expr(&e.name, d),
            Stmt::Include(i) => self.expr(&i.name, d),
            Stmt::Macro(m) => self.macro_decl(m, d),
            Stmt::CallBlock(c) => {
                self.call(&c.call, c.call.span(), d);
                self.macro_decl(&c.macro_decl, d);
            }
            Stmt::Do(x) => self.call(&x.call, x.call.span(), d),
        }
    }

    fn macro_decl(&mut self, m: &ast::Macro<'_>, d: u32) {
        for a in m.args.iter().chain(m.defaults.iter()) {
            self.expr(a, d + 1);
        }
        self.stmts(&m.body, d);
    }

    fn args(&mut self, args: &[CallArg<'_>], line: u32, col: u32, d: u32) {
        for a in args {
            match a {
                CallArg::Pos(e) | CallArg::PosSplat(e) | CallArg::KwargSplat(e) => self.expr(e, d + 1),
                CallArg::Kwarg(name, e) => {
                    self.note_string(name, line, col);
                    self.expr(e, d + 1);
                }
            }
        }
    }

    fn note_string(&mut self, s: &str, line: u32, col: u32) {
        if self.strings_bytes + s.len() <= 1 << 20 {
            self.strings_bytes += s.len();
            self.strings.push(s.to_string());
        }
        if s.contains("__") || s.contains('{') {
            let mut toks: Vec<String> = dunder_tokens(s).into_iter().collect();
            // `str.format` field traversal: `{0.__class__.__init__.__globals__[os]}`.
            for field in format_fields(s) {
                toks.extend(
                    field.into_iter().filter(|n| is_dunder(n) || is_exploit(n) || SINK_NAMES.contains(&n.as_str())),
                );
            }
            toks.sort();
            toks.dedup();
            if toks.iter().any(|t| is_dunder(t) || is_exploit(t)) {
                for t in toks {
                    if self.string_dunders.len() < 256 {
                        self.string_dunders.push((t, line, col));
                    }
                }
            }
        }
    }

    fn push_chain(&mut self, c: Chain) {
        if self.chains.len() < 4096 {
            self.chains.push(c);
        }
    }

    fn call(&mut self, c: &ast::Call<'_>, span: minijinja::machinery::Span, d: u32) {
        let (line, col) = (u32::from(span.start_line), u32::from(span.start_col) + 1);
        // `'{0.__class__}'.format(x)`: the method's receiver is a format string.
        if let Expr::GetAttr(ga) = &c.expr
            && ga.name == "format"
            && let Some(s) = fold(&self.env, &ga.expr, 0)
        {
            self.note_string(&s, line, col);
        }
        if let Some(mut chain) = chain_of(&self.env, &c.expr, 0) {
            chain.called = true;
            chain.line = line;
            chain.col = col;
            if let Some(last) = chain.names.last().or(chain.base.as_ref()) {
                self.called_names.insert(last.clone());
            }
            self.push_chain(chain);
        }
        self.expr(&c.expr, d + 1);
        self.args(&c.args, line, col, d);
    }

    fn expr(&mut self, e: &Expr<'_>, d: u32) {
        if d > MAX_WALK_DEPTH {
            self.depth_limited = true;
            return;
        }
        let d = d + 1;
        match e {
            Expr::Var(_) => {}
            Expr::Const(c) => {
                if let Some(s) = c.value.as_str() {
                    let sp = c.span();
                    self.note_string(s, u32::from(sp.start_line), u32::from(sp.start_col) + 1);
                }
            }
            Expr::Slice(s) => {
                self.expr(&s.expr, d);
                for x in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(x, d);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr, d),
            Expr::BinOp(b) => {
                if let Some(s) = fold(&self.env, e, 0) {
                    let sp = b.span();
                    self.note_string(&s, u32::from(sp.start_line), u32::from(sp.start_col) + 1);
                }
                self.expr(&b.left, d);
                self.expr(&b.right, d);
            }
            Expr::Compare(c) => {
                self.expr(&c.expr, d);
                for op in &c.ops {
                    self.expr(&op.expr, d);
                }
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr, d);
                self.expr(&i.true_expr, d);
                if let Some(f) = &i.false_expr {
                    self.expr(f, d);
                }
            }
            Expr::Filter(f) => {
                let sp = f.span();
                let (line, col) = (u32::from(sp.start_line), u32::from(sp.start_col) + 1);
                if f.name == "attr" {
                    match f.args.first() {
                        Some(CallArg::Pos(a)) => match fold(&self.env, a, 0) {
                            Some(name) => {
                                if let Some(mut chain) = chain_of(&self.env, e, 0) {
                                    chain.line = line;
                                    chain.col = col;
                                    self.push_chain(chain);
                                } else {
                                    self.push_chain(Chain { names: vec![name], line, col, ..Chain::default() });
                                }
                            }
                            None => self.dynamic_attr.push((line, col)),
                        },
                        _ => self.dynamic_attr.push((line, col)),
                    }
                } else if let Some(s) = fold(&self.env, e, 0) {
                    self.note_string(&s, line, col);
                }
                if let Some(x) = &f.expr {
                    self.expr(x, d);
                }
                self.args(&f.args, line, col, d);
            }
            Expr::Test(t) => {
                let sp = t.span();
                self.expr(&t.expr, d);
                self.args(&t.args, u32::from(sp.start_line), u32::from(sp.start_col) + 1, d);
            }
            Expr::GetAttr(g) => {
                let sp = g.span();
                if let Some(mut chain) = chain_of(&self.env, e, 0) {
                    chain.line = u32::from(sp.start_line);
                    chain.col = u32::from(sp.start_col) + 1;
                    self.push_chain(chain);
                }
                self.expr(&g.expr, d);
            }
            Expr::GetItem(g) => {
                let sp = g.span();
                if let Some(mut chain) = chain_of(&self.env, e, 0) {
                    chain.line = u32::from(sp.start_line);
                    chain.col = u32::from(sp.start_col) + 1;
                    self.push_chain(chain);
                }
                self.expr(&g.expr, d);
                self.expr(&g.subscript_expr, d);
            }
            Expr::Call(c) => self.call(c, c.span(), d),
            Expr::List(l) => {
                for x in &l.items {
                    self.expr(x, d);
                }
            }
            Expr::Tuple(t) => {
                for x in &t.items {
                    self.expr(x, d);
                }
            }
            Expr::Map(m) => {
                for x in m.keys.iter().chain(m.values.iter()) {
                    self.expr(x, d);
                }
            }
        }
    }

    fn finish(self, out: &mut Analysis) {
        let any_dunder = self.chains.iter().any(|c| c.names.iter().any(|n| is_dunder(n)))
            || self.string_dunders.iter().any(|(n, _, _)| is_dunder(n));
        let sink_called =
            self.called_names.iter().any(|n| SINK_NAMES.contains(&n.as_str()) && n != "read" && n != "open");
        // Chains, worst first.
        let mut exec = Vec::new();
        let mut intro = Vec::new();
        for c in &self.chains {
            let names = &c.names;
            let dunder = names.iter().any(|n| is_dunder(n)) || c.base.as_deref().is_some_and(is_dunder);
            let exploit = names.iter().any(|n| is_exploit(n)) || c.base.as_deref().is_some_and(is_exploit);
            let module_base = c.base.as_deref().is_some_and(|b| MODULE_VARS.contains(&b));
            let sink = names.iter().any(|n| SINK_NAMES.contains(&n.as_str()) && n != "read" && n != "open");
            // `os.popen(..)`, `sys.modules`, `eval(..)`; a variable that merely shares a module's
            // name (`{% set sys = messages[0] %}{{ sys.content }}`) is not enough.
            let direct_call = c.called
                && names.is_empty()
                && c.base.as_deref().is_some_and(|b| ["eval", "exec", "__import__", "execfile"].contains(&b));
            let module_use = module_base && (sink || dunder || names.iter().any(|n| n == "modules" || n == "environ"));
            if exploit || (dunder && sink) || module_use || direct_call {
                exec.push(c);
            } else if dunder {
                intro.push(c);
            }
        }
        // Chains that extend others repeat them: keep the longest of each prefix family.
        let keep = |list: &[&Chain]| -> Vec<Chain> {
            let mut v: Vec<Chain> = Vec::new();
            for c in list {
                let r = c.render();
                if v.iter().any(|o| {
                    let or = o.render();
                    or.starts_with(r.trim_end_matches("()"))
                }) {
                    continue;
                }
                v.retain(|o| !r.starts_with(o.render().trim_end_matches("()")));
                v.push((*c).clone());
            }
            v
        };
        let exec = keep(&exec);
        if let Some(first) = exec.first() {
            let gateway = exec.iter().find_map(|c| c.base.as_deref().filter(|b| GLOBAL_GATEWAYS.contains(b)));
            let mut evidence: Vec<String> = exec.iter().take(3).map(Chain::render).collect();
            if exec.len() > 3 {
                evidence.push(format!("and {} more", exec.len() - 3));
            }
            out.issues.push(Issue {
                kind: IssueKind::CodeExecution,
                message: match gateway {
                    Some(g) => format!("template reaches Python globals or code execution through `{g}`"),
                    None => "template reaches Python globals, builtins or code execution".into(),
                },
                evidence: evidence.join("; "),
                line: Some(first.line),
                col: Some(first.col),
            });
        }
        let string_exploit: Vec<_> = self.string_dunders.iter().filter(|(n, _, _)| is_exploit(n)).collect();
        if !out.has(IssueKind::CodeExecution)
            && (!string_exploit.is_empty() || (any_dunder && sink_called && !self.string_dunders.is_empty()))
        {
            let (_, line, col) =
                string_exploit.first().copied().or(self.string_dunders.first()).cloned().unwrap_or_default();
            let names: BTreeSet<_> = self.string_dunders.iter().map(|(n, _, _)| n.clone()).collect();
            out.issues.push(Issue {
                kind: IssueKind::CodeExecution,
                message: "template builds names of Python internals in strings (format fields, attr names)".into(),
                evidence: names.into_iter().collect::<Vec<_>>().join(", "),
                line: Some(line),
                col: Some(col),
            });
        }
        if any_dunder && sink_called && !out.has(IssueKind::CodeExecution) {
            let sinks: Vec<_> =
                self.called_names.iter().filter(|n| SINK_NAMES.contains(&n.as_str())).cloned().collect();
            out.issues.push(Issue {
                kind: IssueKind::CodeExecution,
                message: "template accesses Python internals and calls a code-execution function".into(),
                evidence: sinks.join(", "),
                line: None,
                col: None,
            });
        }
        if !out.has(IssueKind::CodeExecution) {
            let intro = keep(&intro);
            if let Some(first) = intro.first() {
                let mut evidence: Vec<String> = intro.iter().take(3).map(Chain::render).collect();
                if intro.len() > 3 {
                    evidence.push(format!("and {} more", intro.len() - 3));
                }
                out.issues.push(Issue {
                    kind: IssueKind::Introspection,
                    message: "template accesses Python internals (dunder attributes)".into(),
                    evidence: evidence.join("; "),
                    line: Some(first.line),
                    col: Some(first.col),
                });
            }
            if !self.string_dunders.is_empty() && !out.has(IssueKind::Introspection) {
                let (_, line, col) = self.string_dunders[0].clone();
                let names: BTreeSet<_> = self.string_dunders.iter().map(|(n, _, _)| n.clone()).collect();
                out.issues.push(Issue {
                    kind: IssueKind::Introspection,
                    message: "template strings name Python internals (dunder attributes)".into(),
                    evidence: names.into_iter().collect::<Vec<_>>().join(", "),
                    line: Some(line),
                    col: Some(col),
                });
            }
        }
        if let Some(&(line, col)) = self.dynamic_attr.first() {
            // A computed attribute name next to string pieces of exploit names is an obfuscated chain.
            const PIECES: &[&str] = &["glob", "builtin", "import", "popen", "subprocess", "subclasses", "mro"];
            // Pieces may be split across strings (`['__glo', 'bals__']`): also look at them joined.
            let joined: String = self.strings.concat();
            let pieces: Vec<&str> = PIECES.iter().copied().filter(|p| joined.contains(p)).collect();
            let exec = !pieces.is_empty() && !out.has(IssueKind::CodeExecution);
            out.issues.push(Issue {
                kind: if exec { IssueKind::CodeExecution } else { IssueKind::Introspection },
                message: "template looks attributes up by computed name (`attr` filter with a non-constant argument)"
                    .into(),
                evidence: if exec {
                    format!("{} dynamic `attr` lookups; strings contain {}", self.dynamic_attr.len(), pieces.join(", "))
                } else {
                    format!("{} dynamic `attr` lookups", self.dynamic_attr.len())
                },
                line: Some(line),
                col: Some(col),
            });
        }
        if self.depth_limited {
            out.issues.push(Issue {
                kind: IssueKind::Introspection,
                message: format!("template nests deeper than {MAX_WALK_DEPTH} levels; deeper parts were not analysed"),
                evidence: String::new(),
                line: None,
                col: None,
            });
        }
    }
}

/// Resolves `base.a["b"]|attr("c")` into a chain when every name folds to a constant.
/// Non-constant steps end the chain at that point (the part seen so far is kept).
fn chain_of(env: &Env, e: &Expr<'_>, d: u32) -> Option<Chain> {
    if d > 200 {
        return None;
    }
    match e {
        Expr::Var(v) => Some(Chain { base: Some(v.id.to_string()), ..Chain::default() }),
        Expr::GetAttr(g) => {
            let mut c = chain_of(env, &g.expr, d + 1).unwrap_or_default();
            c.names.push(g.name.to_string());
            Some(c)
        }
        Expr::GetItem(g) => {
            let mut c = chain_of(env, &g.expr, d + 1).unwrap_or_default();
            match fold(env, &g.subscript_expr, 0) {
                Some(s) => c.names.push(s),
                None => c.names.push("?".into()),
            }
            c.items.resize(c.names.len() - 1, false);
            c.items.push(true);
            Some(c)
        }
        Expr::Filter(f) if f.name == "attr" => {
            let mut c = f.expr.as_ref().and_then(|x| chain_of(env, x, d + 1)).unwrap_or_default();
            let name = match f.args.first() {
                Some(CallArg::Pos(a)) => fold(env, a, 0)?,
                _ => return None,
            };
            c.names.push(name);
            Some(c)
        }
        Expr::Call(c) => {
            let mut ch = chain_of(env, &c.expr, d + 1)?;
            if let Some(last) = ch.names.last_mut() {
                last.push_str("()");
            } else if let Some(b) = ch.base.as_mut() {
                b.push_str("()");
            }
            Some(ch)
        }
        Expr::Const(c) if c.value.as_str().is_some() => Some(Chain { base: Some("''".into()), ..Chain::default() }),
        Expr::Const(_) | Expr::List(_) | Expr::Tuple(_) | Expr::Map(_) => {
            Some(Chain { base: Some("<literal>".into()), ..Chain::default() })
        }
        _ => None,
    }
}

/// Constant-folds an expression to a string, where that is possible without running anything
/// beyond string concatenation, repetition, `join`, `format`, case and `replace` filters.
fn fold(env: &Env, e: &Expr<'_>, d: u32) -> Option<String> {
    if d > 64 {
        return None;
    }
    let r = match e {
        Expr::Var(v) => env.get(v.id).cloned(),
        Expr::Const(c) => {
            if let Some(s) = c.value.as_str() {
                Some(s.to_string())
            } else {
                c.value.as_i64().map(|i| i.to_string())
            }
        }
        Expr::BinOp(b) => match b.op {
            ast::BinOpKind::Concat | ast::BinOpKind::Add => {
                let l = fold(env, &b.left, d + 1)?;
                let r = fold(env, &b.right, d + 1)?;
                if l.len() + r.len() > MAX_FOLD_LEN {
                    return None;
                }
                Some(l + &r)
            }
            ast::BinOpKind::Mul => {
                let (s, n) = match (&b.left, &b.right) {
                    (x, Expr::Const(n)) | (Expr::Const(n), x) if n.value.as_i64().is_some() => {
                        (fold_str(env, x, d)?, n.value.as_i64()?)
                    }
                    _ => return None,
                };
                let n = usize::try_from(n).ok()?;
                if s.len().saturating_mul(n) > MAX_FOLD_LEN {
                    return None;
                }
                Some(s.repeat(n))
            }
            _ => None,
        },
        Expr::Filter(f) => {
            let arg = |i: usize| match f.args.get(i) {
                Some(CallArg::Pos(a)) => fold(env, a, d + 1),
                _ => None,
            };
            let input = f.expr.as_ref()?;
            match f.name {
                "join" => {
                    let items = list_items(input)?;
                    let sep = if f.args.is_empty() { String::new() } else { arg(0)? };
                    let parts: Option<Vec<String>> = items.iter().map(|x| fold(env, x, d + 1)).collect();
                    let s = parts?.join(&sep);
                    (s.len() <= MAX_FOLD_LEN).then_some(s)
                }
                "format" => {
                    let fmt = fold(env, input, d + 1)?;
                    let args: Option<Vec<String>> = f
                        .args
                        .iter()
                        .map(|a| match a {
                            CallArg::Pos(a) => fold(env, a, d + 1),
                            _ => None,
                        })
                        .collect();
                    percent_format(&fmt, &args?)
                }
                "lower" => Some(fold(env, input, d + 1)?.to_lowercase()),
                "upper" => Some(fold(env, input, d + 1)?.to_uppercase()),
                "string" | "trim" | "safe" | "e" | "escape" => {
                    fold(env, input, d + 1).map(|s| if f.name == "trim" { s.trim().to_string() } else { s })
                }
                "reverse" => Some(fold(env, input, d + 1)?.chars().rev().collect()),
                "replace" => {
                    let s = fold(env, input, d + 1)?;
                    let r = s.replace(&arg(0)?, &arg(1)?);
                    (r.len() <= MAX_FOLD_LEN).then_some(r)
                }
                "first" => list_items(input).and_then(|v| v.first().and_then(|x| fold(env, x, d + 1))),
                "last" => list_items(input).and_then(|v| v.last().and_then(|x| fold(env, x, d + 1))),
                _ => None,
            }
        }
        Expr::Call(c) => {
            // `'{}{}'.format(a, b)`, `'x'.join([...])`, `'x'.replace(a, b)`, `'X'.lower()`.
            let Expr::GetAttr(ga) = &c.expr else { return None };
            let recv = || fold(env, &ga.expr, d + 1);
            let pos = |i: usize| match c.args.get(i) {
                Some(CallArg::Pos(a)) => fold(env, a, d + 1),
                _ => None,
            };
            match ga.name {
                "format" => {
                    let args: Option<Vec<String>> = c
                        .args
                        .iter()
                        .map(|a| match a {
                            CallArg::Pos(a) => fold(env, a, d + 1),
                            _ => None,
                        })
                        .collect();
                    brace_format(&recv()?, &args?)
                }
                "join" => {
                    let sep = recv()?;
                    let Some(CallArg::Pos(a)) = c.args.first() else { return None };
                    let parts: Option<Vec<String>> = list_items(a)?.iter().map(|x| fold(env, x, d + 1)).collect();
                    let s = parts?.join(&sep);
                    (s.len() <= MAX_FOLD_LEN).then_some(s)
                }
                "replace" => {
                    let r = recv()?.replace(&pos(0)?, &pos(1)?);
                    (r.len() <= MAX_FOLD_LEN).then_some(r)
                }
                "lower" => Some(recv()?.to_lowercase()),
                "upper" => Some(recv()?.to_uppercase()),
                "strip" => Some(recv()?.trim().to_string()),
                _ => None,
            }
        }
        Expr::GetItem(g) => {
            // `'__class__'[0:]` style slicing is rare; `['a','b'][0]` is folded.
            let items = list_items(&g.expr)?;
            let Expr::Const(i) = &g.subscript_expr else { return None };
            let i = usize::try_from(i.value.as_i64()?).ok()?;
            fold(env, items.get(i)?, d + 1)
        }
        _ => None,
    };
    r.filter(|s| s.len() <= MAX_FOLD_LEN)
}

fn fold_str(env: &Env, e: &Expr<'_>, d: u32) -> Option<String> {
    match e {
        Expr::Const(c) if c.value.as_i64().is_some() => None,
        _ => fold(env, e, d + 1),
    }
}

fn list_items<'a, 'b>(e: &'b Expr<'a>) -> Option<&'b [Expr<'a>]> {
    match e {
        Expr::List(l) => Some(&l.items),
        Expr::Tuple(t) => Some(&t.items),
        _ => None,
    }
}

/// Python `%`-formatting for `%s`, `%c`, `%d`, `%x` and `%%`.
fn percent_format(fmt: &str, args: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'r' | 'd' | 'i' => out.push_str(it.next()?),
            'c' => {
                let a = it.next()?;
                match a.parse::<u32>() {
                    Ok(n) => out.push(char::from_u32(n)?),
                    Err(_) => out.push_str(a),
                }
            }
            'x' => out.push_str(&format!("{:x}", it.next()?.parse::<i64>().ok()?)),
            _ => return None,
        }
        if out.len() > MAX_FOLD_LEN {
            return None;
        }
    }
    Some(out)
}

/// Python `str.format` for `{}`, `{0}` and `{{`/`}}` (fields with attributes are left alone).
fn brace_format(fmt: &str, args: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut auto = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                for x in chars.by_ref() {
                    if x == '}' {
                        break;
                    }
                    field.push(x);
                }
                let idx = if field.is_empty() {
                    auto += 1;
                    auto - 1
                } else {
                    field.parse::<usize>().ok()?
                };
                out.push_str(args.get(idx)?);
            }
            _ => out.push(c),
        }
        if out.len() > MAX_FOLD_LEN {
            return None;
        }
    }
    Some(out)
}

/// The names traversed by `str.format` replacement fields: `{0.__class__[x].y}` → `[__class__, x, y]`.
fn format_fields(s: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        if rest.starts_with('{') {
            rest = &rest[1..];
            continue;
        }
        let end = rest.find('}').unwrap_or(rest.len());
        let field = &rest[..end];
        let field = field.split([':', '!']).next().unwrap_or("");
        let names: Vec<String> = field
            .split(['.', '[', ']'])
            .skip(1)
            .filter(|p| !p.is_empty())
            .map(|p| p.trim_matches(|c| c == '\'' || c == '"').to_string())
            .collect();
        if !names.is_empty() && out.len() < 64 {
            out.push(names);
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worst(t: &str) -> Option<IssueKind> {
        let a = analyze(t);
        a.issues.iter().map(|i| i.kind).filter(|k| *k != IssueKind::Unparsable).max()
    }

    #[test]
    fn benign_templates_pass() {
        let chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        let a = analyze(chatml);
        assert!(a.parsed && a.issues.is_empty(), "{a:?}");
        let llama3 = "{{- bos_token }}{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}{%- set ns = namespace(system='') %}{%- for m in messages %}{%- if m.role == 'system' %}{%- set ns.system = m.content | trim %}{%- endif %}{%- endfor %}{%- if tools is not none %}{{- tools | tojson(indent=4) }}{%- endif %}{{- strftime_now('%d %b %Y') }}{%- if messages[0]['role'] == 'user' and false %}{{ raise_exception('x') }}{%- endif %}{% macro render(x) %}{{ x.name }}{% endmacro %}{{ render(messages[0]) }}{% generation %}{{ 'a' }}{% endgeneration %}";
        let a = analyze(llama3);
        assert!(a.parsed && a.issues.is_empty(), "{a:?}");
    }

    #[test]
    fn ssti_chains_are_code_execution() {
        for t in [
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            "{{ joiner.__init__.__globals__.__builtins__.__import__('os').system('true') }}",
            "{{ namespace.__init__.__globals__['__builtins__']['eval']('1') }}",
            "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').popen('true').read() }}{% endif %}{% endfor %}",
            "{{ lipsum|attr('__glo' ~ 'bals__') }}",
            "{{ lipsum|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}",
            "{{ lipsum|attr(['__glob','als__']|join) }}",
            "{{ lipsum|attr('%c%cglobals%c%c'|format(95,95,95,95)) }}",
            "{{ '{0.__init__.__globals__[os].system}'.format(cycler) }}",
            "{% if false %}{{ self.__init__.__globals__ }}{% endif %}",
            "{{ os.popen('id') }}",
            "{% set a = '__glo' %}{% set b = a ~ 'bals__' %}{{ lipsum|attr(b) }}",
            "{% for p in ['__glo', 'bals__'] %}{% set x = x ~ p %}{% endfor %}{{ lipsum|attr(x) }}",
            "{{ (lipsum|attr('__glo' ~ 'bals__'))['o' ~ 's']|attr('po' ~ 'pen')('true') }}",
        ] {
            assert_eq!(worst(t), Some(IssueKind::CodeExecution), "{t}");
        }
    }

    #[test]
    fn recon_is_introspection() {
        assert_eq!(worst("{{ ''.__class__.__mro__[1].__subclasses__() }}"), Some(IssueKind::Introspection));
        assert_eq!(worst("{{ x|attr(y) }}"), Some(IssueKind::Introspection));
        assert_eq!(worst("{% set sys = messages[0] %}{{ sys.content }}{{ os }}"), None);
        assert_eq!(worst("{{ sys.modules }}"), Some(IssueKind::CodeExecution));
        assert_eq!(worst("{{ eval('1') }}"), Some(IssueKind::CodeExecution));
    }

    #[test]
    fn unparsable_falls_back_to_text() {
        let a = analyze("{% for %}{{ cycler.__init__.__globals__ }}");
        assert!(a.has(IssueKind::Unparsable));
        assert!(a.has(IssueKind::CodeExecution));
        let a = analyze("{% if %}");
        assert!(a.has(IssueKind::Unparsable) && a.issues.len() == 1);
    }

    #[test]
    fn deep_and_huge_inputs_are_bounded() {
        let deep = format!("{{{{ {}1 }}}}", "a ~ ".repeat(100_000));
        let _ = analyze(&deep);
        let nested = format!("{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
        let _ = analyze(&nested);
        // Fuzz regressions: `{%}` made the tag stripper slice backwards.
        let _ = analyze("{%}{% if add_generation+ '\\n'}}{% endfor '<|im_e}");
        let _ = analyze("{%}");
        let big = "x".repeat(MAX_PARSE_BYTES + 1);
        assert!(analyze(&big).has(IssueKind::Unparsable));
    }

    #[test]
    fn folding() {
        assert_eq!(percent_format("%c%c", &["95".into(), "95".into()]).as_deref(), Some("__"));
        assert_eq!(brace_format("{}{}x{0}", &["a".into(), "b".into()]).as_deref(), Some("abxa"));
        assert_eq!(format_fields("{0.__class__[x]}"), vec![vec!["__class__".to_string(), "x".to_string()]]);
    }
}
