//! Rules about the files and folders being scanned.
pub mod file_too_large;
pub mod symlink_skipped;
pub mod unreadable_member;
