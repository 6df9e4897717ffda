//! The scanner: finds what a target is by its bytes, walks containers and
//! nested payloads under the limits, and runs the rules on every stream.

mod gguf;
mod json;
mod keras;
mod onnx;
mod pickle;
mod python;
mod safetensors;
mod template;
mod tf;

use std::fs::File;
use std::io::{Cursor, Read, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use modelvet_formats::container::{self, Anomaly as ArcAnomaly, AnomalyKind as Ak, Budget, Entry, EntryKind, ReadSeek};
use modelvet_formats::pickle::{Divergence, Framing, Machine, Sniff};
use modelvet_formats::{Limits, compress, numpy, sevenz, tar, zip};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::finding::{Finding, Location, Severity};
use crate::policy::GlobalPolicy;
use crate::rules::{archive as ra, file as rf, numpy as rn, pickle as rp, torch as rt};

/// Starts a scan worker: `f` on a scoped thread with a stack large enough to
/// analyse Python source on it (see [`modelvet_formats::python::spawn_scoped`]).
pub fn spawn_worker<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>> {
    modelvet_formats::python::spawn_scoped(scope, "modelvet-scan", f)
}

/// Bytes read to recognise a format.
const HEAD: usize = 1024;
/// Files up to this size are read into memory before scanning.
const SMALL_FILE: u64 = 1 << 20;
/// Most nested payloads (pickle-in-bytes) scanned per stream.
const MAX_NESTED: usize = 64;

/// Why a target could not be scanned at all (an operational error, not a finding).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{path}: no such file or folder")]
    NotFound { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The result of scanning one file.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub path: String,
    /// The format recognised from the file's bytes (`pickle`, `pytorch`, `zip`, ...).
    pub format: String,
    pub size: u64,
    /// SHA-256 of the file, when hashing was asked for ([`Options::hash`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub findings: Vec<Finding>,
    pub duration_ms: f64,
}

impl TargetReport {
    /// The most severe finding's severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// One thing to scan, found by walking the targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    File(PathBuf),
    /// A symbolic link met during the walk, and where it points.
    Symlink(PathBuf, PathBuf),
}

/// Scanner settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: Limits,
    /// Scan files that symbolic links point to instead of only reporting the links.
    pub follow_symlinks: bool,
    /// Compute each file's SHA-256 for the report (reads every byte of the file).
    pub hash: bool,
    /// The policy's `[globals]`: extra allowed/denied Python names and profiles.
    pub globals: GlobalPolicy,
}

/// Scans files. Cheap to clone and share between threads.
#[derive(Debug, Clone, Default)]
pub struct Scanner {
    opts: Options,
}

impl Scanner {
    pub fn new(opts: Options) -> Self {
        Self { opts }
    }

    /// Expands a target into the files to scan: the file itself, or every file
    /// under a folder (sorted; symbolic links reported rather than followed;
    /// `.git`, `.hg` and `.svn` folders skipped).
    pub fn collect(&self, target: &Path) -> Result<Vec<Item>, ScanError> {
        let mut out = Vec::new();
        self.walk(target, &mut |item| out.push(item))?;
        Ok(out)
    }

    /// [`Scanner::collect`], handing each item to `found` as soon as it is
    /// listed (in the same order), so that scanning can start while a large
    /// tree is still being walked.
    pub fn walk(&self, target: &Path, found: &mut dyn FnMut(Item)) -> Result<(), ScanError> {
        self.walk_listing(target, found, None)
    }

    /// [`Scanner::walk`] that also hands each folder's listing to `listed` (in
    /// depth-first order, as [`crate::licence::walk::Dir`]), so that the
    /// licence assessment reads no folder a second time.
    pub fn walk_listing(
        &self,
        target: &Path,
        found: &mut dyn FnMut(Item),
        mut listed: Option<&mut dyn FnMut(crate::licence::walk::Dir)>,
    ) -> Result<(), ScanError> {
        let meta = std::fs::metadata(target).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ScanError::NotFound { path: target.to_path_buf() },
            _ => ScanError::Io { path: target.to_path_buf(), source: e },
        })?;
        if !meta.is_dir() {
            // A file named on the command line is scanned even through a link.
            found(Item::File(target.to_path_buf()));
            return Ok(());
        }
        let mut stack = vec![target.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let rd = std::fs::read_dir(&dir).map_err(|e| ScanError::Io { path: dir.clone(), source: e })?;
            // Sorted by file name; each entry's name is taken once, not per comparison.
            let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| (e.file_name(), e)).collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut subdirs = Vec::new();
            let mut files = Vec::new();
            for (_, e) in entries {
                let path = e.path();
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_symlink() {
                    let to = std::fs::read_link(&path).unwrap_or_default();
                    if self.opts.follow_symlinks && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                        found(Item::File(path));
                    } else {
                        found(Item::Symlink(path, to));
                    }
                } else if ft.is_dir() {
                    // Version-control metadata is not the project's content
                    // (what it tracks is scanned in the working tree).
                    if !matches!(e.file_name().to_str(), Some(".git" | ".hg" | ".svn")) {
                        subdirs.push(path);
                    }
                } else if ft.is_file() {
                    if listed.is_some() {
                        files.push(path.clone());
                    }
                    found(Item::File(path));
                }
            }
            if let Some(listed) = listed.as_mut() {
                listed(crate::licence::walk::Dir { path: dir, files });
            }
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }

    /// Scans one item from [`Scanner::collect`].
    pub fn scan_item(&self, item: &Item) -> Result<TargetReport, ScanError> {
        match item {
            Item::File(p) => self.scan_file(p),
            Item::Symlink(p, to) => {
                let loc = Location { path: p.display().to_string(), ..Location::default() };
                let f = Finding::new(
                    &rf::symlink_skipped::RULE,
                    format!("symbolic link to {} (not followed)", to.display()),
                    loc,
                );
                Ok(TargetReport {
                    path: p.display().to_string(),
                    format: "symlink".into(),
                    size: 0,
                    sha256: None,
                    findings: vec![f],
                    duration_ms: 0.0,
                })
            }
        }
    }

    /// Scans one file.
    pub fn scan_file(&self, path: &Path) -> Result<TargetReport, ScanError> {
        self.scan_file_with(path, None)
    }

    /// [`Scanner::scan_item`], through `cache` when one is given, that also
    /// reads the file's licence metadata ([`crate::licence::file_meta`]) from
    /// the bytes the scan read, into `meta`, for
    /// [`crate::licence::assess_listed`]: a folder scan then opens no weight
    /// file twice. `meta` stays `None` when the file was not read (a cache
    /// hit, a symbolic link, an error).
    pub fn scan_item_noting(
        &self,
        item: &Item,
        cache: Option<&crate::cache::Cache>,
        meta: &mut Option<Vec<crate::licence::MetaEntry>>,
    ) -> Result<TargetReport, ScanError> {
        match (item, cache) {
            (_, Some(c)) => self.scan_item_cached(item, c),
            (Item::File(p), None) => self.scan_file_noting(p, None, Some(meta)),
            (Item::Symlink(..), None) => self.scan_item(item),
        }
    }

    /// Scans one file whose SHA-256 may already be known (from a cache lookup).
    pub(crate) fn scan_file_with(&self, path: &Path, known_sha256: Option<String>) -> Result<TargetReport, ScanError> {
        self.scan_file_noting(path, known_sha256, None)
    }

    /// [`Scanner::scan_file_with`], reading the licence metadata into `meta` when given.
    fn scan_file_noting(
        &self,
        path: &Path,
        known_sha256: Option<String>,
        meta: Option<&mut Option<Vec<crate::licence::MetaEntry>>>,
    ) -> Result<TargetReport, ScanError> {
        let start = Instant::now();
        let io = |e| ScanError::Io { path: path.to_path_buf(), source: e };
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ScanError::NotFound { path: path.to_path_buf() },
            _ => io(e),
        })?;
        let size = file.metadata().map_err(io)?.len();
        let display = path.display().to_string();
        // Hashing reads the whole file; scanning reads only what the format needs.
        let mut sha256 = known_sha256;
        if self.opts.hash && sha256.is_none() && (size > SMALL_FILE || size > self.opts.limits.max_file_bytes) {
            sha256 = Some(hash_file(path).map_err(io)?);
        }
        let budget = Budget::new(self.opts.limits.max_total_decompressed_bytes);
        let mut ctx = Ctx::new(&self.opts.limits, &self.opts.globals, &budget, display.clone());
        let format = if size > self.opts.limits.max_file_bytes {
            ctx.finding(Finding::new(
                &rf::file_too_large::RULE,
                format!("{size} bytes is above the {}-byte limit; not scanned", self.opts.limits.max_file_bytes),
                ctx.loc(None),
            ));
            "unscanned"
        } else {
            let name = path.to_string_lossy();
            if size <= SMALL_FILE {
                // Small files are read whole: archive walkers seek a lot, and
                // each seek on a buffered file is a system call and a refill.
                // The buffer comes from (and goes back to) a per-thread pool.
                let mut data = modelvet_formats::pool::take(size as usize);
                // Through `Take`, read_to_end does not ask the file for its size and
                // position again (two system calls per file).
                Read::take(&file, u64::MAX).read_to_end(&mut data).map_err(io)?;
                if self.opts.hash && sha256.is_none() {
                    sha256 = Some(hex::encode(Sha256::digest(&data)));
                }
                let len = data.len() as u64;
                let format = ctx.scan(&mut Cursor::new(&data[..]), len, 0, Hint { name: Some(&name) });
                if let Some(meta) = meta {
                    *meta = Some(crate::licence::file_meta(&mut Cursor::new(&data[..]), len, path));
                }
                modelvet_formats::pool::give(data);
                format
            } else {
                let mut src = modelvet_formats::seekbuf::SeekBuf::new(file, size);
                let format = ctx.scan(&mut src, size, 0, Hint { name: Some(&name) });
                if let Some(meta) = meta {
                    *meta = Some(crate::licence::file_meta(&mut src, size, path));
                }
                format
            }
        };
        Ok(TargetReport {
            path: display,
            format: format.to_string(),
            size,
            sha256,
            findings: ctx.findings,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Scans a file that is not on this disk (a remote file read by ranges)
    /// from `src`, a reader over its real `len` bytes, exactly as
    /// [`Scanner::scan_file`] would scan the file at `path`: the same
    /// recognition and rules, the same limits, `path` as its name (scanners
    /// read names for hints and look for an ONNX model's siblings next to it).
    /// The SHA-256 is the caller's (this reads only what the scan needs).
    pub fn scan_source(&self, path: &Path, src: &mut dyn ReadSeek, len: u64, sha256: Option<String>) -> TargetReport {
        let start = Instant::now();
        let display = path.display().to_string();
        let budget = Budget::new(self.opts.limits.max_total_decompressed_bytes);
        let mut ctx = Ctx::new(&self.opts.limits, &self.opts.globals, &budget, display.clone());
        let format = if len > self.opts.limits.max_file_bytes {
            ctx.finding(Finding::new(
                &rf::file_too_large::RULE,
                format!("{len} bytes is above the {}-byte limit; not scanned", self.opts.limits.max_file_bytes),
                ctx.loc(None),
            ));
            "unscanned"
        } else {
            let name = path.to_string_lossy();
            ctx.scan(src, len, 0, Hint { name: Some(&name) })
        };
        TargetReport {
            path: display,
            format: format.to_string(),
            size: len,
            sha256,
            findings: ctx.findings,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
        }
    }

    /// Scans bytes already in memory, reported under `name`.
    pub fn scan_bytes(&self, name: &str, data: &[u8]) -> TargetReport {
        let start = Instant::now();
        let budget = Budget::new(self.opts.limits.max_total_decompressed_bytes);
        let mut ctx = Ctx::new(&self.opts.limits, &self.opts.globals, &budget, name.to_string());
        let mut src = Cursor::new(data);
        let format = ctx.scan(&mut src, data.len() as u64, 0, Hint { name: Some(name) });
        TargetReport {
            path: name.to_string(),
            format: format.to_string(),
            size: data.len() as u64,
            sha256: self.opts.hash.then(|| hex::encode(Sha256::digest(data))),
            findings: ctx.findings,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
        }
    }
}

pub(crate) fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// False when `bytes` (a whole stream) cannot make the pickle machine import
/// anything: every import starts at a `GLOBAL`/`INST` opcode (whose two names
/// each end with a newline) or a `STACK_GLOBAL` opcode (0x93); extension codes
/// (0x82..0x84) and names built by calls need an import first. Opcode bytes can
/// also occur inside operands, so this over-approximates, never under.
fn may_import(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| matches!(b, 0x93 | 0x82..=0x84))
        || (bytes.contains(&b'\n') && bytes.iter().any(|&b| b == b'c' || b == b'i'))
}

/// What the surrounding container says about a stream.
#[derive(Debug, Clone, Copy, Default)]
struct Hint<'a> {
    /// The file's path, or the member's name inside its archive.
    name: Option<&'a str>,
}

impl Hint<'_> {
    /// PyTorch zip storages (`archive/data/0`) hold raw tensor bytes that can
    /// start like a pickle by chance; a pickle there only counts if it behaves like one.
    fn is_tensor_data(&self) -> bool {
        self.name.is_some_and(|n| {
            let mut parts = n.rsplit('/');
            let last = parts.next().unwrap_or("");
            parts.next() == Some("data") && !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())
        })
    }
}

struct Ctx<'l> {
    limits: &'l Limits,
    globals: &'l GlobalPolicy,
    budget: &'l Budget,
    path: String,
    members: Vec<String>,
    findings: Vec<Finding>,
}

type Walker =
    fn(&mut dyn ReadSeek, u64, &Limits, &Budget, &mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64)) -> Vec<ArcAnomaly>;

impl<'l> Ctx<'l> {
    fn new(limits: &'l Limits, globals: &'l GlobalPolicy, budget: &'l Budget, path: String) -> Self {
        Self { limits, globals, budget, path, members: Vec::new(), findings: Vec::new() }
    }

    fn loc(&self, offset: Option<u64>) -> Location {
        Location { path: self.path.clone(), members: self.members.clone(), offset }
    }

    fn finding(&mut self, f: Finding) {
        self.findings.push(f);
    }

    /// Recognises the stream and scans it; returns the format's name.
    fn scan(&mut self, src: &mut dyn ReadSeek, len: u64, depth: u32, hint: Hint<'_>) -> &'static str {
        if depth > self.limits.max_depth {
            let f = Finding::new(
                &ra::nesting_too_deep::RULE,
                format!("nested {depth} levels deep; not scanned further"),
                self.loc(None),
            );
            self.finding(f);
            return "unscanned";
        }
        if len > self.limits.max_file_bytes {
            let f = Finding::new(
                &rf::file_too_large::RULE,
                format!("{len} bytes is above the {}-byte limit; not scanned", self.limits.max_file_bytes),
                self.loc(None),
            );
            self.finding(f);
            return "unscanned";
        }
        let mut head_buf = [0u8; HEAD];
        let head = &mut head_buf[..HEAD.min(usize::try_from(len).unwrap_or(HEAD))];
        if let Err(e) = src.seek(SeekFrom::Start(0)).and_then(|_| src.read_exact(head)) {
            let f = Finding::new(&rf::unreadable_member::RULE, format!("read error: {e}"), self.loc(None));
            self.finding(f);
            return "unreadable";
        }
        let _ = src.seek(SeekFrom::Start(0));
        let head: &[u8] = head;
        if hint.is_tensor_data() {
            // Raw tensor bytes match some format's first bytes by chance; the only
            // thing a loader could take from such a member is a pickle
            // (`torch.load(..., pickle_file=...)`), so only that is looked for.
            return match modelvet_formats::pickle::sniff(head) {
                Some(_) if head.len() as u64 == len && !may_import(head) => "unrecognized",
                Some(_) => self.scan_pickle_stream(src, depth, true),
                None => "tensor-data",
            };
        }
        if zip::sniff(head) {
            return self.scan_zip(src, len, depth);
        }
        if sevenz::sniff(head) {
            self.walk_archive(src, len, depth, sevenz::walk);
            return "7z";
        }
        if numpy::sniff(head) {
            return self.scan_npy(src, len, depth);
        }
        if let Some(format) = self.try_gguf(head, src, len, depth, hint) {
            return format;
        }
        if let Some(format) = self.try_safetensors(head, src, len, depth, hint) {
            return format;
        }
        if let Some(format) = self.try_keras_h5(head, src, len, depth, hint) {
            return format;
        }
        if let Some(format) = self.try_json(head, src, len, depth, hint) {
            return format;
        }
        if let Some(format) = self.try_python(head, src, len, depth, hint) {
            return format;
        }
        if let Some(codec) = compress::sniff(head) {
            return self.scan_compressed(codec, src, len, depth);
        }
        if tar::sniff(head) {
            let names = self.walk_archive(src, len, depth, tar::walk);
            // PyTorch's oldest format is a tar of sys_info, pickle, tensors and storages.
            if ["sys_info", "pickle", "storages"].iter().all(|n| names.iter().any(|m| m == n)) {
                let f = Finding::new(
                    &rt::legacy_format::RULE,
                    "PyTorch legacy tar format (sys_info, pickle, tensors, storages)",
                    self.loc(None),
                );
                self.finding(f);
                return "pytorch-legacy-tar";
            }
            return "tar";
        }
        if let Some(strength) = modelvet_formats::pickle::sniff(head) {
            let weak = strength == Sniff::Weak || hint.is_tensor_data();
            // A weak probe counts only if it imports; a short stream that cannot
            // import anything is not run through the machine at all.
            let format = if weak && head.len() as u64 == len && !may_import(head) {
                "unrecognized"
            } else {
                self.scan_pickle_stream(src, depth, weak)
            };
            if format != "unrecognized" {
                return format;
            }
        }
        // Protobuf has no magic number: ONNX is tried last.
        if let Some(format) = self.try_onnx(head, src, len, depth, hint) {
            return format;
        }
        if let Some(format) = self.try_tf_graph(head, src, len, depth, hint) {
            return format;
        }
        "unrecognized"
    }

    /// Walks an archive's members, scanning each; returns the member names.
    fn walk_archive(&mut self, src: &mut dyn ReadSeek, len: u64, depth: u32, walk: Walker) -> Vec<String> {
        let mut names = Vec::new();
        let (limits, budget) = (self.limits, self.budget);
        let anomalies = {
            let mut visit = |e: &Entry, data: &mut dyn ReadSeek, n: u64| {
                if matches!(e.kind, EntryKind::File) {
                    self.members.push(e.name.clone());
                    self.scan(data, n, depth + 1, Hint { name: Some(&e.name) });
                    // The member's name moves on to the list of names (one copy, not two).
                    names.push(self.members.pop().unwrap_or_else(|| e.name.clone()));
                } else {
                    names.push(e.name.clone());
                }
            };
            walk(src, len, limits, budget, &mut visit)
        };
        self.archive_anomalies(anomalies);
        names
    }

    fn scan_zip(&mut self, src: &mut dyn ReadSeek, len: u64, depth: u32) -> &'static str {
        let names = self.walk_archive(src, len, depth, zip::walk);
        let has = |suffix: &str| {
            names.iter().any(|n| n == suffix || n.strip_suffix(suffix).is_some_and(|rest| rest.ends_with('/')))
        };
        if has("data.pkl") && has("constants.pkl") {
            "torchscript"
        } else if has("data.pkl") {
            "pytorch"
        } else if !names.is_empty() && names.iter().all(|n| n.ends_with(".npy")) {
            "npz"
        } else {
            "zip"
        }
    }

    fn archive_anomalies(&mut self, anomalies: Vec<ArcAnomaly>) {
        for a in anomalies {
            let rule = match a.kind {
                Ak::PathTraversal => &ra::path_traversal::RULE,
                Ak::Link => &ra::link_member::RULE,
                Ak::Bomb => &ra::archive_bomb::RULE,
                Ak::Encrypted => &ra::encrypted_member::RULE,
                Ak::BadCrc
                | Ak::HeaderMismatch
                | Ak::FlagBits
                | Ak::DuplicateName
                | Ak::Overlap
                | Ak::SizeMismatch
                | Ak::HiddenData => &ra::archive_inconsistency::RULE,
                Ak::TooManyEntries | Ak::Truncated | Ak::Malformed | Ak::UnsupportedMethod => {
                    &ra::malformed_archive::RULE
                }
            };
            let mut loc = self.loc(a.offset);
            if let Some(m) = &a.member {
                loc.members.push(m.clone());
            }
            self.finding(Finding::new(rule, a.detail, loc));
        }
    }

    fn scan_compressed(
        &mut self,
        codec: compress::Codec,
        src: &mut dyn ReadSeek,
        len: u64,
        depth: u32,
    ) -> &'static str {
        match compress::decompress_stream(codec, src, len, self.limits, self.budget) {
            Ok((mut spool, n, anomaly)) => {
                if let Some(a) = anomaly {
                    self.archive_anomalies(vec![a]);
                }
                self.members.push(format!("<{} stream>", codec.name()));
                self.scan(&mut spool, n, depth + 1, Hint::default());
                self.members.pop();
            }
            Err(a) => self.archive_anomalies(vec![a]),
        }
        codec.name()
    }

    fn scan_npy(&mut self, src: &mut dyn ReadSeek, len: u64, depth: u32) -> &'static str {
        // The header only: its first 12 bytes say how long it is (read up to
        // 1 MiB of it, as before; the data after it is not read).
        let cap = len.min(12 + (1 << 20));
        let mut head = vec![0u8; cap.min(12) as usize];
        let read = src.seek(SeekFrom::Start(0)).and_then(|_| src.read_exact(&mut head)).and_then(|_| {
            let want = numpy::header_end(&head).map_or(cap.min(12), |end| end.min(cap));
            let have = head.len();
            if want > have as u64 {
                head.resize(want as usize, 0);
                src.read_exact(&mut head[have..])
            } else {
                Ok(())
            }
        });
        let header = match read {
            Ok(()) => numpy::parse_header(&head, len),
            Err(e) => Err(format!("read error: {e}")),
        };
        match header {
            Err(why) => {
                let f = Finding::new(&rn::malformed_npy::RULE, format!("malformed .npy: {why}"), self.loc(Some(0)));
                self.finding(f);
            }
            Ok(h) if h.has_object => {
                let f = Finding::new(
                    &rn::object_array::RULE,
                    format!("object array (descr {}) stored as a pickle; loading needs allow_pickle=True", h.descr),
                    self.loc(Some(h.data_offset)),
                );
                self.finding(f);
                let mut window = container::Window::new(src, h.data_offset, len - h.data_offset);
                self.members.push(format!("<object array pickle @ {}>", h.data_offset));
                self.scan_pickle_stream(&mut window, depth + 1, false);
                self.members.pop();
            }
            Ok(h) => {
                let itemsize = modelvet_formats::joblib::itemsize(h.descr.trim_matches(['\'', '"'])).unwrap_or(0);
                let need = h.shape.iter().try_fold(itemsize, |a, &d| a.checked_mul(d));
                if let Some(need) = need
                    && need > len - h.data_offset
                {
                    let f = Finding::new(
                        &rn::malformed_npy::RULE,
                        format!("shape {:?} needs {need} bytes of data but {} remain", h.shape, len - h.data_offset),
                        self.loc(Some(h.data_offset)),
                    );
                    self.finding(f);
                }
            }
        }
        "numpy"
    }

    /// Looks for pickles hidden in the bytes after the last STOP (a custom
    /// loader can seek to them): each `PROTO` marker is tried, and one that
    /// parses like a pickle is scanned.
    fn hidden_pickles(&mut self, src: &mut dyn ReadSeek, from: u64, len: u64) {
        const WINDOW: u64 = 16 << 20;
        const ATTEMPTS: usize = 256;
        let end = len.min(from.saturating_add(WINDOW));
        let mut buf = vec![0u8; usize::try_from(end - from).unwrap_or(0)];
        if src.seek(SeekFrom::Start(from)).and_then(|_| src.read_exact(&mut buf)).is_err() {
            return;
        }
        let mut attempts = 0;
        let mut i = 0;
        while i + 2 < buf.len() && attempts < ATTEMPTS {
            if buf[i] != 0x80 || !(2..=5).contains(&buf[i + 1]) {
                i += 1;
                continue;
            }
            attempts += 1;
            let at = from + i as u64;
            let mut window = container::Window::new(&mut *src, at, len - at);
            let mut sink = pickle::PickleSink::new(Location { offset: None, ..self.loc(None) }, 0, self.globals);
            let outcome = {
                let mut on = |ev: &modelvet_formats::pickle::Event<'_>| sink.on_event(ev);
                Machine::new(&mut on, self.limits).run(&mut window)
            };
            if outcome.pickles > 0 && outcome.imports > 0 && outcome.invalid_names == 0 {
                self.members.push(format!("<pickle hidden after STOP @ {at}>"));
                let base = self.loc(None);
                for mut f in sink.finish() {
                    f.location.members = base.members.clone();
                    self.finding(f);
                }
                self.members.pop();
                i += usize::try_from(outcome.end).unwrap_or(buf.len()).max(1);
            } else {
                i += 1;
            }
        }
    }

    /// A pickle whose opcodes run past its frames reads differently from a
    /// stream that cannot `peek` (`torch.load`'s `io.BytesIO`): reports the
    /// divergence, reads the stream that way too, and keeps what that reading
    /// finds beyond the first. Returns its nested payloads.
    fn rescan_framed_exactly(
        &mut self,
        src: &mut dyn ReadSeek,
        origin: u64,
        d: Divergence,
        weak: bool,
    ) -> Vec<pickle::Nested> {
        let f = Finding::new(
            &rp::frame_divergence::RULE,
            format!(
                "an opcode operand at byte {} runs past the end of its FRAME (byte {}); \
                 unpicklers that read frames exactly take it from after the frame",
                d.at, d.frame_end
            ),
            self.loc(Some(d.at)),
        );
        self.finding(f);
        if src.seek(SeekFrom::Start(origin)).is_err() {
            return Vec::new();
        }
        let (mut sink, _) = self.run_pickle_machine(src, weak, Framing::Exact);
        let nested = std::mem::take(&mut sink.nested);
        for mut f in sink.finish() {
            let seen = self.findings.iter().any(|g| g.rule.code == f.rule.code && g.message == f.message);
            if !seen {
                f.message = format!("{} (when the frames are read exactly)", f.message);
                self.finding(f);
            }
        }
        nested
    }

    /// Runs the pickle machine over `src` from its position, reading frames as
    /// `framing` says; the sink holds what it found.
    fn run_pickle_machine(
        &self,
        src: &mut dyn ReadSeek,
        weak: bool,
        framing: Framing,
    ) -> (pickle::PickleSink<'l>, modelvet_formats::pickle::Outcome) {
        let mut sink = pickle::PickleSink::new(self.loc(None), MAX_NESTED, self.globals);
        let outcome = {
            let mut on = |ev: &modelvet_formats::pickle::Event<'_>| sink.on_event(ev);
            // A weak probe (tensor bytes, text) keeps only short operands: noise that
            // looks like a long string must not cost a large allocation.
            let probe = Limits { max_inline_bytes: 64 << 10, ..self.limits.clone() };
            Machine::new(&mut on, if weak { &probe } else { self.limits }).framing(framing).run(src)
        };
        (sink, outcome)
    }

    /// Runs the pickle machine over the stream and turns its events into findings;
    /// nested payloads it finds are scanned as files of their own.
    fn scan_pickle_stream(&mut self, src: &mut dyn ReadSeek, depth: u32, weak: bool) -> &'static str {
        let origin = src.stream_position().unwrap_or(0);
        let (mut sink, outcome) = self.run_pickle_machine(src, weak, Framing::Contiguous);
        // Bytes that only start like a pickle count as one when they import
        // real names; noise that happens to reach a STOP byte does not.
        if weak && !(outcome.imports > 0 && outcome.invalid_names == 0) {
            return "unrecognized";
        }
        let mut nested = std::mem::take(&mut sink.nested);
        self.findings.extend(sink.finish());
        if let Some(d) = outcome.frame_divergence {
            nested.extend(self.rescan_framed_exactly(src, origin, d, weak));
        }
        if let Some(from) = outcome.trailing {
            self.hidden_pickles(src, from, outcome.len);
        }
        if outcome.torch_legacy {
            let f = Finding::new(
                &rt::legacy_format::RULE,
                "PyTorch legacy format (a sequence of pickles followed by raw storages)",
                self.loc(Some(0)),
            );
            self.finding(f);
        }
        for n in nested {
            self.members.push(format!("<bytes passed to {} @ {}>", n.loader, n.offset));
            match n.data {
                pickle::NestedBytes::Held(data) => {
                    let len = data.len() as u64;
                    let mut cur = Cursor::new(data);
                    self.scan(&mut cur, len, depth + 1, Hint::default());
                }
                pickle::NestedBytes::InStream { offset, len } => {
                    let mut window = container::Window::new(&mut *src, origin + offset, len);
                    self.scan(&mut window, len, depth + 1, Hint::default());
                }
            }
            self.members.pop();
        }
        if outcome.torch_legacy {
            "pytorch-legacy"
        } else if outcome.joblib_arrays > 0 {
            "joblib"
        } else {
            "pickle"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::may_import;

    #[test]
    fn may_import_is_conservative() {
        // What the machine could import from: GLOBAL/INST with their newlines, STACK_GLOBAL, EXT.
        assert!(may_import(b"cos\nsystem\n(S'id'\ntR."));
        assert!(may_import(b"(ios\nsystem\nS'id'\n."));
        assert!(may_import(b"\x8c\x02os\x8c\x06system\x93."));
        assert!(may_import(b"\x82\x01."));
        // A PyTorch `byteorder` member and other short text that merely starts like a pickle.
        assert!(!may_import(b"little"));
        assert!(!may_import(b"big"));
        assert!(!may_import(b"(lp0\nI1\na."));
    }
}
