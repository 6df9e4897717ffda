//! `modelvet scan`: collect targets, scan them in parallel, write the report,
//! map the outcome to an exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use modelvet_engine::{Item, Limits, Options, ScanError, Scanner, Severity, TargetReport};
use modelvet_report::{Emitter, Report, ScanFailure, json::Json, text::Text};
use rayon::prelude::*;

use crate::cli::{ColorChoice, Format, Level, ScanArgs};

fn severity(l: Level) -> Severity {
    match l {
        Level::Critical => Severity::Critical,
        Level::High => Severity::High,
        Level::Medium => Severity::Medium,
        Level::Low => Severity::Low,
    }
}

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let mut limits = Limits::default();
    if let Some(v) = args.max_file_size {
        limits.max_file_bytes = v;
    }
    if let Some(v) = args.max_depth {
        limits.max_depth = v;
    }
    if let Some(v) = args.max_decompressed {
        limits.max_decompressed_bytes = v;
        limits.max_total_decompressed_bytes = limits.max_total_decompressed_bytes.max(v);
    }
    if let Some(v) = args.max_ratio {
        limits.max_ratio = v;
    }
    if let Some(v) = args.max_entries {
        limits.max_entries = v;
    }
    let scanner = Scanner::new(Options { limits, follow_symlinks: args.follow_symlinks, hash: args.hash });

    let mut items = Vec::new();
    let mut failures = Vec::new();
    for t in &args.targets {
        match scanner.collect(t) {
            Ok(found) => items.extend(found),
            Err(e) => failures.push(failure(&e)),
        }
    }

    let progress = if !args.quiet && std::io::stderr().is_terminal() && items.len() > 1 {
        let pb = ProgressBar::new(items.len() as u64);
        pb.set_style(
            ProgressStyle::with_template("{spinner} scanning {pos}/{len} files [{bar:30}] {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Some(pb)
    } else {
        None
    };

    let scan_one = |item: &Item| {
        let r = scanner.scan_item(item);
        if let Some(pb) = &progress {
            pb.inc(1);
        }
        r
    };
    // One job (or one file) runs on this thread: no pool to start, and the C
    // allocator keeps its single-threaded fast paths (a third of the CPU time
    // on a folder of small files goes to allocating).
    let results: Vec<Result<TargetReport, ScanError>> = if args.jobs == Some(1) || items.len() <= 1 {
        items.iter().map(scan_one).collect()
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(args.jobs.unwrap_or(0))
            .build()
            .context("starting worker threads")?;
        pool.install(|| items.par_iter().map(scan_one).collect())
    };
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }

    let mut targets = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(t) => targets.push(t),
            Err(e) => failures.push(failure(&e)),
        }
    }

    let fail_on = severity(args.fail_on);
    let report =
        Report { targets: &targets, failures: &failures, fail_on, elapsed_ms: start.elapsed().as_secs_f64() * 1000.0 };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let emitter: Box<dyn Emitter> = match args.format {
        Format::Text => Box::new(Text { color, quiet: args.quiet }),
        Format::Json => Box::new(Json { pretty: true }),
    };
    match &args.output {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
            );
            emitter.emit(&report, &mut f)?;
            f.flush()?;
        }
        None => {
            // Stdout is line-buffered: without this, one write system call per file.
            let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
            emitter.emit(&report, &mut out)?;
            out.flush()?;
        }
    }

    if !failures.is_empty() {
        for f in &failures {
            eprintln!("modelvet: error: {}: {}", f.path, f.message);
        }
        return Ok(ExitCode::from(2));
    }
    let blocked = targets.iter().any(|t| t.max_severity().is_some_and(|s| s >= fail_on));
    Ok(if blocked { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn failure(e: &ScanError) -> ScanFailure {
    match e {
        ScanError::NotFound { path } => {
            ScanFailure { path: path.display().to_string(), message: "no such file or folder".into() }
        }
        ScanError::Io { path, source } => ScanFailure { path: path.display().to_string(), message: source.to_string() },
    }
}
