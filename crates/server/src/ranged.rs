//! Reading a remote file by HTTP ranges, only as far as the scanner reads it.
//!
//! A [`RangeReader`] presents the byte ranges fetched so far ([`Chunks`]) as
//! a file of the real length. A read of bytes that were not fetched fails
//! and is remembered ([`RangeReader::miss`]); the caller fetches them and
//! scans again. A scan that ends without a miss read exactly the bytes a scan
//! of the whole file reads, so its verdict is the whole file's: nothing is
//! guessed from names, and a header that points further (safetensors holes,
//! a GGUF metadata section larger than the first range) is followed.

use std::io::{self, Read, Seek, SeekFrom};

/// First range asked for: the safetensors header or the GGUF metadata of
/// most models fits.
pub const FIRST_RANGE: u64 = 64 << 10;
/// Most bytes read from one file by ranges; a scan that needs more reads the
/// file whole.
pub const MAX_RANGED_BYTES: u64 = 64 << 20;
/// Most rounds of fetch-and-scan per file before reading it whole.
pub const MAX_ROUNDS: usize = 24;

/// Byte ranges of a file of known length fetched so far (sorted, disjoint,
/// adjacent ranges merged).
#[derive(Debug, Clone, Default)]
pub struct Chunks {
    len: u64,
    parts: Vec<(u64, Vec<u8>)>,
}

impl Chunks {
    /// No bytes yet of a file of `len` bytes.
    pub fn new(len: u64) -> Self {
        Self { len, parts: Vec::new() }
    }

    /// The file's real length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held.
    pub fn held(&self) -> u64 {
        self.parts.iter().map(|(_, d)| d.len() as u64).sum()
    }

    /// The ranges held: (start, bytes).
    pub fn parts(&self) -> &[(u64, Vec<u8>)] {
        &self.parts
    }

    /// Adds the bytes at `start` (clipped to the file's length), merging
    /// with neighbours; bytes already held are kept.
    pub fn insert(&mut self, start: u64, mut data: Vec<u8>) {
        let room = usize::try_from(self.len.saturating_sub(start)).unwrap_or(usize::MAX);
        data.truncate(room);
        if data.is_empty() {
            return;
        }
        self.parts.push((start, data));
        self.parts.sort_by_key(|(s, _)| *s);
        let mut merged: Vec<(u64, Vec<u8>)> = Vec::with_capacity(self.parts.len());
        for (s, d) in std::mem::take(&mut self.parts) {
            if let Some((ps, pd)) = merged.last_mut() {
                let pend = *ps + pd.len() as u64;
                if s <= pend {
                    let skip = usize::try_from(pend - s).unwrap_or(usize::MAX);
                    if skip < d.len() {
                        pd.extend_from_slice(&d[skip..]);
                    }
                    continue;
                }
            }
            merged.push((s, d));
        }
        self.parts = merged;
    }

    /// `n` bytes at `pos`, if all of them are held.
    pub fn slice(&self, pos: u64, n: usize) -> Option<&[u8]> {
        let i = self.parts.partition_point(|(s, _)| *s <= pos).checked_sub(1)?;
        let (s, d) = &self.parts[i];
        let off = usize::try_from(pos - s).ok()?;
        d.get(off..off.checked_add(n)?)
    }

    /// The first byte at or after `pos` that is not held.
    pub fn first_gap(&self, pos: u64) -> u64 {
        let mut at = pos;
        for (s, d) in &self.parts {
            if *s <= at && at < s + d.len() as u64 {
                at = s + d.len() as u64;
            }
        }
        at
    }
}

/// The bytes a scan wanted but did not have: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Miss {
    pub start: u64,
    pub end: u64,
}

/// A file of the real length over the fetched [`Chunks`].
#[derive(Debug)]
pub struct RangeReader<'a> {
    chunks: &'a Chunks,
    pos: u64,
    miss: Option<Miss>,
}

impl<'a> RangeReader<'a> {
    pub fn new(chunks: &'a Chunks) -> Self {
        Self { chunks, pos: 0, miss: None }
    }

    /// The first read that asked for bytes not fetched, if any.
    pub fn miss(&self) -> Option<Miss> {
        self.miss
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = self.chunks.len();
        if self.pos >= len || buf.is_empty() {
            return Ok(0);
        }
        // A read is served whole or not at all: a file would not return fewer
        // bytes here, so no scanner sees a short read that the file would not give.
        let want = usize::try_from(len - self.pos).map_or(buf.len(), |rest| rest.min(buf.len()));
        match self.chunks.slice(self.pos, want) {
            Some(s) => {
                buf[..want].copy_from_slice(s);
                self.pos += want as u64;
                Ok(want)
            }
            None => {
                if self.miss.is_none() {
                    self.miss = Some(Miss { start: self.pos, end: self.pos + want as u64 });
                }
                Err(io::Error::other("byte range not fetched yet"))
            }
        }
    }
}

impl Seek for RangeReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.chunks.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}

/// What to fetch after `miss`: from the first byte not held, at least the
/// bytes asked for, and as many as are held already (so a header read
/// piecewise takes a logarithmic number of rounds).
/// `min_grow` is the least asked for (the first range's size).
pub fn next_range(chunks: &Chunks, miss: Miss, min_grow: u64) -> Miss {
    let start = chunks.first_gap(miss.start);
    let grow = chunks.held().max(min_grow).max(1);
    let end = miss.end.max(start.saturating_add(grow)).min(chunks.len());
    Miss { start, end: end.max(start) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_merge_and_slice() {
        let mut c = Chunks::new(100);
        c.insert(10, vec![1; 10]);
        c.insert(0, vec![0; 10]);
        c.insert(15, vec![2; 10]);
        assert_eq!(c.parts().len(), 1);
        assert_eq!(c.held(), 25);
        assert_eq!(c.slice(8, 4), Some(&[0, 0, 1, 1][..]));
        assert_eq!(c.slice(22, 3), Some(&[2, 2, 2][..]));
        assert_eq!(c.slice(22, 4), None);
        assert_eq!(c.first_gap(3), 25);
        assert_eq!(c.first_gap(50), 50);
        c.insert(90, vec![3; 50]); // clipped to the length
        assert_eq!(c.held(), 35);
        assert_eq!(c.slice(50, 1), None);
    }

    #[test]
    fn reads_past_the_fetched_bytes_are_misses() {
        let mut c = Chunks::new(1000);
        c.insert(0, (0..100u8).collect());
        let mut r = RangeReader::new(&c);
        let mut b = [0u8; 10];
        r.read_exact(&mut b).unwrap();
        assert_eq!(b[9], 9);
        r.seek(SeekFrom::Start(95)).unwrap();
        assert!(r.read(&mut b).is_err(), "a read across the end of the fetched bytes is refused whole");
        assert_eq!(r.miss(), Some(Miss { start: 95, end: 105 }));
        // The real end of the file reads as the end, not as a miss.
        let mut small = Chunks::new(4);
        small.insert(0, vec![7; 4]);
        let mut r = RangeReader::new(&small);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, vec![7; 4]);
        assert_eq!(r.miss(), None);
        assert_eq!(r.seek(SeekFrom::End(0)).unwrap(), 4);
    }

    #[test]
    fn growth_doubles_and_stays_inside_the_file() {
        let mut c = Chunks::new(1 << 30);
        c.insert(0, vec![0; FIRST_RANGE as usize]);
        let m = next_range(&c, Miss { start: FIRST_RANGE - 8, end: FIRST_RANGE + 8 }, FIRST_RANGE);
        assert_eq!(m, Miss { start: FIRST_RANGE, end: 2 * FIRST_RANGE });
        let small = Chunks::new(100);
        assert_eq!(next_range(&small, Miss { start: 0, end: 10 }, FIRST_RANGE), Miss { start: 0, end: 100 });
    }
}
