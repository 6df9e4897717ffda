//! 7z archives, read with `sevenz-rust2`.
//!
//! Entry metadata is checked first (names, links, declared sizes against packed
//! size), then each compression block is decoded on its own, every entry read
//! through a bounded [`Pump`] into a spool and visited. A block that fails
//! (encrypted, unsupported method, corrupt) is reported and the walk goes on
//! with the next block.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};

use sevenz_rust2::{Archive, ArchiveEntry, BlockDecoder, Error, Password};

use crate::Limits;
use crate::compress::{Pump, RATIO_GRACE};
use crate::container::{
    Anomaly, AnomalyKind, AnomalyLog, Budget, Entry, EntryKind, ReadSeek, Window, is_traversal, spool,
};

const SIGNATURE: [u8; 6] = [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c];
/// Most bytes of a symlink member read as its target.
const LINK_TARGET_MAX: u64 = 4096;

/// True if `head` starts with the 7z signature.
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(&SIGNATURE)
}

fn classify(e: &Error) -> AnomalyKind {
    match e {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => AnomalyKind::Encrypted,
        Error::UnsupportedCompressionMethod(m) if m.contains("AES") => AnomalyKind::Encrypted,
        Error::UnsupportedCompressionMethod(_) => AnomalyKind::UnsupportedMethod,
        Error::ChecksumVerificationFailed | Error::NextHeaderCrcMismatch => AnomalyKind::BadCrc,
        Error::MaxMemLimited { .. } => AnomalyKind::Bomb,
        Error::Io(io, _) if io.kind() == std::io::ErrorKind::UnexpectedEof => AnomalyKind::Truncated,
        _ => AnomalyKind::Malformed,
    }
}

fn is_symlink(e: &ArchiveEntry) -> bool {
    // p7zip keeps the Unix mode in the high half when bit 0x8000 is set.
    e.has_windows_attributes
        && e.windows_attributes & 0x8000 != 0
        && (e.windows_attributes >> 16) & 0o170_000 == 0o120_000
}

/// Walks a 7z archive of `len` bytes, calling `visit` for every file entry
/// with a spool of its decoded bytes. Never panics, never fails: problems are
/// returned as anomalies.
pub fn walk(
    src: &mut dyn ReadSeek,
    len: u64,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64),
) -> Vec<Anomaly> {
    let mut log = AnomalyLog::new();
    let mem_kb = usize::try_from(limits.max_decompressed_bytes.clamp(16 << 20, 1 << 30) / 1024).unwrap_or(1 << 20);
    let mut source = Window::new(&mut *src, 0, len);
    let password = Password::empty();
    let read =
        panic::catch_unwind(AssertUnwindSafe(|| Archive::read_with_memory_limit(&mut source, &password, mem_kb)));
    let archive = match read {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            log.push(Anomaly::new(classify(&e), format!("cannot read 7z headers: {e}")));
            return log.finish();
        }
        Err(_) => {
            log.push(Anomaly::new(AnomalyKind::Malformed, "7z header parser panicked"));
            return log.finish();
        }
    };

    // Metadata first.
    let files = &archive.files;
    let packed: u64 = archive.pack_sizes().iter().fold(0u64, |a, &b| a.saturating_add(b));
    let declared: u64 = files.iter().fold(0u64, |a, f| a.saturating_add(f.size));
    let by_ratio = packed.saturating_mul(limits.max_ratio).max(RATIO_GRACE);
    if declared > by_ratio || declared > limits.max_decompressed_bytes {
        log.push(Anomaly::new(
            AnomalyKind::Bomb,
            format!("entries declare {declared} bytes from {packed} packed bytes; decoding stops at the limits"),
        ));
    }
    if files.len() as u64 > limits.max_entries {
        log.push(Anomaly::new(
            AnomalyKind::TooManyEntries,
            format!("{} entries, more than {}; only the first are read", files.len(), limits.max_entries),
        ));
    }
    let max = usize::try_from(limits.max_entries).unwrap_or(usize::MAX);
    let mut names = HashSet::new();
    for (i, f) in files.iter().enumerate().take(max) {
        if archive.is_file_encrypted(i) {
            log.push(
                Anomaly::new(AnomalyKind::Encrypted, "entry is AES-encrypted and cannot be inspected")
                    .member(f.name.clone()),
            );
        }
        if is_traversal(&f.name) {
            log.push(
                Anomaly::new(
                    AnomalyKind::PathTraversal,
                    format!("entry name {:?} leaves the extraction folder", f.name),
                )
                .member(f.name.clone()),
            );
        }
        if !names.insert(f.name.as_str()) && !f.is_directory {
            log.push(
                Anomaly::new(AnomalyKind::DuplicateName, format!("entry name {:?} appears more than once", f.name))
                    .member(f.name.clone()),
            );
        }
    }

    let mut visited = 0u64;
    let in_visitor = Cell::new(false);
    let first_pack = archive.stream_map.block_first_pack_stream_index();
    for b in 0..archive.blocks.len() {
        if visited >= limits.max_entries || budget.remaining() == 0 {
            break;
        }
        let start = first_pack.get(b).copied().unwrap_or(0);
        let end = first_pack.get(b + 1).copied().unwrap_or(archive.pack_sizes().len()).max(start);
        let block_packed =
            archive.pack_sizes().get(start..end).map_or(0, |s| s.iter().fold(0u64, |a, &x| a.saturating_add(x)));
        let encrypted = archive.blocks.get(b).is_some_and(|blk| {
            blk.coders.iter().any(|c| c.encoder_method_id() == sevenz_rust2::EncoderMethod::ID_AES256_SHA256)
        });
        if encrypted {
            continue;
        }
        let decoder = BlockDecoder::new_with_memory_limit(1, mem_kb, b, &archive, &password, &mut source);
        let mut cb = |f: &ArchiveEntry, r: &mut dyn Read| -> Result<bool, Error> {
            Ok(entry(f, r, block_packed, limits, budget, &mut log, &mut visited, &in_visitor, visit))
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| decoder.for_each_entries(&mut cb)));
        let failure = match outcome {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some((classify(&e), format!("7z block {b} fails to decode: {e}"))),
            // The visitor's own panics are not ours to swallow.
            Err(payload) if in_visitor.get() => panic::resume_unwind(payload),
            Err(_) => Some((AnomalyKind::Malformed, format!("7z decoder panicked in block {b}"))),
        };
        if let Some((kind, detail)) = failure {
            let first = archive.stream_map.block_first_file_index.get(b).and_then(|&i| files.get(i));
            let mut a = Anomaly::new(kind, detail);
            if let Some(f) = first {
                a = a.member(f.name.clone());
            }
            log.push(a);
        }
    }
    // Entries without data: empty files.
    for (i, f) in files.iter().enumerate().take(max) {
        if archive.stream_map.file_block_index.get(i).is_some_and(Option::is_none) && !f.is_directory && !f.is_anti_item
        {
            if visited >= limits.max_entries {
                break;
            }
            visited += 1;
            let entry = Entry { name: f.name.clone(), offset: 0, declared_size: Some(f.size), kind: EntryKind::File };
            let mut empty = spool();
            visit(&entry, &mut empty, 0);
        }
    }
    log.finish()
}

/// Reads one entry through a bounded pump and visits it; false to skip the
/// rest of the block.
#[allow(clippy::too_many_arguments)]
fn entry(
    f: &ArchiveEntry,
    r: &mut dyn Read,
    block_packed: u64,
    limits: &Limits,
    budget: &Budget,
    log: &mut AnomalyLog,
    visited: &mut u64,
    in_visitor: &Cell<bool>,
    visit: &mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64),
) -> bool {
    if *visited >= limits.max_entries {
        return false;
    }
    if f.is_directory || f.is_anti_item {
        return true;
    }
    *visited += 1;
    let anomaly = |kind, detail: String| Anomaly::new(kind, detail).member(f.name.clone());
    let mut pump = Pump::new(block_packed, limits, budget, "7z");
    pump.guard(|p| p.feed(r));
    let (mut data, n, _crc, stop) = match pump.finish_with_crc() {
        Ok(d) => d,
        Err(a) => {
            log.push(anomaly(a.kind, a.detail));
            return false;
        }
    };
    let symlink = is_symlink(f);
    let kind = if symlink {
        let mut b = Vec::new();
        let _ = (&mut data).take(LINK_TARGET_MAX).read_to_end(&mut b);
        let _ = data.seek(SeekFrom::Start(0));
        let target = String::from_utf8_lossy(&b).into_owned();
        log.push(anomaly(AnomalyKind::Link, format!("symbolic link to {target:?}")));
        if is_traversal(&target) {
            log.push(anomaly(
                AnomalyKind::PathTraversal,
                format!("symbolic link target {target:?} leaves the extraction folder"),
            ));
        }
        EntryKind::Symlink { target }
    } else {
        EntryKind::File
    };
    let entry = Entry { name: f.name.clone(), offset: 0, declared_size: Some(f.size), kind };
    in_visitor.set(true);
    visit(&entry, &mut data, n);
    in_visitor.set(false);
    match stop {
        Some(a) => {
            log.push(anomaly(a.kind, a.detail));
            false
        }
        None => {
            if n != f.size {
                log.push(anomaly(AnomalyKind::SizeMismatch, format!("declares {} bytes but decodes to {n}", f.size)));
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn make(entries: &[(&str, &[u8])], solid: bool) -> Vec<u8> {
        let mut w = sevenz_rust2::ArchiveWriter::new(Cursor::new(Vec::new())).unwrap();
        if solid {
            let list = entries.iter().map(|(n, _)| ArchiveEntry::new_file(n)).collect();
            let readers = entries.iter().map(|(_, d)| sevenz_rust2::SourceReader::new(*d)).collect();
            w.push_archive_entries(list, readers).unwrap();
        } else {
            for (n, d) in entries {
                w.push_archive_entry(ArchiveEntry::new_file(n), Some(*d)).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn run(bytes: &[u8]) -> (Vec<(Entry, Vec<u8>)>, Vec<Anomaly>) {
        let limits = Limits { max_decompressed_bytes: 64 << 20, ..Limits::default() };
        let budget = Budget::new(1 << 30);
        let mut seen = Vec::new();
        let a = walk(&mut Cursor::new(bytes), bytes.len() as u64, &limits, &budget, &mut |e, r, n| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            assert_eq!(v.len() as u64, n);
            seen.push((e.clone(), v));
        });
        (seen, a)
    }

    #[test]
    fn one_member() {
        let bytes = make(&[("model/data.pkl", b"\x80\x02K\x01.")], false);
        assert!(sniff(&bytes));
        let (seen, a) = run(&bytes);
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0.name, "model/data.pkl");
        assert_eq!(seen[0].1, b"\x80\x02K\x01.");
    }

    #[test]
    fn solid_members_and_traversal() {
        let big: Vec<u8> = (0..50_000u32).map(|i| (i % 13) as u8).collect();
        let bytes = make(&[("../up.pkl", b"evil"), ("b", &big), ("empty", b"")], true);
        let (seen, a) = run(&bytes);
        assert_eq!(a.iter().map(|a| a.kind).collect::<Vec<_>>(), vec![AnomalyKind::PathTraversal]);
        let names: Vec<_> = seen.iter().map(|s| s.0.name.as_str()).collect();
        assert_eq!(names, vec!["../up.pkl", "b", "empty"]);
        assert_eq!(seen[1].1, big);
    }

    #[test]
    fn bomb_stops() {
        let zeros = vec![0u8; 8 << 20];
        let bytes = make(&[("z", &zeros)], false);
        let limits = Limits { max_decompressed_bytes: 1 << 20, max_ratio: 1_000_000, ..Limits::default() };
        let budget = Budget::new(1 << 30);
        let mut got = 0;
        let a = walk(&mut Cursor::new(&bytes), bytes.len() as u64, &limits, &budget, &mut |_, _, n| got = n);
        assert!(a.iter().any(|a| a.kind == AnomalyKind::Bomb), "{a:?}");
        assert!(got <= 1 << 20);
    }

    #[test]
    fn corrupt_is_malformed() {
        let mut bytes = make(&[("a", b"hello hello hello")], false);
        let (_, a) = run(&bytes[..20]);
        assert!(!a.is_empty());
        let n = bytes.len();
        bytes[n - 10] ^= 0xff;
        let (_, a) = run(&bytes);
        assert!(!a.is_empty());
        let (_, a) = run(b"7z\xbc\xaf\x27\x1c garbage");
        assert!(!a.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = run(&data);
            let mut sig = SIGNATURE.to_vec();
            sig.extend(&data);
            let _ = run(&sig);
        }

        #[test]
        fn mutated_7z_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let mut b = make(&[("a", b"hello hello hello hello"), ("b", b"world")], true);
            for (at, x) in edits {
                let i = at % b.len();
                b[i] = x;
            }
            let _ = run(&b);
        }
    }
}
