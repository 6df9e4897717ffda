//! Blob storage, content-addressed by SHA-256. A blob becomes visible only
//! when it is complete: bytes go to a temporary file that is flushed to disk
//! and then renamed into place, so a crash (even SIGKILL) mid-download leaves
//! at most a temporary file, which the next start deletes.
//!
//! [`BlobStore`] is the interface; [`LocalBlobStore`] keeps blobs in a folder.
//! An object-store implementation (S3) can come behind the same trait.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::names::is_sha256;

/// A complete blob: its hash and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub sha256: String,
    pub size: u64,
}

/// Where blobs live.
pub trait BlobStore: Send + Sync + 'static {
    /// Starts a new blob. Nothing written to it is visible until
    /// [`PendingBlob::commit`]; dropping it discards the bytes.
    fn create(&self) -> io::Result<Box<dyn PendingBlob>>;
    /// Opens a stored blob for reading, with its size.
    fn open(&self, sha256: &str) -> io::Result<Option<(File, u64)>>;
    /// A local file holding the blob, for the scanner (an object store
    /// would download it to a temporary file here).
    fn local_path(&self, sha256: &str) -> Option<PathBuf>;
}

/// A blob being written.
pub trait PendingBlob: Write + Send {
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Makes the blob visible under its SHA-256 (durably) and returns it.
    fn commit(self: Box<Self>) -> io::Result<BlobInfo>;
    /// A local file holding the bytes written so far, readable while they
    /// are written (the gate streams them to clients); `None` if there is none.
    fn local_path(&self) -> Option<PathBuf> {
        None
    }
}

/// Blobs in a folder: `DIR/sha256/ab/abcdef…`, temporary files in `DIR/tmp`.
#[derive(Debug)]
pub struct LocalBlobStore {
    dir: PathBuf,
    counter: AtomicU64,
}

impl LocalBlobStore {
    /// Opens (creating) the store and deletes temporary files left by a
    /// process that died mid-download.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let tmp = dir.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        std::fs::create_dir_all(dir.join("sha256"))?;
        Ok(Self { dir: dir.to_path_buf(), counter: AtomicU64::new(0) })
    }

    /// Opens an existing store without touching its temporary files (for
    /// tools that run beside a serving gate, such as `modelvet gate rescan`).
    pub fn attach(dir: &Path) -> io::Result<Self> {
        if !dir.join("sha256").is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no blob store here (has the gate fetched anything?)"));
        }
        Ok(Self { dir: dir.to_path_buf(), counter: AtomicU64::new(0) })
    }

    fn blob_path(&self, sha256: &str) -> Option<PathBuf> {
        // Only a well-formed hash names a file: nothing else reaches the disk.
        is_sha256(sha256).then(|| self.dir.join("sha256").join(&sha256[..2]).join(sha256))
    }
}

impl BlobStore for LocalBlobStore {
    fn create(&self) -> io::Result<Box<dyn PendingBlob>> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join("tmp").join(format!("{}-{n}.part", std::process::id()));
        let file = File::create_new(&path)?;
        Ok(Box::new(LocalPending {
            file: Some(file),
            tmp: path,
            root: self.dir.join("sha256"),
            hasher: Sha256::new(),
            written: 0,
        }))
    }

    fn open(&self, sha256: &str) -> io::Result<Option<(File, u64)>> {
        let Some(p) = self.blob_path(sha256) else { return Ok(None) };
        match File::open(&p) {
            Ok(f) => {
                let len = f.metadata()?.len();
                Ok(Some((f, len)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn local_path(&self, sha256: &str) -> Option<PathBuf> {
        self.blob_path(sha256).filter(|p| p.is_file())
    }
}

struct LocalPending {
    file: Option<File>,
    tmp: PathBuf,
    root: PathBuf,
    hasher: Sha256,
    written: u64,
}

impl Write for LocalPending {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let f = self.file.as_mut().ok_or_else(|| io::Error::other("blob already committed"))?;
        let n = f.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl PendingBlob for LocalPending {
    fn local_path(&self) -> Option<PathBuf> {
        Some(self.tmp.clone())
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn commit(mut self: Box<Self>) -> io::Result<BlobInfo> {
        let file = self.file.take().ok_or_else(|| io::Error::other("blob already committed"))?;
        file.sync_all()?;
        drop(file);
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let dir = self.root.join(&sha256[..2]);
        std::fs::create_dir_all(&dir)?;
        let dest = dir.join(&sha256);
        // Same content already stored: keep the old file (identical bytes).
        if dest.is_file() {
            let _ = std::fs::remove_file(&self.tmp);
        } else {
            std::fs::rename(&self.tmp, &dest)?;
            // The rename is durable once the folder is.
            File::open(&dir)?.sync_all()?;
        }
        Ok(BlobInfo { sha256, size: self.written })
    }
}

impl Drop for LocalPending {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_blobs_are_found_by_hash_and_discarded_ones_vanish() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let mut b = store.create().unwrap();
        b.write_all(b"hello").unwrap();
        assert_eq!(b.written(), 5);
        let info = b.commit().unwrap();
        assert_eq!(info.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        let (_, len) = store.open(&info.sha256).unwrap().unwrap();
        assert_eq!(len, 5);

        let mut half = store.create().unwrap();
        half.write_all(b"partial").unwrap();
        drop(half);
        assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert!(store.open(&hex::encode(Sha256::digest(b"partial"))).unwrap().is_none());
        // A hash-shaped name is required: no traversal through the store.
        assert!(store.open("../../etc/passwd").unwrap().is_none());
        assert!(store.local_path("..").is_none());
    }

    #[test]
    fn leftovers_of_a_killed_process_are_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        drop(LocalBlobStore::open(dir.path()).unwrap());
        // What SIGKILL mid-download leaves: a temporary file, no blob.
        std::fs::write(dir.path().join("tmp/123-0.part"), b"half a model").unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert!(store.open(&hex::encode(Sha256::digest(b"half a model"))).unwrap().is_none());
    }
}
