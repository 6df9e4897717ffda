//! Rules about containers: zip, tar, 7z and compressed streams.
pub mod archive_bomb;
pub mod archive_inconsistency;
pub mod encrypted_member;
pub mod link_member;
pub mod malformed_archive;
pub mod nesting_too_deep;
pub mod path_traversal;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[
    &path_traversal::RULE,
    &link_member::RULE,
    &archive_bomb::RULE,
    &archive_inconsistency::RULE,
    &malformed_archive::RULE,
    &encrypted_member::RULE,
    &nesting_too_deep::RULE,
];
