//! `modelvet serve`: flags to a [`modelvet_server::Config`], then the server
//! library runs until Ctrl-C or SIGTERM.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use modelvet_server::lookalike::Publishers;
use modelvet_server::{Config, LogFormat, default_data_dir};

use super::policy::load_policy;
use super::scan::severity;
use crate::cli::{self, ServeArgs};

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let policy = load_policy(args.policy.as_deref(), args.no_policy, &cwd)?;
    let data_dir = match args.data {
        Some(d) => d,
        None => default_data_dir().ok_or_else(|| anyhow!("no HOME or XDG_CACHE_HOME; pass --data DIR"))?,
    };
    let mut config = Config::new(&args.upstream, data_dir);
    config.listen = args.listen;
    config.policy = policy;
    config.fail_on = args.fail_on.map(severity);
    config.upstream_token = std::env::var("HF_TOKEN").ok().filter(|t| !t.is_empty());
    config.limits.max_blob_bytes = args.max_file_size;
    config.limits.scan_wait = Duration::from_secs(args.scan_wait);
    let publishers = match &args.publishers {
        Some(f) => {
            let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
            Publishers::parse(&text).map_err(|e| anyhow!("{}: {e}", f.display()))?
        }
        None => Publishers::builtin(),
    };
    config.publishers = publishers.with_allowlist(&args.allow_publisher);
    config.allow_anonymous = match (args.allow_anonymous, args.no_anonymous) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let log = match args.log_format {
        cli::LogFormat::Text => LogFormat::Text,
        cli::LogFormat::Json => LogFormat::Json,
    };
    modelvet_server::run(config, log)?;
    Ok(ExitCode::SUCCESS)
}
