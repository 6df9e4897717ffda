//! One file per subcommand.
pub mod rules;
pub mod scan;
