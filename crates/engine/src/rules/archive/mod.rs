//! Rules about containers: zip, tar, 7z and compressed streams.
pub mod archive_bomb;
pub mod archive_inconsistency;
pub mod encrypted_member;
pub mod link_member;
pub mod malformed_archive;
pub mod nesting_too_deep;
pub mod path_traversal;
