//! What modelvet knows about Python names a pickle can import: a short list of
//! dangerous callables (by module prefix or exact name) and an allowlist of
//! known-safe machine-learning globals. Everything else is unknown.
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
    Safe,
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
    ("types.MethodType", CodeObjects),
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

/// Allowed names: `(module, name)` where a name ending in `*` is a prefix and
/// a module ending in `.*` covers its submodules. Only names known to be
/// loaded by mainstream ML libraries' own pickles belong here.
const SAFE: &[(&str, &str)] = &[
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("collections", "Counter"),
    ("collections", "deque"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "dict"),
    ("builtins", "list"),
    ("builtins", "tuple"),
    ("builtins", "int"),
    ("builtins", "float"),
    ("builtins", "complex"),
    ("builtins", "bool"),
    ("builtins", "str"),
    ("builtins", "bytes"),
    ("builtins", "bytearray"),
    ("builtins", "slice"),
    ("builtins", "range"),
    ("builtins", "object"),
    ("builtins", "Ellipsis"),
    ("builtins", "NotImplemented"),
    ("builtins", "NoneType"),
    ("copyreg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"),
    ("_codecs", "encode"),
    ("codecs", "encode"),
    ("io", "BytesIO"),
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("fractions", "Fraction"),
    ("uuid", "UUID"),
    ("uuid", "SafeUUID"),
    ("types", "SimpleNamespace"),
    ("argparse", "Namespace"),
    ("functools", "partial"),
    ("re", "_compile"),
    ("enum", "Enum"),
    ("math", "inf"),
    ("math", "nan"),
    // NumPy
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy", "bool_"),
    ("numpy", "float16"),
    ("numpy", "float32"),
    ("numpy", "float64"),
    ("numpy", "longdouble"),
    ("numpy", "int8"),
    ("numpy", "int16"),
    ("numpy", "int32"),
    ("numpy", "int64"),
    ("numpy", "uint8"),
    ("numpy", "uint16"),
    ("numpy", "uint32"),
    ("numpy", "uint64"),
    ("numpy", "complex64"),
    ("numpy", "complex128"),
    ("numpy", "str_"),
    ("numpy", "bytes_"),
    ("numpy", "object_"),
    ("numpy", "datetime64"),
    ("numpy", "timedelta64"),
    ("numpy", "matrix"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core", "_ufunc_reconstruct"),
    ("numpy._core", "_ufunc_reconstruct"),
    ("numpy.ma.core", "_mareconstruct"),
    ("numpy.ma.core", "MaskedArray"),
    ("numpy.dtypes", "*"),
    ("numpy.random._pickle", "*"),
    ("numpy.random.mtrand", "RandomState"),
    ("numpy.random._mt19937", "MT19937"),
    ("numpy.random._pcg64", "PCG64"),
    ("numpy.random._pcg64", "PCG64DXSM"),
    ("numpy.random._philox", "Philox"),
    ("numpy.random._sfc64", "SFC64"),
    ("numpy.random._generator", "Generator"),
    ("numpy.random.bit_generator", "SeedSequence"),
    // PyTorch
    ("torch._utils", "_rebuild_*"),
    ("torch._tensor", "_rebuild_from_type"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch", "*Storage"),
    ("torch.storage", "UntypedStorage"),
    ("torch.storage", "TypedStorage"),
    ("torch.storage", "_load_from_bytes"),
    ("torch", "Size"),
    ("torch", "device"),
    ("torch", "dtype"),
    ("torch", "Tensor"),
    ("torch", "float"),
    ("torch", "float16"),
    ("torch", "float32"),
    ("torch", "float64"),
    ("torch", "bfloat16"),
    ("torch", "half"),
    ("torch", "double"),
    ("torch", "int"),
    ("torch", "int8"),
    ("torch", "int16"),
    ("torch", "int32"),
    ("torch", "int64"),
    ("torch", "long"),
    ("torch", "short"),
    ("torch", "uint8"),
    ("torch", "bool"),
    ("torch", "complex64"),
    ("torch", "complex128"),
    ("torch", "cfloat"),
    ("torch", "cdouble"),
    ("torch", "qint8"),
    ("torch", "quint8"),
    ("torch", "qint32"),
    ("torch", "float8_*"),
    ("torch", "strided"),
    ("torch", "sparse_coo"),
    ("torch", "sparse_csr"),
    ("torch", "contiguous_format"),
    ("torch", "channels_last"),
    ("torch", "channels_last_3d"),
    ("torch", "preserve_format"),
    ("torch", "per_tensor_affine"),
    ("torch", "per_channel_affine"),
    ("torch.serialization", "_get_layout"),
    ("torch.nn.parameter", "Parameter"),
    ("torch.nn.parameter", "Buffer"),
    ("torch.nn.parameter", "UninitializedParameter"),
    ("torch.nn.parameter", "UninitializedBuffer"),
    ("torch.nn.modules.*", "*"),
    ("torch.nn.functional", "*"),
    ("torch.nn.utils.parametrize", "*"),
    ("torch.nn.utils.parametrizations", "*"),
    ("torch.nn.utils.weight_norm", "*"),
    ("torch.nn.utils.spectral_norm", "*"),
    ("torch.optim.*", "*"),
    ("torch.amp.grad_scaler", "GradScaler"),
    ("torch.cuda.amp.grad_scaler", "GradScaler"),
    ("torch.ao.quantization.*", "*"),
    ("torch.ao.nn.*", "*"),
    ("torch.quantization.*", "*"),
    ("torch.jit._pickle", "*"),
    ("torch.distributions.*", "*"),
    ("__torch__.*", "*"),
    // scikit-learn and friends
    ("sklearn.*", "*"),
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("joblib.numpy_pickle_compat", "NDArrayWrapper"),
    ("joblib.numpy_pickle_compat", "ZNDArrayWrapper"),
    ("scipy.sparse.*", "*"),
    ("scipy.stats.*", "*"),
    ("scipy.interpolate.*", "*"),
    ("scipy.spatial.*", "*"),
    ("scipy.special.*", "*"),
    ("pandas.core.*", "*"),
    ("pandas._libs.*", "*"),
    ("pandas.tseries.*", "*"),
    ("pandas", "[A-Z]*"),
    ("pandas.arrays", "*"),
    ("pandas.api.types", "[A-Z]*"),
    ("xgboost.sklearn", "*"),
    ("xgboost.core", "*"),
    ("lightgbm.sklearn", "*"),
    ("lightgbm.basic", "Booster"),
    ("catboost.core", "*"),
    ("_catboost", "*"),
    // Hugging Face saved argument and configuration classes
    ("transformers.training_args", "*"),
    ("transformers.training_args_seq2seq", "*"),
    ("transformers.trainer_utils", "*"),
    ("transformers.utils.generic", "*"),
    ("transformers.debug_utils", "DebugOption"),
    ("transformers.configuration_utils", "PretrainedConfig"),
    ("transformers.generation.configuration_utils", "GenerationConfig"),
    ("transformers.models.*", "[A-Z]*"),
    ("tokenizers", "Tokenizer"),
    ("tokenizers", "AddedToken"),
    ("accelerate.utils.dataclasses", "*"),
    ("accelerate.state", "PartialState"),
    ("peft.utils.peft_types", "*"),
    ("peft.tuners.*", "[A-Z]*"),
];

/// The named allowlist profiles, and what each covers. `core` (safe standard
/// library types) is always on; a policy's `profiles = [...]` keeps only the
/// ones it names, so that, say, a PyTorch-only repository sees scikit-learn
/// classes as "not on the allowlist".
pub const PROFILES: &[(&str, &str)] = &[
    ("core", "Python containers, numbers, dates and other plain standard-library types (always on)"),
    ("numpy", "NumPy arrays, dtypes, scalars and random generators"),
    ("torch", "PyTorch tensors, storages, parameters, modules, optimizers, quantization, TorchScript"),
    ("sklearn", "scikit-learn estimators and joblib array wrappers"),
    ("scipy", "SciPy sparse matrices, distributions, interpolators, spatial structures"),
    ("pandas", "pandas frames, series, indexes and arrays"),
    ("xgboost", "XGBoost models"),
    ("lightgbm", "LightGBM models"),
    ("catboost", "CatBoost models"),
    ("huggingface", "transformers, tokenizers, accelerate and peft argument and configuration classes"),
];

/// The profile an allowlist module pattern belongs to.
fn profile_of(module_pattern: &str) -> &'static str {
    let head = module_pattern.split('.').next().unwrap_or("");
    match head {
        "numpy" => "numpy",
        "torch" | "__torch__" => "torch",
        "sklearn" | "joblib" => "sklearn",
        "scipy" => "scipy",
        "pandas" => "pandas",
        "xgboost" => "xgboost",
        "lightgbm" => "lightgbm",
        "catboost" | "_catboost" => "catboost",
        "transformers" | "tokenizers" | "accelerate" | "peft" => "huggingface",
        _ => "core",
    }
}

/// Which allowlist profile makes `module.name` safe, if any.
pub fn safe_profile(module: &str, name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return None;
    }
    let module = fold_module(module);
    SAFE.iter().find(|(m, n)| module_match(m, &module) && name_match(n, name)).map(|(m, _)| profile_of(m))
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
    if CODE_BUILDERS.contains(&full.as_str()) {
        return Class::CodeBuilder;
    }
    for (m, n) in SAFE {
        if module_match(m, &module) && name_match(n, name) {
            return Class::Safe;
        }
    }
    Class::Unknown
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

    #[test]
    fn every_allowlist_entry_has_a_declared_profile() {
        for (m, _) in SAFE {
            let p = profile_of(m);
            assert!(PROFILES.iter().any(|(n, _)| *n == p), "{m} -> {p}");
        }
        assert_eq!(safe_profile("torch._utils", "_rebuild_tensor_v2"), Some("torch"));
        assert_eq!(safe_profile("__builtin__", "set"), Some("core"));
        assert_eq!(safe_profile("sklearn.linear_model._base", "LinearRegression"), Some("sklearn"));
        assert_eq!(safe_profile("os", "system"), None);
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
        for (m, n) in [
            ("collections", "OrderedDict"),
            ("torch._utils", "_rebuild_tensor_v2"),
            ("torch", "FloatStorage"),
            ("torch", "BFloat16Storage"),
            ("torch.nn.modules.linear", "Linear"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "scalar"),
            ("numpy", "dtype"),
            ("sklearn.tree._tree", "Tree"),
            ("sklearn.pipeline", "Pipeline"),
            ("joblib.numpy_pickle", "NumpyArrayWrapper"),
            ("_codecs", "encode"),
            ("__builtin__", "set"),
            ("argparse", "Namespace"),
            ("transformers.models.bert.configuration_bert", "BertConfig"),
            ("__torch__.torch.nn.modules.linear", "Linear"),
            ("scipy.sparse._csr", "csr_matrix"),
        ] {
            assert_eq!(classify(m, n), Class::Safe, "{m}.{n}");
        }
    }

    #[test]
    fn the_rest_is_unknown() {
        for (m, n) in [
            ("fastai.learner", "Learner"),
            ("pathlib", "PurePosixPath"),
            ("__main__", "MyModel"),
            ("transformers.models.bert.modeling_bert", "load_tf_weights_in_bert"),
        ] {
            assert_eq!(classify(m, n), Class::Unknown, "{m}.{n}");
        }
    }
}
