//! Command-line flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "modelvet",
    version,
    about = "Vet machine-learning model files before anyone loads them",
    long_about = "modelvet statically analyses model files (pickle, PyTorch, joblib, NumPy, \
                  dill, and the archives that hold them) and reports code that would run on \
                  load. It never executes, imports or unpickles what it inspects.",
    after_help = "Examples:\n  modelvet scan model.pt\n  modelvet scan --fail-on high --format json -o report.json ./models\n  modelvet rules\n  modelvet rule PKL001\n\nExit codes: 0 nothing at or above the fail level, 1 blocked, 2 operational error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Scan files and folders for unsafe model content.
    Scan(ScanArgs),
    /// List every rule.
    Rules(RulesArgs),
    /// Show one rule's documentation.
    Rule(RuleArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Level {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  modelvet scan pytorch_model.bin\n  modelvet scan ~/models --jobs 4\n  modelvet scan --fail-on critical --format json --output report.json model.pkl\n\n\
Exit codes: 0 nothing at or above the fail level, 1 at least one finding at or above it,\n2 an operational error (missing path, unreadable file, bad arguments)."
)]
pub struct ScanArgs {
    /// Files or folders to scan (folders are walked recursively).
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<PathBuf>,

    /// Lowest severity that blocks (exit code 1).
    #[arg(long, value_enum, default_value = "medium")]
    pub fail_on: Level,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Files scanned in parallel (default: one per CPU).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// List only targets with findings, and no progress bar.
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,

    /// Scan the files that symbolic links in folders point to (links are otherwise reported, not followed).
    #[arg(long)]
    pub follow_symlinks: bool,

    /// Record each file's SHA-256 in the report (reads every byte; scanning alone reads only what each format needs).
    #[arg(long)]
    pub hash: bool,

    /// Largest file or archive member scanned, e.g. 512M, 300G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Deepest nesting of archives and nested payloads.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// Most bytes one compressed member may expand to, e.g. 8G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_decompressed: Option<u64>,

    /// Largest decompressed-to-compressed ratio before a member is a bomb.
    #[arg(long, value_name = "N")]
    pub max_ratio: Option<u64>,

    /// Most entries read from one archive.
    #[arg(long, value_name = "N")]
    pub max_entries: Option<u64>,
}

#[derive(Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Args)]
pub struct RuleArgs {
    /// A rule code (PKL001) or name (dangerous-import).
    pub code: String,
}

/// Parses `123`, `64K`, `512M`, `8G`, `1T` (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                'B' => 1,
                _ => return Err(format!("unknown size unit in {s:?} (use K, M, G or T)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num.trim().parse().map_err(|_| format!("{s:?} is not a size (e.g. 512M)"))?;
    n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("x").is_err());
    }
}
