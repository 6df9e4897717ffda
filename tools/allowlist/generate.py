#!/usr/bin/env python3
"""Generates modelvet's pickle allowlist from the libraries themselves.

For every library installed from requirements.txt (a missing one is skipped and
recorded), it makes the objects the library really pickles - instances of the
classes its modules define, fitted estimators, models written by its own save
functions, known factories - pickles them with protocols 0 to 5 (and joblib),
and reads each pickle with pickletools (pickleuse.py) to record every imported
name and how it is used: called with the file's arguments (REDUCE/INST/OBJ),
rebuilt without being called (NEWOBJ, copyreg._reconstructor), or only
referenced as a value. It never loads a pickle.

Names that read or write files, run code, start processes or touch the network
are filtered out (EXCLUDED_TOKENS and friends), and so is every name modelvet's
own DANGEROUS table (crates/engine/src/knowledge.rs) already condemns; the Rust
test `allowlist_data_is_clean` checks the result again.

Output: crates/engine/data/allowlist/<profile>.tsv, columns
    module  name  use  source
`use` is `call` (fine to call with the file's arguments) or `rebuild` (fine to
rebuild or reference, not on the call list). Run from anywhere:

    python tools/allowlist/generate.py            # all installed libraries
    python tools/allowlist/generate.py --only numpy sklearn
"""

import argparse
import contextlib
import enum
import importlib
import importlib.metadata as md
import inspect
import io
import os
import pickle
import pkgutil
import re
import signal
import sys
import tempfile
import warnings
import zipfile

sys.modules.setdefault("generate", sys.modules[__name__])
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pickleuse  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "crates", "engine", "data", "allowlist")
KNOWLEDGE = os.path.join(REPO, "crates", "engine", "src", "knowledge.rs")

# profile -> (distributions whose versions are recorded, top-level packages walked)
LIBRARIES = {
    "core": ([], []),
    "numpy": (["numpy"], ["numpy"]),
    "scipy": (["scipy"], ["scipy"]),
    "pandas": (["pandas"], ["pandas"]),
    "sklearn": (["scikit-learn", "joblib"], ["sklearn", "joblib"]),
    "torch": (["torch"], ["torch"]),
    "torchvision": (["torchvision", "torchaudio"], ["torchvision", "torchaudio"]),
    "xgboost": (["xgboost"], ["xgboost"]),
    "lightgbm": (["lightgbm"], ["lightgbm"]),
    "catboost": (["catboost"], ["catboost"]),
    "huggingface": (
        ["transformers", "tokenizers", "sentencepiece", "accelerate", "peft", "safetensors"],
        ["transformers", "tokenizers", "sentencepiece", "accelerate", "peft"],
    ),
    "diffusers": (["diffusers"], ["diffusers"]),
    "sentence_transformers": (["sentence-transformers"], ["sentence_transformers"]),
    "lightning": (
        ["lightning", "pytorch-lightning", "lightning-fabric", "torchmetrics"],
        ["lightning", "pytorch_lightning", "lightning_fabric", "torchmetrics"],
    ),
    "omegaconf": (["omegaconf"], ["omegaconf"]),
    "gensim": (["gensim"], ["gensim"]),
    "statsmodels": (["statsmodels", "patsy"], ["statsmodels", "patsy"]),
    "spacy": (["spacy", "thinc", "srsly"], ["spacy", "thinc"]),
    "nltk": (["nltk"], ["nltk"]),
    "timm": (["timm"], ["timm"]),
    "ultralytics": (["ultralytics"], ["ultralytics"]),
}

# The profile a module belongs to, by its top-level package.
HEADS = {
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "sklearn": "sklearn",
    "joblib": "sklearn",
    "torch": "torch",
    "__torch__": "torch",
    "torchvision": "torchvision",
    "torchaudio": "torchvision",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
    "_catboost": "catboost",
    "transformers": "huggingface",
    "tokenizers": "huggingface",
    "sentencepiece": "huggingface",
    "accelerate": "huggingface",
    "peft": "huggingface",
    "diffusers": "diffusers",
    "sentence_transformers": "sentence_transformers",
    "lightning": "lightning",
    "pytorch_lightning": "lightning",
    "lightning_fabric": "lightning",
    "torchmetrics": "lightning",
    "omegaconf": "omegaconf",
    "gensim": "gensim",
    "statsmodels": "statsmodels",
    "patsy": "statsmodels",
    "spacy": "spacy",
    "thinc": "spacy",
    "srsly": "spacy",
    "nltk": "nltk",
    "timm": "timm",
    "ultralytics": "ultralytics",
}

# Words that, as a token of any segment of a name, keep it out: file and network
# I/O, code execution, processes, imports.
EXCLUDED_TOKENS = {
    "load", "loads", "loader", "unpickle", "unpickler", "pickle", "pickler", "read", "reader", "fetch",
    "download", "downloader", "upload", "open", "save", "saver", "dump", "dumps", "write", "writer",
    "exec", "eval", "evaluate_code", "compile", "system", "call", "run", "runner", "import", "importer",
    "spawn", "popen", "subprocess", "shell", "socket", "request", "requests", "url", "urlopen", "http",
    "https", "hub", "file", "files", "filename", "path", "dir", "directory", "tempfile", "mmap", "io",
    "cli", "command", "script", "server", "client", "remote", "launch", "launcher", "process",
    "distributed", "rpc", "thread", "exit", "delete", "remove", "rmtree", "install", "serialize",
    "deserialize", "from_pretrained", "pretrained", "cache", "env", "getattr", "setattr", "globals",
    "breakpoint", "debugger", "callback", "hook", "signal", "profiler", "tensorboard",
}
# Substrings caught even inside longer words (loadtxt, fromfile, savez).
EXCLUDED_SUBSTRINGS = (
    "load", "save", "dump", "file", "fetch", "open", "write", "read_", "download", "pickle", "popen", "exec", "mmap", "memmap",
    "socket", "subprocess", "system", "shell", "import", "compile", "txt", "url", "http", "spawn", "ctypes",
)
# Module segments whose contents never join the list.
EXCLUDED_MODULE_TOKENS = EXCLUDED_TOKENS | {
    "tests", "test", "testing", "_testing", "conftest", "datasets", "f2py", "distutils", "ctypeslib",
    "benchmarks", "__main__", "setup", "compat_io", "jit", "onnx", "export", "package", "inductor",
    "_dynamo", "fx", "multiprocessing", "cuda_extension", "cpp_extension", "utils.data",
}
# Reviewed exceptions to the token filter (module, name): why each is fine.
TOKEN_EXCEPTIONS = {
    # Cython's generated reconstructors: `cls.__new__(cls)` then `__setstate_cython__`.
    re.compile(r"__pyx_unpickle_[A-Za-z0-9_]+$"): "Cython reconstructor",
    # pandas' own reconstructors of blocks and arrays.
    re.compile(r"_unpickle_[a-z_]+$"): "pandas reconstructor",
}
# Called by real torch pickles; modelvet scans its argument as a nested file
# (knowledge::is_loader), so allowing the call never means skipping its bytes.
NESTED_LOADERS = {("torch.storage", "_load_from_bytes")}
# Reviewed names the word filters would wrongly drop.
NAME_EXCEPTIONS = {
    ("re", "_compile"): "compiles a regular expression (re.Pattern's reconstructor), not Python code",
    ("builtins", "BlockingIOError"): "exception class",
    ("builtins", "ChildProcessError"): "exception class",
    ("builtins", "FileExistsError"): "exception class",
    ("builtins", "FileNotFoundError"): "exception class",
    ("builtins", "ProcessLookupError"): "exception class",
}
# Observed as called, but a call can do more than the libraries ask of it:
# kept as rebuild-only.
CALL_DEMOTED = {
    ("builtins", "type"): "type(name, bases, dict) builds a class",
    ("builtins", "object"): "object() is harmless but never needed as a call",
}
# Pickle-support modules: their names are the reconstructors the libraries'
# own pickles call (the module name says "pickle", the names load nothing).
PICKLE_SUPPORT_MODULES = {
    "joblib.numpy_pickle": "joblib's array wrappers",
    "joblib.numpy_pickle_compat": "joblib's array wrappers from older formats",
    "numpy.random._pickle": "NumPy's bit generator constructors",
    "torch.jit._pickle": "TorchScript constant builders",
}
# The pickle protocol's own reconstructors.
PROTOCOL_NAMES = pickleuse.RECONSTRUCTORS

_TOKEN_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def tokens(s):
    out = set()
    for part in re.split(r"[._]+", s):
        out.update(t.lower() for t in _TOKEN_RE.findall(part))
    return out


def excluded(module, name):
    """Why (module, name) stays out of the list, or None."""
    if (module, name) in NESTED_LOADERS or (module, name) in PROTOCOL_NAMES or (module, name) in NAME_EXCEPTIONS:
        return None
    for seg in module.split(".") if module not in PICKLE_SUPPORT_MODULES else ():
        bad = tokens(seg) & EXCLUDED_MODULE_TOKENS
        if bad or seg in EXCLUDED_MODULE_TOKENS or any(sub in seg.lower() for sub in EXCLUDED_SUBSTRINGS):
            return f"module segment {seg!r}"
    last = name.split(".")[-1]
    if any(p.match(last) for p in TOKEN_EXCEPTIONS):
        return None
    bad = tokens(name) & EXCLUDED_TOKENS
    if bad:
        return f"name token {sorted(bad)[0]!r}"
    low = name.lower()
    for sub in EXCLUDED_SUBSTRINGS:
        if sub in low:
            return f"name contains {sub!r}"
    if name.startswith("__") and name.endswith("__"):
        return "dunder"
    return None


# --- modelvet's own judgement, read from knowledge.rs -----------------------


def _rust_table(text, const):
    m = re.search(r"const " + const + r": &\[[^=]*= &\[(.*?)\n\];", text, re.S)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def modelvet_danger():
    text = open(KNOWLEDGE, encoding="utf-8").read()
    dangerous = set(_rust_table(text, "DANGEROUS"))
    return dangerous, set(_rust_table(text, "REEXPORTED")), set(_rust_table(text, "SPECIAL"))


DANGEROUS, REEXPORTED, SPECIAL = modelvet_danger()


def fold(module):
    head, _, rest = module.partition(".")
    head = {
        "__builtin__": "builtins",
        "__builtins__": "builtins",
        "exceptions": "builtins",
        "copy_reg": "copyreg",
        "_collections": "collections",
        "_functools": "functools",
        "_datetime": "datetime",
        "_pydecimal": "decimal",
        "_sre": "re",
    }.get(head, head)
    return f"{head}.{rest}" if rest else head


def modelvet_dangerous(module, name):
    full = f"{module}.{name}"
    for d in DANGEROUS:
        if full == d or full.startswith(d + "."):
            return True
    return any(s in REEXPORTED or s in SPECIAL for s in name.split(".") + module.split(".")[1:])


# --- recording ---------------------------------------------------------------


class Table:
    def __init__(self):
        self.entries = {}  # (module, name) -> [use, profile, source]
        self.dropped = {}  # (module, name) -> reason

    def add(self, module, name, use, profile, source, check=True):
        module = fold(module)
        key = (module, name)
        if check:
            if modelvet_dangerous(module, name):
                self.dropped[key] = "modelvet DANGEROUS"
                return
            why = excluded(module, name)
            if why:
                self.dropped[key] = why
                return
        if use == "value" or key in CALL_DEMOTED:
            use = "rebuild"
        old = self.entries.get(key)
        if old is None:
            self.entries[key] = [use, profile_for(module, profile), source]
        elif use == "call" and old[0] != "call":
            old[0], old[2] = "call", source

    def merge(self, entries, dropped):
        for key, (use, profile, source) in entries.items():
            old = self.entries.get(key)
            if old is None:
                self.entries[key] = [use, profile, source]
            elif use == "call" and old[0] != "call":
                old[0], old[2] = "call", source
        for key, why in dropped.items():
            self.dropped.setdefault(key, why)

    def observe(self, data, profile, source):
        for (module, name), used in pickleuse.uses(data).items():
            use = "call" if "call" in used else "rebuild"
            self.add(module, name, use, profile, source)


def profile_for(module, observer):
    head = module.split(".")[0]
    if head in HEADS:
        return HEADS[head]
    if head in sys.stdlib_module_names or head in ("builtins", "copyreg", "_codecs"):
        return "core"
    return observer


# --- running untrusted-to-us library code with a time limit ------------------


class Timeout(Exception):
    pass


@contextlib.contextmanager
def limit(seconds):
    def on_alarm(*_):
        raise Timeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def quietly(fn, seconds=20):
    """fn() or None; library code may fail in any way."""
    try:
        with limit(seconds), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn()
    except (Exception, Timeout, SystemExit):
        return None


# --- observing objects --------------------------------------------------------


class Observer:
    def __init__(self, table, profile, version):
        self.table = table
        self.profile = profile
        self.version = version
        self.count = 0

    def pickle(self, obj, how):
        """Pickles obj with every protocol and records what each pickle imports."""
        ok = False
        for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
            if proto < 2:
                # copyreg's protocol 0/1 reduce calls the object's native base
                # class, which aborts the process for some pybind11 types.
                data = in_child(lambda: pickle.dumps(obj, protocol=proto), 10)
            else:
                data = quietly(lambda: pickle.dumps(obj, protocol=proto), 10)
            if data:
                self.table.observe(data, self.profile, f"{self.version} {how}")
                ok = True
        if ok:
            self.count += 1
        return ok

    def data(self, data, how):
        self.table.observe(data, self.profile, f"{self.version} {how}")
        self.count += 1

    def joblib(self, obj, how):
        try:
            import joblib
            import joblib.numpy_pickle as jnp
        except Exception:
            return
        # joblib writes array bytes inside the pickle stream; skip them so the
        # stream is a plain pickle pickletools can read.
        orig = jnp.NumpyArrayWrapper.write_array
        jnp.NumpyArrayWrapper.write_array = lambda self, array, pickler: None
        try:
            buf = io.BytesIO()
            if quietly(lambda: joblib.dump(obj, buf) or True, 20):
                self.data(buf.getvalue(), how + " (joblib.dump)")
        finally:
            jnp.NumpyArrayWrapper.write_array = orig

    def torch_save(self, obj, how):
        import torch

        buf = io.BytesIO()
        if not quietly(lambda: torch.save(obj, buf) or True, 60):
            return False
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            for n in z.namelist():
                if n.endswith(".pkl"):
                    self.data(z.read(n), how + " (torch.save)")
        legacy = io.BytesIO()
        if quietly(lambda: torch.save(obj, legacy, _use_new_zipfile_serialization=False) or True, 60):
            self.data(legacy.getvalue(), how + " (torch.save legacy)")
        return True

    def reference(self, module, name, how, use="rebuild"):
        self.table.add(module, name, use, self.profile, f"{self.version} {how}")


def in_child(fn, seconds):
    """fn() in a forked child (a library's constructor may crash the process);
    None if it failed or crashed."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out = pickle.dumps(quietly(fn, seconds))
        except BaseException:
            out = pickle.dumps(None)
        with os.fdopen(w, "wb") as f:
            f.write(out)
        os._exit(0)
    os.close(w)
    # A child can deadlock where the alarm cannot reach it (a fork after
    # OpenMP threads started): the parent kills it past the deadline.
    import select
    import time

    deadline = time.monotonic() + seconds + 30
    chunks = []
    with os.fdopen(r, "rb") as f:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([f], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                chunks = []
                break
            chunk = f.read1(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    data = b"".join(chunks)
    # Our own child's answer: a tuple of plain data.
    return pickle.loads(data) if data else None


def module_names(top, skip_log):
    """Every module of package `top` (packages imported to find their parts)."""
    root = quietly(lambda: importlib.import_module(top), 300)
    if root is None:
        skip_log.append(f"{top}: not importable")
        return []
    names = [top]
    path = getattr(root, "__path__", None)
    if not path:
        return names

    def onerror(name):
        skip_log.append(f"{name}: import failed")

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(path, top + ".", onerror=onerror):
            name = info.name
            if excluded(name, "x") or any(s.startswith("_test") for s in name.split(".")):
                continue
            names.append(name)
    return names


def defined_here(module):
    """Classes that `module` defines (not re-exports)."""
    out = []
    for attr, obj in sorted(vars(module).items(), key=lambda kv: kv[0]):
        if getattr(obj, "__module__", None) == module.__name__ and inspect.isclass(obj):
            out.append((attr, obj))
    return out


def uses_default_reduce(cls):
    """Whether instances pickle by the object protocol (rebuilt, never called)."""
    for klass in cls.__mro__[:-1]:
        d = vars(klass)
        if "__reduce__" in d or "__reduce_ex__" in d or "__getnewargs__" in d or "__getnewargs_ex__" in d:
            return False
    return True


def walk_one(modname, profile, version, instantiate):
    """In a child: instances of the classes module `modname` defines, pickled."""
    table = Table()
    obs = Observer(table, profile, version)
    module = quietly(lambda: importlib.import_module(modname), 60)
    if module is None:
        return None
    for attr, cls in defined_here(module):
        if attr.startswith("__"):
            continue
        if issubclass(cls, BaseException):
            obs.reference(modname, attr, "walk: exception class")
            continue
        if issubclass(cls, enum.Enum):
            members = quietly(lambda: list(cls), 5)
            if members:
                obs.pickle(members[0], "walk: enum member")
            continue
        done = False
        native = "pybind11" in type(cls).__name__ or "Boost.Python" in type(cls).__name__
        if instantiate and not native and not inspect.isabstract(cls):
            inst = quietly(cls, 5)
            if inst is not None and type(inst) is cls:
                done = obs.pickle(inst, "walk: instance")
        if not done and uses_default_reduce(cls) and cls.__flags__ & (1 << 9):  # a heap type
            obs.reference(modname, attr, "walk: class with the default object reduce")
    return table.entries, table.dropped, obs.count


# Packages too large to instantiate every class of (the classes are still
# recorded from their pickling protocol), and module families left out.
NO_INSTANCES = {"transformers", "diffusers", "timm", "spacy", "nltk", "statsmodels"}
WALK_SKIP = re.compile(
    r"(^transformers\.models\.[^.]+\.(modeling_tf_|modeling_flax_|convert_|image_processing|video_processing))"
    r"|(^spacy\.lang\.(?!en\b)[a-z_]+)"
    r"|(^nltk\.(app|chat|draw|test)\b)"
)
WALK_BUDGET = int(os.environ.get("MV_WALK_BUDGET", "900"))  # seconds per top-level package


def walk(obs, tops, skip_log, instantiate=True):
    """Instances of every class the packages define, pickled; the rest from the
    classes' own pickling protocol. One forked child per module."""
    import time

    for top in tops:
        started = time.monotonic()
        # Public modules first: a budget cut falls on internals.
        names = sorted(module_names(top, skip_log), key=lambda n: (any(s.startswith("_") for s in n.split(".")), n))
        for modname in names:
            if WALK_SKIP.search(modname):
                continue
            if time.monotonic() - started > WALK_BUDGET:
                skip_log.append(f"{top}: walk stopped after {WALK_BUDGET} s at {modname}")
                break
            instantiate = top not in NO_INSTANCES
            got = in_child(lambda: walk_one(modname, obs.profile, obs.version, instantiate), 300)
            if got is None:
                skip_log.append(f"{modname}: walk failed")
                continue
            entries, dropped, count = got
            obs.table.merge(entries, dropped)
            obs.count += count


def values(obs, module_names, how, predicate=None):
    """Public functions of `module_names`, as values (what a pickle stores when
    an estimator keeps a function as a parameter, FunctionTransformer(np.log1p))."""
    for mn in module_names:
        m = quietly(lambda: importlib.import_module(mn), 60)
        if m is None:
            continue
        for attr in sorted(dir(m)):
            if attr.startswith("_"):
                continue
            obj = getattr(m, attr, None)
            if obj is None or inspect.isclass(obj) or inspect.ismodule(obj):
                continue
            if not callable(obj) or (predicate and not predicate(obj)):
                continue
            data = quietly(lambda: pickle.dumps(obj, protocol=4), 5)
            if data:
                for (module, name), used in pickleuse.uses(data).items():
                    obs.table.add(module, name, "rebuild", obs.profile, f"{obs.version} {how}")


# --- per library --------------------------------------------------------------

import libraries  # noqa: E402  (the per-library object factories)


def run_factories(profile, version):
    """In a child: the library's own objects (libraries.py)."""
    table = Table()
    obs = Observer(table, profile, version)
    skips = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            libraries.run(profile, obs, skips)
    except (Exception, Timeout) as e:
        print(f"{profile}: factories stopped early: {type(e).__name__}: {e}", file=sys.stderr)
        skips.append(f"factories stopped: {e}")
    return table.entries, table.dropped, obs.count, skips


def version_of(dists):
    vs = []
    for d in dists:
        try:
            vs.append(f"{d}=={md.version(d)}")
        except md.PackageNotFoundError:
            pass
    return vs


def manual(table):
    path = os.path.join(HERE, "manual.tsv")
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        profile, module, name, use, why = line.split("\t")
        key = (module, name)
        if key in table.entries:
            continue
        table.entries[key] = [use, profile, f"manual: {why}"]


def aliases(table):
    """The same objects under the module names other versions write.

    NumPy 2 moved numpy.core to numpy._core (pickles from either load in
    both); scikit-learn before 0.22 had public module names
    (sklearn.linear_model.logistic) for what is now private (..._logistic)."""
    for (module, name), (use, profile, source) in sorted(table.entries.items()):
        twins = []
        if module == "numpy._core" or module.startswith("numpy._core."):
            twins.append(("numpy.core" + module[len("numpy._core"):], "numpy 1.x module name"))
        elif module == "numpy.core" or module.startswith("numpy.core."):
            twins.append(("numpy._core" + module[len("numpy.core"):], "numpy 2.x module name"))
        if module.startswith("sklearn."):
            segs = module.split(".")
            old = [s[1:] if s.startswith("_") and not s.startswith("__") and i > 0 else s for i, s in enumerate(segs)]
            if old != segs and name[:1].isupper():
                twins.append((".".join(old), "scikit-learn<0.22 public module name"))
        for twin, why in twins:
            if (twin, name) not in table.entries and not excluded(twin, name) and not modelvet_dangerous(twin, name):
                table.entries[(twin, name)] = [use, profile, f"alias ({why}) of {module}.{name}"]


def write(table, run_info):
    os.makedirs(OUT, exist_ok=True)
    by_profile = {p: [] for p in LIBRARIES}
    for (module, name), (use, profile, source) in table.entries.items():
        by_profile.setdefault(profile, []).append((module, name, use, source))
    for profile, rows in by_profile.items():
        rows.sort()
        path = os.path.join(OUT, f"{profile}.tsv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"# modelvet allowlist, profile `{profile}`: generated by tools/allowlist/generate.py, do not edit.\n")
            info = run_info.get(profile)
            if info:
                f.write(f"# {info}\n")
            f.write("# module\tname\tuse\tsource\n")
            for r in rows:
                f.write("\t".join(r) + "\n")
        print(f"{profile}: {len(rows)} entries -> {os.path.relpath(path, REPO)}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="profiles to regenerate (others keep their files)")
    ap.add_argument("--out", help="write the tables here instead of crates/engine/data/allowlist")
    ap.add_argument("--merge", nargs="*", help="merge the tables of earlier --out runs (call wins) into the output")
    ap.add_argument("--skips", help="append what could not be made or imported to this file")
    ap.add_argument("--dropped", help="write the names filtered out, with the reason, to this file")
    args = ap.parse_args()

    global OUT
    if args.out:
        OUT = os.path.abspath(args.out)
    table = Table()
    run_info = {}
    if args.merge is not None:
        for d in args.merge:
            for p in LIBRARIES:
                path = os.path.join(d, f"{p}.tsv")
                if not os.path.exists(path):
                    continue
                for line in open(path, encoding="utf-8"):
                    if line.startswith("#"):
                        if line.startswith("# observed") or (line.startswith("# skipped") and p not in run_info):
                            run_info[p] = line[2:].rstrip("\n")
                        continue
                    m, n, u, src = line.rstrip("\n").split("\t")
                    if not src.startswith("manual:") and not src.startswith("alias ("):
                        # The filters again: a table from an older generator may hold more.
                        table.add(m, n, u, p, src)
        aliases(table)
        manual(table)
        write(table, run_info)
        return
    os.chdir(tempfile.mkdtemp(prefix="mv-allowlist-"))  # whatever a constructor writes lands here
    for profile, (dists, tops) in LIBRARIES.items():
        if args.only and profile not in args.only and profile != "core":
            continue
        versions = version_of(dists)
        if dists and not versions:
            run_info[profile] = f"skipped: {', '.join(dists)} not installed"
            print(f"{profile}: skipped (not installed)", file=sys.stderr)
            continue
        version = ",".join(versions) if versions else f"python=={sys.version.split()[0]}"
        obs = Observer(table, profile, version)
        skips = []
        before = len(table.entries)
        got = in_child(lambda: run_factories(profile, version), 3600)
        if got is None:
            print(f"{profile}: factories crashed", file=sys.stderr)
            skips.append("factories crashed")
        else:
            entries, dropped, count, fskips = got
            table.merge(entries, dropped)
            obs.count += count
            skips += fskips
        if tops:
            walk(obs, [t for t in tops if importlib.util.find_spec(t)], skips)
        missing = [d for d in dists if not any(v.startswith(d + "==") for v in versions)]
        run_info[profile] = "observed with " + " ".join(versions or [version])
        if missing:
            run_info[profile] += "; not installed: " + " ".join(missing)
        print(f"{profile}: {obs.count} objects, {len(table.entries) - before} new names, "
              f"{len(skips)} skipped", file=sys.stderr)
        if args.skips:
            with open(args.skips, "a", encoding="utf-8") as f:
                for sk in skips:
                    f.write(f"{profile}\t{sk}\n")
        if args.out:
            aliases(table)
            write(table, run_info)  # what is done so far, for a run cut short
    aliases(table)
    manual(table)
    if args.only:
        keep = set(args.only) | {"core"}
        for p in list(LIBRARIES):
            if p not in keep:
                run_info.pop(p, None)
        # Profiles not regenerated keep their files: merge them back in.
        for p in LIBRARIES:
            if p in keep:
                continue
            path = os.path.join(OUT, f"{p}.tsv")
            if os.path.exists(path):
                for line in open(path, encoding="utf-8"):
                    if line.startswith("#"):
                        if line.startswith("# observed") or line.startswith("# skipped"):
                            run_info[p] = line[2:].rstrip("\n")
                        continue
                    m, n, u, s = line.rstrip("\n").split("\t")
                    table.entries.setdefault((m, n), [u, p, s])
    write(table, run_info)
    if args.dropped:
        with open(args.dropped, "w", encoding="utf-8") as f:
            for (m, n), why in sorted(table.dropped.items()):
                if (m, n) not in table.entries:
                    f.write(f"{m}\t{n}\t{why}\n")


if __name__ == "__main__":
    main()
