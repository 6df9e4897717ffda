//! ## What it does
//! Flags `Save`, `SaveSlices`, `Restore`, `RestoreSlice`, `SaveV2`,
//! `RestoreV2` and `MergeV2Checkpoints` whose file name is a constant that is
//! absolute, contains `..` or a URL scheme. Ordinary checkpoint ops, whose file
//! name comes from the saver's placeholder, pass.
//!
//! ## Why is this bad?
//! Checkpoint ops write arbitrary bytes to their path: with a constant target
//! (`/home/user/.bashrc`, `../../x`) the graph becomes a file-overwrite
//! primitive that fires when the saver runs.
//!
//! ## Example
//! ```text
//! node `save/SaveV2` (op SaveV2) writes to "/etc/cron.d/job"
//! ```
//!
//! ## References
//! - https://www.tensorflow.org/guide/checkpoint
//! - protectai/modelscan SavedModel scanner
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TFG003",
    name: "tf-checkpoint-unusual-path",
    severity: Severity::High,
    summary: "a save/restore op writes or reads a checkpoint at a fixed path outside the model",
    path: "tf/checkpoint_unusual_path",
};
