//! TAR archives, iterated with the `tar` crate (headers only; nothing is ever
//! unpacked). Regular members are visited as a [`Window`] onto the source at
//! the member's raw data position, so nothing is copied or read unless the
//! visitor reads it.
//!
//! Reported: absolute or `..` names ([`AnomalyKind::PathTraversal`]), symbolic
//! and hard links ([`AnomalyKind::Link`]; a target that is absolute or climbs
//! with `..` is also a traversal), repeated names, malformed headers (members
//! before the bad header are still visited), members running past the end of
//! the file, and more members than `max_entries`.
//!
//! Known limit: the `tar` crate reads GNU long-name and PAX extension members
//! into memory whole, so memory for those is bounded by the file's size only.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};

use crate::Limits;
use crate::container::{Anomaly, AnomalyKind, AnomalyLog, Budget, Entry, EntryKind, ReadSeek, Window, is_traversal};

/// True if `head` (at least 512 bytes) starts with a tar header: the `ustar`
/// magic at offset 257, or an old (v7) header whose checksum, name, mode and
/// size fields are all valid.
pub fn sniff(head: &[u8]) -> bool {
    let Some(h) = head.get(..512) else {
        return false;
    };
    if h.get(257..262) == Some(&b"ustar"[..]) && matches!(h.get(262), Some(0 | b' ')) {
        return true;
    }
    // v7: a name, octal mode and size, and a matching header checksum.
    let name_ok = h.first().is_some_and(|&b| b != 0);
    let (Some(mode), Some(size), Some(chk)) = (h.get(100..108), h.get(124..136), h.get(148..156)) else {
        return false;
    };
    let (Some(_), Some(_), Some(stored)) = (octal(mode), octal(size), octal(chk)) else {
        return false;
    };
    let sum: u64 =
        h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { u64::from(b' ') } else { u64::from(b) }).sum();
    name_ok && stored == sum && sum != 8 * u64::from(b' ')
}

/// Parses a tar octal field: optional leading spaces, at least one octal
/// digit, then only NULs or spaces.
fn octal(field: &[u8]) -> Option<u64> {
    let s = field.iter().skip_while(|&&b| b == b' ');
    let mut v: u64 = 0;
    let mut digits = 0;
    let mut ended = false;
    for &b in s {
        match b {
            b'0'..=b'7' if !ended => {
                v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
                digits += 1;
            }
            0 | b' ' => ended = true,
            _ => return None,
        }
    }
    (digits > 0).then_some(v)
}

/// One member as the headers describe it.
struct Item {
    name: String,
    kind: EntryKind,
    header: u64,
    data: u64,
    size: u64,
}

/// Walks a tar archive of `len` bytes and calls `visit` for every regular
/// member with a window onto its data and the data's length. `budget` is
/// unused (nothing is decompressed) but kept so every reader has one shape.
pub fn walk(
    src: &mut dyn ReadSeek,
    len: u64,
    limits: &Limits,
    _budget: &Budget,
    visit: &mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64),
) -> Vec<Anomaly> {
    let mut log = AnomalyLog::new();
    let mut items = Vec::new();
    // Headers only; a panic in the tar crate is reported, not propagated
    // (nothing of ours, and no visitor, runs in here).
    let read = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut archive = tar::Archive::new(Window::new(&mut *src, 0, len));
        match archive.entries_with_seek() {
            Err(e) => log.push(Anomaly::new(AnomalyKind::Malformed, format!("cannot read tar headers: {e}"))),
            Ok(entries) => {
                for entry in entries {
                    let entry = match entry {
                        Ok(e) => e,
                        Err(e) => {
                            let after = items.last().map_or(0, |i: &Item| i.data.saturating_add(i.size));
                            log.push(
                                Anomaly::new(
                                    AnomalyKind::Malformed,
                                    format!("bad tar header after offset {after}: {e}"),
                                )
                                .at(after),
                            );
                            break;
                        }
                    };
                    if items.len() as u64 >= limits.max_entries {
                        log.push(Anomaly::new(
                            AnomalyKind::TooManyEntries,
                            format!("more than {} members; the rest are not read", limits.max_entries),
                        ));
                        break;
                    }
                    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                    let target = || {
                        entry.link_name_bytes().map(|t| String::from_utf8_lossy(&t).into_owned()).unwrap_or_default()
                    };
                    let et = entry.header().entry_type();
                    let kind = match et {
                        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                            EntryKind::File
                        }
                        tar::EntryType::Directory => EntryKind::Dir,
                        tar::EntryType::Symlink => EntryKind::Symlink { target: target() },
                        tar::EntryType::Link => EntryKind::Hardlink { target: target() },
                        tar::EntryType::Char
                        | tar::EntryType::Block
                        | tar::EntryType::Fifo
                        | tar::EntryType::GNULongName
                        | tar::EntryType::GNULongLink
                        | tar::EntryType::XGlobalHeader
                        | tar::EntryType::XHeader => EntryKind::Other,
                        // GNU tar extracts unknown types as regular files.
                        _ => EntryKind::File,
                    };
                    let size = if et == tar::EntryType::GNUSparse {
                        entry.header().entry_size().unwrap_or(0)
                    } else {
                        entry.size()
                    };
                    items.push(Item {
                        name,
                        kind,
                        header: entry.raw_header_position(),
                        data: entry.raw_file_position(),
                        size,
                    });
                }
            }
        }
    }));
    if read.is_err() {
        log.push(Anomaly::new(AnomalyKind::Malformed, "tar header parser panicked; later members not read"));
    }

    let mut names = HashSet::new();
    for it in &items {
        let at = |kind, detail: String| Anomaly::new(kind, detail).member(it.name.clone()).at(it.header);
        if is_traversal(&it.name) {
            log.push(at(AnomalyKind::PathTraversal, format!("member name {:?} leaves the extraction folder", it.name)));
        }
        if !names.insert(it.name.as_str()) && it.kind != EntryKind::Dir {
            log.push(at(AnomalyKind::DuplicateName, format!("member name {:?} appears more than once", it.name)));
        }
        match &it.kind {
            EntryKind::Symlink { target } | EntryKind::Hardlink { target } => {
                let what = if matches!(it.kind, EntryKind::Symlink { .. }) { "symbolic" } else { "hard" };
                log.push(at(AnomalyKind::Link, format!("{what} link to {target:?}")));
                if is_traversal(target) {
                    log.push(at(
                        AnomalyKind::PathTraversal,
                        format!("{what} link target {target:?} leaves the extraction folder"),
                    ));
                }
            }
            EntryKind::File => {
                let end = it.data.saturating_add(it.size);
                let avail = if end > len {
                    log.push(at(
                        AnomalyKind::Truncated,
                        format!(
                            "member data of {} bytes at {} runs past the end of the {len}-byte file",
                            it.size, it.data
                        ),
                    ));
                    len.saturating_sub(it.data)
                } else {
                    it.size
                };
                let entry = Entry {
                    name: it.name.clone(),
                    offset: it.header,
                    declared_size: Some(it.size),
                    kind: EntryKind::File,
                };
                let mut w = Window::new(&mut *src, it.data, avail);
                visit(&entry, &mut w, avail);
            }
            EntryKind::Dir | EntryKind::Other => {}
        }
    }
    log.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn header(name: &str, size: u64, kind: tar::EntryType) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_size(size);
        h.set_entry_type(kind);
        h.set_mode(0o644);
        h.set_cksum();
        h
    }

    /// Writes a raw header (bypassing the builder's path checks).
    fn raw_header(name: &[u8], size: u64, kind: u8, link: &[u8]) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name);
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = kind;
        h[157..157 + link.len()].copy_from_slice(link);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    fn run(bytes: &[u8]) -> (Vec<(Entry, Vec<u8>)>, Vec<Anomaly>) {
        let budget = Budget::new(1 << 30);
        let mut seen = Vec::new();
        let a = walk(&mut Cursor::new(bytes), bytes.len() as u64, &Limits::default(), &budget, &mut |e, r, n| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            assert_eq!(v.len() as u64, n);
            seen.push((e.clone(), v));
        });
        (seen, a)
    }

    fn kinds(a: &[Anomaly]) -> Vec<AnomalyKind> {
        a.iter().map(|a| a.kind).collect()
    }

    fn sample() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        b.append(&header("model/data.pkl", 5, tar::EntryType::Regular), &b"hello"[..]).unwrap();
        b.append(&header("model/", 0, tar::EntryType::Directory), &b""[..]).unwrap();
        let long = format!("model/{}/weights.bin", "x".repeat(150));
        let mut h = header("placeholder", 6, tar::EntryType::Regular);
        b.append_data(&mut h, &long, &b"tensor"[..]).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn regular_members_visited() {
        let bytes = sample();
        assert!(sniff(&bytes));
        let (seen, a) = run(&bytes);
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].0.name, "model/data.pkl");
        assert_eq!(seen[0].1, b"hello");
        assert!(seen[1].0.name.ends_with("/weights.bin") && seen[1].0.name.len() > 100);
        assert_eq!(seen[1].1, b"tensor");
    }

    #[test]
    fn traversal_and_links() {
        let mut bytes = Vec::new();
        bytes.extend(raw_header(b"../evil.pkl", 3, b'0', b""));
        bytes.extend([b'a'; 3]);
        bytes.extend([0u8; 509]);
        bytes.extend(raw_header(b"/etc/cron.d/job", 0, b'0', b""));
        bytes.extend(raw_header(b"passwd", 0, b'1', b"/etc/passwd"));
        bytes.extend(raw_header(b"sym", 0, b'2', b"../../home"));
        bytes.extend(raw_header(b"ok-sym", 0, b'2', b"inside/file"));
        bytes.extend([0u8; 1024]);
        let (seen, a) = run(&bytes);
        assert_eq!(
            kinds(&a),
            vec![
                AnomalyKind::PathTraversal,
                AnomalyKind::PathTraversal,
                AnomalyKind::Link,
                AnomalyKind::PathTraversal,
                AnomalyKind::Link,
                AnomalyKind::PathTraversal,
                AnomalyKind::Link,
            ]
        );
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].1, b"aaa");
    }

    #[test]
    fn malformed_keeps_earlier_members() {
        let mut bytes = sample();
        // Corrupt the directory header's checksum (second header at 1024).
        bytes[1024 + 148] = b'9';
        let (seen, a) = run(&bytes);
        assert_eq!(kinds(&a), vec![AnomalyKind::Malformed]);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].1, b"hello");
    }

    #[test]
    fn truncated_member_clipped() {
        let mut bytes = raw_header(b"big", 10_000, b'0', b"").to_vec();
        bytes.extend([1u8; 100]);
        let (seen, a) = run(&bytes);
        assert!(a.iter().any(|a| a.kind == AnomalyKind::Truncated), "{a:?}");
        assert!(seen.iter().all(|s| s.1.len() <= 100));
    }

    #[test]
    fn too_many_entries() {
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..10 {
            b.append(&header(&format!("f{i}"), 1, tar::EntryType::Regular), &b"x"[..]).unwrap();
        }
        let bytes = b.into_inner().unwrap();
        let lim = Limits { max_entries: 3, ..Limits::default() };
        let mut n = 0;
        let a = walk(&mut Cursor::new(&bytes), bytes.len() as u64, &lim, &Budget::new(0), &mut |_, _, _| n += 1);
        assert_eq!(kinds(&a), vec![AnomalyKind::TooManyEntries]);
        assert_eq!(n, 3);
    }

    #[test]
    fn sniff_is_strict() {
        assert!(!sniff(&[0u8; 512]));
        assert!(!sniff(&[b' '; 512]));
        assert!(!sniff(b"ustar"));
        let mut v7 = raw_header(b"file", 1, b'0', b"");
        v7[257..265].fill(0);
        v7[148..156].copy_from_slice(b"        ");
        let sum: u32 = v7.iter().map(|&b| u32::from(b)).sum();
        v7[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert!(sniff(&v7));
        v7[0] = b'g';
        assert!(!sniff(&v7));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = sniff(&data);
            let _ = run(&data);
        }

        #[test]
        fn mutated_tar_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16)) {
            let mut t = sample();
            for (at, b) in edits {
                let i = at % t.len();
                t[i] = b;
            }
            let _ = run(&t);
        }
    }
}
