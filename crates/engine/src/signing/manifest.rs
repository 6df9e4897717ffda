//! The manifest: every file of a model with its SHA-256, in the order and
//! under the names OpenSSF Model Signing uses.
//!
//! * A file given as the model is one resource named `"."`.
//! * A folder is walked recursively, dotfiles included. Every entry is checked
//!   before the ignore test, as the reference tool does: a symbolic link, or
//!   anything that is neither a file nor a folder, stops the walk.
//! * A path is ignored when an ignore entry's components are a prefix of its
//!   components (`a` ignores `a/b`, not `ab`).
//! * Names are relative and `/`-separated; resources are ordered by path
//!   components (`a/b` before `a.b`), not by plain string order.
//! * The root digest is the SHA-256 of the concatenated raw resource digests.
//!
//! Hashing is the cost, so it is parallel: files are hashed on the rayon pool,
//! largest first, each read once with a large buffer. A file's SHA-256 is
//! sequential by nature; signatures that use the `sha256-sharded-N` method
//! (written by the reference tool's Python API) are verified shard by shard in
//! parallel, so one large file then uses every core.
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

/// The folders and files the reference tool ignores by default.
pub const GIT_PATHS: [&str; 4] = [".git", ".gitattributes", ".github", ".gitignore"];

/// Most files one model may hold: a bound on memory for the file list.
pub const MAX_FILES: usize = 1_000_000;
/// Deepest folder nesting walked.
pub const MAX_DEPTH: usize = 64;
/// Most shards one model may be split into (a signature chooses the shard size).
pub const MAX_SHARDS: u64 = 4_000_000;

const READ_BUFFER: usize = 4 << 20;

/// How resources are named and hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One SHA-256 per file (what the `model_signing` CLI writes).
    Files,
    /// One SHA-256 per slice of `shard_size` bytes; empty files have no shard.
    Shards { shard_size: u64 },
}

/// A relative, `/`-separated path split into its components.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(pub Vec<String>);

impl RelPath {
    /// Splits `a/b/c`, dropping empty and `.` components. `None` for anything
    /// absolute or climbing out with `..`.
    pub fn parse(s: &str) -> Option<Self> {
        if s.starts_with('/') {
            return None;
        }
        let parts: Vec<String> = s.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::to_owned).collect();
        if parts.iter().any(|c| c == "..") {
            return None;
        }
        Some(Self(parts))
    }

    /// Whether `self` equals `prefix` or lies below it.
    pub fn starts_with(&self, prefix: &RelPath) -> bool {
        self.0.len() >= prefix.0.len() && self.0[..prefix.0.len()] == prefix.0[..]
    }

    /// The name as the manifest writes it (`"."` for the model itself).
    pub fn name(&self) -> String {
        if self.0.is_empty() { ".".to_owned() } else { self.0.join("/") }
    }
}

/// One hashed resource: a file, or a slice of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub path: RelPath,
    /// `Some((start, end))` for a shard, end exclusive.
    pub range: Option<(u64, u64)>,
    pub digest: [u8; 32],
}

impl Resource {
    /// The resource name as the manifest writes it (`path` or `path:start:end`).
    pub fn name(&self) -> String {
        match self.range {
            None => self.path.name(),
            Some((s, e)) => format!("{}:{s}:{e}", self.path.name()),
        }
    }
}

/// Sorts resources as the format requires: by path components, then shard range.
pub fn sort(resources: &mut [Resource]) {
    resources.sort_by(|a, b| a.path.cmp(&b.path).then(a.range.cmp(&b.range)));
}

/// SHA-256 of the concatenated raw digests, in order.
pub fn root_digest(resources: &[Resource]) -> [u8; 32] {
    let mut h = Sha256::new();
    for r in resources {
        h.update(r.digest);
    }
    h.finalize().into()
}

/// Why a model could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// A symbolic link inside the model (never followed).
    #[error("{0} is a symbolic link; model signing does not follow links")]
    Symlink(PathBuf),
    /// A FIFO, socket, device or other entry that is not a regular file or a folder.
    #[error("{0} is neither a regular file nor a folder")]
    NotFileOrFolder(PathBuf),
    /// A name that is not UTF-8 (the manifest is JSON text).
    #[error("{0} has a name that is not valid UTF-8")]
    NonUtf8Name(PathBuf),
    /// A file the signature lists is absent (only with `files_to_hash`).
    #[error("{0} does not exist")]
    Missing(PathBuf),
    /// More files or deeper nesting than the limits allow.
    #[error("{0}")]
    Limit(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HashError + '_ {
    move |source| HashError::Io { path: path.to_owned(), source }
}

/// A file to hash: where it is, its name and size.
#[derive(Debug)]
struct Entry {
    full: PathBuf,
    rel: RelPath,
    len: u64,
}

/// What to hash.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Paths (relative to the model) left out, with everything below them.
    pub ignore: Vec<RelPath>,
    /// Hash only these files (the verifier's `--ignore-unsigned-files`).
    pub only: Option<Vec<RelPath>>,
}

/// Lists the files of a model (a file or a folder), checking every entry.
fn enumerate(model: &Path, selection: &Selection) -> Result<Vec<Entry>, HashError> {
    let meta = std::fs::symlink_metadata(model).map_err(io(model))?;
    if meta.file_type().is_symlink() {
        return Err(HashError::Symlink(model.to_owned()));
    }
    if meta.is_file() {
        return Ok(vec![Entry { full: model.to_owned(), rel: RelPath(Vec::new()), len: meta.len() }]);
    }
    if !meta.is_dir() {
        return Err(HashError::NotFileOrFolder(model.to_owned()));
    }
    let mut out = Vec::new();
    if let Some(only) = &selection.only {
        for rel in only {
            let full = rel.0.iter().fold(model.to_owned(), |p, c| p.join(c));
            // Every component is checked, so a link on the way is refused too.
            let mut at = model.to_owned();
            for c in &rel.0 {
                at.push(c);
                match std::fs::symlink_metadata(&at) {
                    Ok(m) if m.file_type().is_symlink() => return Err(HashError::Symlink(at)),
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(HashError::Missing(full)),
                    Err(e) => return Err(HashError::Io { path: at, source: e }),
                }
            }
            let m = std::fs::symlink_metadata(&full).map_err(io(&full))?;
            if !m.is_file() {
                return Err(HashError::NotFileOrFolder(full));
            }
            if !selection.ignore.iter().any(|i| rel.starts_with(i)) {
                out.push(Entry { full, rel: rel.clone(), len: m.len() });
            }
        }
        return Ok(out);
    }
    let mut stack = vec![(model.to_owned(), Vec::<String>::new())];
    let mut seen = 0usize;
    while let Some((dir, rel)) = stack.pop() {
        if rel.len() > MAX_DEPTH {
            return Err(HashError::Limit(format!("{} is nested deeper than {MAX_DEPTH} folders", dir.display())));
        }
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            seen += 1;
            if seen > MAX_FILES {
                return Err(HashError::Limit(format!("the model holds more than {MAX_FILES} entries")));
            }
            let full = entry.path();
            let ft = entry.file_type().map_err(io(&full))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(HashError::NonUtf8Name(full));
            };
            let mut child = rel.clone();
            child.push(name);
            if ft.is_symlink() {
                return Err(HashError::Symlink(full));
            } else if ft.is_dir() {
                stack.push((full, child));
            } else if ft.is_file() {
                let child = RelPath(child);
                if !selection.ignore.iter().any(|i| child.starts_with(i)) {
                    let len = entry.metadata().map_err(io(&full))?.len();
                    out.push(Entry { full, rel: child, len });
                }
            } else {
                return Err(HashError::NotFileOrFolder(full));
            }
        }
    }
    Ok(out)
}

/// Hashes a model: every selected file (or shard) in parallel, returned in
/// manifest order.
pub fn hash_model(model: &Path, selection: &Selection, method: Method) -> Result<Vec<Resource>, HashError> {
    let mut entries = enumerate(model, selection)?;
    // Largest first, so that the big files start early and the small ones fill in.
    entries.sort_by_key(|e| std::cmp::Reverse(e.len));
    let mut resources: Vec<Resource> = match method {
        // One job per file (`with_max_len(1)`): rayon would otherwise hand a
        // thread a run of neighbours, big files included, to hash one after
        // the other while the other threads run out of work.
        Method::Files => entries
            .par_iter()
            .with_max_len(1)
            .map(|e| Ok(Resource { path: e.rel.clone(), range: None, digest: hash_range(&e.full, 0, None, e.len)? }))
            .collect::<Result<_, HashError>>()?,
        Method::Shards { shard_size } => {
            let count: u64 = entries.iter().map(|e| e.len.div_ceil(shard_size.max(1))).sum();
            if shard_size == 0 || count > MAX_SHARDS {
                return Err(HashError::Limit(format!(
                    "shard size {shard_size} would split the model into more than {MAX_SHARDS} shards"
                )));
            }
            let shards: Vec<(&Entry, u64, u64)> = entries
                .iter()
                .flat_map(|e| {
                    (0..e.len.div_ceil(shard_size)).map(move |k| {
                        let start = k * shard_size;
                        (e, start, (start + shard_size).min(e.len))
                    })
                })
                .collect();
            shards
                .par_iter()
                .with_max_len(1)
                .map(|&(e, start, end)| {
                    Ok(Resource {
                        path: e.rel.clone(),
                        range: Some((start, end)),
                        digest: hash_range(&e.full, start, Some(end - start), end - start)?,
                    })
                })
                .collect::<Result<_, HashError>>()?
        }
    };
    sort(&mut resources);
    Ok(resources)
}

/// SHA-256 of `len` bytes of a file from `start` (to its end when `None`),
/// read once in large blocks (no larger than `size_hint`, the expected size).
fn hash_range(path: &Path, start: u64, len: Option<u64>, size_hint: u64) -> Result<[u8; 32], HashError> {
    let mut file = File::open(path).map_err(io(path))?;
    if start > 0 {
        file.seek(SeekFrom::Start(start)).map_err(io(path))?;
    }
    let mut hasher = Sha256::new();
    let mut remaining = len.unwrap_or(u64::MAX);
    let cap = usize::try_from(size_hint.saturating_add(1).min(READ_BUFFER as u64)).unwrap_or(READ_BUFFER);
    let mut buf = vec![0u8; cap];
    while remaining > 0 {
        let want = usize::try_from(remaining.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(HashError::Io { path: path.to_owned(), source: e }),
        };
        hasher.update(&buf[..n]);
        remaining -= n as u64;
    }
    if len.is_some() && remaining > 0 {
        return Err(HashError::Io {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file shrank while it was hashed"),
        });
    }
    Ok(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, data: &[u8]) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    /// The golden vector measured with model_signing 1.1.1 (files, sha256).
    fn tiny_model(dir: &Path) {
        write(dir, "README.md", b"---\nlicense: apache-2.0\n---\n# tiny\n");
        write(dir, "a/b", b"x");
        write(dir, "a.b", b"y");
        write(dir, "config.json", b"{\"architectures\":[\"TinyModel\"],\"hidden_size\":4}\n");
        write(dir, "empty.bin", b"");
        write(dir, "model.safetensors", &hex::decode("41000000000000007b2277223a207b226474797065223a2022463332222c20227368617065223a205b322c20325d2c2022646174615f6f666673657473223a205b302c2031365d7d7d0000803f000000400000404000008040").unwrap());
        write(dir, "tokenizer/tokenizer.json", b"{\"version\":\"1.0\"}");
        write(dir, ".gitattributes", b"*.safetensors filter=lfs\n");
    }

    fn git_ignores() -> Selection {
        Selection { ignore: GIT_PATHS.iter().map(|p| RelPath::parse(p).unwrap()).collect(), only: None }
    }

    #[test]
    fn golden_vector_order_and_root() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path());
        let r = hash_model(dir.path(), &git_ignores(), Method::Files).unwrap();
        let names: Vec<String> = r.iter().map(Resource::name).collect();
        assert_eq!(
            names,
            ["README.md", "a/b", "a.b", "config.json", "empty.bin", "model.safetensors", "tokenizer/tokenizer.json"]
        );
        assert_eq!(hex::encode(r[2].digest), "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa");
        assert_eq!(hex::encode(root_digest(&r)), "e66ec9318a57dd83877620690d072fcc257ae48139ccee5952e27af83d49bd77");
    }

    #[test]
    fn golden_vector_shards_of_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path());
        let small = hash_model(dir.path(), &git_ignores(), Method::Shards { shard_size: 32 }).unwrap();
        // Empty files have no shard.
        assert!(small.iter().all(|x| x.range.is_some() && x.name() != "empty.bin:0:0"));
        assert_eq!(small[0].name(), "README.md:0:32");
        assert_eq!(small.len(), 10);
        assert_eq!(
            hex::encode(root_digest(&small)),
            "2ac59f440d2df1a734aa0106c9638203927776503ef67f70207380c3d9c3fc67"
        );
    }

    #[test]
    fn single_file_is_named_dot() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.json", b"{\"architectures\":[\"TinyModel\"],\"hidden_size\":4}\n");
        let r = hash_model(&dir.path().join("config.json"), &Selection::default(), Method::Files).unwrap();
        assert_eq!(r[0].name(), ".");
        assert_eq!(hex::encode(root_digest(&r)), "a3d3dde92a8b18eadffba565d9304a5df44d08e3f47b113b4df68024337ca6db");
    }

    #[test]
    fn ignore_is_by_component_not_by_string_prefix() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/x", b"1");
        write(dir.path(), "ab", b"2");
        let sel = Selection { ignore: vec![RelPath::parse("a").unwrap()], only: None };
        let r = hash_model(dir.path(), &sel, Method::Files).unwrap();
        assert_eq!(r.iter().map(Resource::name).collect::<Vec<_>>(), ["ab"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused_even_when_ignored() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x", b"1");
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join(".git")).unwrap();
        let err = hash_model(dir.path(), &git_ignores(), Method::Files).unwrap_err();
        assert!(matches!(err, HashError::Symlink(p) if p.ends_with(".git")));
    }

    #[test]
    fn relpath_rejects_escapes() {
        assert!(RelPath::parse("../x").is_none());
        assert!(RelPath::parse("/etc").is_none());
        assert_eq!(RelPath::parse("./a//b/").unwrap().name(), "a/b");
    }
}
