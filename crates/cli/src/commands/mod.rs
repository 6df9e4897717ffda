//! One file per subcommand.
pub mod policy;
pub mod rules;
pub mod scan;
pub mod sign;
pub mod verify;
