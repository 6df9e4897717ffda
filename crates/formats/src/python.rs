//! Python source files (Hugging Face `trust_remote_code` modules), parsed to an
//! AST with Ruff's parser and walked, never imported or run.
//!
//! The walk resolves import aliases (`import os as o`, `from os import system as
//! s`), folds constant strings (`'o' + 's'`, `''.join(...)`, `chr`, reversed
//! slices, `bytes.fromhex`, base64, rot13) so that names built at run time are
//! seen, and follows values fetched from the network into `exec` and pickle
//! loaders. What it finds is returned as [`Hit`]s; the engine turns them into findings.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use base64::Engine as _;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

mod exfil;

/// Largest source analysed (larger files are reported, not parsed).
pub const MAX_SOURCE: usize = 4 << 20;
/// Deepest expression/statement nesting walked.
const MAX_DEPTH: u32 = 200;
/// Most hits kept per file.
const MAX_HITS: usize = 500;
/// Longest constant string built while folding.
const MAX_FOLD: usize = 1 << 20;
/// How deep `exec("...")` payloads are parsed and analysed in turn.
const MAX_PAYLOAD_DEPTH: u32 = 3;
/// Stack for the parser thread: deep but bounded nesting must not overflow when the tree is walked or dropped.
/// Only the pages a parse touches are ever committed.
const STACK: usize = 512 << 20;

/// What a hit is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HitKind {
    /// `os.system`, `subprocess.*`, `pty.spawn`, `os.exec*`, ... (called or passed as a callback).
    ProcessExec,
    /// `exec`/`eval`/`compile` of code that is not a literal.
    DynamicCode,
    /// Code decoded (base64, hex, rot13, zlib, marshal) and then executed.
    EncodedExec,
    /// A dangerous function reached through names built at run time (`getattr`, `__import__`, concatenation).
    Obfuscated,
    /// Data fetched from the network that is executed or deserialised.
    RemotePayload,
    /// `pickle.load(s)`, `torch.load(weights_only=False)`, `dill`, `joblib.load`, ...
    UnsafeDeserialize,
    /// `ctypes` / `cffi`: native code and raw memory.
    NativeCode,
    /// `sys.modules`, `builtins`, import hooks or tracing replaced.
    RuntimeTamper,
    /// A write to site-packages, a `.pth` file or a shell start-up file.
    PersistenceWrite,
    /// A raw network socket.
    Socket,
    /// A thread or process started when the module is imported.
    BackgroundTask,
    /// A download (`urllib`, `requests`, `httpx`).
    NetworkFetch,
    /// A secret (token-like environment variable, the whole environment, a
    /// credential file) read, and data sent over the network: `flow` when the
    /// secret was traced into the send's arguments.
    SecretExfiltration { flow: bool },
}

/// One thing found, at a byte offset of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub kind: HitKind,
    pub offset: u32,
    /// 1-based line and column (in characters).
    pub line: u32,
    pub col: u32,
    /// Runs when the module is imported (not inside a function or a `__main__` guard).
    pub import_time: bool,
    pub detail: String,
    pub evidence: Option<String>,
}

/// The result of analysing one source file.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub hits: Vec<Hit>,
    /// The first syntax error: offset, line, column, message.
    pub syntax_error: Option<(u32, u32, u32, String)>,
    /// A bound was reached (size, nesting, hit count): part of the file was not analysed.
    pub limited: Option<String>,
}

/// Parses and analyses Python source. Runs on a thread with a large stack so
/// that hostile nesting cannot overflow the caller's.
///
/// Small sources (a TorchScript archive holds dozens of them) are analysed on
/// the calling thread when [`spawn_scoped`] started it, else on one
/// long-lived helper thread per calling thread: a thread started per file
/// cost more than parsing it (its stack, and a fresh allocator heap whose
/// pages the kernel zeroes). Larger sources get a thread of their own, so that
/// the stack a deep parse touched is returned when it ends.
pub fn analyze(source: &str) -> Analysis {
    if source.len() > MAX_SOURCE {
        return Analysis {
            limited: Some(format!("{} bytes is above the {MAX_SOURCE}-byte limit for Python source", source.len())),
            ..Analysis::default()
        };
    }
    if source.len() <= HELPER_MAX_SOURCE {
        if LARGE_STACK.get() {
            return catch_unwind(AssertUnwindSafe(|| analyze_here(source))).unwrap_or_else(|_| failed());
        }
        if let Some(a) = helper::run(source) {
            return a;
        }
    }
    let owned = source.to_string();
    let worker = std::thread::Builder::new().name("modelvet-python".into()).stack_size(STACK);
    match worker.spawn(move || analyze_here(&owned)) {
        Ok(handle) => handle.join().unwrap_or_else(|_| failed()),
        Err(e) => {
            Analysis { limited: Some(format!("could not start the Python analysis: {e}")), ..Analysis::default() }
        }
    }
}

thread_local! {
    /// Set on threads started by [`spawn_scoped`], whose stack is [`STACK`] bytes.
    static LARGE_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Starts `f` on a scoped thread whose stack is as large as the Python
/// analysis needs, so that [`analyze`] runs small sources on that thread
/// itself rather than handing them to a helper thread. For scan workers.
pub fn spawn_scoped<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    name: &str,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new().name(name.into()).stack_size(STACK).spawn_scoped(scope, move || {
        LARGE_STACK.set(true);
        f()
    })
}

/// Largest source analysed on the long-lived helper thread: its nesting, and
/// so the stack it can leave touched, is small.
const HELPER_MAX_SOURCE: usize = 64 << 10;

fn failed() -> Analysis {
    Analysis { limited: Some("the Python analysis failed".into()), ..Analysis::default() }
}

/// One long-lived analysis thread per calling thread, started on first use;
/// it ends when the calling thread does (its channel closes).
mod helper {
    use std::cell::RefCell;
    use std::sync::mpsc::{Receiver, Sender, channel};

    use super::{Analysis, AssertUnwindSafe, STACK, analyze_here, catch_unwind, failed};

    struct Helper {
        jobs: Sender<String>,
        done: Receiver<Analysis>,
    }

    thread_local! {
        static HELPER: RefCell<Option<Helper>> = const { RefCell::new(None) };
    }

    fn start() -> Option<Helper> {
        let (jobs, todo) = channel::<String>();
        let (tell, done) = channel::<Analysis>();
        std::thread::Builder::new()
            .name("modelvet-python".into())
            .stack_size(STACK)
            .spawn(move || {
                for source in todo {
                    // A panic is this file's failure, not the helper's end.
                    let a = catch_unwind(AssertUnwindSafe(|| analyze_here(&source))).unwrap_or_else(|_| failed());
                    if tell.send(a).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Helper { jobs, done })
    }

    /// The analysis of `source` on this thread's helper; `None` when no helper
    /// can be started (the caller starts a thread of its own).
    pub(super) fn run(source: &str) -> Option<Analysis> {
        HELPER.with(|h| {
            let mut h = h.try_borrow_mut().ok()?;
            if h.is_none() {
                *h = start();
            }
            let helper = h.as_ref()?;
            let answer = helper.jobs.send(source.to_string()).ok().and_then(|()| helper.done.recv().ok());
            if answer.is_none() {
                // The helper is gone (it cannot panic out of its loop; an abort
                // ends the process): start another next time.
                *h = None;
                return Some(failed());
            }
            answer
        })
    }
}

/// [`analyze`] on the current thread (the caller provides the stack).
fn analyze_here(source: &str) -> Analysis {
    let lines = LineIndex::new(source);
    let mut a = Analyzer::new(&lines, 0, None);
    a.run(source);
    a.into_analysis()
}

struct LineIndex {
    starts: Vec<usize>,
    text: String,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Self { starts, text: text.to_string() }
    }

    fn line_col(&self, offset: u32) -> (u32, u32) {
        let off = (offset as usize).min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= off).max(1);
        let start = self.starts[line - 1];
        let col = self.text.get(start..off).map_or(off - start, |s| s.chars().count()) + 1;
        (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX))
    }
}

/// How a name was reached.
#[derive(Debug, Clone)]
struct Resolved {
    name: String,
    /// Built at run time (getattr, __import__, builtins dict, folded strings).
    obfuscated: bool,
}

#[derive(Default, Clone)]
struct Scope {
    tainted: HashSet<String>,
    /// Variables holding a secret (see [`exfil`]).
    secret: HashSet<String>,
    /// ... that is only the Hugging Face token.
    hf_token: HashSet<String>,
}

struct Analyzer<'s> {
    lines: &'s LineIndex,
    /// Offset of this source inside the outer file's location (payloads report at the outer call).
    at: Option<(u32, String)>,
    payload_depth: u32,
    /// Local name -> qualified name, and whether it was reached by obfuscation.
    aliases: HashMap<String, (String, bool)>,
    star_modules: Vec<String>,
    consts: HashMap<String, String>,
    /// Variables holding paths that mention persistence targets.
    paths: HashMap<String, String>,
    /// Variables holding bytes this code pickled itself (`pickle.dumps`).
    dumped: HashSet<String>,
    scopes: Vec<Scope>,
    in_function: u32,
    main_guard: u32,
    depth: u32,
    hits: Vec<Hit>,
    syntax_error: Option<(u32, u32, u32, String)>,
    limited: Option<String>,
    exfil: exfil::ExfilState,
}

const BUILTINS: &[&str] = &[
    "exec",
    "eval",
    "compile",
    "__import__",
    "getattr",
    "setattr",
    "open",
    "globals",
    "vars",
    "execfile",
    "breakpoint",
];

const PROCESS: &[&str] = &[
    "os.system",
    "os.popen",
    "os.popen2",
    "os.popen3",
    "os.popen4",
    "os.startfile",
    "os.posix_spawn",
    "os.posix_spawnp",
    "os.forkpty",
    "subprocess.Popen",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "pty.spawn",
    "commands.getoutput",
    "commands.getstatusoutput",
    "commands.getstatus",
    "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell",
    "platform.popen",
    "popen2.popen2",
    "popen2.popen3",
    "popen2.popen4",
];

const CODE: &[&str] =
    &["builtins.exec", "builtins.eval", "builtins.compile", "builtins.execfile", "runpy.run_path", "runpy.run_module"];

const DECODERS: &[&str] = &[
    "base64.b64decode",
    "base64.b32decode",
    "base64.b16decode",
    "base64.b85decode",
    "base64.a85decode",
    "base64.urlsafe_b64decode",
    "base64.standard_b64decode",
    "base64.decodebytes",
    "base64.decodestring",
    "binascii.a2b_base64",
    "binascii.a2b_hex",
    "binascii.unhexlify",
    "codecs.decode",
    "zlib.decompress",
    "gzip.decompress",
    "bz2.decompress",
    "lzma.decompress",
    "marshal.loads",
    "marshal.load",
    "bytes.fromhex",
];

const DESER: &[&str] = &[
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "dill.load",
    "dill.loads",
    "cloudpickle.load",
    "cloudpickle.loads",
    "joblib.load",
    "pandas.read_pickle",
    "shelve.open",
    "jsonpickle.decode",
    "yaml.unsafe_load",
    "yaml.full_load",
    "marshal.loads",
    "marshal.load",
];

const FETCH: &[&str] = &[
    "urllib.request.urlopen",
    "urllib.request.urlretrieve",
    "urllib.urlopen",
    "urllib.urlretrieve",
    "urllib2.urlopen",
    "requests.get",
    "requests.post",
    "requests.request",
    "requests.put",
    "httpx.get",
    "httpx.post",
    "httpx.request",
    "httpx.stream",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "wget.download",
    "ftplib.FTP",
];

const SOCKET: &[&str] =
    &["socket.socket", "socket.create_connection", "socket.create_server", "socket.socketpair", "socket.fromfd"];

const BACKGROUND: &[&str] = &[
    "threading.Thread",
    "threading.Timer",
    "_thread.start_new_thread",
    "_thread.start_new",
    "thread.start_new_thread",
    "multiprocessing.Process",
    "os.fork",
];

const TAMPER_CALLS: &[&str] = &[
    "sys.meta_path.insert",
    "sys.meta_path.append",
    "sys.path_hooks.insert",
    "sys.path_hooks.append",
    "sys.settrace",
    "sys.setprofile",
    "sys.modules.__setitem__",
    "sys.modules.update",
    "builtins.__dict__.update",
    "builtins.__dict__.__setitem__",
    "threading.settrace",
];

const PERSIST_MARKERS: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    "config.fish",
    "site-packages",
    "dist-packages",
    "sitecustomize",
    "usercustomize",
    "/etc/cron",
    "crontab",
    "authorized_keys",
    "/etc/profile",
    "/etc/rc.local",
    "/etc/ld.so.preload",
    ".config/autostart",
    "systemd/user",
    "launchagents",
];

const SITE_CALLS: &[&str] =
    &["site.getsitepackages", "site.getusersitepackages", "sysconfig.get_paths", "sysconfig.get_path"];

fn is_process(name: &str) -> bool {
    PROCESS.contains(&name)
        || ["os.exec", "os.spawn", "posix.exec", "posix.spawn"].iter().any(|p| {
            name.strip_prefix(p).is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase()))
        })
}

fn is_native(name: &str) -> bool {
    name.starts_with("ctypes.") || name.starts_with("_ctypes.") || name == "cffi.FFI"
}

/// Top-level modules of the Python standard library (CPython 3.11's
/// `sys.stdlib_module_names`, plus the Python 2 names pickles and old configs
/// still use), sorted for a binary search.
const STDLIB_MODULES: &[&str] = &[
    "StringIO",
    "__builtin__",
    "__future__",
    "_abc",
    "_aix_support",
    "_ast",
    "_asyncio",
    "_bisect",
    "_blake2",
    "_bootsubprocess",
    "_bz2",
    "_codecs",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_collections",
    "_collections_abc",
    "_compat_pickle",
    "_compression",
    "_contextvars",
    "_crypt",
    "_csv",
    "_ctypes",
    "_curses",
    "_curses_panel",
    "_datetime",
    "_dbm",
    "_decimal",
    "_elementtree",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_functools",
    "_gdbm",
    "_hashlib",
    "_heapq",
    "_imp",
    "_io",
    "_json",
    "_locale",
    "_lsprof",
    "_lzma",
    "_markupbase",
    "_md5",
    "_msi",
    "_multibytecodec",
    "_multiprocessing",
    "_opcode",
    "_operator",
    "_osx_support",
    "_overlapped",
    "_pickle",
    "_posixshmem",
    "_posixsubprocess",
    "_py_abc",
    "_pydecimal",
    "_pyio",
    "_queue",
    "_random",
    "_scproxy",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_signal",
    "_sitebuiltins",
    "_socket",
    "_sqlite3",
    "_sre",
    "_ssl",
    "_stat",
    "_statistics",
    "_string",
    "_strptime",
    "_struct",
    "_symtable",
    "_thread",
    "_threading_local",
    "_tkinter",
    "_tokenize",
    "_tracemalloc",
    "_typing",
    "_uuid",
    "_warnings",
    "_weakref",
    "_weakrefset",
    "_winapi",
    "_zoneinfo",
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cPickle",
    "cProfile",
    "cStringIO",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "commands",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copy_reg",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "exceptions",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "httplib",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "popen2",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "thread",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "urllib2",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Whether `module` (dotted or not) belongs to the Python standard library: a
/// module that is never a project's own code.
pub fn is_stdlib_module(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    STDLIB_MODULES.binary_search(&top).is_ok()
}

fn normalize_module(m: &str) -> String {
    let (head, rest) = m.split_once('.').map_or((m, None), |(h, r)| (h, Some(r)));
    let head = match head {
        "posix" | "nt" => "os",
        "__builtin__" | "__builtins__" => "builtins",
        "_pickle" | "cPickle" => "pickle",
        "_posixsubprocess" => "subprocess",
        "_socket" => "socket",
        "urllib2" => "urllib2",
        h => h,
    };
    match rest {
        Some(r) => format!("{head}.{r}"),
        None => head.to_string(),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn str_lit(e: &Expr) -> Option<&str> {
    match e {
        Expr::StringLiteral(s) => Some(s.value.to_str()),
        _ => None,
    }
}

fn int_lit(e: &Expr) -> Option<i64> {
    match e {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_i64(),
            _ => None,
        },
        Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOp::USub) => int_lit(&u.operand).map(|v| -v),
        _ => None,
    }
}

fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments.keywords.iter().find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name)).map(|k| &k.value)
}

fn arg<'a>(call: &'a ast::ExprCall, pos: usize, name: &str) -> Option<&'a Expr> {
    call.arguments.args.get(pos).or_else(|| keyword(call, name))
}

fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            _ => c,
        })
        .collect()
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| {
            let h = (p[0] as char).to_digit(16)?;
            let l = (p[1] as char).to_digit(16)?;
            u8::try_from(h * 16 + l).ok()
        })
        .collect()
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let e = &base64::engine::general_purpose::STANDARD;
    e.decode(clean.as_bytes())
        .ok()
        .or_else(|| base64::engine::general_purpose::URL_SAFE.decode(clean.as_bytes()).ok())
        .or_else(|| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(clean.trim_end_matches('=').as_bytes()).ok()
        })
}

/// A folded constant: its text and whether it went through a decoder.
#[derive(Debug, Clone)]
struct Folded {
    text: String,
    /// Built by an operation (concatenation, join, chr, ...), not written as one literal.
    built: bool,
    /// Went through base64/hex/rot13/zlib/marshal.
    decoded: bool,
}

impl<'s> Analyzer<'s> {
    fn new(lines: &'s LineIndex, payload_depth: u32, at: Option<(u32, String)>) -> Self {
        Self {
            lines,
            at,
            payload_depth,
            aliases: HashMap::new(),
            star_modules: Vec::new(),
            consts: HashMap::new(),
            paths: HashMap::new(),
            dumped: HashSet::new(),
            scopes: vec![Scope::default()],
            in_function: 0,
            main_guard: 0,
            depth: 0,
            hits: Vec::new(),
            syntax_error: None,
            limited: None,
            exfil: exfil::ExfilState::default(),
        }
    }

    fn run(&mut self, source: &str) {
        match ruff_python_parser::parse_module(source) {
            Ok(parsed) => {
                let module = parsed.into_syntax();
                self.visit_body(&module.body);
                self.finish_exfil();
            }
            Err(e) => {
                let off = u32::from(e.location.start());
                let (line, col) = self.lines.line_col(off);
                self.syntax_error = Some((off, line, col, e.error.to_string()));
            }
        }
    }

    fn into_analysis(self) -> Analysis {
        Analysis { hits: self.hits, syntax_error: self.syntax_error, limited: self.limited }
    }

    fn import_time(&self) -> bool {
        self.in_function == 0 && self.main_guard == 0
    }

    fn limit(&mut self, why: &str) {
        if self.limited.is_none() {
            self.limited = Some(why.to_string());
        }
    }

    fn hit(&mut self, kind: HitKind, node: &impl Ranged, detail: String, evidence: Option<String>) {
        if self.hits.len() >= MAX_HITS {
            self.limit("too many findings in one file");
            return;
        }
        let (offset, detail) = match &self.at {
            Some((outer, what)) => (*outer, format!("{detail} (in code passed to {what})")),
            None => (u32::from(node.start()), detail),
        };
        let (line, col) = self.lines.line_col(offset);
        let import_time = self.import_time();
        let h = Hit { kind, offset, line, col, import_time, detail, evidence };
        if !self.hits.contains(&h) {
            self.hits.push(h);
        }
    }

    // ---- names ----

    fn resolve(&self, e: &Expr, depth: u32) -> Option<Resolved> {
        if depth > 32 {
            return None;
        }
        match e {
            Expr::Name(n) => {
                let id = n.id.as_str();
                if let Some((q, obf)) = self.aliases.get(id) {
                    return Some(Resolved { name: q.clone(), obfuscated: *obf });
                }
                if id == "__builtins__" || id == "__builtin__" {
                    return Some(Resolved { name: "builtins".into(), obfuscated: false });
                }
                if BUILTINS.contains(&id) {
                    return Some(Resolved { name: format!("builtins.{id}"), obfuscated: false });
                }
                for m in &self.star_modules {
                    let q = format!("{m}.{id}");
                    if is_process(&q) || DESER.contains(&q.as_str()) || SOCKET.contains(&q.as_str()) {
                        return Some(Resolved { name: q, obfuscated: false });
                    }
                }
                None
            }
            Expr::Attribute(a) => {
                let base = self.resolve(&a.value, depth + 1)?;
                let attr = a.attr.as_str();
                if attr == "__dict__" {
                    return Some(base);
                }
                Some(Resolved { name: normalize_module(&format!("{}.{attr}", base.name)), obfuscated: base.obfuscated })
            }
            Expr::Subscript(s) => {
                let base = self.resolve(&s.value, depth + 1)?;
                let key = self.fold(&s.slice, 0)?;
                if base.name == "builtins" || base.name == "builtins.globals()" {
                    Some(Resolved { name: format!("builtins.{}", key.text), obfuscated: true })
                } else if base.name == "sys.modules" {
                    Some(Resolved { name: normalize_module(&key.text), obfuscated: true })
                } else {
                    None
                }
            }
            Expr::If(i) => self.resolve(&i.body, depth + 1).or_else(|| self.resolve(&i.orelse, depth + 1)),
            Expr::Call(c) => {
                let f = self.resolve(&c.func, depth + 1)?;
                match f.name.as_str() {
                    "builtins.__import__" | "importlib.import_module" | "importlib.__import__" => {
                        let m = self.fold(c.arguments.args.first()?, 0)?;
                        Some(Resolved { name: normalize_module(&m.text), obfuscated: true })
                    }
                    "builtins.getattr" => {
                        let base = self.resolve(c.arguments.args.first()?, depth + 1)?;
                        let name = self.fold(c.arguments.args.get(1)?, 0)?;
                        Some(Resolved {
                            name: normalize_module(&format!("{}.{}", base.name, name.text)),
                            obfuscated: true,
                        })
                    }
                    "builtins.vars" => c.arguments.args.first().and_then(|a| self.resolve(a, depth + 1)),
                    "builtins.globals" => Some(Resolved { name: "builtins.globals()".into(), obfuscated: true }),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    // ---- constant strings ----

    fn fold(&self, e: &Expr, depth: u32) -> Option<Folded> {
        if depth > 64 {
            return None;
        }
        let plain = |s: &str| Some(Folded { text: s.to_string(), built: false, decoded: false });
        let out = match e {
            Expr::StringLiteral(s) => plain(s.value.to_str()),
            Expr::BytesLiteral(b) => {
                let bytes: Vec<u8> = b.value.bytes().take(MAX_FOLD).collect();
                plain(&String::from_utf8_lossy(&bytes))
            }
            Expr::Name(n) => {
                self.consts.get(n.id.as_str()).map(|s| Folded { text: s.clone(), built: true, decoded: false })
            }
            Expr::FString(f) => {
                let mut text = String::new();
                for part in f.value.as_slice() {
                    match part {
                        ast::FStringPart::Literal(l) => text.push_str(l),
                        ast::FStringPart::FString(fs) => {
                            for el in &fs.elements {
                                match el {
                                    ast::InterpolatedStringElement::Literal(l) => text.push_str(l),
                                    ast::InterpolatedStringElement::Interpolation(i) => {
                                        text.push_str(&self.fold(&i.expression, depth + 1)?.text);
                                    }
                                }
                            }
                        }
                    }
                }
                Some(Folded { text, built: true, decoded: false })
            }
            Expr::BinOp(b) => match b.op {
                ast::Operator::Add => {
                    let l = self.fold(&b.left, depth + 1)?;
                    let r = self.fold(&b.right, depth + 1)?;
                    Some(Folded { text: l.text + &r.text, built: true, decoded: l.decoded || r.decoded })
                }
                ast::Operator::Mult => {
                    let (s, n) = match (self.fold(&b.left, depth + 1), int_lit(&b.right)) {
                        (Some(s), Some(n)) => (s, n),
                        _ => (self.fold(&b.right, depth + 1)?, int_lit(&b.left)?),
                    };
                    let n = usize::try_from(n).ok()?;
                    if s.text.len().saturating_mul(n) > MAX_FOLD {
                        return None;
                    }
                    Some(Folded { text: s.text.repeat(n), built: true, decoded: s.decoded })
                }
                _ => None,
            },
            Expr::Subscript(s) => {
                // "abc"[::-1]
                let Expr::Slice(sl) = &*s.slice else { return None };
                let base = self.fold(&s.value, depth + 1)?;
                if sl.lower.is_none() && sl.upper.is_none() && sl.step.as_deref().and_then(int_lit) == Some(-1) {
                    Some(Folded { text: base.text.chars().rev().collect(), built: true, decoded: base.decoded })
                } else {
                    None
                }
            }
            Expr::Call(c) => self.fold_call(c, depth),
            _ => None,
        }?;
        (out.text.len() <= MAX_FOLD).then_some(out)
    }

    fn fold_call(&self, c: &ast::ExprCall, depth: u32) -> Option<Folded> {
        let args = &c.arguments.args;
        // Method calls on a constant: "".join(...), b"..".decode(), s.replace(a, b)
        if let Expr::Attribute(a) = &*c.func {
            let method = a.attr.as_str();
            if let Some(recv) = self.fold(&a.value, depth + 1) {
                return match method {
                    "join" => {
                        let parts = self.fold_seq(args.first()?, depth + 1)?;
                        let decoded = recv.decoded || parts.iter().any(|p| p.decoded);
                        let text = parts.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(&recv.text);
                        Some(Folded { text, built: true, decoded })
                    }
                    "decode" | "encode" => {
                        let codec =
                            args.first().or_else(|| keyword(c, "encoding")).and_then(str_lit).unwrap_or("utf-8");
                        let codec = codec.to_ascii_lowercase().replace('-', "_");
                        let (text, decoded) = match codec.as_str() {
                            "rot13" | "rot_13" => (rot13(&recv.text), true),
                            "hex" | "hex_codec" => {
                                (String::from_utf8_lossy(&hex_decode(&recv.text)?).into_owned(), true)
                            }
                            "base64" | "base64_codec" => {
                                (String::from_utf8_lossy(&b64_decode(&recv.text)?).into_owned(), true)
                            }
                            _ => (recv.text, recv.decoded),
                        };
                        Some(Folded { text, built: true, decoded })
                    }
                    "replace" => {
                        let from = self.fold(args.first()?, depth + 1)?;
                        let to = self.fold(args.get(1)?, depth + 1)?;
                        if from.text.is_empty() {
                            return None;
                        }
                        let text = recv.text.replace(&from.text, &to.text);
                        (text.len() <= MAX_FOLD).then_some(Folded { text, built: true, decoded: recv.decoded })
                    }
                    "lower" => Some(Folded { text: recv.text.to_lowercase(), built: true, decoded: recv.decoded }),
                    "upper" => Some(Folded { text: recv.text.to_uppercase(), built: true, decoded: recv.decoded }),
                    "strip" => Some(Folded { text: recv.text.trim().to_string(), built: true, decoded: recv.decoded }),
                    _ => None,
                };
            }
        }
        let f = self.resolve(&c.func, 0)?;
        let first = || args.first().and_then(|a| self.fold(a, depth + 1));
        let decoded = |bytes: Vec<u8>| {
            Some(Folded { text: String::from_utf8_lossy(&bytes).into_owned(), built: true, decoded: true })
        };
        match f.name.as_str() {
            "builtins.chr" | "chr" => None,
            "base64.b64decode"
            | "base64.standard_b64decode"
            | "base64.urlsafe_b64decode"
            | "base64.decodebytes"
            | "base64.decodestring"
            | "binascii.a2b_base64" => decoded(b64_decode(&first()?.text)?),
            "bytes.fromhex" | "binascii.unhexlify" | "binascii.a2b_hex" | "base64.b16decode" => {
                decoded(hex_decode(&first()?.text)?)
            }
            "codecs.decode" | "codecs.encode" => {
                let s = first()?;
                let codec = args.get(1).or_else(|| keyword(c, "encoding")).and_then(str_lit)?.to_ascii_lowercase();
                match codec.replace('-', "_").as_str() {
                    "rot13" | "rot_13" => Some(Folded { text: rot13(&s.text), built: true, decoded: true }),
                    "hex" | "hex_codec" => decoded(hex_decode(&s.text)?),
                    "base64" | "base64_codec" => decoded(b64_decode(&s.text)?),
                    _ => None,
                }
            }
            "builtins.str" => first(),
            _ => None,
        }
        .or_else(|| self.fold_chr(c, depth))
    }

    /// `chr(111)`, `bytes([111, 115]).decode()`, `bytearray(...)`
    fn fold_chr(&self, c: &ast::ExprCall, depth: u32) -> Option<Folded> {
        let Expr::Name(n) = &*c.func else { return None };
        match n.id.as_str() {
            "chr" => {
                let v = u32::try_from(int_lit(c.arguments.args.first()?)?).ok()?;
                Some(Folded { text: char::from_u32(v)?.to_string(), built: true, decoded: false })
            }
            "bytes" | "bytearray" => {
                let items = match c.arguments.args.first()? {
                    Expr::List(l) => &l.elts,
                    Expr::Tuple(t) => &t.elts,
                    _ => return None,
                };
                let bytes: Option<Vec<u8>> =
                    items.iter().map(|e| int_lit(e).and_then(|v| u8::try_from(v).ok())).collect();
                Some(Folded { text: String::from_utf8_lossy(&bytes?).into_owned(), built: true, decoded: depth > 0 })
            }
            _ => None,
        }
    }

    /// The parts of a sequence for `join`: a list/tuple of constants,
    /// `map(chr, [...])`, `(chr(c) for c in [...])`.
    fn fold_seq(&self, e: &Expr, depth: u32) -> Option<Vec<Folded>> {
        let items_of = |e: &Expr| -> Option<Vec<Expr>> {
            match e {
                Expr::List(l) => Some(l.elts.clone()),
                Expr::Tuple(t) => Some(t.elts.clone()),
                _ => None,
            }
        };
        let chr_all = |items: &[Expr]| -> Option<Vec<Folded>> {
            items
                .iter()
                .map(|i| {
                    let v = u32::try_from(int_lit(i)?).ok()?;
                    Some(Folded { text: char::from_u32(v)?.to_string(), built: true, decoded: false })
                })
                .collect()
        };
        match e {
            Expr::List(_) | Expr::Tuple(_) => {
                let items = items_of(e)?;
                if items.len() > 100_000 {
                    return None;
                }
                items.iter().map(|i| self.fold(i, depth + 1)).collect()
            }
            Expr::Call(c) => {
                let Expr::Name(n) = &*c.func else { return None };
                if n.id.as_str() != "map" {
                    return None;
                }
                let Expr::Name(f) = c.arguments.args.first()? else { return None };
                if f.id.as_str() != "chr" {
                    return None;
                }
                chr_all(&items_of(c.arguments.args.get(1)?)?)
            }
            Expr::Generator(ast::ExprGenerator { elt, generators, .. })
            | Expr::ListComp(ast::ExprListComp { elt, generators, .. }) => {
                let Expr::Call(c) = &**elt else { return None };
                let Expr::Name(f) = &*c.func else { return None };
                if f.id.as_str() != "chr" || generators.len() != 1 {
                    return None;
                }
                chr_all(&items_of(&generators[0].iter)?)
            }
            _ => None,
        }
    }
}

/// Looks for an expression anywhere below `e` (bounded).
struct Finder<'f> {
    pred: &'f mut dyn FnMut(&Expr) -> bool,
    found: bool,
    depth: u32,
}

impl<'a> Visitor<'a> for Finder<'_> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if self.found || self.depth >= MAX_DEPTH {
            return;
        }
        if (self.pred)(e) {
            self.found = true;
            return;
        }
        self.depth += 1;
        visitor::walk_expr(self, e);
        self.depth -= 1;
    }
}

fn any_expr(e: &Expr, pred: &mut dyn FnMut(&Expr) -> bool) -> bool {
    let mut f = Finder { pred, found: false, depth: 0 };
    f.visit_expr(e);
    f.found
}

fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(c) = test else { return false };
    if c.ops.len() != 1 || !matches!(c.ops[0], ast::CmpOp::Eq) {
        return false;
    }
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| str_lit(e) == Some("__main__");
    (is_name(&c.left) && is_main(&c.comparators[0])) || (is_main(&c.left) && is_name(&c.comparators[0]))
}

const WRITE_METHODS: &[&str] =
    &["write_text", "write_bytes", "symlink_to", "hardlink_to", "rename", "replace", "writelines", "touch"];

impl Analyzer<'_> {
    fn is_tainted(&self, name: &str) -> bool {
        self.scopes.iter().rev().take(1).chain(self.scopes.first()).any(|s| s.tainted.contains(name))
    }

    /// The expression holds data fetched from the network.
    fn taints(&self, e: &Expr) -> bool {
        any_expr(e, &mut |x| match x {
            Expr::Name(n) => self.is_tainted(n.id.as_str()),
            Expr::Call(c) => self.resolve(&c.func, 0).is_some_and(|r| FETCH.contains(&r.name.as_str())),
            _ => false,
        })
    }

    /// The expression runs a decoder (base64, hex, rot13, zlib, marshal).
    fn decodes(&self, e: &Expr) -> bool {
        any_expr(e, &mut |x| match x {
            Expr::Call(c) => {
                if self.resolve(&c.func, 0).is_some_and(|r| DECODERS.contains(&r.name.as_str())) {
                    return true;
                }
                if let Expr::Attribute(a) = &*c.func
                    && matches!(a.attr.as_str(), "decode" | "fromhex" | "decompress")
                {
                    let codec = c.arguments.args.first().and_then(str_lit).unwrap_or("").to_ascii_lowercase();
                    return a.attr.as_str() != "decode"
                        || ["rot", "hex", "base64", "zlib", "bz2"].iter().any(|k| codec.contains(k));
                }
                false
            }
            _ => false,
        })
    }

    fn taint_targets(&mut self, target: &Expr) {
        let mut names = Vec::new();
        any_expr(target, &mut |x| {
            if let Expr::Name(n) = x {
                names.push(n.id.to_string());
            }
            false
        });
        if let Some(scope) = self.scopes.last_mut() {
            scope.tainted.extend(names);
        }
    }

    /// Strings mentioned below `e`: literals, folded constants and path variables.
    fn strings_in(&self, e: &Expr) -> Vec<String> {
        let mut out = Vec::new();
        any_expr(e, &mut |x| {
            if out.len() < 256 {
                match x {
                    Expr::StringLiteral(s) => out.push(s.value.to_str().to_string()),
                    Expr::Name(n) => {
                        if let Some(p) = self.paths.get(n.id.as_str()) {
                            out.push(p.clone());
                        } else if let Some(c) = self.consts.get(n.id.as_str()) {
                            out.push(c.clone());
                        }
                    }
                    Expr::Call(c) => {
                        if let Some(r) = self.resolve(&c.func, 0)
                            && SITE_CALLS.contains(&r.name.as_str())
                        {
                            out.push("site-packages".into());
                        } else if let Some(f) = self.fold(x, 0) {
                            out.push(f.text);
                        }
                    }
                    Expr::BinOp(_) | Expr::FString(_) => {
                        if let Some(f) = self.fold(x, 0) {
                            out.push(f.text);
                        }
                    }
                    _ => {}
                }
            }
            false
        });
        out
    }

    fn persistence_marker(&self, e: &Expr) -> Option<(String, &'static str)> {
        for s in self.strings_in(e) {
            let lower = s.to_ascii_lowercase();
            if let Some(m) = PERSIST_MARKERS.iter().find(|m| lower.contains(*m)) {
                return Some((s, m));
            }
        }
        None
    }

    fn assign(&mut self, targets: &[Expr], value: &Expr) {
        for t in targets {
            self.bind_exfil(t, value);
        }
        for t in targets {
            match t {
                Expr::Subscript(s) => {
                    let base = self.resolve(&s.value, 0).map(|r| r.name);
                    let own = matches!(&*s.slice, Expr::Name(n) if n.id.as_str() == "__name__");
                    match base.as_deref() {
                        Some("sys.modules") if !own => {
                            let key = self.fold(&s.slice, 0).map_or_else(|| "…".to_string(), |f| f.text);
                            self.hit(HitKind::RuntimeTamper, t, format!("sys.modules['{key}'] replaced"), None);
                        }
                        Some("builtins") => {
                            let key = self.fold(&s.slice, 0).map_or_else(|| "…".to_string(), |f| f.text);
                            self.hit(HitKind::RuntimeTamper, t, format!("builtins['{key}'] replaced"), None);
                        }
                        _ => {}
                    }
                }
                Expr::Attribute(a) => {
                    if let Some(r) = self.resolve(&a.value, 0)
                        && r.name == "builtins"
                    {
                        self.hit(HitKind::RuntimeTamper, t, format!("builtins.{} replaced", a.attr.as_str()), None);
                    }
                }
                _ => {}
            }
        }
        let [Expr::Name(n)] = targets else {
            if self.taints(value) {
                for t in targets {
                    self.taint_targets(t);
                }
            }
            return;
        };
        let name = n.id.to_string();
        if self.is_dumped(value) {
            self.dumped.insert(name.clone());
        } else {
            self.dumped.remove(&name);
        }
        if let Some(r) = self.resolve(value, 0) {
            self.aliases.insert(name.clone(), (r.name, r.obfuscated));
        } else {
            self.aliases.remove(&name);
        }
        if let Some(f) = self.fold(value, 0) {
            self.consts.insert(name.clone(), f.text);
        }
        if let Some((s, _)) = self.persistence_marker(value) {
            self.paths.insert(name.clone(), s);
        }
        if self.taints(value) {
            self.taint_targets(&targets[0]);
        }
    }

    fn describe(&self, c: &ast::ExprCall, name: &str) -> String {
        let shown = c.arguments.args.first().and_then(|a| self.fold(a, 0)).map(|f| truncate(&f.text, 120));
        match shown {
            Some(s) => format!("{name}({s:?})"),
            None => format!("{name}(…)"),
        }
    }

    fn check_call(&mut self, c: &ast::ExprCall) {
        self.check_callbacks(c);
        self.check_send(c);
        if let Expr::Attribute(a) = &*c.func
            && WRITE_METHODS.contains(&a.attr.as_str())
            && let Some((s, m)) = self.persistence_marker(&Expr::Call(c.clone()))
        {
            self.hit(HitKind::PersistenceWrite, c, format!(".{}() writes to {s:?} ({m})", a.attr.as_str()), None);
        }
        let Some(r) = self.resolve(&c.func, 0) else { return };
        let name = r.name.as_str();
        let obf = r.obfuscated;
        let dangerous_obf = |kind: HitKind| if obf { HitKind::Obfuscated } else { kind };
        if is_process(name) {
            let d = self.describe(c, name);
            let detail = if obf { format!("{d}: {name} reached through names built at run time") } else { d };
            self.hit(dangerous_obf(HitKind::ProcessExec), c, detail, None);
        } else if CODE.contains(&name) {
            self.check_code(c, name, obf);
        } else if matches!(name, "marshal.loads" | "marshal.load") {
            let kind = if c.arguments.args.iter().any(|a| self.taints(a)) {
                HitKind::RemotePayload
            } else {
                HitKind::EncodedExec
            };
            self.hit(kind, c, format!("{name}: a code object built from bytes"), None);
        } else if self.is_deserializer(c, name) && !self.is_deep_copy(c) {
            let fetched =
                c.arguments.args.iter().chain(c.arguments.keywords.iter().map(|k| &k.value)).any(|a| self.taints(a));
            if fetched {
                self.hit(HitKind::RemotePayload, c, format!("{name} of data fetched from the network"), None);
            } else {
                let d = self.describe(c, name);
                self.hit(dangerous_obf(HitKind::UnsafeDeserialize), c, d, None);
            }
        } else if is_native(name) {
            self.hit(dangerous_obf(HitKind::NativeCode), c, format!("{name}: native code or raw memory"), None);
        } else if SOCKET.contains(&name) {
            self.hit(dangerous_obf(HitKind::Socket), c, format!("{name}: a raw network socket"), None);
        } else if FETCH.contains(&name) {
            let d = self.describe(c, name);
            self.hit(HitKind::NetworkFetch, c, d, None);
        } else if BACKGROUND.contains(&name) {
            if self.import_time() {
                self.hit(HitKind::BackgroundTask, c, format!("{name} started when the module is imported"), None);
            }
        } else if TAMPER_CALLS.contains(&name) {
            self.hit(HitKind::RuntimeTamper, c, name.to_string(), None);
        } else if name == "builtins.setattr" || name == "builtins.delattr" {
            let target = c.arguments.args.first().and_then(|a| self.resolve(a, 0)).map(|r| r.name);
            if let Some(t) = target.filter(|t| t == "builtins" || t == "sys.modules" || t == "sys") {
                self.hit(HitKind::RuntimeTamper, c, format!("{name} on {t}"), None);
            }
        } else if matches!(name, "builtins.open" | "io.open" | "codecs.open" | "os.open") {
            let mode = arg(c, 1, "mode").and_then(|m| self.fold(m, 0)).map(|f| f.text);
            let writes = match (name, mode) {
                ("os.open", _) => true,
                (_, Some(m)) => m.contains(['w', 'a', 'x', '+']),
                (_, None) => false,
            };
            if writes
                && let Some(path) = c.arguments.args.first().or_else(|| keyword(c, "file"))
                && let Some((s, m)) = self.persistence_marker(path)
            {
                self.hit(HitKind::PersistenceWrite, c, format!("{name} for writing {s:?} ({m})"), None);
            }
        } else if (name.starts_with("shutil.") || matches!(name, "os.rename" | "os.replace" | "os.symlink" | "os.link"))
            && let Some(dst) = c.arguments.args.get(1)
            && let Some((s, m)) = self.persistence_marker(dst)
        {
            self.hit(HitKind::PersistenceWrite, c, format!("{name} to {s:?} ({m})"), None);
        }
    }

    /// `pickle.loads(pickle.dumps(x))`: a deep copy of an object already in memory.
    fn is_deep_copy(&self, c: &ast::ExprCall) -> bool {
        c.arguments.args.first().is_some_and(|a| self.is_dumped(a))
    }

    /// Bytes produced by `pickle.dumps` in this code (possibly edited with `.replace`).
    fn is_dumped(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => self.dumped.contains(n.id.as_str()),
            Expr::Call(inner) => {
                if let Expr::Attribute(a) = &*inner.func
                    && a.attr.as_str() == "replace"
                {
                    return self.is_dumped(&a.value);
                }
                self.resolve(&inner.func, 0).is_some_and(|r| r.name.ends_with(".dumps"))
            }
            _ => false,
        }
    }

    fn is_deserializer(&self, c: &ast::ExprCall, name: &str) -> bool {
        if DESER.contains(&name) {
            return true;
        }
        let kw_false = |k: &str| keyword(c, k).is_some_and(|v| !matches!(v, Expr::BooleanLiteral(b) if b.value));
        let kw_true = |k: &str| keyword(c, k).is_some_and(|v| !matches!(v, Expr::BooleanLiteral(b) if !b.value));
        match name {
            "torch.load" => kw_false("weights_only"),
            "numpy.load" => kw_true("allow_pickle"),
            "yaml.load" => arg(c, 1, "Loader").and_then(|l| self.resolve(l, 0)).is_some_and(|r| {
                r.name.ends_with("UnsafeLoader") || r.name.ends_with(".Loader") || r.name.ends_with("FullLoader")
            }),
            _ => false,
        }
    }

    /// A process or code function passed as a value (a thread target, a callback).
    fn check_callbacks(&mut self, c: &ast::ExprCall) {
        let callee = self.resolve(&c.func, 0).map_or_else(|| "a call".to_string(), |r| r.name);
        let values: Vec<&Expr> = c.arguments.args.iter().chain(c.arguments.keywords.iter().map(|k| &k.value)).collect();
        for v in values {
            if !matches!(v, Expr::Name(_) | Expr::Attribute(_)) {
                continue;
            }
            if let Some(r) = self.resolve(v, 0) {
                if is_process(&r.name) {
                    self.hit(HitKind::ProcessExec, v, format!("{} passed to {callee}", r.name), None);
                } else if CODE.contains(&r.name.as_str()) {
                    self.hit(HitKind::DynamicCode, v, format!("{} passed to {callee}", r.name), None);
                }
            }
        }
    }

    fn check_code(&mut self, c: &ast::ExprCall, name: &str, obf: bool) {
        let Some(code) = arg(c, 0, "source").or_else(|| keyword(c, "object")) else { return };
        let short = name.trim_start_matches("builtins.");
        if self.taints(code) {
            self.hit(HitKind::RemotePayload, c, format!("{short} of code fetched from the network"), None);
            return;
        }
        if let Some(f) = self.fold(code, 0) {
            let before = self.hits.len();
            self.analyze_payload(c, &f.text, short);
            if f.decoded {
                let ev = truncate(&f.text, 200);
                self.hit(HitKind::EncodedExec, c, format!("{short} of a decoded payload"), Some(ev));
            } else if obf {
                self.hit(HitKind::Obfuscated, c, format!("{short} reached through names built at run time"), None);
            } else if f.built && self.hits.len() == before {
                let ev = truncate(&f.text, 200);
                self.hit(HitKind::DynamicCode, c, format!("{short} of code assembled from pieces"), Some(ev));
            }
        } else if self.decodes(code) {
            self.hit(HitKind::EncodedExec, c, format!("{short} of decoded data"), None);
        } else if obf {
            self.hit(HitKind::Obfuscated, c, format!("{short} reached through names built at run time"), None);
        } else if !matches!(short, "runpy.run_module") {
            self.hit(HitKind::DynamicCode, c, format!("{short} of code that is not a literal"), None);
        }
    }

    /// Parses a constant passed to exec/eval and analyses it, reporting at the call.
    fn analyze_payload(&mut self, c: &ast::ExprCall, text: &str, what: &str) {
        if self.payload_depth >= MAX_PAYLOAD_DEPTH || text.len() > MAX_FOLD {
            return;
        }
        let at = self.at.as_ref().map_or(u32::from(c.start()), |(o, _)| *o);
        let lines = self.lines;
        let mut inner = Analyzer::new(lines, self.payload_depth + 1, Some((at, what.to_string())));
        inner.aliases = self.aliases.clone();
        inner.in_function = self.in_function;
        inner.main_guard = self.main_guard;
        // The payload's own offsets are meaningless here; every hit reports at `at`.
        if let Ok(parsed) = ruff_python_parser::parse_module(text) {
            let module = parsed.into_syntax();
            inner.visit_body(&module.body);
            inner.finish_exfil();
        }
        for h in inner.hits {
            if self.hits.len() < MAX_HITS && !self.hits.contains(&h) {
                self.hits.push(h);
            }
        }
    }
}

impl<'a> Visitor<'a> for Analyzer<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth >= MAX_DEPTH {
            self.limit("statements nested too deeply");
            return;
        }
        self.depth += 1;
        match stmt {
            Stmt::Import(i) => {
                for a in &i.names {
                    let name = a.name.as_str();
                    match &a.asname {
                        Some(asname) => {
                            self.aliases.insert(asname.to_string(), (normalize_module(name), false));
                        }
                        None => {
                            let head = name.split('.').next().unwrap_or(name);
                            self.aliases.insert(head.to_string(), (normalize_module(head), false));
                        }
                    }
                }
            }
            Stmt::ImportFrom(i) if i.level == 0 => {
                if let Some(m) = &i.module {
                    let m = normalize_module(m.as_str());
                    for a in &i.names {
                        let name = a.name.as_str();
                        if name == "*" {
                            self.star_modules.push(m.clone());
                        } else {
                            let local = a.asname.as_ref().map_or(name, |n| n.as_str());
                            self.aliases.insert(local.to_string(), (normalize_module(&format!("{m}.{name}")), false));
                        }
                    }
                }
            }
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.visit_decorator(d);
                }
                self.visit_parameters(&f.parameters);
                self.in_function += 1;
                self.scopes.push(Scope::default());
                self.exfil.functions.push(f.name.to_string());
                self.visit_body(&f.body);
                self.exfil.functions.pop();
                self.scopes.pop();
                self.in_function -= 1;
                self.depth -= 1;
                return;
            }
            Stmt::If(i) if is_main_guard(&i.test) => {
                self.main_guard += 1;
                self.visit_body(&i.body);
                self.main_guard -= 1;
                for clause in &i.elif_else_clauses {
                    self.visit_elif_else_clause(clause);
                }
                self.depth -= 1;
                return;
            }
            Stmt::Assign(a) => self.assign(&a.targets, &a.value),
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.assign(std::slice::from_ref(&*a.target), v);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(v) = &item.optional_vars {
                        if self.taints(&item.context_expr) {
                            self.taint_targets(v);
                        }
                        self.bind_exfil(v, &item.context_expr);
                    }
                }
            }
            Stmt::For(f) => self.bind_exfil(&f.target, &f.iter),
            Stmt::AugAssign(a) if self.secret_in(&a.value).is_some() => self.mark_secret(&a.target, &a.value),
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.note_return(v);
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth >= MAX_DEPTH {
            self.limit("expressions nested too deeply");
            return;
        }
        self.depth += 1;
        match expr {
            Expr::Lambda(_) => {
                self.in_function += 1;
                visitor::walk_expr(self, expr);
                self.in_function -= 1;
                self.depth -= 1;
                return;
            }
            Expr::Call(c) => {
                self.note_secret_read(expr);
                self.check_call(c);
            }
            Expr::Subscript(_) | Expr::Dict(_) => self.note_secret_read(expr),
            _ => {}
        }
        visitor::walk_expr(self, expr);
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(HitKind, bool)> {
        analyze(src).hits.iter().map(|h| (h.kind, h.import_time)).collect()
    }

    /// The same source gives the same hits on a caller's thread (through its
    /// helper, called many times), on a scan worker's own large stack, and
    /// on a thread of its own (a source above the helper's bound).
    #[test]
    fn every_thread_arrangement_gives_the_same_analysis() {
        let src = "import os\nos.system('true')\n";
        let first = kinds(src);
        assert!(first.iter().any(|(k, _)| *k == HitKind::ProcessExec), "{first:?}");
        for _ in 0..20 {
            assert_eq!(kinds(src), first);
        }
        let on_worker = std::thread::scope(|s| spawn_scoped(s, "test", || kinds(src)).unwrap().join().unwrap());
        assert_eq!(on_worker, first);
        let padded = format!("{src}{}", "# padding\n".repeat(HELPER_MAX_SOURCE / 10 + 1));
        assert!(padded.len() > HELPER_MAX_SOURCE);
        assert_eq!(kinds(&padded), first);
        // Deep nesting, on the worker's stack, is analysed (or bounded), not a crash.
        let deep = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
        std::thread::scope(|s| spawn_scoped(s, "test", || analyze(&deep)).unwrap().join().unwrap());
    }

    #[test]
    fn process_execution_with_aliases() {
        assert_eq!(kinds("import os\nos.system('true')\n"), vec![(HitKind::ProcessExec, true)]);
        assert_eq!(kinds("import os as o\no.popen('true')\n"), vec![(HitKind::ProcessExec, true)]);
        assert_eq!(kinds("from os import system as s\ndef f():\n    s('true')\n"), vec![(HitKind::ProcessExec, false)]);
        assert_eq!(kinds("import subprocess\nsubprocess.check_output(['true'])\n"), vec![(HitKind::ProcessExec, true)]);
        assert_eq!(kinds("from subprocess import *\nPopen(['true'])\n"), vec![(HitKind::ProcessExec, true)]);
        assert_eq!(kinds("import os\nos.execvp('true', ['true'])\n"), vec![(HitKind::ProcessExec, true)]);
        assert_eq!(kinds("import pty\npty.spawn('/bin/sh')\n"), vec![(HitKind::ProcessExec, true)]);
    }

    #[test]
    fn line_and_column_are_reported() {
        let a = analyze("import os\n\nx = 1\nif x:\n    os.system('true')\n");
        assert_eq!(a.hits.len(), 1);
        assert_eq!((a.hits[0].line, a.hits[0].col), (5, 5));
        assert_eq!(a.hits[0].offset as usize, "import os\n\nx = 1\nif x:\n    ".len());
    }

    #[test]
    fn main_guard_is_not_import_time() {
        assert_eq!(
            kinds("import os\nif __name__ == '__main__':\n    os.system('true')\n"),
            vec![(HitKind::ProcessExec, false)]
        );
    }

    #[test]
    fn obfuscated_names_are_folded() {
        let a = analyze("getattr(__import__('o' + 's'), 'sy' + 'stem')('true')\n");
        assert_eq!(a.hits[0].kind, HitKind::Obfuscated);
        assert!(a.hits[0].detail.contains("os.system"), "{:?}", a.hits);
        let a = analyze("__import__(''.join(map(chr, [111, 115]))).system('true')\n");
        assert!(a.hits[0].detail.contains("os.system"));
        let a = analyze("m = 'so'[::-1]\n__import__(m).popen('true')\n");
        assert!(a.hits.iter().any(|h| h.kind == HitKind::Obfuscated && h.detail.contains("os.popen")));
        let a = analyze("import sys\nsys.modules['os'].system('true')\n");
        assert_eq!(a.hits[0].kind, HitKind::Obfuscated);
        let a = analyze("_b = __builtins__\n_b['exec']('x=1')\n");
        assert_eq!(a.hits[0].kind, HitKind::Obfuscated);
    }

    #[test]
    fn encoded_payloads_are_decoded() {
        let a = analyze("import base64\nexec(base64.b64decode('X19pbXBvcnRfXygnb3MnKS5zeXN0ZW0oJ3RydWUnKQ=='))\n");
        let enc = a.hits.iter().find(|h| h.kind == HitKind::EncodedExec).expect("encoded");
        assert_eq!(enc.evidence.as_deref(), Some("__import__('os').system('true')"));
        assert!(a.hits.iter().any(|h| h.kind == HitKind::Obfuscated && h.detail.contains("os.system")));
        let a = analyze("import codecs\nexec(codecs.decode('vzcbeg bf; bf.flfgrz(\"gehr\")', 'rot13'))\n");
        assert!(a.hits.iter().any(|h| h.kind == HitKind::EncodedExec));
        assert!(a.hits.iter().any(|h| h.kind == HitKind::ProcessExec));
        let a = analyze("import zlib, base64\nexec(zlib.decompress(base64.b64decode(blob)))\n");
        assert_eq!(a.hits[0].kind, HitKind::EncodedExec);
        let a = analyze("import marshal\nexec(marshal.loads(data))\n");
        assert!(a.hits.iter().any(|h| h.kind == HitKind::EncodedExec));
    }

    #[test]
    fn dynamic_code() {
        assert_eq!(kinds("def f(s):\n    return eval(s)\n"), vec![(HitKind::DynamicCode, false)]);
        // Literal code is analysed instead of reported.
        assert!(kinds("exec('x = 1')\n").is_empty());
        assert_eq!(kinds("exec('import os; os.system(\"true\")')\n"), vec![(HitKind::ProcessExec, true)]);
        // Methods that share a builtin's name are not builtins.
        assert!(kinds("import torch, re\nmodel.eval()\ntorch.compile(model)\nre.compile('x')\n").is_empty());
    }

    #[test]
    fn remote_payloads_are_followed() {
        let src = "import requests, pickle\ndef f():\n    b = requests.get(u).content\n    return pickle.loads(b)\n";
        assert!(kinds(src).contains(&(HitKind::RemotePayload, false)));
        let src = "import urllib.request\nwith urllib.request.urlopen(u) as r:\n    code = r.read()\nexec(code)\n";
        assert!(kinds(src).contains(&(HitKind::RemotePayload, true)));
        assert_eq!(
            kinds("import requests\ndef f(u):\n    return requests.get(u)\n"),
            vec![(HitKind::NetworkFetch, false)]
        );
    }

    #[test]
    fn deserialisation() {
        assert_eq!(
            kinds("import pickle\ndef f(p):\n    return pickle.load(open(p, 'rb'))\n"),
            vec![(HitKind::UnsafeDeserialize, false)]
        );
        assert!(kinds("import torch\ntorch.load(p, weights_only=True)\ntorch.load(p)\n").is_empty());
        assert_eq!(
            kinds("import torch\ntorch.load(p, weights_only=False)\n"),
            vec![(HitKind::UnsafeDeserialize, true)]
        );
        assert!(kinds("import numpy as np\nnp.load(p)\n").is_empty());
        assert_eq!(kinds("import numpy as np\nnp.load(p, allow_pickle=True)\n").len(), 1);
        // A deep copy through pickle is not loading anything.
        assert!(
            kinds("import pickle\ns = pickle.dumps(x)\ns = s.replace(b'a', b'b')\ny = pickle.loads(s)\n").is_empty()
        );
    }

    #[test]
    fn tampering_persistence_sockets_threads_ctypes() {
        assert_eq!(kinds("import sys\nsys.modules['torch'] = fake\n"), vec![(HitKind::RuntimeTamper, true)]);
        assert!(kinds("import sys\nsys.modules[__name__] = _LazyModule(__name__)\n").is_empty());
        assert_eq!(kinds("import builtins\nbuiltins.open = my_open\n"), vec![(HitKind::RuntimeTamper, true)]);
        assert_eq!(
            kinds("import os\nopen(os.path.expanduser('~/.bashrc'), 'a').write('x')\n"),
            vec![(HitKind::PersistenceWrite, true)]
        );
        assert!(kinds("open('~/.bashrc').read()\n").is_empty());
        let src = "import site, os\np = os.path.join(site.getsitepackages()[0], 'x.pth')\nopen(p, 'w')\n";
        assert_eq!(kinds(src), vec![(HitKind::PersistenceWrite, true)]);
        assert_eq!(kinds("import socket\ns = socket.socket()\n"), vec![(HitKind::Socket, true)]);
        assert_eq!(
            kinds("import threading\nthreading.Thread(target=f).start()\n"),
            vec![(HitKind::BackgroundTask, true)]
        );
        assert!(kinds("import threading\ndef f():\n    threading.Thread(target=g).start()\n").is_empty());
        assert_eq!(kinds("import ctypes\nctypes.CDLL('x.so')\n"), vec![(HitKind::NativeCode, true)]);
    }

    #[test]
    fn stdlib_modules_are_sorted_and_found() {
        assert!(STDLIB_MODULES.windows(2).all(|w| w[0] < w[1]));
        for m in ["os", "subprocess", "os.path", "tempfile", "cPickle", "__builtin__", "builtins"] {
            assert!(is_stdlib_module(m), "{m}");
        }
        for m in ["__main__", "my_project.layers", "keras", "torch", ""] {
            assert!(!is_stdlib_module(m), "{m}");
        }
    }

    #[test]
    fn secret_names() {
        for n in [
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "OPENAI_API_KEY",
            "db_password",
            "GITHUB_TOKEN",
            "WANDB_API_KEY",
        ] {
            assert!(exfil::is_secret_env_name(n), "{n}");
        }
        for n in [
            "TRANSFORMERS_VERBOSITY",
            "TOKENIZERS_PARALLELISM",
            "HF_HOME",
            "CUDA_VISIBLE_DEVICES",
            "HF_HUB_OFFLINE",
            "KEYBOARD",
        ] {
            assert!(!exfil::is_secret_env_name(n), "{n}");
        }
    }

    #[test]
    fn secrets_sent_over_the_network() {
        let flow = HitKind::SecretExfiltration { flow: true };
        let loose = HitKind::SecretExfiltration { flow: false };
        assert!(kinds("import os, requests\nrequests.post('u', json=dict(os.environ))\n").contains(&(flow, true)));
        assert!(kinds("import os, requests\ndef f():\n    t = os.getenv('HF_TOKEN')\n    d = {'t': t}\n    requests.post('u', json=d)\n").contains(&(flow, false)));
        assert!(
            kinds("import os, requests\ndef f(x):\n    requests.post('u', data=x)\nf(os.environ['HF_TOKEN'])\n")
                .contains(&(loose, false))
        );
        // exec'd payloads are analysed too.
        assert!(
            kinds("exec(\"import os, requests\\nrequests.post('u', data=os.environ['HF_TOKEN'])\")\n")
                .iter()
                .any(|(k, _)| *k == flow)
        );
        for src in [
            "import os\nv = os.environ.get('TRANSFORMERS_VERBOSITY')\n",
            "import os, requests\nv = os.environ.get('TRANSFORMERS_VERBOSITY')\nrequests.post('u', data=v)\n",
            "import os, requests\nt = os.environ.get('HF_TOKEN')\ndef f(u):\n    return requests.get(u)\n",
        ] {
            assert!(kinds(src).iter().all(|(k, _)| !matches!(k, HitKind::SecretExfiltration { .. })), "{src}");
        }
    }

    #[test]
    fn malformed_and_hostile_inputs() {
        let a = analyze("def f(:\n    pass\n");
        let (_, line, col, _) = a.syntax_error.expect("syntax error");
        assert_eq!((line, col), (1, 7));
        assert!(analyze("").hits.is_empty());
        assert!(analyze("\u{feff}x = 1\n").syntax_error.is_none());
        // Deep nesting: bounded, no stack overflow.
        let deep = format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000));
        let _ = analyze(&deep);
        let unary = format!("x = {}1\n", "-".repeat(200_000));
        let _ = analyze(&unary);
        let mut blocks = String::new();
        for i in 0..1000 {
            blocks.push_str(&" ".repeat(i));
            blocks.push_str("if x:\n");
        }
        blocks.push_str(&" ".repeat(1000));
        blocks.push_str("import os; os.system('true')\n");
        let a = analyze(&blocks);
        assert!(a.limited.is_some());
        // Huge repetition is not folded past the bound.
        let _ = analyze("exec('a' * 10**9)\nexec('ab' * 100000000)\n");
        assert!(analyze(&"x".repeat(MAX_SOURCE + 1)).limited.is_some());
        // Invalid escapes, odd bytes and unterminated strings.
        let _ = analyze("exec(b'\\xff\\xfe'.decode('rot13'))\nexec(bytes.fromhex('zz'))\n'unterminated\n");
        let _ = analyze("exec(chr(0x110000) + chr(-1))\n");
    }
}
