//! ## What it does
//! Reports a model whose licence needs a person to read its terms before use. By default that is the
//! `copyleft`, `no-derivatives`, `rail` (OpenRAIL, BigScience, CreativeML, BigCode), `llama` (Llama 2,
//! 3, 3.1, 3.2, 3.3, 4 community licences), `gemma` and `other` (vendor terms such as Qwen, Falcon,
//! Stability AI, DeepSeek, NVIDIA, or `license: other` with a `license_name`) classes. The finding is
//! **low** with policy action `warn`: it is reported in every format and never blocks unless the policy
//! says so (`[licences] deny = ["llama"]`, or `[rules] LIC002 = "deny"`).
//!
//! ## Why is this bad?
//! These licences allow commercial use under conditions: use restrictions that must be passed on
//! (RAIL, Gemma), user-count thresholds, naming and attribution duties (Llama), share-alike on
//! distribution (copyleft), no derivatives (fine-tuning or quantising creates one). Someone must check
//! that the conditions fit the use.
//!
//! ## Example
//! ```text
//! ---
//! license: llama3.1            # README.md:2: low LIC002, llama (review)
//! ---
//! ```
//!
//! ## References
//! - Llama 3.1 Community License Agreement; Gemma Terms of Use; BigScience Open RAIL-M
//! - `modelvet licence PATH`
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "LIC002",
    name: "licence-needs-review",
    severity: Severity::Low,
    summary: "the model's licence has conditions a person must review (copyleft, RAIL, Llama, Gemma, other)",
    path: "licence/licence_needs_review",
};
