//! Reading a repository from a Hub-compatible endpoint for `modelvet scan
//! hf://ORG/NAME[@REV]`: the same client the gate uses, with the same checks
//! (validated names and paths, sizes and SHA-256 verified, bounded answers).
//! Safetensors and GGUF files and ONNX external data are scanned from HTTP
//! ranges, only as far as the scanner reads them ([`Downloaded::scan_ranged`]);
//! every other file is downloaded whole into a temporary folder.

use std::collections::HashSet;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use modelvet_engine::signing::SIGNATURE_FILE;
use modelvet_engine::{Scanner, TargetReport};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::names::{self, NameError, RepoId, encode_segment, is_commit, is_sha256};
use crate::ranged::{Chunks, FIRST_RANGE, MAX_RANGED_BYTES, MAX_ROUNDS, RangeReader, next_range};
use crate::upstream::{Ranged, Upstream, UpstreamError, same_origin_rest};

/// A repository to scan: `hf://ORG/NAME[@REV]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfTarget {
    pub repo: RepoId,
    pub revision: String,
}

impl HfTarget {
    /// Parses an `hf://` target; `None` when `s` is not one.
    pub fn parse(s: &str) -> Option<Result<Self, NameError>> {
        let rest = s.strip_prefix("hf://")?;
        let (id, rev) = match rest.split_once('@') {
            Some((id, rev)) => (id, rev),
            None => (rest, "main"),
        };
        Some(RepoId::parse(id.trim_end_matches('/')).and_then(|repo| {
            let revision = names::revision(rev)?.to_string();
            Ok(Self { repo, revision })
        }))
    }
}

/// Bounds on what a download may bring in.
#[derive(Debug, Clone)]
pub struct DownloadLimits {
    /// Larger files are not downloaded (listed in [`Snapshot::skipped`]).
    pub max_file_bytes: u64,
    /// Most bytes downloaded in all.
    pub max_total_bytes: u64,
    /// Most files listed.
    pub max_files: usize,
    /// Read safetensors and GGUF files, and the external data of ONNX
    /// models, by HTTP ranges, only as far as the scanner reads them
    /// ([`Downloaded::scan_ranged`]). Off: every file is downloaded whole.
    pub range_reads: bool,
    /// Files at or below this size are downloaded whole (one request either way).
    pub range_min_file: u64,
    /// Size of the first range read of a file (and the least asked for after it).
    pub first_range: u64,
}

impl Default for DownloadLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 256 << 30,
            max_total_bytes: 1 << 40,
            max_files: 100_000,
            range_reads: true,
            range_min_file: 1 << 20,
            first_range: FIRST_RANGE,
        }
    }
}

/// A downloaded repository.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub commit: String,
    /// Files downloaded whole: path in the repository.
    pub files: Vec<String>,
    /// Files not downloaded, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Files scanned from HTTP ranges (filled by [`Downloaded::scan_ranged`]).
    pub ranged: Vec<String>,
    /// Files listed at the commit.
    pub listed: usize,
    /// Sum of the listed files' sizes.
    pub repo_bytes: u64,
    /// File content bytes received from the endpoint (whole files and ranges).
    pub bytes_read: u64,
}

/// Why a repository could not be downloaded.
#[derive(Debug, thiserror::Error)]
pub enum HfError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("{0}")]
    Invalid(String),
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A file to be scanned from ranges: a placeholder of its real size holds
/// the bytes fetched so far at their offsets (zeros elsewhere, sparse).
#[derive(Debug)]
struct RemoteFile {
    path: String,
    local: PathBuf,
    sha256: String,
    chunks: Chunks,
    /// The least fetched after a miss.
    min_grow: u64,
}

/// A repository downloaded into a temporary folder (deleted on drop).
#[derive(Debug)]
pub struct Downloaded {
    dir: tempfile::TempDir,
    pub target: HfTarget,
    pub snapshot: Snapshot,
    upstream: Upstream,
    pending: Vec<RemoteFile>,
    /// Where the files chosen for ranges are in the folder (placeholders).
    ranged_local: Vec<PathBuf>,
}

impl Downloaded {
    /// The folder holding the repository's files.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// How the repository is named in reports: `hf://ORG/NAME@COMMIT`.
    pub fn display_root(&self) -> String {
        format!("hf://{}@{}", self.target.repo, self.snapshot.commit)
    }

    /// True for a file of the folder chosen for ranges: it is scanned by
    /// [`Downloaded::scan_ranged`] (from its ranges, or downloaded whole
    /// there), not by walking the folder.
    pub fn is_ranged(&self, local: &Path) -> bool {
        self.ranged_local.iter().any(|f| f == local)
    }

    /// Scans the files chosen for range reads, each exactly as a scan of
    /// the whole file would: the scanner reads from the ranges fetched so
    /// far; when it asks for a byte not fetched, that range is fetched and
    /// the file scanned again. A file that needs more than
    /// [`MAX_RANGED_BYTES`] (or whose server ignores ranges) is downloaded
    /// whole, its SHA-256 checked, and scanned from the disk. Reports carry
    /// the path in the folder and, for range-read files, the endpoint's
    /// SHA-256 (from its LFS pointer: the bytes were not all read).
    /// Call after the whole files are in place (an ONNX model's external
    /// data is checked against the model next to it).
    pub fn scan_ranged(&mut self, scanner: &Scanner) -> Vec<Result<TargetReport, HfError>> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Vec::new();
        }
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return vec![Err(HfError::Io { path: self.dir.path().to_path_buf(), source: e })],
        };
        let mut out = Vec::with_capacity(pending.len());
        for mut f in pending {
            let mut read = 0u64;
            let r = rt.block_on(scan_remote(
                &self.upstream,
                &self.target.repo,
                &self.snapshot.commit,
                &mut f,
                scanner,
                &mut read,
            ));
            self.snapshot.bytes_read += read;
            out.push(r.map(|(report, ranged)| {
                if ranged {
                    self.snapshot.ranged.push(f.path.clone());
                } else {
                    self.snapshot.files.push(f.path.clone());
                }
                report
            }));
        }
        out
    }
}

/// Downloads `target` into a new temporary folder.
pub fn download_temp(
    endpoint: &str,
    token: Option<String>,
    target: &HfTarget,
    limits: &DownloadLimits,
) -> Result<Downloaded, HfError> {
    let dir = tempfile::Builder::new()
        .prefix("modelvet-hf-")
        .tempdir()
        .map_err(|e| HfError::Io { path: std::env::temp_dir(), source: e })?;
    let upstream = Upstream::new(endpoint, token).map_err(HfError::Invalid)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HfError::Io { path: dir.path().to_path_buf(), source: e })?;
    let (snapshot, pending) = rt.block_on(download_async(&upstream, target, dir.path(), limits))?;
    let ranged_local = pending.iter().map(|f| f.local.clone()).collect();
    Ok(Downloaded { dir, target: target.clone(), snapshot, upstream, pending, ranged_local })
}

/// Downloads every file of `target` at one commit into `dest` (an empty
/// folder), all of them whole. Blocking: runs its own small runtime.
pub fn download(
    endpoint: &str,
    token: Option<String>,
    target: &HfTarget,
    dest: &Path,
    limits: &DownloadLimits,
) -> Result<Snapshot, HfError> {
    let upstream = Upstream::new(endpoint, token).map_err(HfError::Invalid)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HfError::Io { path: dest.to_path_buf(), source: e })?;
    let limits = DownloadLimits { range_reads: false, ..limits.clone() };
    rt.block_on(download_async(&upstream, target, dest, &limits)).map(|(s, _)| s)
}

/// How a listed file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Whole,
    /// Named like a format whose scan reads a header (safetensors, GGUF).
    Header,
    /// Large, with a stated SHA-256: ranges if an ONNX model names it as external data.
    MaybeExternal,
}

fn plan(path: &str, size: u64, sha: Option<&str>, limits: &DownloadLimits, signed: bool) -> Plan {
    // Ranges need a stated SHA-256 for the report; a signed repository is
    // verified byte for byte, so every file is read whole.
    if !limits.range_reads || signed || size <= limits.range_min_file || sha.is_none() {
        return Plan::Whole;
    }
    if ends_with_ci(path, ".safetensors") || ends_with_ci(path, ".gguf") {
        Plan::Header
    } else if ends_with_ci(path, ".onnx") {
        Plan::Whole
    } else {
        Plan::MaybeExternal
    }
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

async fn download_async(
    upstream: &Upstream,
    target: &HfTarget,
    dest: &Path,
    limits: &DownloadLimits,
) -> Result<(Snapshot, Vec<RemoteFile>), HfError> {
    let repo = &target.repo;
    let (info, _) =
        upstream.api_json(&format!("/api/models/{repo}/revision/{}", encode_segment(&target.revision))).await?;
    let commit = info
        .get("sha")
        .and_then(Value::as_str)
        .filter(|s| is_commit(s))
        .ok_or_else(|| HfError::Invalid(format!("{repo}: the endpoint gave no 40-hex commit id")))?
        .to_string();
    let entries = list_files(upstream, repo, &commit, limits.max_files).await?;
    let mut snap = Snapshot {
        commit: commit.clone(),
        files: Vec::new(),
        skipped: Vec::new(),
        ranged: Vec::new(),
        listed: entries.len(),
        repo_bytes: entries.iter().map(|e| e.1).sum(),
        bytes_read: 0,
    };
    let signed = entries.iter().any(|(p, ..)| p.rsplit('/').next() == Some(SIGNATURE_FILE));
    let mut total = 0u64;
    let mut later = Vec::new();
    for (path, size, sha) in entries {
        if size > limits.max_file_bytes {
            snap.skipped.push((path, format!("{size} bytes, above the {}-byte download limit", limits.max_file_bytes)));
            continue;
        }
        if total + size > limits.max_total_bytes {
            snap.skipped.push((path, format!("the {}-byte download budget is spent", limits.max_total_bytes)));
            continue;
        }
        total += size;
        match plan(&path, size, sha.as_deref(), limits, signed) {
            Plan::Whole => {
                snap.bytes_read +=
                    fetch_file(upstream, repo, &commit, &path, size, sha.as_deref(), &local_path(dest, &path)).await?;
                snap.files.push(path);
            }
            p => later.push((p, path, size, sha.unwrap_or_default())),
        }
    }
    // Large files that an ONNX model (downloaded whole above) names as its
    // external data are raw tensor bytes, read by ranges like headers.
    let external = onnx_external_paths(dest, &snap.files);
    let mut pending = Vec::new();
    for (p, path, size, sha) in later {
        let by_ranges = p == Plan::Header || external.contains(&path);
        let mut head = Vec::new();
        if by_ranges {
            let first = size.min(limits.first_range.max(1));
            head = read_range(upstream, repo, &commit, &path, 0, first, size, &mut snap.bytes_read)
                .await?
                .unwrap_or_default();
            head.truncate(usize::try_from(first).unwrap_or(usize::MAX));
        }
        // Formats are found by content: a name that promises a header format,
        // or an ONNX model's external data, must also start like one.
        if !by_ranges || head.len() as u64 != size.min(limits.first_range.max(1)) || !starts_like(p, &head) {
            snap.bytes_read +=
                fetch_file(upstream, repo, &commit, &path, size, Some(&sha), &local_path(dest, &path)).await?;
            snap.files.push(path);
            continue;
        }
        let local = local_path(dest, &path);
        let mut chunks = Chunks::new(size);
        chunks.insert(0, head);
        place(&local, size, &chunks)?;
        pending.push(RemoteFile { path, local, sha256: sha, chunks, min_grow: limits.first_range });
    }
    Ok((snap, pending))
}

/// True when the first bytes are what range reads are for: a safetensors or
/// GGUF header for a file named so; for external data, raw bytes that no
/// container or pickle scanner would walk (those read whole).
fn starts_like(p: Plan, head: &[u8]) -> bool {
    use modelvet_formats::{compress, gguf, pickle, safetensors, sevenz, tar, zip};
    match p {
        Plan::Header => safetensors::sniff(head) || gguf::sniff(head),
        _ => {
            !(zip::sniff(head)
                || sevenz::sniff(head)
                || tar::sniff(head)
                || compress::sniff(head).is_some()
                || pickle::sniff(head).is_some())
        }
    }
}

/// Repository paths that the ONNX models among `files` (in `dest`) name as
/// external data.
fn onnx_external_paths(dest: &Path, files: &[String]) -> HashSet<String> {
    let mut out = HashSet::new();
    for f in files.iter().filter(|f| ends_with_ci(f, ".onnx")) {
        let local = local_path(dest, f);
        let Ok(file) = std::fs::File::open(&local) else { continue };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut r = std::io::BufReader::new(file);
        let Ok(model) = modelvet_formats::onnx::parse(&mut r, len) else { continue };
        let dir = f.rsplit_once('/').map_or("", |(d, _)| d);
        for t in &model.tensors {
            let Some((_, loc)) = t.external.iter().find(|(k, _)| k == "location") else { continue };
            let loc = loc.trim_start_matches("./");
            let joined = if dir.is_empty() { loc.to_string() } else { format!("{dir}/{loc}") };
            if let Ok(p) = names::repo_path(&joined) {
                out.insert(p.to_string());
            }
        }
    }
    out
}

/// Where a repository file lives in the download folder (`path` is validated:
/// relative, no `..`, no empty parts, no backslashes).
fn local_path(dest: &Path, path: &str) -> PathBuf {
    path.split('/').fold(dest.to_path_buf(), |p, part| p.join(part))
}

/// A placeholder of the file's real size holding the fetched ranges at their
/// offsets (sparse elsewhere): what other readers of the folder (the BOM, an
/// ONNX model's size checks) see of it.
fn place(local: &Path, size: u64, chunks: &Chunks) -> Result<(), HfError> {
    let io = |source| HfError::Io { path: local.to_path_buf(), source };
    if let Some(parent) = local.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(local).map_err(io)?;
    f.set_len(size).map_err(io)?;
    for (start, data) in chunks.parts() {
        f.seek(SeekFrom::Start(*start)).map_err(io)?;
        f.write_all(data).map_err(io)?;
    }
    Ok(())
}

/// Reads bytes `[start, end)` of a file. `None` when the server ignored the
/// range for a `start` past 0 (the caller reads the file whole); for
/// `start == 0` it is the first bytes of its whole answer, the rest unread.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn read_range(
    upstream: &Upstream,
    repo: &RepoId,
    commit: &str,
    path: &str,
    start: u64,
    end: u64,
    size: u64,
    read: &mut u64,
) -> Result<Option<Vec<u8>>, HfError> {
    let want = end - start;
    let cap = usize::try_from(want).map_err(|_| HfError::Invalid(format!("{path}: range too large")))?;
    let (mut resp, partial) = match upstream.get_range(repo, commit, path, start, end, size).await? {
        Ranged::Partial(r) => (r, true),
        Ranged::Whole(_) if start > 0 => return Ok(None),
        Ranged::Whole(r) => (r, false),
    };
    let mut out = Vec::with_capacity(cap);
    while (out.len() as u64) < want {
        let Some(chunk) = resp.chunk().await.map_err(|e| UpstreamError::Transport(e.without_url().to_string()))? else {
            break;
        };
        *read += chunk.len() as u64;
        if partial && out.len() + chunk.len() > cap {
            return Err(HfError::Invalid(format!("{path}: the endpoint sent more than the {want} bytes asked for")));
        }
        out.extend_from_slice(&chunk[..chunk.len().min(cap - out.len())]);
    }
    // A whole answer is dropped here, unread past what was asked: the
    // connection closes.
    if out.len() as u64 != want {
        return Err(HfError::Invalid(format!(
            "{path}: the endpoint sent {} of the {want} bytes asked for at {start}",
            out.len()
        )));
    }
    Ok(Some(out))
}

/// Scans a file from ranges, fetching what the scanner misses, until a scan
/// misses nothing (returns the report and `true`) or the file is better read
/// whole (downloaded, checked and scanned from the disk: `false`).
async fn scan_remote(
    upstream: &Upstream,
    repo: &RepoId,
    commit: &str,
    f: &mut RemoteFile,
    scanner: &Scanner,
    read: &mut u64,
) -> Result<(TargetReport, bool), HfError> {
    let size = f.chunks.len();
    for _ in 0..MAX_ROUNDS {
        let (report, miss) = {
            let mut r = RangeReader::new(&f.chunks);
            let report = scanner.scan_source(&f.local, &mut r, size, Some(f.sha256.clone()));
            (report, r.miss())
        };
        let Some(miss) = miss else { return Ok((report, true)) };
        let next = next_range(&f.chunks, miss, f.min_grow);
        if next.start >= next.end || f.chunks.held() + (next.end - next.start) > MAX_RANGED_BYTES {
            break;
        }
        let Some(data) = read_range(upstream, repo, commit, &f.path, next.start, next.end, size, read).await? else {
            break;
        };
        let mut added = Chunks::new(size);
        added.insert(next.start, data.clone());
        place(&f.local, size, &added)?;
        f.chunks.insert(next.start, data);
    }
    // Whole, then: over the placeholder.
    std::fs::remove_file(&f.local).map_err(|e| HfError::Io { path: f.local.clone(), source: e })?;
    *read += fetch_file(upstream, repo, commit, &f.path, size, Some(&f.sha256), &f.local).await?;
    let report = scanner.scan_file(&f.local).map_err(|e| HfError::Invalid(e.to_string()))?;
    Ok((report, false))
}

/// Every file of the repository at `commit`: (path, size, SHA-256 if stated).
async fn list_files(
    upstream: &Upstream,
    repo: &RepoId,
    commit: &str,
    max_files: usize,
) -> Result<Vec<(String, u64, Option<String>)>, HfError> {
    let mut out = Vec::new();
    let mut next = Some(format!("/api/models/{repo}/tree/{commit}?recursive=true&expand=false"));
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > 10_000 {
            return Err(HfError::Invalid(format!("{repo}: too many tree pages")));
        }
        let (v, link) = upstream.api_json(&url).await?;
        let items = v.as_array().ok_or_else(|| HfError::Invalid(format!("{repo}: tree listing is not an array")))?;
        for e in items {
            if e.get("type").and_then(Value::as_str) != Some("file") {
                continue;
            }
            let path = e.get("path").and_then(Value::as_str).unwrap_or_default();
            let path = names::repo_path(path).map_err(|err| HfError::Invalid(format!("{repo}: {err}")))?.to_string();
            let size =
                e.get("size").and_then(Value::as_u64).ok_or_else(|| HfError::Invalid(format!("{path}: no size")))?;
            let sha =
                e.pointer("/lfs/oid").and_then(Value::as_str).map(str::to_ascii_lowercase).filter(|s| is_sha256(s));
            out.push((path, size, sha));
            if out.len() > max_files {
                return Err(HfError::Invalid(format!("{repo}: more than {max_files} files")));
            }
        }
        next = link.and_then(|l| same_origin_next(&l, upstream.base()));
    }
    Ok(out)
}

/// The path and query of a `rel="next"` link on the endpoint's own origin.
fn same_origin_next(link: &str, base: &str) -> Option<String> {
    let part = link.split(',').find(|p| p.contains("rel=\"next\""))?;
    let url = part.trim().strip_prefix('<')?.split('>').next()?;
    let rest = same_origin_rest(url, base)?;
    rest.starts_with("/api/").then(|| rest.to_string())
}

/// Downloads a whole file into `dest`, checking its size and stated SHA-256;
/// returns the bytes received.
async fn fetch_file(
    upstream: &Upstream,
    repo: &RepoId,
    commit: &str,
    path: &str,
    size: u64,
    sha: Option<&str>,
    local: &Path,
) -> Result<u64, HfError> {
    let io = |source| HfError::Io { path: local.to_path_buf(), source };
    if let Some(parent) = local.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut file = std::fs::File::create_new(local).map_err(io)?;
    let mut resp = upstream.get_file(repo, commit, path).await?;
    let mut hasher = Sha256::new();
    let mut written = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| UpstreamError::Transport(e.without_url().to_string()))? {
        written += chunk.len() as u64;
        if written > size {
            return Err(HfError::Invalid(format!("{path}: the endpoint sent more than the {size} bytes it listed")));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).map_err(io)?;
    }
    if written != size {
        return Err(HfError::Invalid(format!("{path}: the endpoint sent {written} bytes of the {size} it listed")));
    }
    if let Some(expected) = sha {
        let got = hex::encode(hasher.finalize());
        if got != expected {
            return Err(HfError::Invalid(format!("{path}: SHA-256 {got} differs from the listed {expected}")));
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = HfTarget::parse("hf://org/model@v1.0").unwrap().unwrap();
        assert_eq!((t.repo.to_string(), t.revision.as_str()), ("org/model".into(), "v1.0"));
        assert_eq!(HfTarget::parse("hf://org/model").unwrap().unwrap().revision, "main");
        assert!(HfTarget::parse("model.pt").is_none());
        assert!(HfTarget::parse("hf://org").unwrap().is_err());
        assert!(HfTarget::parse("hf://org/../x").unwrap().is_err());
        assert!(HfTarget::parse("hf://org/m@../x").unwrap().is_err());
    }

    #[test]
    fn paging_stays_on_the_endpoint() {
        let base = "https://hub.example";
        assert_eq!(
            same_origin_next("<https://hub.example/api/models/o/n/tree/c?cursor=2>; rel=\"next\"", base).as_deref(),
            Some("/api/models/o/n/tree/c?cursor=2")
        );
        assert_eq!(same_origin_next("<https://evil.example/api/x>; rel=\"next\"", base), None);
    }
}
