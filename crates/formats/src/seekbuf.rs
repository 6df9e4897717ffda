//! A buffered reader for files that are read both in order and at random.
//!
//! `std::io::BufReader` drops its buffer on every seek and refills all of it
//! on the next read. An archive walker seeks to every member's header and
//! reads a few dozen bytes there, then a head of its data, so a 64 KiB
//! buffer turned a walk over a checkpoint's hundreds of tensors into a read
//! of most of its weights. [`SeekBuf`] keeps its buffer across a seek that
//! lands inside it, reads a small block after a seek that leaves it, and
//! doubles the block while reads go on in order (up to [`MAX_FILL`]), so a
//! pickle read start to end still costs few system calls.

use std::io::{self, Read, Seek, SeekFrom};

/// The first read after a seek out of the buffer.
const MIN_FILL: usize = 4 << 10;
/// The largest read while reading in order.
pub const MAX_FILL: usize = 64 << 10;

/// A reader over `inner` (of known length) with a buffer that survives seeks.
pub struct SeekBuf<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Offset of `buf[0]`; `inner` is positioned at `base + end`.
    base: u64,
    fill: usize,
    len: u64,
}

impl<R: Read + Seek> SeekBuf<R> {
    /// `inner` positioned at its start, `len` bytes long.
    pub fn new(inner: R, len: u64) -> Self {
        Self { inner, buf: Vec::new(), start: 0, end: 0, base: 0, fill: MIN_FILL, len }
    }

    fn pos(&self) -> u64 {
        self.base + self.start as u64
    }
}

impl<R: Read + Seek> Read for SeekBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end {
            self.base += self.end as u64;
            self.start = 0;
            self.end = 0;
            if out.len() >= self.fill {
                // A large read goes straight to the caller's buffer.
                let n = self.inner.read(out)?;
                self.base += n as u64;
                self.fill = (self.fill * 2).min(MAX_FILL);
                return Ok(n);
            }
            if self.buf.len() < self.fill {
                self.buf.resize(self.fill, 0);
            }
            let n = self.inner.read(&mut self.buf[..self.fill])?;
            self.end = n;
            self.fill = (self.fill * 2).min(MAX_FILL);
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekBuf<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(x) => Some(x),
            SeekFrom::Current(d) => self.pos().checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        };
        let Some(target) = target else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "seek to a negative offset"));
        };
        if target >= self.base && target <= self.base + self.end as u64 {
            self.start = (target - self.base) as usize;
            return Ok(target);
        }
        self.inner.seek(SeekFrom::Start(target))?;
        self.base = target;
        self.start = 0;
        self.end = 0;
        self.fill = MIN_FILL;
        Ok(target)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    /// Counts the bytes read from the source.
    struct Counting<'a> {
        inner: Cursor<&'a [u8]>,
        read: u64,
        calls: u32,
    }

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n as u64;
            self.calls += 1;
            Ok(n)
        }
    }

    impl Seek for Counting<'_> {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.inner.seek(to)
        }
    }

    #[test]
    fn reads_what_is_asked_wherever_it_seeks() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut r = SeekBuf::new(Counting { inner: Cursor::new(&data), read: 0, calls: 0 }, data.len() as u64);
        // In order, in odd sizes.
        let mut all = Vec::new();
        let mut chunk = [0u8; 777];
        loop {
            let n = r.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(all, data);
        assert!(r.inner.calls < 40, "{} reads", r.inner.calls);
        // At random: a header here, a head there, back inside the buffer, from the end.
        for (to, want) in [
            (SeekFrom::Start(500_000), 500_000u64),
            (SeekFrom::Current(-20), 499_990),
            (SeekFrom::Current(3000), 503_000),
            (SeekFrom::End(-22), 999_978),
            (SeekFrom::Start(17), 17),
        ] {
            assert_eq!(r.seek(to).unwrap(), want);
            assert_eq!(r.stream_position().unwrap(), want);
            let mut b = [0u8; 10];
            let n = r.read(&mut b).unwrap();
            let w = want as usize;
            assert_eq!(&b[..n], &data[w..(w + 10).min(data.len())]);
        }
        assert!(r.seek(SeekFrom::Current(-1_000)).is_err());
        // Reading past the end gives nothing.
        r.seek(SeekFrom::Start(2_000_000)).unwrap();
        assert_eq!(r.read(&mut [0u8; 10]).unwrap(), 0);
    }

    #[test]
    fn a_seek_away_reads_a_small_block() {
        let data = vec![0u8; 10 << 20];
        let mut r = SeekBuf::new(Counting { inner: Cursor::new(&data), read: 0, calls: 0 }, data.len() as u64);
        // A walk over 100 members: a header and a 1 KiB head of each.
        for i in 0..100u64 {
            r.seek(SeekFrom::Start(i * 100_000)).unwrap();
            r.read_exact(&mut [0u8; 30]).unwrap();
            r.seek(SeekFrom::Current(34)).unwrap();
            r.read_exact(&mut [0u8; 1024]).unwrap();
        }
        assert!(r.inner.read <= 100 * MIN_FILL as u64, "read {} bytes", r.inner.read);
    }
}
