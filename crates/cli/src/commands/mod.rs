//! One file per subcommand.
pub mod bom;
pub mod gate;
pub mod licence;
pub mod policy;
pub mod rules;
pub mod scan;
pub mod serve;
pub mod sign;
pub mod verify;
