//! ## What it does
//! Follows values returned by `urllib`, `requests`, `httpx` and similar (through variables and `with ... as`)
//! into `exec`, `eval`, `pickle.loads`, `torch.load(weights_only=False)`, `marshal.loads` and other loaders.
//!
//! ## Why is this bad?
//! The code that runs is not in the repository at all: it can be changed by whoever controls the server, at
//! any time, and differently for each victim.
//!
//! ## Example
//! ```text
//! data = requests.get(URL).content
//! pickle.loads(data)   # critical
//! ```
//!
//! ## References
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT005",
    name: "remote-payload",
    severity: Severity::Critical,
    summary: "data downloaded at run time is executed or unpickled",
    path: "python/remote_payload",
};
