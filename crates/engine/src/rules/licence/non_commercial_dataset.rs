//! ## What it does
//! Reports a model whose card lists, under `datasets`, a dataset whose own card (in the scanned tree)
//! declares a non-commercial or research-only licence. **medium**, policy action `warn`: whether the
//! terms of training data reach the weights is a legal question, not one modelvet answers.
//!
//! Datasets are matched by folder: `org/name` is the folder `…/org/name`, `…/name` or the Hugging Face
//! cache's `datasets--org--name`. Dataset cards that are not in the scanned tree are not fetched
//! (modelvet never goes to the network); the dataset ids are still listed by `modelvet licence`.
//!
//! ## Why is this bad?
//! Models trained on non-commercial data (CC BY-NC instruction sets are common) may carry the data's
//! restrictions; a commercial user needs to know before shipping.
//!
//! ## Example
//! ```text
//! datasets/org/instruct/README.md:  license: cc-by-nc-4.0
//! model/README.md:                  datasets: [org/instruct]     # medium LIC007
//! ```
//!
//! ## References
//! - hub-docs `datasets-cards.md`: `license`
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "LIC007",
    name: "non-commercial-dataset",
    severity: Severity::Medium,
    summary: "a training dataset in the scanned tree is non-commercial or research-only",
    path: "licence/non_commercial_dataset",
};
