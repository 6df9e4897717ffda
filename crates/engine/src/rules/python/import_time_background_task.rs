//! ## What it does
//! Finds `threading.Thread`, `threading.Timer`, `multiprocessing.Process`, `os.fork` and
//! `_thread.start_new_thread` called at module level (when the file is imported).
//!
//! ## Why is this bad?
//! Importing a model's code should define classes, not start work. A background thread hides a payload's
//! activity and outlives the loading call.
//!
//! ## Example
//! ```text
//! threading.Thread(target=beacon, daemon=True).start()   # high, at module level
//! ```
//!
//! ## References
//! - Zhao et al., "Models Are Codes" (MalHug), arXiv:2409.09368
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PYT011",
    name: "import-time-background-task",
    severity: Severity::High,
    summary: "a thread or process started at import time keeps running behind the user's back",
    path: "python/import_time_background_task",
};
