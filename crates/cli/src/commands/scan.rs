//! `modelvet scan`: load the policy, collect targets, scan them in parallel
//! (through the cache if asked), apply the policy and the baseline, write
//! every requested report, map the outcome to an exit code.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use modelvet_engine::bom::BomOptions;
use modelvet_engine::cache::Cache;
use modelvet_engine::licence::{self, Scope};
use modelvet_engine::policy::{Date, Relative, WaiverUsage, repository_root};
use modelvet_engine::{Item, Limits, Options, ScanError, Scanner, Severity, TargetReport};
use modelvet_engine::{hub, signing};
use modelvet_report::cyclonedx::{self, CycloneDx, SpecVersion};
use modelvet_report::{
    BaselineInfo, Emitter, PolicyInfo, RemoteRead, Report, RunInfo, ScanFailure, json::Json, junit::Junit,
    markdown::Markdown, sarif::Sarif, text::Text,
};
use modelvet_server::hf::{DownloadLimits, Downloaded, HfTarget, download_temp};

use super::policy::{load_policy, policy_root};
use crate::cli::{ColorChoice, Format, Level, ScanArgs};

pub fn severity(l: Level) -> Severity {
    match l {
        Level::Critical => Severity::Critical,
        Level::High => Severity::High,
        Level::Medium => Severity::Medium,
        Level::Low => Severity::Low,
    }
}

/// Where reports go: (format, file or `None` for standard output).
fn destinations(args: &ScanArgs) -> Vec<(Format, Option<PathBuf>)> {
    let mut out = Vec::new();
    let mut stdout_taken = false;
    for o in &args.output {
        let path = (o.path.as_os_str() != "-").then(|| o.path.clone());
        if o.format.is_none() {
            stdout_taken = true;
        }
        out.push((o.format.unwrap_or(args.format), path));
    }
    if !stdout_taken {
        out.insert(0, (args.format, None));
    }
    out
}

/// Fingerprints from an earlier JSON report or SARIF log.
fn read_baseline(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read baseline {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!("baseline {} is not JSON (expected a modelvet JSON or SARIF report)", path.display())
    })?;
    let mut set = HashSet::new();
    let mut findings = 0usize;
    if let Some(targets) = v.get("targets").and_then(|t| t.as_array()) {
        for f in targets.iter().filter_map(|t| t.get("findings")?.as_array()).flatten() {
            findings += 1;
            if let Some(fp) = f.get("fingerprint").and_then(|x| x.as_str()) {
                set.insert(fp.to_string());
            }
        }
    } else if let Some(runs) = v.get("runs").and_then(|r| r.as_array()) {
        for r in runs.iter().filter_map(|r| r.get("results")?.as_array()).flatten() {
            findings += 1;
            if let Some(fp) = r.pointer("/partialFingerprints/modelvet~1v1").and_then(|x| x.as_str()) {
                set.insert(fp.to_string());
            }
        }
    } else {
        bail!("baseline {} is neither a modelvet JSON report nor a SARIF log", path.display());
    }
    if findings > 0 && set.is_empty() {
        bail!(
            "baseline {} has findings but no fingerprints (written by an older modelvet, JSON schema 1); \
             regenerate it with `modelvet scan --format json`",
            path.display()
        );
    }
    Ok(set)
}

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let policy = load_policy(args.policy.as_deref(), args.no_policy, &cwd)?;
    let policy_root = policy_root(&policy, &cwd);
    let fail_on = args.fail_on.map(severity).or(policy.fail_on).unwrap_or(Severity::Medium);
    let dests = destinations(&args);

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
    let baseline = match &args.baseline {
        Some(p) => Some((p, read_baseline(p)?)),
        None => None,
    };
    let cache = match &args.cache {
        Some(dir) => Some(
            Cache::open(dir, &limits, &policy.scan_key())
                .with_context(|| format!("cannot use cache folder {}", dir.display()))?,
        ),
        None => None,
    };
    // Fingerprints, baselines, caches and hash waivers need content hashes.
    let hash = args.hash
        || dests.iter().any(|(f, _)| f.needs_hashes())
        || baseline.is_some()
        || cache.is_some()
        || policy.needs_hashes();
    let scanner = Scanner::new(Options {
        limits: limits.clone(),
        follow_symlinks: args.follow_symlinks,
        hash,
        globals: policy.globals.clone(),
    });

    let mut failures = Vec::new();
    // `hf://ORG/NAME[@REV]` targets are downloaded first, then scanned as folders.
    let mut remote = Vec::new();
    let mut ranged = Vec::new();
    let mut local_targets = Vec::new();
    // The repository's name itself is checked first: a look-alike publisher
    // or a well-known model's name under an unknown one (HUB001-HUB003).
    let mut hub_reports: Vec<TargetReport> = Vec::new();
    let known = hub::KnownNames::builtin();
    for t in &args.targets {
        if let Some(Ok(target)) = t.to_str().and_then(HfTarget::parse)
            && let Ok(repo) = hub::RepoId::parse(&target.repo.to_string())
        {
            let findings = hub::check_repo(&repo, &known);
            if !findings.is_empty() {
                hub_reports.push(TargetReport {
                    path: format!("hf://{repo}"),
                    format: "hub-repository".into(),
                    size: 0,
                    sha256: None,
                    findings,
                    duration_ms: 0.0,
                });
            }
        }
    }
    for t in &args.targets {
        match t.to_str().and_then(HfTarget::parse) {
            None => local_targets.push(t.clone()),
            Some(Err(e)) => failures.push(ScanFailure { path: t.display().to_string(), message: e.to_string() }),
            Some(Ok(target)) => match download_repo(&target, &limits, !(policy.signing.require || args.whole_files)) {
                Ok(mut d) => {
                    // Safetensors and GGUF files (and ONNX external data): scanned
                    // from HTTP ranges, reading only what the scanner reads.
                    for r in d.scan_ranged(&scanner) {
                        match r {
                            Ok(t) => ranged.push(t),
                            Err(e) => failures.push(ScanFailure { path: d.display_root(), message: e.to_string() }),
                        }
                    }
                    for (path, why) in &d.snapshot.skipped {
                        failures.push(ScanFailure {
                            path: format!("{}/{path}", d.display_root()),
                            message: format!("not downloaded: {why}"),
                        });
                    }
                    local_targets.push(d.path().to_path_buf());
                    remote.push(d);
                }
                Err(e) => failures.push(ScanFailure { path: t.display().to_string(), message: format!("{e:#}") }),
            },
        }
    }
    // A downloaded file's policy path is `ORG/NAME/PATH` (as in the gate);
    // its report path is `hf://ORG/NAME@COMMIT/PATH`.
    let relative = Relative::new(&policy_root);
    let policy_path = |p: &Path| -> String {
        for d in &remote {
            if let Ok(rest) = p.strip_prefix(d.path()) {
                return format!("{}/{}", d.target.repo, rest.to_string_lossy().replace('\\', "/"));
            }
        }
        relative.of(p)
    };
    // The files to scan: every target walked in order, ranged files and the
    // policy's excluded paths left out. With workers, scanning starts while
    // the tree is still being walked (on this thread).
    let jobs = match args.jobs {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let single = jobs == 1 || (local_targets.len() == 1 && local_targets[0].is_file());
    // A progress bar on a terminal; its length grows as the walk finds files.
    let progress = if !args.quiet && std::io::stderr().is_terminal() && !single {
        let pb = ProgressBar::new(0);
        pb.set_style(
            ProgressStyle::with_template("{spinner} scanning {pos}/{len} files [{bar:30}] {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Some(pb)
    } else {
        None
    };
    // Each file's licence metadata is read from the bytes its scan read, so
    // that the licence assessment below opens no weight file again.
    let scan_one = |item: &Item, known: &mut licence::KnownMeta| {
        let mut meta = None;
        let r = scanner.scan_item_noting(item, cache.as_ref(), &mut meta);
        if let (Some(meta), Item::File(p)) = (meta, item) {
            known.insert(p.clone(), meta);
        }
        if let Some(pb) = &progress {
            pb.inc(1);
        }
        r
    };
    // Each folder's listing goes to the licence assessment (`list`), so that
    // no folder is read twice.
    let walk = |send: &mut dyn FnMut(&Item), list: &mut dyn FnMut(usize, Option<licence::walk::Dir>)| {
        let mut items = Vec::new();
        let mut excluded = 0usize;
        let mut failed = Vec::new();
        for (ti, t) in local_targets.iter().enumerate() {
            let mut listed = |d| list(ti, Some(d));
            let walked = scanner.walk_listing(
                t,
                &mut |item| {
                    let p = match &item {
                        Item::File(p) | Item::Symlink(p, _) => p,
                    };
                    // Files read by HTTP ranges are scanned from their ranges below.
                    if remote.iter().any(|d| d.is_ranged(p)) {
                        return;
                    }
                    if policy.paths.admits(&policy_path(p)) {
                        if let Some(pb) = &progress {
                            pb.inc_length(1);
                        }
                        send(&item);
                        items.push(item);
                    } else {
                        excluded += 1;
                    }
                },
                Some(&mut listed),
            );
            if let Err(e) = walked {
                failed.push(failure(&e));
                // A folder the walk could not finish is walked again by the assessment.
                list(ti, None);
            }
        }
        (items, excluded, failed)
    };
    // Licences are judged per model (a folder or a model file), from the
    // targets, the folders the walk listed and the metadata the scan read,
    // once the files are scanned.
    // (A target that does not exist holds no model.)
    let assess = |listed: Listings, known: &licence::KnownMeta| {
        licence::assess_listed(&local_targets, listed.by_target(local_targets.len()), known, &policy.licences)
    };
    // One job (or one file) runs on this thread: no threads to start, and the
    // allocator keeps its single-threaded fast paths.
    let (items, results, models): (Vec<Item>, Vec<Result<TargetReport, ScanError>>, _) = if single {
        let mut listed = Listings::default();
        let (items, excluded, mut failed) = walk(&mut |_| {}, &mut |ti, d| listed.add(ti, d));
        failures.append(&mut failed);
        if excluded > 0 && !args.quiet {
            eprintln!("modelvet: {excluded} file(s) skipped by the policy's [paths]");
        }
        let mut known = licence::KnownMeta::new();
        let results = items.iter().map(|item| scan_one(item, &mut known)).collect();
        (items, results, assess(listed, &known))
    } else {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Item)>();
        let rx = std::sync::Mutex::new(rx);
        std::thread::scope(|s| {
            // Owned here, so that every way out of this closure (a worker that
            // could not start included) closes the channel before the scope waits.
            let tx = tx;
            let workers: Vec<_> = (0..jobs)
                .map(|_| {
                    let (rx, scan_one) = (&rx, &scan_one);
                    // A stack large enough for the Python analysis to run on the worker itself.
                    modelvet_engine::scan::spawn_worker(s, move || {
                        let mut done = Vec::new();
                        let mut known = licence::KnownMeta::new();
                        loop {
                            // The lock is held only to take the next item.
                            let next = rx.lock().map_or(None, |r| r.recv().ok());
                            let Some((i, item)) = next else { break };
                            done.push((i, scan_one(&item, &mut known)));
                        }
                        (done, known)
                    })
                })
                .collect::<std::io::Result<Vec<_>>>()
                .context("could not start the scan's worker threads")?;
            let mut sent = 0usize;
            let mut listed = Listings::default();
            let (items, excluded, mut failed) = walk(
                &mut |item| {
                    // A send fails only when every worker is gone (a panic, re-raised below).
                    let _ = tx.send((sent, item.clone()));
                    sent += 1;
                },
                &mut |ti, d| listed.add(ti, d),
            );
            drop(tx);
            failures.append(&mut failed);
            if excluded > 0 && !args.quiet {
                eprintln!("modelvet: {excluded} file(s) skipped by the policy's [paths]");
            }
            let mut slots: Vec<Option<Result<TargetReport, ScanError>>> = (0..items.len()).map(|_| None).collect();
            let mut known = licence::KnownMeta::new();
            for w in workers {
                let (done, k) = w.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                for (i, r) in done {
                    slots[i] = Some(r);
                }
                known.extend(k);
            }
            let results = slots.into_iter().flatten().collect();
            Ok::<_, anyhow::Error>((items, results, assess(listed, &known)))
        })?
    };
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }

    let mut scanned = Vec::with_capacity(results.len() + hub_reports.len());
    scanned.append(&mut hub_reports);
    for r in results {
        match r {
            Ok(t) => scanned.push(t),
            Err(e) => failures.push(failure(&e)),
        }
    }
    scanned.extend(ranged.into_iter().filter(|t| policy.paths.admits(&policy_path(Path::new(&t.path)))));
    // Model signatures: every folder holding a `model.sig`, and every folder
    // target when the policy requires a signature.
    let mut signed: Vec<PathBuf> = Vec::new();
    if policy.signing.require {
        signed.extend(local_targets.iter().filter(|t| t.is_dir()).cloned());
    }
    for item in &items {
        if let Item::File(p) = item
            && p.file_name().is_some_and(|n| n == signing::SIGNATURE_FILE)
            && let Some(dir) = p.parent()
        {
            signed.push(dir.to_path_buf());
        }
    }
    signed.sort();
    signed.dedup();
    // The signature file was also scanned as a file: its verdict joins that report.
    for sig in signed.iter().filter_map(|d| signing::check::check_folder(d, &policy.signing)) {
        match scanned.iter_mut().find(|t| t.path == sig.path) {
            Some(t) => {
                t.format = sig.format;
                t.findings.extend(sig.findings);
            }
            None => scanned.push(sig),
        }
    }
    // Licence findings join the reports of the files that declare them.
    let mut licence_findings =
        licence::findings(&models, Scope::Scan { check_loose_files: policy.licences.check_loose_files });
    licence_findings.retain(|f| policy.paths.admits(&policy_path(Path::new(&f.location.path))));
    licence::attach(&mut scanned, licence_findings);

    let today = Date::today();
    let mut usage = WaiverUsage::new(&policy);
    let mut suppressed = 0usize;
    let mut targets = Vec::with_capacity(scanned.len());
    for mut t in scanned {
        let rel = policy_path(Path::new(&t.path));
        if let Some(d) = remote.iter().find(|d| Path::new(&t.path).starts_with(d.path())) {
            let rest = Path::new(&t.path).strip_prefix(d.path()).map(|r| r.to_string_lossy().replace('\\', "/"));
            let shown = format!("{}/{}", d.display_root(), rest.unwrap_or_default());
            for f in &mut t.findings {
                f.location.path = shown.clone();
            }
            t.path = shown;
        }
        policy.apply(&mut t, &rel, today, &mut usage);
        t.assign_fingerprints();
        if let Some((_, fps)) = &baseline {
            let before = t.findings.len();
            t.findings.retain(|f| !fps.contains(&f.fingerprint));
            suppressed += before - t.findings.len();
        }
        targets.push(t);
    }

    let mut warnings = policy.expired_waivers(today);
    warnings.extend(policy.unused_waivers(&usage));
    let run = RunInfo {
        policy: policy
            .source
            .as_ref()
            .map(|s| PolicyInfo { path: s.path.display().to_string(), sha256: s.sha256.clone() }),
        warnings,
        baseline: baseline.as_ref().map(|(p, _)| BaselineInfo { path: p.display().to_string(), suppressed }),
        root: Some(repository_root(&cwd)),
        remote: remote
            .iter()
            .map(|d| RemoteRead {
                repository: d.display_root(),
                files: d.snapshot.listed,
                repository_bytes: d.snapshot.repo_bytes,
                bytes_read: d.snapshot.bytes_read,
                range_read: d.snapshot.ranged.iter().map(|p| format!("{}/{p}", d.display_root())).collect(),
            })
            .collect(),
    };
    let report = Report {
        targets: &targets,
        failures: &failures,
        fail_on,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
        run: &run,
    };
    let bom = if dests.iter().any(|(f, _)| *f == Format::Cyclonedx) {
        Some(modelvet_engine::bom::assemble(
            &local_targets,
            &targets,
            &BomOptions { name: None, limits, licences: policy.licences.clone(), signing: policy.signing.clone() },
        )?)
    } else {
        None
    };
    for (format, path) in &dests {
        let to_terminal = path.is_none() && std::io::stdout().is_terminal();
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
        };
        let emitter: Box<dyn Emitter + '_> = match format {
            Format::Text => Box::new(Text { color: color && path.is_none(), quiet: args.quiet }),
            Format::Json => Box::new(Json { pretty: true }),
            Format::Sarif => Box::new(Sarif),
            Format::Junit => Box::new(Junit),
            Format::Markdown => Box::new(Markdown),
            Format::Cyclonedx => Box::new(CycloneDx {
                bom: bom.as_ref().context("no BOM assembled")?,
                spec: SpecVersion::V1_6,
                serial_number: cyclonedx::random_serial_number(),
                timestamp: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            }),
        };
        // `--output FORMAT=FILE` creates the file's folder (`modelvet bom -o` does not).
        if let Some(dir) = path.as_deref().and_then(Path::parent).filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_report(emitter.as_ref(), &report, path.as_deref())?;
    }

    if !failures.is_empty() {
        for f in &failures {
            eprintln!("modelvet: error: {}: {}", f.path, f.message);
        }
        return Ok(ExitCode::from(2));
    }
    Ok(if report.blocked() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Writes a report to a file or, buffered, to stdout.
pub(crate) fn write_report(emitter: &dyn Emitter, report: &Report<'_>, path: Option<&Path>) -> Result<()> {
    match path {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
            let mut f = std::io::BufWriter::new(file);
            emitter.emit(report, &mut f).with_context(|| format!("cannot write {}", path.display()))?;
            f.flush().with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            // Stdout is line-buffered: without this, one write system call per file.
            let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
            emitter.emit(report, &mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Downloads an `hf://` target from `HF_ENDPOINT` (default
/// `https://huggingface.co`) with `HF_TOKEN`, within the scan's file-size
/// limit: whole files, except those scanned from HTTP ranges later
/// (`range_reads`; off when every file's bytes must be verified).
fn download_repo(target: &HfTarget, limits: &Limits, range_reads: bool) -> Result<Downloaded> {
    let endpoint = std::env::var("HF_ENDPOINT").ok().filter(|e| !e.is_empty());
    let endpoint = endpoint.as_deref().unwrap_or("https://huggingface.co");
    let token = std::env::var("HF_TOKEN").ok().filter(|t| !t.is_empty());
    let dl = DownloadLimits { max_file_bytes: limits.max_file_bytes, range_reads, ..DownloadLimits::default() };
    download_temp(endpoint, token, target, &dl).with_context(|| format!("cannot download from {endpoint}"))
}

pub(crate) fn failure(e: &ScanError) -> ScanFailure {
    match e {
        ScanError::NotFound { path } => {
            ScanFailure { path: path.display().to_string(), message: "no such file or folder".into() }
        }
        ScanError::Io { path, source } => ScanFailure { path: path.display().to_string(), message: source.to_string() },
    }
}

/// The folders the walk listed, by target, for the licence assessment; a
/// target whose walk failed part-way is walked again by the assessment.
#[derive(Default)]
struct Listings(Vec<Option<Vec<licence::walk::Dir>>>);

impl Listings {
    /// A listing of target `ti`'s tree, or `None` when its walk failed (it
    /// then lists nothing more).
    fn add(&mut self, ti: usize, dir: Option<licence::walk::Dir>) {
        if self.0.len() <= ti {
            self.0.resize_with(ti + 1, || None);
        }
        match dir {
            Some(d) => self.0[ti].get_or_insert_with(Vec::new).push(d),
            None => self.0[ti] = None,
        }
    }

    /// One entry per target: its listing, or `None` (a file, or a failed walk).
    fn by_target(mut self, targets: usize) -> Vec<Option<Vec<licence::walk::Dir>>> {
        self.0.resize_with(targets, || None);
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_by_target() {
        let dir = |p: &str| licence::walk::Dir { path: PathBuf::from(p), files: Vec::new() };
        let mut l = Listings::default();
        l.add(1, Some(dir("b")));
        l.add(1, Some(dir("b/c")));
        l.add(2, Some(dir("d")));
        l.add(2, None);
        // Target 0 is a file (no listing), 2's walk failed, 3 listed nothing.
        let by = l.by_target(4);
        assert_eq!(by.len(), 4);
        assert!(by[0].is_none() && by[2].is_none() && by[3].is_none());
        assert_eq!(by[1].as_ref().map(Vec::len), Some(2));
    }
}
