//! ## What it does
//! Blocks a model whose licence the policy denies. By default that is every licence of the
//! `non-commercial` class (CC BY-NC in all versions, the FAIR non-commercial research licence, Mistral's
//! non-production licence, …) and of the `research-only` class (DeepFloyd IF, Apple AMLR, Intel and H
//! research licences, Qwen research licence). The licence is found in the model card's front matter
//! (`license`, `license_name`), in `LICENSE`/`LICENCE`/`COPYING`/`NOTICE`/`USE_POLICY.md` files (matched
//! against the SPDX licence-list texts and modelvet's key phrases for model licences), in GGUF
//! `general.license*`, safetensors `__metadata__` and ONNX `metadata_props`, and, for a fine-tune or
//! adapter, in its base model's card when that is in the scanned tree. The finding is **high** and
//! always blocks (policy action `deny`), whatever the fail level.
//!
//! ## Why is this bad?
//! Shipping a model under terms that forbid your use of it is a legal risk that grows with every
//! product that embeds it. Catching it where models enter (CI, the gate) costs one line in a policy.
//! Override per id or class in `[licences]` (`allow = ["cc-by-nc-4.0"]` for a research team).
//!
//! ## Example
//! ```text
//! ---
//! license: cc-by-nc-4.0        # README.md:2: high LIC001, non-commercial (denied by default)
//! ---
//! ```
//!
//! ## References
//! - Hugging Face model cards: `license` (hub-docs `modelcard.md`, licenses list)
//! - Creative Commons Attribution-NonCommercial 4.0
//! - `modelvet licence PATH` lists every model's licence, class and verdict
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "LIC001",
    name: "licence-denied",
    severity: Severity::High,
    summary: "the model's licence is denied by the policy (by default: non-commercial and research-only)",
    path: "licence/licence_denied",
};
