//! Fetching a whole repository from a Hub-compatible endpoint into a local
//! folder, for `modelvet scan hf://ORG/NAME[@REV]`: the same client the gate
//! uses, with the same checks (validated names and paths, sizes and SHA-256
//! verified, bounded answers).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::names::{self, NameError, RepoId, encode_segment, is_commit, is_sha256};
use crate::upstream::{Upstream, UpstreamError};

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
}

impl Default for DownloadLimits {
    fn default() -> Self {
        Self { max_file_bytes: 256 << 30, max_total_bytes: 1 << 40, max_files: 100_000 }
    }
}

/// A downloaded repository.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub commit: String,
    /// Files downloaded: path in the repository.
    pub files: Vec<String>,
    /// Files not downloaded, with the reason.
    pub skipped: Vec<(String, String)>,
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

/// A repository downloaded into a temporary folder (deleted on drop).
#[derive(Debug)]
pub struct Downloaded {
    dir: tempfile::TempDir,
    pub target: HfTarget,
    pub snapshot: Snapshot,
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
    let snapshot = download(endpoint, token, target, dir.path(), limits)?;
    Ok(Downloaded { dir, target: target.clone(), snapshot })
}

/// Downloads every file of `target` at one commit into `dest` (an empty
/// folder). Blocking: runs its own small runtime.
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
    rt.block_on(download_async(&upstream, target, dest, limits))
}

async fn download_async(
    upstream: &Upstream,
    target: &HfTarget,
    dest: &Path,
    limits: &DownloadLimits,
) -> Result<Snapshot, HfError> {
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
    let mut snap = Snapshot { commit: commit.clone(), files: Vec::new(), skipped: Vec::new() };
    let mut total = 0u64;
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
        fetch_file(upstream, repo, &commit, &path, size, sha.as_deref(), dest).await?;
        snap.files.push(path);
    }
    Ok(snap)
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
    let s = base.find("://").map_or(0, |i| i + 3);
    let origin = &base[..base[s..].find('/').map_or(base.len(), |i| s + i)];
    let rest = url.strip_prefix(origin)?;
    rest.starts_with("/api/").then(|| rest.to_string())
}

async fn fetch_file(
    upstream: &Upstream,
    repo: &RepoId,
    commit: &str,
    path: &str,
    size: u64,
    sha: Option<&str>,
    dest: &Path,
) -> Result<(), HfError> {
    // `path` is validated: relative, no `..`, no empty parts, no backslashes.
    let local = path.split('/').fold(dest.to_path_buf(), |p, part| p.join(part));
    let io = |source| HfError::Io { path: local.clone(), source };
    if let Some(parent) = local.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut file = std::fs::File::create_new(&local).map_err(io)?;
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
    Ok(())
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
