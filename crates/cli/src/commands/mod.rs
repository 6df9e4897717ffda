//! One file per subcommand.
pub mod bom;
pub mod licence;
pub mod policy;
pub mod rules;
pub mod scan;
