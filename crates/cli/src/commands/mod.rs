//! One file per subcommand.
pub mod gate;
pub mod policy;
pub mod rules;
pub mod scan;
pub mod serve;
