//! Types shared by every container reader (zip, tar, 7z, compressed streams).
//!
//! A container reader walks its members and hands each one to a visitor as a
//! bounded, seekable view of the member's bytes. Everything odd about the
//! container (a traversal path, a bad CRC, a lying size, a bomb) is reported as
//! an [`Anomaly`]: data, never an error that stops the walk.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};

/// Anything that can be read and sought: files, windows onto files, spools.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// What kind of archive member an [`Entry`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink {
        target: String,
    },
    Hardlink {
        target: String,
    },
    /// Devices, FIFOs and other special members.
    Other,
}

/// One member of an archive, as the archive describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The member's name as stored (lossily decoded as UTF-8).
    pub name: String,
    /// Offset of the member's header (or data) within the archive.
    pub offset: u64,
    /// The uncompressed size the archive declares, if it declares one.
    pub declared_size: Option<u64>,
    pub kind: EntryKind,
}

/// Something wrong or unusual about a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnomalyKind {
    /// A member name or link target that is absolute or climbs out with `..`.
    PathTraversal,
    /// A hard or symbolic link member.
    Link,
    /// The stored CRC-32 does not match the data.
    BadCrc,
    /// The local header and the central directory disagree (name, sizes, method).
    HeaderMismatch,
    /// General-purpose flag bits that some readers refuse and others ignore.
    FlagBits,
    /// Two members with the same name.
    DuplicateName,
    /// Members whose byte ranges overlap.
    Overlap,
    /// The declared size is far from the real one.
    SizeMismatch,
    /// An encrypted member that cannot be inspected.
    Encrypted,
    /// Expansion beyond the ratio or size limits.
    Bomb,
    /// More members than the entry limit.
    TooManyEntries,
    /// Data that ends before the structure says it should.
    Truncated,
    /// A structure that cannot be parsed.
    Malformed,
    /// A compression method this reader does not implement.
    UnsupportedMethod,
    /// Bytes before, between or after the members that belong to no member.
    HiddenData,
}

/// An anomaly with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// The member concerned, if any.
    pub member: Option<String>,
    /// Byte offset within the container, if known.
    pub offset: Option<u64>,
    /// One line a person can read: what is wrong, with the numbers.
    pub detail: String,
}

impl Anomaly {
    pub fn new(kind: AnomalyKind, detail: impl Into<String>) -> Self {
        Self { kind, member: None, offset: None, detail: detail.into() }
    }
    #[must_use]
    pub fn member(mut self, name: impl Into<String>) -> Self {
        self.member = Some(name.into());
        self
    }
    #[must_use]
    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

/// Decompression allowance shared by everything scanned within one target, so
/// that nested bombs cannot multiply their way past the per-stream limit.
#[derive(Debug)]
pub struct Budget {
    remaining: Cell<u64>,
}

impl Budget {
    pub fn new(bytes: u64) -> Self {
        Self { remaining: Cell::new(bytes) }
    }
    /// Takes `n` bytes from the allowance; false (and nothing taken) if not enough remain.
    pub fn take(&self, n: u64) -> bool {
        let left = self.remaining.get();
        if n > left {
            return false;
        }
        self.remaining.set(left - n);
        true
    }
    pub fn remaining(&self) -> u64 {
        self.remaining.get()
    }
}

/// A read-only window onto `len` bytes of `inner` starting at `start`.
pub struct Window<'a, R: ?Sized> {
    inner: &'a mut R,
    start: u64,
    len: u64,
    pos: u64,
}

impl<'a, R: Read + Seek + ?Sized> Window<'a, R> {
    pub fn new(inner: &'a mut R, start: u64, len: u64) -> Self {
        Self { inner, start, len, pos: 0 }
    }
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<R: Read + Seek + ?Sized> Read for Window<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            return Ok(0);
        }
        let want = usize::try_from((self.len - self.pos).min(buf.len() as u64)).unwrap_or(buf.len());
        self.inner.seek(SeekFrom::Start(self.start + self.pos))?;
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek + ?Sized> Seek for Window<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(n) => {
                self.pos = n;
                Ok(n)
            }
            None => Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before start of window")),
        }
    }
}

/// A member's bytes in memory up to a threshold, then in an anonymous temporary
/// file, so decompressing a large member does not hold it all in RAM.
pub type Spool = tempfile::SpooledTempFile;

/// Bytes kept in memory before a [`Spool`] moves to disk.
pub const SPOOL_MEMORY: usize = 64 << 20;

/// A new, empty spool.
pub fn spool() -> Spool {
    tempfile::SpooledTempFile::new(SPOOL_MEMORY)
}

/// Returns true if an archive member name would land outside the extraction
/// folder: absolute (Unix or Windows), a drive letter, or a `..` component.
pub fn is_traversal(name: &str) -> bool {
    // Backslashes count as separators (as if replaced by `/`), without a copy.
    if name.starts_with(['/', '\\']) || name.as_bytes().get(1) == Some(&b':') {
        return true;
    }
    name.split(['/', '\\']).any(|c| c == "..")
}

/// Most anomalies of one kind an [`AnomalyLog`] keeps before it only counts.
pub const MAX_ANOMALIES_PER_KIND: usize = 100;

/// Collects a reader's anomalies, keeping at most [`MAX_ANOMALIES_PER_KIND`] of
/// each kind (a crafted archive can hold a hundred thousand overlapping
/// members); the rest are summarised by one extra anomaly per kind.
#[derive(Debug, Default)]
pub struct AnomalyLog {
    list: Vec<Anomaly>,
    dropped: Vec<(AnomalyKind, u64)>,
}

impl AnomalyLog {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, a: Anomaly) {
        let kept = self.list.iter().filter(|x| x.kind == a.kind).count();
        if kept < MAX_ANOMALIES_PER_KIND {
            self.list.push(a);
        } else if let Some(d) = self.dropped.iter_mut().find(|d| d.0 == a.kind) {
            d.1 = d.1.saturating_add(1);
        } else {
            self.dropped.push((a.kind, 1));
        }
    }
    /// True if an anomaly of this kind has been recorded.
    pub fn has(&self, kind: AnomalyKind) -> bool {
        self.list.iter().any(|a| a.kind == kind)
    }
    pub fn finish(mut self) -> Vec<Anomaly> {
        for (kind, n) in self.dropped {
            self.list.push(Anomaly::new(kind, format!("{n} more anomalies of this kind not listed")));
        }
        self.list
    }
}
