//! Rules about the files and folders being scanned.
pub mod file_too_large;
pub mod symlink_skipped;
pub mod unreadable_member;

/// This area's rules, one line each.
pub static RULES: &[&crate::rules::Rule] = &[&symlink_skipped::RULE, &file_too_large::RULE, &unreadable_member::RULE];
