//! Reusable byte buffers. Scanning a folder of small files allocates the same
//! few buffers (the file's bytes, a pickle reader's window) once per file; with
//! the C allocator each of those larger allocations also consolidates the
//! freed small blocks. Handing the buffers back to a per-thread pool makes
//! that cost per thread instead of per file.

use std::cell::RefCell;

/// Buffers kept per thread.
const KEEP: usize = 4;
/// Larger buffers are freed rather than kept (memory stays bounded). The
/// bound covers the files the scanner reads whole (up to 1 MiB) and larger
/// decompressed or nested payloads: a buffer freed and allocated again is
/// fresh memory the kernel must zero page by page, which cost a folder of
/// models more than reading them.
const KEEP_MAX: usize = 8 << 20;
/// Of the kept buffers, at most this many are larger than 1 MiB.
const KEEP_LARGE: usize = 1;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// The smallest kept buffer with room for `capacity` bytes, as it was given back.
fn reuse(capacity: usize) -> Option<Vec<u8>> {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        // The smallest that fits: a large buffer stays for a large file.
        let (i, _) =
            p.iter().enumerate().filter(|(_, b)| b.capacity() >= capacity).min_by_key(|(_, b)| b.capacity())?;
        Some(p.swap_remove(i))
    })
}

/// An empty buffer with room for at least `capacity` bytes.
pub fn take(capacity: usize) -> Vec<u8> {
    match reuse(capacity) {
        Some(mut buf) => {
            buf.clear();
            buf
        }
        None => Vec::with_capacity(capacity),
    }
}

/// A buffer of exactly `len` bytes, zeroed where it was never written before
/// (what an earlier user wrote is left as it is, not cleared again). Its
/// contents are unspecified; use it as space to read into.
pub fn take_len(len: usize) -> Vec<u8> {
    let mut buf = reuse(len).unwrap_or_else(|| Vec::with_capacity(len));
    if buf.len() >= len {
        buf.truncate(len);
    } else {
        buf.resize(len, 0);
    }
    buf
}

/// Returns a buffer to this thread's pool.
pub fn give(buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > KEEP_MAX {
        return;
    }
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let large = |b: &Vec<u8>| b.capacity() > 1 << 20;
        if large(&buf) && p.iter().filter(|b| large(b)).count() >= KEEP_LARGE {
            // Keep the largest of the large ones.
            if let Some(big) = p.iter_mut().filter(|b| large(b)).min_by_key(|b| b.capacity())
                && big.capacity() < buf.capacity()
            {
                *big = buf;
            }
            return;
        }
        if p.len() < KEEP {
            p.push(buf);
        } else if let Some(small) = p.iter_mut().min_by_key(|b| b.capacity())
            && small.capacity() < buf.capacity()
        {
            // Keep the larger buffers: they serve every smaller request too.
            *small = buf;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_large_enough() {
        let mut b = take(100);
        b.extend_from_slice(b"hello");
        give(b);
        let b = take(10);
        assert!(b.is_empty() && b.capacity() >= 10);
        let c = take_len(300);
        assert_eq!(c.len(), 300);
        give(b);
        give(c);
        // A buffer of a given length, longer or shorter than the one given back.
        let mut d = take_len(200);
        assert_eq!(d.len(), 200);
        d.iter_mut().for_each(|x| *x = 7);
        give(d);
        assert_eq!(take_len(150).len(), 150);
        assert_eq!(take_len(1000).len(), 1000);
    }
}
