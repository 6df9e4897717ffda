//! What modelvet knows about Python names a pickle can import: a short list of
//! dangerous callables (by module prefix or exact name) and an allowlist of
//! known machine-learning globals, generated from the libraries themselves
//! (`tools/allowlist/`, data in `crates/engine/data/allowlist/`), that says of
//! each name whether it may be called or only rebuilt. Everything else is
//! unknown.
//!
//! Names are compared as the unpickler resolves them: module aliases folded
//! (`posix`/`nt` → `os`, `__builtin__` → `builtins`, `_io` → `io`, ...), and
//! every segment of a dotted name checked, so `os.path.os` and
//! `torch.serialization.os` are the `os` module they are.

/// Why a name is dangerous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Process,
    CodeExecution,
    ImportMachinery,
    CodeObjects,
    FileAccess,
    Network,
    NestedLoader,
    PackageInstall,
    Debugger,
    Introspection,
    Threads,
    /// Named in the policy's `[globals] deny`.
    PolicyDenied,
}

impl Category {
    /// What a call of such a name does, as a clause.
    pub fn describe(self) -> &'static str {
        match self {
            Category::Process => "starts processes or runs shell commands",
            Category::CodeExecution => "evaluates or executes Python code",
            Category::ImportMachinery => "imports modules or resolves names at load time, so it can reach any callable",
            Category::CodeObjects => "builds or loads Python code objects",
            Category::FileAccess => "reads, writes or deletes files",
            Category::Network => "opens network connections",
            Category::NestedLoader => "deserializes further data (a second-stage payload)",
            Category::PackageInstall => "installs Python packages",
            Category::Debugger => "runs code under a debugger or profiler",
            Category::Introspection => "reaches interpreter internals (frames, globals, memory)",
            Category::Threads => "starts threads or installs handlers that run later",
            Category::PolicyDenied => "is denied by the policy",
        }
    }
}

/// The verdict on one imported name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// On the allowlist as callable: the libraries' own pickles call it with
    /// the file's arguments (a reconstructor such as
    /// `torch._utils._rebuild_tensor_v2`, a class whose `__reduce__` returns
    /// `(cls, args)` such as `numpy.dtype`), and a call does nothing more.
    Safe,
    /// On the allowlist as a known class or value, not as callable: the
    /// libraries' pickles rebuild it without calling it with the file's
    /// arguments (`NEWOBJ`, `copyreg._reconstructor`, `BUILD` state) or keep
    /// it as a value (`FunctionTransformer(numpy.log1p)`). Fine to rebuild or
    /// reference; a call of it with the file's arguments is not vouched for.
    Rebuildable,
    Dangerous(Category),
    /// Rebuilds Python code by value (dill, cloudpickle, `types.CodeType`):
    /// judged by what the code refers to and whether it is called.
    CodeBuilder,
    Unknown,
}

/// Names that rebuild functions, code objects or classes from their parts.
const CODE_BUILDERS: &[&str] = &[
    "types.CodeType",
    "types.FunctionType",
    "types.LambdaType",
    "dill._dill._create_code",
    "dill._dill._create_function",
    "dill._dill._create_cell",
    "dill._dill._create_type",
    "dill._dill._load_type",
    "dill._dill._create_namedtuple",
    "cloudpickle.cloudpickle._builtin_type",
    "cloudpickle.cloudpickle._make_function",
    "cloudpickle.cloudpickle._make_skel_func",
    "cloudpickle.cloudpickle._make_skeleton_class",
    "cloudpickle.cloudpickle._make_cell",
    "cloudpickle.cloudpickle._make_empty_cell",
    "cloudpickle.cloudpickle._function_setstate",
    "cloudpickle.cloudpickle._class_setstate",
    "cloudpickle.cloudpickle_fast._builtin_type",
    "cloudpickle.cloudpickle_fast._make_function",
    "cloudpickle.cloudpickle_fast._make_skel_func",
    "cloudpickle.cloudpickle_fast._function_setstate",
    "cloudpickle.cloudpickle_fast._class_setstate",
];

use Category::*;

/// Dangerous modules (the module and everything in or under it) and exact
/// names. An entry `a.b` matches `a.b`, `a.b.c` and names inside them.
const DANGEROUS: &[(&str, Category)] = &[
    // Processes
    ("os", Process),
    ("subprocess", Process),
    ("_posixsubprocess", Process),
    ("_winapi", Process),
    ("pty", Process),
    ("popen2", Process),
    ("commands", Process),
    ("posixpath", Process),
    ("ntpath", Process),
    ("genericpath", Process),
    ("macpath", Process),
    ("platform", Process),
    ("asyncio", Process),
    ("multiprocessing", Process),
    ("concurrent", Process),
    ("webbrowser", Process),
    ("uuid._get_command_stdout", Process),
    ("imaplib.IMAP4_stream", Process),
    ("pydoc.pipepager", Process),
    ("pydoc.tempfilepager", Process),
    ("setuptools", Process),
    ("distutils", Process),
    ("torch.utils.collect_env", Process),
    ("torch._inductor", Process),
    ("torch.utils.cpp_extension", Process),
    // Python code
    ("builtins.eval", CodeExecution),
    ("builtins.exec", CodeExecution),
    ("builtins.execfile", CodeExecution),
    ("builtins.compile", CodeExecution),
    ("builtins.input", CodeExecution),
    ("builtins.breakpoint", Debugger),
    ("builtins.open", FileAccess),
    ("builtins.file", FileAccess),
    ("builtins.reload", ImportMachinery),
    ("builtins.__import__", ImportMachinery),
    ("builtins.getattr", ImportMachinery),
    ("builtins.setattr", ImportMachinery),
    ("builtins.delattr", ImportMachinery),
    ("builtins.globals", Introspection),
    ("builtins.locals", Introspection),
    ("builtins.vars", Introspection),
    ("builtins.memoryview", Introspection),
    ("builtins.help", Process),
    ("builtins.exit", Process),
    ("builtins.quit", Process),
    ("runpy", CodeExecution),
    ("code", CodeExecution),
    ("codeop", CodeExecution),
    ("timeit", CodeExecution),
    ("doctest", CodeExecution),
    ("idlelib", CodeExecution),
    ("lib2to3", CodeExecution),
    ("pydoc", ImportMachinery),
    ("functools.reduce", CodeExecution),
    ("numpy.testing", CodeExecution),
    ("numpy.f2py", CodeExecution),
    ("numpy.distutils", Process),
    ("numpy.ctypeslib", Introspection),
    ("torch.jit.unsupported_tensor_ops", CodeExecution),
    ("torch.fx.graph_module", CodeExecution),
    ("torch.fx.experimental", CodeExecution),
    ("torch.package", NestedLoader),
    ("torch.hub", NestedLoader),
    ("torch.ops.load_library", CodeObjects),
    ("torch.classes.load_library", CodeObjects),
    ("keras.utils.get_file", Network),
    ("tensorflow.keras.utils.get_file", Network),
    ("tensorflow.io", FileAccess),
    ("jinja2", CodeExecution),
    ("mako", CodeExecution),
    ("dill._dill._eval_repr", CodeExecution),
    ("dill._dill._create_filehandle", FileAccess),
    ("dill._dill._setattr", ImportMachinery),
    ("dill._dill._get_attr", ImportMachinery),
    ("dill._dill._import_module", ImportMachinery),
    ("dill.source", CodeExecution),
    ("cloudpickle.cloudpickle.subimport", ImportMachinery),
    ("cloudpickle.cloudpickle_fast.subimport", ImportMachinery),
    ("cloudpickle.cloudpickle.dynamic_subimport", ImportMachinery),
    // Import machinery and resolvers
    ("importlib", ImportMachinery),
    ("imp", ImportMachinery),
    ("pkgutil", ImportMachinery),
    ("zipimport", ImportMachinery),
    ("sys", ImportMachinery),
    ("site", ImportMachinery),
    ("sysconfig", ImportMachinery),
    ("pkg_resources", ImportMachinery),
    ("copyreg.add_extension", ImportMachinery),
    ("copyreg._extension_registry", ImportMachinery),
    ("copyreg._inverted_registry", ImportMachinery),
    ("copyreg.dispatch_table", ImportMachinery),
    ("operator.attrgetter", ImportMachinery),
    ("operator.itemgetter", ImportMachinery),
    ("operator.methodcaller", ImportMachinery),
    ("operator.getitem", ImportMachinery),
    ("operator.setitem", ImportMachinery),
    ("operator.delitem", ImportMachinery),
    ("operator.call", ImportMachinery),
    ("numpy.core.multiarray._ufunc_reconstruct", ImportMachinery),
    // Code objects
    ("marshal", CodeObjects),
    ("types.ModuleType", CodeObjects),
    ("types.new_class", CodeObjects),
    ("ctypes", CodeObjects),
    ("_ctypes", CodeObjects),
    ("cffi", CodeObjects),
    // Files
    ("io.open", FileAccess),
    ("io.open_code", FileAccess),
    ("io.FileIO", FileAccess),
    ("io.TextIOWrapper", FileAccess),
    ("io.BufferedReader", FileAccess),
    ("io.BufferedWriter", FileAccess),
    ("io.BufferedRandom", FileAccess),
    ("codecs.open", FileAccess),
    ("shutil", FileAccess),
    ("tempfile", FileAccess),
    ("fileinput", FileAccess),
    ("glob", FileAccess),
    ("pathlib.Path.write_text", FileAccess),
    ("pathlib.Path.write_bytes", FileAccess),
    ("pathlib.Path.unlink", FileAccess),
    ("zipfile", FileAccess),
    ("tarfile", FileAccess),
    ("shelve", FileAccess),
    ("dbm", FileAccess),
    ("sqlite3", FileAccess),
    ("mmap", FileAccess),
    ("logging", FileAccess),
    ("fcntl", FileAccess),
    // Network
    ("socket", Network),
    ("ssl", Network),
    ("select", Network),
    ("selectors", Network),
    ("http", Network),
    ("urllib", Network),
    ("urllib2", Network),
    ("urllib3", Network),
    ("httplib", Network),
    ("requests", Network),
    ("httpx", Network),
    ("aiohttp", Network),
    ("ftplib", Network),
    ("smtplib", Network),
    ("poplib", Network),
    ("imaplib", Network),
    ("nntplib", Network),
    ("telnetlib", Network),
    ("xmlrpc", Network),
    ("xmlrpclib", Network),
    ("socketserver", Network),
    ("SocketServer", Network),
    ("asyncore", Network),
    ("asynchat", Network),
    ("wsgiref", Network),
    ("paramiko", Network),
    ("huggingface_hub", Network),
    // Nested loaders
    ("pickle.load", NestedLoader),
    ("pickle.loads", NestedLoader),
    ("pickle.Unpickler", NestedLoader),
    ("pickle._load", NestedLoader),
    ("pickle._loads", NestedLoader),
    ("pickle._Unpickler", NestedLoader),
    ("dill.load", NestedLoader),
    ("dill.loads", NestedLoader),
    ("dill._dill.load", NestedLoader),
    ("dill._dill.loads", NestedLoader),
    ("dill._dill.Unpickler", NestedLoader),
    ("cloudpickle.load", NestedLoader),
    ("cloudpickle.loads", NestedLoader),
    ("cloudpickle.cloudpickle.load", NestedLoader),
    ("cloudpickle.cloudpickle.loads", NestedLoader),
    ("joblib.load", NestedLoader),
    ("joblib.numpy_pickle.load", NestedLoader),
    ("sklearn.externals.joblib.load", NestedLoader),
    ("sklearn.externals.joblib.numpy_pickle.load", NestedLoader),
    ("numpy.load", NestedLoader),
    ("numpy.loads", NestedLoader),
    ("numpy.lib.npyio", NestedLoader),
    ("numpy.lib.format.read_array", NestedLoader),
    ("numpy.core.multiarray.loads", NestedLoader),
    ("pandas.read_pickle", NestedLoader),
    ("pandas.io", NestedLoader),
    ("pandas.eval", CodeExecution),
    ("pandas.core.computation", CodeExecution),
    ("pandas.read_csv", Network),
    ("pandas.read_json", Network),
    ("pandas.read_html", Network),
    ("pandas.read_excel", FileAccess),
    ("pandas.read_parquet", FileAccess),
    ("pandas.read_table", FileAccess),
    ("pandas.read_sql", Network),
    ("torch.load", NestedLoader),
    ("torch.serialization.load", NestedLoader),
    ("torch.serialization._load", NestedLoader),
    ("torch.jit.load", NestedLoader),
    ("torch.jit._serialization.load", NestedLoader),
    ("keras.models.load_model", NestedLoader),
    ("keras.saving.load_model", NestedLoader),
    ("tensorflow.keras.models.load_model", NestedLoader),
    ("shelve.open", NestedLoader),
    ("yaml.load", CodeExecution),
    ("yaml.unsafe_load", CodeExecution),
    ("yaml.full_load", CodeExecution),
    // Packages
    ("pip", PackageInstall),
    ("ensurepip", PackageInstall),
    ("venv", PackageInstall),
    ("virtualenv", PackageInstall),
    ("conda", PackageInstall),
    // Debuggers and profilers
    ("pdb", Debugger),
    ("bdb", Debugger),
    ("cProfile", Debugger),
    ("profile", Debugger),
    ("trace", Debugger),
    ("tracemalloc", Debugger),
    ("faulthandler", Debugger),
    // Interpreter internals
    ("gc", Introspection),
    ("inspect", Introspection),
    ("builtins.object.__subclasses__", Introspection),
    ("signal", Threads),
    ("atexit", Threads),
    ("threading", Threads),
    ("_thread", Threads),
    ("thread", Threads),
    ("sched", Threads),
];

/// Modules that, met as an attribute of another module (a re-export such as
/// `os.path.os` or `torch.serialization.os`), are the dangerous module itself.
const REEXPORTED: &[&str] = &[
    "os",
    "sys",
    "subprocess",
    "builtins",
    "__builtins__",
    "__builtin__",
    "pickle",
    "importlib",
    "shutil",
    "socket",
    "ctypes",
    "marshal",
    "runpy",
    "posix",
    "nt",
    "pty",
    "io",
    "_io",
    "codecs",
    "types",
    "operator",
    "pdb",
    "urllib",
    "requests",
    "threading",
    "multiprocessing",
    "asyncio",
    "tempfile",
    "pathlib",
    "dill",
    "cloudpickle",
];

/// Attribute names that reach interpreter internals from any object.
const SPECIAL: &[&str] = &[
    "__globals__",
    "__builtins__",
    "__subclasses__",
    "__class__",
    "__bases__",
    "__base__",
    "__mro__",
    "__dict__",
    "__getattribute__",
    "__getattr__",
    "__setattr__",
    "__delattr__",
    "__import__",
    "__code__",
    "__closure__",
    "__func__",
    "__self__",
    "__reduce__",
    "__reduce_ex__",
    "__setstate__",
    "__loader__",
    "__spec__",
    "__call__",
    "__init__",
    "__new__",
    "__init_subclass__",
    "__dir__",
    "__module__",
    "__file__",
    "__getitem__",
];

/// One data file per profile: `crates/engine/data/allowlist/<profile>.tsv`,
/// generated from the libraries themselves by `tools/allowlist/generate.py`
/// (see its README). Columns: `module`, `name`, `use`, `source`. A name ending
/// in `*` is a prefix, `*x` a suffix, `[A-Z]*` a capitalised name; a module
/// ending in `.*` covers its submodules. `use` is `call` ([`Class::Safe`]) or
/// `rebuild` ([`Class::Rebuildable`]).
const DATA: &[(&str, &str)] = &[
    ("core", include_str!("../data/allowlist/core.tsv")),
    ("numpy", include_str!("../data/allowlist/numpy.tsv")),
    ("torch", include_str!("../data/allowlist/torch.tsv")),
    ("sklearn", include_str!("../data/allowlist/sklearn.tsv")),
    ("scipy", include_str!("../data/allowlist/scipy.tsv")),
    ("pandas", include_str!("../data/allowlist/pandas.tsv")),
    ("xgboost", include_str!("../data/allowlist/xgboost.tsv")),
    ("lightgbm", include_str!("../data/allowlist/lightgbm.tsv")),
    ("catboost", include_str!("../data/allowlist/catboost.tsv")),
    ("huggingface", include_str!("../data/allowlist/huggingface.tsv")),
    ("diffusers", include_str!("../data/allowlist/diffusers.tsv")),
    ("sentence_transformers", include_str!("../data/allowlist/sentence_transformers.tsv")),
    ("torchvision", include_str!("../data/allowlist/torchvision.tsv")),
    ("timm", include_str!("../data/allowlist/timm.tsv")),
    ("ultralytics", include_str!("../data/allowlist/ultralytics.tsv")),
    ("lightning", include_str!("../data/allowlist/lightning.tsv")),
    ("omegaconf", include_str!("../data/allowlist/omegaconf.tsv")),
    ("gensim", include_str!("../data/allowlist/gensim.tsv")),
    ("statsmodels", include_str!("../data/allowlist/statsmodels.tsv")),
    ("spacy", include_str!("../data/allowlist/spacy.tsv")),
    ("nltk", include_str!("../data/allowlist/nltk.tsv")),
];

/// The named allowlist profiles, and what each covers. `core` (safe standard
/// library types) is always on; a policy's `profiles = [...]` keeps only the
/// ones it names, so that, say, a PyTorch-only repository sees scikit-learn
/// classes as "not on the allowlist".
pub const PROFILES: &[(&str, &str)] = &[
    (
        "core",
        "Python containers, numbers, dates, exceptions, typing objects and other plain standard-library types (always on)",
    ),
    ("numpy", "NumPy arrays, dtypes, scalars, ufuncs, masked and record arrays, matrices and random generators"),
    ("torch", "PyTorch tensors (sparse, nested, quantized), storages, modules, optimizers, distributions, TorchScript"),
    ("sklearn", "scikit-learn estimators and joblib's array wrappers, current and older formats"),
    ("scipy", "SciPy sparse matrices, distributions, interpolators, spatial structures"),
    ("pandas", "pandas frames, series, indexes, arrays and offsets"),
    ("xgboost", "XGBoost models"),
    ("lightgbm", "LightGBM models"),
    ("catboost", "CatBoost models"),
    (
        "huggingface",
        "transformers, tokenizers, sentencepiece, accelerate and peft models, arguments and configurations",
    ),
    ("diffusers", "diffusers models, schedulers and configurations"),
    ("sentence_transformers", "sentence-transformers models"),
    ("torchvision", "torchvision and torchaudio models and transforms"),
    ("timm", "timm models"),
    ("ultralytics", "Ultralytics YOLO models and checkpoints"),
    ("lightning", "Lightning (PyTorch Lightning, Fabric, torchmetrics) checkpoints and metrics"),
    ("omegaconf", "OmegaConf configurations (DictConfig, ListConfig) inside checkpoints"),
    ("gensim", "gensim models saved with SaveLoad"),
    ("statsmodels", "statsmodels models and results (and patsy formulas)"),
    ("spacy", "spaCy and thinc objects"),
    ("nltk", "NLTK models, taggers and tokenizers"),
];

/// One allowlist entry: whether the name may be called, and its profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    call: bool,
    profile: &'static str,
}

impl Entry {
    /// The better of two entries for the same name: a callable one wins.
    fn best(a: Option<Entry>, b: Option<Entry>) -> Option<Entry> {
        match (a, b) {
            (Some(x), Some(y)) => Some(if y.call && !x.call { y } else { x }),
            (x, y) => x.or(y),
        }
    }
}

/// The allowlist, parsed once from [`DATA`]: exact names in a map, patterns in
/// a short list. The map is keyed by (module, name) with FxHash: its keys are
/// this file's own data (a lookup cannot add one), and building it is on the
/// path of every process's first pickle.
#[derive(Default)]
struct Allowlist {
    exact: rustc_hash::FxHashMap<(&'static str, &'static str), Entry>,
    patterns: Vec<(&'static str, &'static str, Entry)>,
    /// Lines that are not `module<TAB>name<TAB>call|rebuild<TAB>source`.
    malformed: Vec<&'static str>,
}

static ALLOWLIST: std::sync::LazyLock<Allowlist> = std::sync::LazyLock::new(|| parse_allowlist(DATA));

fn parse_allowlist(data: &[(&'static str, &'static str)]) -> Allowlist {
    let mut list = Allowlist::default();
    list.exact.reserve(data.iter().map(|(_, text)| text.len() / 48).sum());
    for &(profile, text) in data {
        for line in text.lines() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(module), Some(name), Some(usage), Some(_source), None) =
                (cols.next(), cols.next(), cols.next(), cols.next(), cols.next())
            else {
                list.malformed.push(line);
                continue;
            };
            let call = match usage {
                "call" => true,
                "rebuild" => false,
                _ => {
                    list.malformed.push(line);
                    continue;
                }
            };
            if module.is_empty() || name.is_empty() {
                list.malformed.push(line);
                continue;
            }
            let entry = Entry { call, profile };
            if module.contains('*') || name.contains('*') {
                list.patterns.push((module, name, entry));
            } else {
                let slot = list.exact.entry((module, name)).or_insert(entry);
                if call && !slot.call {
                    *slot = entry;
                }
            }
        }
    }
    list
}

/// The allowlist entry covering `module.name` (module already folded).
fn allowlist_entry(module: &str, name: &str) -> Option<Entry> {
    let list = &*ALLOWLIST;
    let exact = list.exact.get(&(module, name)).copied();
    if exact.is_some_and(|e| e.call) {
        return exact;
    }
    let pattern = list
        .patterns
        .iter()
        .filter(|(m, n, _)| module_match(m, module) && name_match(n, name))
        .map(|(_, _, e)| *e)
        .reduce(|a, b| Entry::best(Some(a), Some(b)).unwrap_or(a));
    Entry::best(exact, pattern)
}

/// Which allowlist profile puts `module.name` on the allowlist (as callable
/// or as rebuildable), if any.
pub fn safe_profile(module: &str, name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return None;
    }
    allowlist_entry(&fold_module(module), name).map(|e| e.profile)
}

/// Folds the module aliases the interpreter treats as the same module.
pub fn fold_module(module: &str) -> String {
    let (head, rest) = fold_module_parts(module);
    if rest.is_empty() { head.to_string() } else { format!("{head}.{rest}") }
}

/// [`fold_module`] as (folded head, rest), without allocating.
fn fold_module_parts(module: &str) -> (&str, &str) {
    let (head, rest) = module.split_once('.').map_or((module, ""), |(h, r)| (h, r));
    let head = match head {
        "__builtin__" | "__builtins__" | "exceptions" => "builtins",
        "posix" | "nt" => "os",
        "_io" => "io",
        "_pickle" | "cPickle" => "pickle",
        "_socket" => "socket",
        "_operator" => "operator",
        "_functools" => "functools",
        "_collections" => "collections",
        "copy_reg" => "copyreg",
        "_sre" => "re",
        "_ssl" => "ssl",
        "_subprocess" => "subprocess",
        "_multiprocessing" => "multiprocessing",
        "_asyncio" => "asyncio",
        "_signal" => "signal",
        "_thread" | "thread" | "dummy_threading" => "threading",
        "_pydecimal" => "decimal",
        "_datetime" => "datetime",
        other => other,
    };
    (head, rest)
}

fn prefix_match(entry: &str, full: &str) -> bool {
    full == entry || (full.starts_with(entry) && full.as_bytes().get(entry.len()) == Some(&b'.'))
}

fn name_match(pattern: &str, name: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(p) = pattern.strip_prefix("[A-Z]") {
        return name.starts_with(|c: char| c.is_ascii_uppercase())
            && name_match(if p.is_empty() { "*" } else { p }, name);
    }
    if let Some(p) = pattern.strip_suffix('*') {
        return name.starts_with(p);
    }
    if let Some(s) = pattern.strip_prefix('*') {
        return name.ends_with(s);
    }
    pattern == name
}

fn module_match(pattern: &str, module: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(p) => prefix_match(p, module),
        None => pattern == module,
    }
}

/// Judges the name `module.name` (name may be dotted; empty for a module import).
/// Answers are cached per thread: model files import the same few names.
pub fn classify(module: &str, name: &str) -> Class {
    type Cache = std::collections::HashMap<String, std::collections::HashMap<String, Class>>;
    thread_local! {
        // module -> name -> class, so a hit is looked up by `&str` without allocating.
        static CACHE: std::cell::RefCell<(Cache, usize)> = std::cell::RefCell::new((Cache::new(), 0));
    }
    CACHE.with(|c| {
        if let Some(&class) = c.borrow().0.get(module).and_then(|m| m.get(name)) {
            return class;
        }
        let class = classify_uncached(module, name);
        let mut c = c.borrow_mut();
        let (map, len) = &mut *c;
        if *len > 4096 {
            map.clear();
            *len = 0;
        }
        map.entry(module.to_string()).or_default().insert(name.to_string(), class);
        *len += 1;
        class
    })
}

fn classify_uncached(module: &str, name: &str) -> Class {
    let module = fold_module(module);
    let full = if name.is_empty() { module.clone() } else { format!("{module}.{name}") };
    for (entry, cat) in DANGEROUS {
        if prefix_match(entry, &full) {
            return Class::Dangerous(*cat);
        }
    }
    // Checked before the re-exported modules below, which include `cloudpickle`
    // itself: its code builders are judged by the code they rebuild (PKL004).
    if CODE_BUILDERS.contains(&full.as_str()) {
        return Class::CodeBuilder;
    }
    // A re-exported dangerous module or a special attribute anywhere in the
    // name reaches the dangerous thing itself.
    let segments = name.split('.').filter(|s| !s.is_empty());
    for seg in segments.chain(module.split('.').skip(1)) {
        if REEXPORTED.contains(&seg) {
            let target = fold_module(seg);
            return match DANGEROUS.iter().find(|(e, _)| *e == target) {
                Some((_, cat)) => Class::Dangerous(*cat),
                None => Class::Dangerous(ImportMachinery),
            };
        }
        if SPECIAL.contains(&seg) {
            return Class::Dangerous(Introspection);
        }
    }
    if name.is_empty() {
        return Class::Unknown;
    }
    match allowlist_entry(&module, name) {
        Some(Entry { call: true, .. }) => Class::Safe,
        Some(Entry { call: false, .. }) => Class::Rebuildable,
        None => Class::Unknown,
    }
}

/// Whether calling the name deserializes its bytes argument (so the engine
/// should scan that argument as a nested file).
pub fn is_loader(module: &str, name: &str) -> bool {
    is_loader_classified(classify(module, name), module, name)
}

/// [`is_loader`] when `class` is already known to be `classify(module, name)`.
pub fn is_loader_classified(class: Class, module: &str, name: &str) -> bool {
    // `format!("{}.{}", fold_module(module), name) == "torch.storage._load_from_bytes"`,
    // compared piece by piece: this runs for every call in every pickle.
    let is_torch_load = || {
        let (head, rest) = fold_module_parts(module);
        let dot_rest: &[&str] = if rest.is_empty() { &[] } else { &[".", rest] };
        let mut want = "torch.storage._load_from_bytes";
        [head].iter().chain(dot_rest).chain([".", name].iter()).all(|part| match want.strip_prefix(*part) {
            Some(r) => {
                want = r;
                true
            }
            None => false,
        }) && want.is_empty()
    };
    matches!(class, Class::Dangerous(NestedLoader)) || is_torch_load()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_loader_matches_the_folded_name() {
        let old = |m: &str, n: &str| {
            matches!(classify(m, n), Class::Dangerous(NestedLoader))
                || format!("{}.{}", fold_module(m), n) == "torch.storage._load_from_bytes"
        };
        for (m, n) in [
            ("torch.storage", "_load_from_bytes"),
            ("torch", "storage._load_from_bytes"),
            ("torch.", "storage._load_from_bytes"),
            ("torch.storag", "e._load_from_bytes"),
            ("torch.storage", "_load_from_bytesX"),
            ("torch.storage", "_load_from_byte"),
            ("torch.storage", ""),
            ("torch._utils", "_rebuild_tensor_v2"),
            ("pickle", "loads"),
            ("_pickle", "loads"),
            ("", ""),
        ] {
            assert_eq!(is_loader(m, n), old(m, n), "{m:?} {n:?}");
        }
    }

    fn dangerous(m: &str, n: &str) -> bool {
        matches!(classify(m, n), Class::Dangerous(_))
    }

    /// Every entry of the data files, as (module, name, entry); a pattern is
    /// given as written.
    fn entries() -> Vec<(&'static str, &'static str, Entry)> {
        let list = &*ALLOWLIST;
        let mut out: Vec<_> = list.exact.iter().map(|(&(m, n), e)| (m, n, *e)).collect();
        out.extend(list.patterns.iter().copied());
        out
    }

    #[test]
    fn allowlist_data_parses_into_declared_profiles() {
        assert!(ALLOWLIST.malformed.is_empty(), "malformed lines: {:?}", ALLOWLIST.malformed);
        let declared: Vec<&str> = PROFILES.iter().map(|(n, _)| *n).collect();
        let files: Vec<&str> = DATA.iter().map(|(n, _)| *n).collect();
        assert_eq!(declared, files, "one data file per profile, in the same order");
        assert!(entries().len() > 1000, "the generated table is loaded");
        // A name sits in one profile only: the profile says which library vouches for it.
        let mut seen = std::collections::HashMap::new();
        for &(profile, text) in DATA {
            for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
                let mut cols = line.split('\t');
                let key = (cols.next().unwrap_or(""), cols.next().unwrap_or(""));
                if let Some(other) = seen.insert(key, profile) {
                    panic!("{key:?} is in both {other} and {profile}");
                }
            }
        }
        // A malformed line is reported, never a panic.
        let bad = parse_allowlist(&[("core", "a\tb\tcall\n\tx\tcall\ts\nm\tn\tmaybe\ts\nm\tn\trebuild\ts\n")]);
        assert_eq!(bad.malformed.len(), 3);
        assert_eq!(bad.exact[&("m", "n")], Entry { call: false, profile: "core" });
    }

    #[test]
    fn allowlist_data_is_clean() {
        // Nothing on the allowlist is something modelvet condemns...
        for (m, n, e) in entries() {
            let module = m.strip_suffix(".*").unwrap_or(m);
            let name = n.replace("[A-Z]", "X").replace('*', "X");
            let class = classify_uncached(module, &name);
            assert!(
                matches!(class, Class::Safe | Class::Rebuildable | Class::Unknown),
                "{m}.{n} ({}) is on the allowlist but classifies as {class:?}",
                e.profile
            );
        }
        // ...and no callable entry reads, writes, fetches or runs anything,
        // except loaders whose argument the engine scans as a nested file.
        let words = [
            "load",
            "read_",
            "fetch",
            "download",
            "open",
            "save",
            "dump",
            "write",
            "exec",
            "eval(",
            "system",
            "popen",
            "spawn",
            "urlopen",
            "import_module",
            "from_pretrained",
            "tofile",
            "fromfile",
        ];
        for (m, n, e) in entries() {
            let lower = format!("{m}.{n}").to_ascii_lowercase();
            if let Some(w) = words.iter().find(|w| lower.contains(**w)) {
                assert!(
                    e.call && is_loader(m, n),
                    "{m}.{n} ({}, call={}) looks like I/O (`{w}`) and is not a scanned nested loader",
                    e.profile,
                    e.call
                );
            }
        }
    }

    #[test]
    fn io_and_loaders_are_not_allowlisted() {
        for (m, n) in [
            ("torch", "load"),
            ("torch.serialization", "load"),
            ("torch.hub", "load"),
            ("torch.jit", "load"),
            ("numpy", "load"),
            ("numpy", "loadtxt"),
            ("numpy", "genfromtxt"),
            ("numpy", "fromfile"),
            ("numpy", "save"),
            ("numpy", "memmap"),
            ("numpy.lib.npyio", "load"),
            ("sklearn.datasets", "fetch_openml"),
            ("sklearn.datasets._openml", "fetch_openml"),
            ("sklearn.datasets", "load_iris"),
            ("sklearn.datasets._svmlight_format_io", "load_svmlight_file"),
            ("pandas", "read_pickle"),
            ("pandas", "read_csv"),
            ("pandas.io.pickle", "read_pickle"),
            ("gensim.utils", "unpickle"),
            ("gensim.utils", "pickle"),
            ("gensim.downloader", "load"),
            ("joblib", "load"),
            ("joblib.numpy_pickle", "load"),
            ("scipy.io", "loadmat"),
            ("transformers", "AutoModel.from_pretrained"),
            ("torch.nn.functional", "scaled_dot_product_attention.__globals__"),
            ("builtins", "open"),
            ("builtins", "print"),
            ("statsmodels.iolib.smpickle", "load_pickle"),
            ("nltk.data", "load"),
            ("omegaconf", "OmegaConf.load"),
        ] {
            let class = classify(m, n);
            assert!(!matches!(class, Class::Safe | Class::Rebuildable), "{m}.{n} is {class:?}");
        }
        // The one loader on the call list has its argument scanned.
        assert!(is_loader("torch.storage", "_load_from_bytes"));
    }

    #[test]
    fn profiles_of_entries() {
        assert_eq!(safe_profile("torch._utils", "_rebuild_tensor_v2"), Some("torch"));
        assert_eq!(safe_profile("__builtin__", "set"), Some("core"));
        assert_eq!(safe_profile("sklearn.linear_model._base", "LinearRegression"), Some("sklearn"));
        assert_eq!(safe_profile("numpy.core.multiarray", "_reconstruct"), Some("numpy"));
        assert_eq!(safe_profile("os", "system"), None);
        assert_eq!(safe_profile("collections", ""), None);
    }

    #[test]
    fn known_attacks_are_dangerous() {
        for (m, n) in [
            ("os", "system"),
            ("posix", "system"),
            ("nt", "system"),
            ("subprocess", "Popen"),
            ("__builtin__", "eval"),
            ("builtins", "exec"),
            ("os.path", "os"),
            ("posixpath", "os"),
            ("asyncio.unix_events", "_UnixSubprocessTransport._start"),
            ("torch.serialization", "os.system"),
            ("numpy", "__builtins__"),
            ("pip", "main"),
            ("pip._internal.cli.main", "main"),
            ("_pickle", "loads"),
            ("cPickle", "loads"),
            ("torch.utils.collect_env", "run"),
            ("numpy.testing._private.utils", "runstring"),
            ("numpy.f2py.crackfortran", "getlincoef"),
            ("operator", "attrgetter"),
            ("_operator", "methodcaller"),
            ("functools", "reduce"),
            ("pkgutil", "resolve_name"),
            ("pydoc", "locate"),
            ("copyreg", "add_extension"),
            ("ctypes", "CDLL"),
            ("_io", "FileIO"),
            ("logging", "FileHandler"),
            ("venv", "create"),
            ("ensurepip", "_run_pip"),
            ("multiprocessing.util", "spawnv_passfds"),
            ("idlelib.run", "Executive.runcode"),
            ("code", "InteractiveInterpreter.runcode"),
            ("timeit", "timeit"),
            ("pandas", "read_pickle"),
            ("webbrowser", "open"),
            ("uuid", "_get_command_stdout"),
        ] {
            assert!(dangerous(m, n), "{m}.{n} should be dangerous");
        }
    }

    #[test]
    fn mainstream_ml_globals_are_safe() {
        // Called with the file's arguments by the libraries' own pickles.
        for (m, n) in [
            ("collections", "OrderedDict"),
            ("_codecs", "encode"),
            ("__builtin__", "set"),
            ("builtins", "ValueError"),
            ("copyreg", "_reconstructor"),
            ("copy_reg", "_reconstructor"),
            ("copyreg", "__newobj__"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
            ("numpy._core.numeric", "_frombuffer"),
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy", "dtype"),
            ("numpy.ma.core", "_mareconstruct"),
            ("numpy.random._pickle", "__generator_ctor"),
            ("numpy.random._pickle", "__bit_generator_ctor"),
            ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
            ("torch._utils", "_rebuild_tensor_v2"),
            ("torch._utils", "_rebuild_parameter"),
            ("torch", "Size"),
            ("torch", "device"),
            ("torch.storage", "_load_from_bytes"),
            ("sklearn.tree._tree", "Tree"),
            ("torch._tensor", "_rebuild_from_type_v2"),
            ("pandas._libs.internals", "_unpickle_block"),
        ] {
            assert_eq!(classify(m, n), Class::Safe, "{m}.{n}");
        }
        // Rebuilt without a call, or referenced as a value.
        for (m, n) in [
            ("numpy", "ndarray"),
            ("numpy", "log1p"),
            ("numpy", "exp"),
            ("numpy", "matrix"),
            ("numpy.ma", "MaskedArray"),
            ("numpy.rec", "recarray"),
            ("numpy", "record"),
            ("numpy.random.bit_generator", "SeedSequence"),
            ("numpy.random._pcg64", "PCG64"),
            ("builtins", "len"),
            ("builtins", "object"),
            ("builtins", "type"),
            ("typing", "Any"),
            ("typing", "Optional"),
            ("typing", "List"),
            ("__future__", "annotations"),
            ("__future__", "_Feature"),
            ("argparse", "Namespace"),
            ("joblib.numpy_pickle", "NumpyArrayWrapper"),
            ("joblib.numpy_pickle_compat", "NDArrayWrapper"),
            ("joblib.numpy_pickle_compat", "ZNDArrayWrapper"),
            ("sklearn.pipeline", "Pipeline"),
            ("sklearn.preprocessing._function_transformer", "FunctionTransformer"),
            ("sklearn.ensemble._hist_gradient_boosting.gradient_boosting", "HistGradientBoostingClassifier"),
            ("sklearn.linear_model.logistic", "LogisticRegression"),
            ("torch.nn.modules.linear", "Linear"),
            ("torch", "ScriptObject"),
            ("torch.torch_version", "TorchVersion"),
            ("scipy.sparse._csr", "csr_matrix"),
            ("__torch__.torch.nn.modules.linear", "Linear"),
        ] {
            assert!(matches!(classify(m, n), Class::Safe | Class::Rebuildable), "{m}.{n}: {:?}", classify(m, n));
        }
        // Rebuilding is not calling: a class the libraries only rebuild is not on the call list.
        assert_eq!(classify("sklearn.pipeline", "Pipeline"), Class::Rebuildable);
        assert_eq!(classify("builtins", "type"), Class::Rebuildable);
        assert_eq!(classify("numpy", "log1p"), Class::Rebuildable);
    }

    #[test]
    fn other_libraries_profiles() {
        for (m, n) in [
            ("gensim.models.fasttext", "FastTextKeyedVectors"),
            ("gensim.models.keyedvectors", "KeyedVectors"),
            ("statsmodels.regression.linear_model", "OLSResults"),
            ("omegaconf.dictconfig", "DictConfig"),
            ("omegaconf.listconfig", "ListConfig"),
        ] {
            assert!(matches!(classify(m, n), Class::Safe | Class::Rebuildable), "{m}.{n}: {:?}", classify(m, n));
        }
    }

    #[test]
    fn the_rest_is_unknown() {
        for (m, n) in [
            ("fastai.learner", "Learner"),
            ("pathlib", "read_text"),
            ("__main__", "MyModel"),
            ("transformers.models.bert.modeling_bert", "load_tf_weights_in_bert"),
        ] {
            assert_eq!(classify(m, n), Class::Unknown, "{m}.{n}");
        }
    }
}
