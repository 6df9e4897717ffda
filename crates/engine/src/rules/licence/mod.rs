//! Rules about model licences (see `crate::licence`): one finding per model,
//! at the file and line where the licence was declared.
pub mod conflicting_licences;
pub mod licence_denied;
pub mod licence_missing;
pub mod licence_needs_review;
pub mod looser_than_base_model;
pub mod non_commercial_dataset;
pub mod unknown_licence_id;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &licence_denied::RULE,
    &licence_needs_review::RULE,
    &licence_missing::RULE,
    &unknown_licence_id::RULE,
    &conflicting_licences::RULE,
    &looser_than_base_model::RULE,
    &non_commercial_dataset::RULE,
];
