//! One file per subcommand.
pub mod licence;
pub mod policy;
pub mod rules;
pub mod scan;
