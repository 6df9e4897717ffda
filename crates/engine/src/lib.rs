//! The modelvet engine: scans model files and archives with the format parsers
//! and turns what they see into [`Finding`]s. A library, so that the command
//! line and a gate server call the same code.
//!
//! ```no_run
//! use modelvet_engine::{Scanner, Options};
//! let scanner = Scanner::new(Options::default());
//! let report = scanner.scan_file(std::path::Path::new("model.pt")).unwrap();
//! for f in &report.findings {
//!     println!("{} {} {}", f.rule.code, f.severity, f.message);
//! }
//! ```
#![forbid(unsafe_code)]

pub mod bom;
pub mod cache;
pub mod finding;
pub mod hub;
pub mod knowledge;
pub mod licence;
pub mod policy;
pub mod rules;
pub mod scan;
pub mod signing;
mod target;

pub use finding::{Action, Finding, Location, Severity, WaiverUse};
pub use modelvet_formats::Limits;
pub use rules::{RULES, Rule};
pub use scan::{Item, Options, ScanError, Scanner, TargetReport};
