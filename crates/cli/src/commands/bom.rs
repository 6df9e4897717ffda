//! `modelvet bom`: scan and hash the targets (one read of each file serves
//! both), group the files into models, write a CycloneDX AI-BOM, map the
//! verdict to an exit code.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use modelvet_engine::bom::{self, BomOptions};
use modelvet_engine::policy::{Date, WaiverUsage, relative_path, repository_root};
use modelvet_engine::{Item, Limits, Options, Scanner, Severity};
use modelvet_report::cyclonedx::{self, CycloneDx, SpecVersion};
use modelvet_report::{PolicyInfo, Report, RunInfo};
use rayon::prelude::*;

use super::policy::{load_policy, policy_root};
use super::scan::{failure, severity, write_report};
use crate::cli::{BomArgs, BomSpec};

/// `SOURCE_DATE_EPOCH` (reproducible builds): a fixed timestamp and a serial
/// number derived from the content, so the same files give the same BOM.
fn source_date_epoch() -> Result<Option<u64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => Ok(Some(v.trim().parse().with_context(|| format!("SOURCE_DATE_EPOCH {v:?} is not a number"))?)),
        Err(_) => Ok(None),
    }
}

pub fn run(args: BomArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let policy = load_policy(args.policy.as_deref(), args.no_policy, &cwd)?;
    let policy_root = policy_root(&policy, &cwd);
    let fail_on = args.fail_on.map(severity).or(policy.fail_on).unwrap_or(Severity::Medium);
    let epoch = source_date_epoch()?;
    let limits = Limits::default();
    let scanner = Scanner::new(Options {
        limits: limits.clone(),
        follow_symlinks: !args.no_follow_symlinks,
        hash: true,
        globals: policy.globals.clone(),
    });

    let mut items = Vec::new();
    let mut failures = Vec::new();
    for t in &args.targets {
        match scanner.collect(t) {
            Ok(found) => items.extend(found.into_iter().filter(|item| {
                let (Item::File(p) | Item::Symlink(p, _)) = item;
                policy.paths.admits(&relative_path(&policy_root, p))
            })),
            Err(e) => failures.push(failure(&e)),
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let results: Vec<_> = pool.install(|| items.par_iter().map(|i| scanner.scan_item(i)).collect());

    let today = Date::today();
    let mut usage = WaiverUsage::new(&policy);
    let mut targets = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(mut t) => {
                let rel = relative_path(&policy_root, std::path::Path::new(&t.path));
                policy.apply(&mut t, &rel, today, &mut usage);
                t.assign_fingerprints();
                targets.push(t);
            }
            Err(e) => failures.push(failure(&e)),
        }
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("modelvet: error: {}: {}", f.path, f.message);
        }
        return Ok(ExitCode::from(2));
    }

    let roots: Vec<PathBuf> = args.targets.clone();
    let bom = bom::assemble(
        &roots,
        &targets,
        &BomOptions {
            name: args.name.clone(),
            limits,
            licences: policy.licences.clone(),
            signing: policy.signing.clone(),
        },
    )?;
    let run = RunInfo {
        policy: policy
            .source
            .as_ref()
            .map(|s| PolicyInfo { path: s.path.display().to_string(), sha256: s.sha256.clone() }),
        warnings: Vec::new(),
        baseline: None,
        root: Some(repository_root(&cwd)),
        remote: Vec::new(),
    };
    let report = Report {
        targets: &targets,
        failures: &failures,
        fail_on,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
        run: &run,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let emitter = CycloneDx {
        bom: &bom,
        spec: match args.spec_version {
            BomSpec::V1_6 => SpecVersion::V1_6,
            BomSpec::V1_7 => SpecVersion::V1_7,
        },
        serial_number: match epoch {
            Some(e) => cyclonedx::content_serial_number(&bom, &targets, e),
            None => cyclonedx::random_serial_number(),
        },
        timestamp: epoch.unwrap_or(now),
    };
    write_report(&emitter, &report, args.output.as_deref())?;
    let blocked = report.blocked();
    eprintln!(
        "modelvet: {} model{} ({} file{}) in {:.2} s{}",
        bom.models.len(),
        if bom.models.len() == 1 { "" } else { "s" },
        targets.len(),
        if targets.len() == 1 { "" } else { "s" },
        start.elapsed().as_secs_f64(),
        if blocked { "; a model has a blocking finding (see the BOM's vulnerabilities)" } else { "" }
    );
    Ok(if blocked { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
