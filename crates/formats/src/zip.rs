//! A ZIP reader of our own, written to see what every other reader sees.
//!
//! Malicious PyTorch checkpoints exploit differences between ZIP readers: a
//! name that differs between the local header and the central directory, flag
//! bits that Python refuses and PyTorch ignores, a bad CRC, a lying size, a
//! member the central directory does not list. This reader reports each of
//! those as an [`Anomaly`] and still hands every member it can find to the
//! visitor:
//!
//! 1. the End Of Central Directory record is found by scanning back at most
//!    65,557 bytes from the end (ZIP64 locator and record honoured);
//! 2. central directory entries are read in order (at most `max_entries`), and
//!    each one's local header is read and compared with it;
//! 3. stored members are visited as a [`Window`] onto the source (nothing is
//!    read unless the visitor reads it); compressed ones are decoded into a
//!    bounded [`Spool`](crate::container::Spool) first;
//! 4. bytes that belong to no listed member are scanned for unlisted local
//!    headers, which are visited too ([`AnomalyKind::HiddenData`]);
//! 5. with no usable central directory the whole file is walked by its local
//!    headers ([`AnomalyKind::Truncated`] / [`AnomalyKind::Malformed`]).

use std::collections::HashSet;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::Limits;
use crate::compress::{Counted, Pump, zstd_frames};
use crate::container::{Anomaly, AnomalyKind, AnomalyLog, Budget, Entry, EntryKind, ReadSeek, Window, is_traversal};

const SIG_LOCAL: [u8; 4] = *b"PK\x03\x04";
const SIG_CENTRAL: [u8; 4] = *b"PK\x01\x02";
const SIG_EOCD: [u8; 4] = *b"PK\x05\x06";
const SIG_EOCD64: [u8; 4] = *b"PK\x06\x06";
const SIG_LOCATOR64: [u8; 4] = *b"PK\x06\x07";
const SIG_DESCRIPTOR: [u8; 4] = *b"PK\x07\x08";

/// How far back from the end the EOCD record can start (22 + 65,535 comment).
const EOCD_SEARCH: u64 = 65_557;
/// Most bytes of unlisted gaps scanned for local headers in one archive.
const SCAN_LIMIT: u64 = 256 << 20;
/// Stored members up to this size have their CRC checked even if the visitor
/// does not read them all; larger ones only when the visitor reads them through.
const CRC_READ_LIMIT: u64 = 16 << 20;
/// A visitor that read no further than this into a stored member took it for
/// opaque data after a look at its first bytes (a checkpoint's tensor
/// storages): its CRC is checked only if at most this much is left to read.
/// Its bytes run nothing, and reading them for the CRC alone would make a
/// scan of a checkpoint cost a read of all its weights.
const OPAQUE_SPAN: u64 = 64 << 10;
/// Most bytes of a symlink member read as its target.
const LINK_TARGET_MAX: u64 = 4096;
/// General-purpose flag bits: encrypted, compressed patched data, strong encryption.
const SUSPECT_FLAGS: u16 = 0x0001 | 0x0020 | 0x0040;

/// True if `head` starts like a ZIP file (local header, empty archive or
/// spanned-archive marker).
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(&SIG_LOCAL) || head.starts_with(&SIG_EOCD) || head.starts_with(&SIG_DESCRIPTOR)
}

fn le16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at.saturating_add(2)) {
        Some(&[x, y]) => u16::from_le_bytes([x, y]),
        _ => 0,
    }
}

fn le32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.saturating_add(4)) {
        Some(&[a, b2, c, d]) => u32::from_le_bytes([a, b2, c, d]),
        _ => 0,
    }
}

fn le64(b: &[u8], at: usize) -> u64 {
    let lo = u64::from(le32(b, at));
    let hi = u64::from(le32(b, at.saturating_add(4)));
    lo | (hi << 32)
}

/// The source with its length; every read is checked against the length.
struct Src<'a> {
    r: &'a mut dyn ReadSeek,
    len: u64,
}

impl Src<'_> {
    /// Fills `buf` from `off`; false if that would pass the end or the read fails.
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> bool {
        let Some(end) = off.checked_add(buf.len() as u64) else {
            return false;
        };
        if end > self.len {
            return false;
        }
        self.r.seek(SeekFrom::Start(off)).is_ok() && self.r.read_exact(buf).is_ok()
    }

    /// Reads `n` bytes (a 16-bit field's worth, so small) at `off`.
    fn read_vec(&mut self, off: u64, n: u16) -> Option<Vec<u8>> {
        let mut v = vec![0u8; usize::from(n)];
        self.read_at(off, &mut v).then_some(v)
    }

    fn sig_at(&mut self, off: u64, sig: [u8; 4]) -> bool {
        let mut b = [0u8; 4];
        self.read_at(off, &mut b) && b == sig
    }

    /// First offset in `[from, to)` where one of `sigs` starts, reading in chunks.
    /// Charges the bytes read to `scanned`; gives up when it passes [`SCAN_LIMIT`].
    fn find_sig(&mut self, from: u64, to: u64, sigs: &[[u8; 4]], scanned: &mut u64) -> Option<u64> {
        let to = to.min(self.len);
        let mut pos = from;
        let mut buf = vec![0u8; 64 << 10];
        while pos.saturating_add(4) <= to {
            if *scanned >= SCAN_LIMIT {
                return None;
            }
            let want = (to - pos).min(buf.len() as u64);
            let Ok(want_usize) = usize::try_from(want) else {
                return None;
            };
            let chunk = buf.get_mut(..want_usize)?;
            if !self.read_at(pos, chunk) {
                return None;
            }
            *scanned = scanned.saturating_add(want);
            for i in 0..chunk.len().saturating_sub(3) {
                if let Some(w) = chunk.get(i..i + 4)
                    && sigs.iter().any(|s| s == w)
                {
                    return Some(pos + i as u64);
                }
            }
            if want < 4 {
                return None;
            }
            // Overlap by three bytes so a signature across chunks is found.
            pos += want - 3;
        }
        None
    }
}

/// Values from the ZIP64 extended information extra field (id 0x0001), each
/// present only where the fixed field holds its all-ones marker.
fn zip64_extra(
    extra: &[u8],
    usize32: u32,
    csize32: u32,
    offset32: Option<u32>,
) -> (Option<u64>, Option<u64>, Option<u64>) {
    let mut i = 0usize;
    while let (Some(id), Some(size)) = (extra.get(i..i + 2), extra.get(i + 2..i + 4)) {
        let id = u16::from_le_bytes([id[0], id[1]]);
        let size = usize::from(u16::from_le_bytes([size[0], size[1]]));
        let body_start = i + 4;
        let Some(body) = extra.get(body_start..body_start.saturating_add(size)) else {
            break;
        };
        if id == 1 {
            let mut at = 0usize;
            let mut next = |wanted: bool| -> Option<u64> {
                if !wanted || at + 8 > body.len() {
                    return None;
                }
                let v = le64(body, at);
                at += 8;
                Some(v)
            };
            let u = next(usize32 == u32::MAX);
            let c = next(csize32 == u32::MAX);
            let o = next(offset32 == Some(u32::MAX));
            return (u, c, o);
        }
        i = body_start + size;
    }
    (None, None, None)
}

/// One central directory entry.
#[derive(Debug, Clone)]
struct Central {
    raw_name: Vec<u8>,
    name: String,
    made_by: u16,
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    /// Local header offset, with any prefix shift applied.
    offset: u64,
    ext_attr: u32,
    zip64: bool,
}

/// One local header.
#[derive(Debug, Clone)]
struct Local {
    raw_name: Vec<u8>,
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    data_start: u64,
    zip64: bool,
}

fn read_local(src: &mut Src<'_>, off: u64) -> Option<Local> {
    let mut h = [0u8; 30];
    if !src.read_at(off, &mut h) || h[..4] != SIG_LOCAL {
        return None;
    }
    let n = le16(&h, 26);
    let e = le16(&h, 28);
    let raw_name = src.read_vec(off + 30, n)?;
    let extra = src.read_vec(off + 30 + u64::from(n), e)?;
    let csize32 = le32(&h, 18);
    let usize32 = le32(&h, 22);
    let (u64v, c64v, _) = zip64_extra(&extra, usize32, csize32, None);
    Some(Local {
        raw_name,
        flags: le16(&h, 6),
        method: le16(&h, 8),
        crc: le32(&h, 14),
        csize: c64v.unwrap_or(u64::from(csize32)),
        usize: u64v.unwrap_or(u64::from(usize32)),
        data_start: off + 30 + u64::from(n) + u64::from(e),
        zip64: u64v.is_some() || c64v.is_some(),
    })
}

/// Where the End Of Central Directory says the central directory is.
#[derive(Debug)]
struct Eocd {
    pos: u64,
    /// End of the record and its comment, clipped to the file.
    end: u64,
    entries: u64,
    cd_size: u64,
    cd_offset: u64,
    split: bool,
    /// Where the ZIP64 record starts and where the locator after it ends, if used.
    zip64: Option<(u64, u64)>,
}

fn find_eocd(src: &mut Src<'_>, log: &mut AnomalyLog) -> Option<Eocd> {
    if src.len < 22 {
        return None;
    }
    let start = src.len.saturating_sub(EOCD_SEARCH);
    let tail_len = usize::try_from(src.len - start).ok()?;
    let mut tail = vec![0u8; tail_len];
    if !src.read_at(start, &mut tail) {
        return None;
    }
    let mut exact = None;
    let mut first = None;
    for i in (0..=tail_len.saturating_sub(22)).rev() {
        if tail.get(i..i + 4) == Some(&SIG_EOCD[..]) {
            let comment = usize::from(le16(&tail, i + 20));
            if i + 22 + comment == tail_len {
                exact = Some(i);
                break;
            }
            if first.is_none() {
                first = Some(i);
            }
        }
    }
    let i = exact.or(first)?;
    let pos = start + i as u64;
    let rec = tail.get(i..)?;
    let comment = u64::from(le16(rec, 20));
    let end = (pos + 22 + comment).min(src.len);
    if pos + 22 + comment > src.len {
        log.push(
            Anomaly::new(
                AnomalyKind::Truncated,
                format!("end-of-central-directory comment of {comment} bytes runs past the end of the file"),
            )
            .at(pos),
        );
    }
    let mut eocd = Eocd {
        pos,
        end,
        entries: u64::from(le16(rec, 10)),
        cd_size: u64::from(le32(rec, 12)),
        cd_offset: u64::from(le32(rec, 16)),
        split: le16(rec, 4) != 0 || le16(rec, 6) != 0,
        zip64: None,
    };
    // ZIP64: a locator just before the EOCD points at the ZIP64 EOCD record.
    if pos >= 20 {
        let mut loc = [0u8; 20];
        if src.read_at(pos - 20, &mut loc) && loc[..4] == SIG_LOCATOR64 {
            let declared = le64(&loc, 8);
            let mut rec64 = [0u8; 56];
            let mut at = None;
            for cand in [Some(declared), (pos - 20).checked_sub(56)].into_iter().flatten() {
                if src.read_at(cand, &mut rec64) && rec64[..4] == SIG_EOCD64 {
                    at = Some(cand);
                    break;
                }
            }
            match at {
                Some(at) => {
                    if at != declared {
                        log.push(
                            Anomaly::new(
                                AnomalyKind::HeaderMismatch,
                                format!("ZIP64 locator points at {declared} but the ZIP64 record is at {at}"),
                            )
                            .at(pos - 20),
                        );
                    }
                    eocd.entries = le64(&rec64, 32);
                    eocd.cd_size = le64(&rec64, 40);
                    eocd.cd_offset = le64(&rec64, 48);
                    eocd.split |= le32(&rec64, 16) != 0 || le32(&rec64, 20) != 0;
                    eocd.zip64 = Some((at, pos));
                }
                None => log.push(
                    Anomaly::new(
                        AnomalyKind::Malformed,
                        "ZIP64 locator points at no ZIP64 end-of-central-directory record",
                    )
                    .at(pos - 20),
                ),
            }
        }
    }
    Some(eocd)
}

/// Reads central directory entries from `start` while their signature holds.
fn read_central(
    src: &mut Src<'_>,
    start: u64,
    shift: u64,
    limits: &Limits,
    log: &mut AnomalyLog,
) -> (Vec<Central>, u64) {
    let mut out = Vec::new();
    let mut pos = start;
    loop {
        let mut h = [0u8; 46];
        if !src.read_at(pos, &mut h) || h[..4] != SIG_CENTRAL {
            break;
        }
        if out.len() as u64 >= limits.max_entries {
            log.push(
                Anomaly::new(
                    AnomalyKind::TooManyEntries,
                    format!("central directory has more than {} entries; the rest are not read", limits.max_entries),
                )
                .at(pos),
            );
            break;
        }
        let n = le16(&h, 28);
        let e = le16(&h, 30);
        let c = le16(&h, 32);
        let (Some(raw_name), Some(extra)) = (src.read_vec(pos + 46, n), src.read_vec(pos + 46 + u64::from(n), e))
        else {
            log.push(
                Anomaly::new(AnomalyKind::Truncated, "central directory entry runs past the end of the file").at(pos),
            );
            break;
        };
        let usize32 = le32(&h, 24);
        let csize32 = le32(&h, 20);
        let off32 = le32(&h, 42);
        let (u, cz, o) = zip64_extra(&extra, usize32, csize32, Some(off32));
        let name = String::from_utf8_lossy(&raw_name).into_owned();
        out.push(Central {
            name,
            raw_name,
            made_by: le16(&h, 4),
            flags: le16(&h, 8),
            method: le16(&h, 10),
            crc: le32(&h, 16),
            csize: cz.unwrap_or(u64::from(csize32)),
            usize: u.unwrap_or(u64::from(usize32)),
            offset: o.unwrap_or(u64::from(off32)).saturating_add(shift),
            ext_attr: le32(&h, 38),
            zip64: u.is_some() || cz.is_some() || o.is_some(),
        });
        pos = pos + 46 + u64::from(n) + u64::from(e) + u64::from(c);
    }
    (out, pos)
}

/// A member about to be visited, from the central directory or a local header.
struct Member<'c> {
    /// Borrowed from the central directory entry, when the member comes from one.
    name: std::borrow::Cow<'c, str>,
    raw_name: std::borrow::Cow<'c, [u8]>,
    header: u64,
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    symlink: bool,
    data_start: u64,
    /// A data descriptor may follow the data: sizes above may be zero.
    zip64: bool,
}

/// Everything the walk carries along.
struct Walk<'s, 'v> {
    src: Src<'s>,
    limits: &'v Limits,
    budget: &'v Budget,
    visit: &'v mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64),
    log: AnomalyLog,
    names: HashSet<Vec<u8>>,
    scanned: u64,
    visited: u64,
}

fn method_name(method: u16) -> &'static str {
    match method {
        0 => "stored",
        8 => "deflate",
        9 => "deflate64",
        12 => "bzip2",
        14 => "lzma",
        93 => "zstd",
        95 => "xz",
        96 => "jpeg",
        97 => "wavpack",
        98 => "ppmd",
        99 => "aes",
        _ => "unknown-method",
    }
}

/// Hashes a stored member's bytes as the visitor reads them: the CRC-32 of its
/// first `hashed` bytes, whatever order the visitor reads and rereads them in.
struct CrcTap<R> {
    inner: R,
    hasher: crc32fast::Hasher,
    hashed: u64,
    pos: u64,
    /// The furthest offset the visitor read to.
    furthest: u64,
}

impl<R: Read> Read for CrcTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let end = self.pos + n as u64;
        // A read that reaches past what is hashed and starts no later: hash the new part.
        if self.pos <= self.hashed
            && end > self.hashed
            && let Some(b) = buf.get(usize::try_from(self.hashed - self.pos).unwrap_or(usize::MAX)..n)
        {
            self.hasher.update(b);
            self.hashed = end;
        }
        self.pos = end;
        self.furthest = self.furthest.max(end);
        Ok(n)
    }
}

impl<R: Seek> Seek for CrcTap<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

impl Walk<'_, '_> {
    fn push(&mut self, a: Anomaly) {
        self.log.push(a);
    }

    /// Checks a member's metadata, decodes it and visits it. Returns the end of
    /// its data (clipped to the file).
    fn member(&mut self, m: &Member<'_>) -> u64 {
        let anomaly = |kind, detail: String| Anomaly::new(kind, detail).member(m.name.to_string()).at(m.header);

        if is_traversal(&m.name) {
            self.push(anomaly(
                AnomalyKind::PathTraversal,
                format!("member name {:?} leaves the extraction folder", m.name),
            ));
        }
        if !self.names.insert(m.raw_name.to_vec()) {
            self.push(anomaly(AnomalyKind::DuplicateName, format!("member name {:?} appears more than once", m.name)));
        }
        if m.flags & SUSPECT_FLAGS != 0 {
            self.push(anomaly(
                AnomalyKind::FlagBits,
                format!(
                    "general-purpose flags {:#06x} mark the member encrypted or patched; read as plain data",
                    m.flags
                ),
            ));
        }
        let data_end_declared = m.data_start.saturating_add(m.csize);
        let avail = if data_end_declared > self.src.len {
            self.push(anomaly(
                AnomalyKind::Truncated,
                format!(
                    "member data declared as {} bytes at {} runs past the end of the {}-byte file",
                    m.csize, m.data_start, self.src.len
                ),
            ));
            self.src.len.saturating_sub(m.data_start)
        } else {
            m.csize
        };
        let data_end = m.data_start.saturating_add(avail);
        let is_dir = m.name.ends_with('/');
        if is_dir && avail == 0 && m.usize == 0 {
            return data_end;
        }
        let entry_kind = |target: Option<String>| match target {
            Some(target) => EntryKind::Symlink { target },
            None if is_dir => EntryKind::Dir,
            None => EntryKind::File,
        };
        let encrypted = m.flags & 1 != 0;

        if m.method == 0 {
            if m.usize != m.csize {
                self.push(anomaly(
                    AnomalyKind::SizeMismatch,
                    format!("stored member declares {} bytes uncompressed but holds {}", m.usize, m.csize),
                ));
            }
            let target = if m.symlink { Some(self.stored_prefix(m.data_start, avail)) } else { None };
            self.link_checks(m, target.as_deref());
            let entry = Entry {
                name: m.name.to_string(),
                offset: m.header,
                declared_size: Some(m.usize),
                kind: entry_kind(target),
            };
            let mut tap = CrcTap {
                inner: Window::new(&mut *self.src.r, m.data_start, avail),
                hasher: crc32fast::Hasher::new(),
                hashed: 0,
                pos: 0,
                furthest: 0,
            };
            (self.visit)(&entry, &mut tap, avail);
            self.visited += 1;
            let left = avail - tap.hashed.min(avail);
            let opaque = tap.furthest <= OPAQUE_SPAN && left > OPAQUE_SPAN;
            let crc = if left == 0 {
                Some(tap.hasher.finalize())
            } else if avail <= CRC_READ_LIMIT && !opaque {
                // The rest of the member, from where the visitor's reads stopped.
                let (mut hasher, from) = (tap.hasher, tap.hashed);
                let mut w = Window::new(&mut *self.src.r, m.data_start, avail);
                let mut buf = vec![0u8; usize::try_from(left).unwrap_or(usize::MAX).min(64 << 10)];
                let mut total = from;
                if w.seek(SeekFrom::Start(from)).is_ok() {
                    loop {
                        match w.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                hasher.update(buf.get(..n).unwrap_or_default());
                                total += n as u64;
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(_) => break,
                        }
                    }
                }
                (total == avail).then(|| hasher.finalize())
            } else {
                None
            };
            if let Some(crc) = crc
                && crc != m.crc
            {
                self.push(anomaly(
                    AnomalyKind::BadCrc,
                    format!("stored CRC-32 {:#010x} but the data hashes to {crc:#010x}", m.crc),
                ));
                if encrypted {
                    self.push(anomaly(
                        AnomalyKind::Encrypted,
                        "member is flagged encrypted and its data does not check out as plain".into(),
                    ));
                }
            }
            return data_end;
        }

        if !matches!(m.method, 8 | 12 | 14 | 93 | 95) {
            self.push(anomaly(
                AnomalyKind::UnsupportedMethod,
                format!("compression method {} ({}) is not decoded", m.method, method_name(m.method)),
            ));
            if encrypted && m.method == 99 {
                self.push(anomaly(AnomalyKind::Encrypted, "member is AES-encrypted (method 99)".into()));
            }
            return data_end;
        }

        let decoded = self.decode(m, avail);
        let (mut spool, real, crc, stop) = match decoded {
            Ok(d) => d,
            Err(a) => {
                let kind = a.kind;
                self.push(anomaly(kind, a.detail));
                if encrypted {
                    self.push(anomaly(
                        AnomalyKind::Encrypted,
                        "member is flagged encrypted and does not decode as plain data".into(),
                    ));
                }
                return data_end;
            }
        };
        let clean = stop.is_none();
        if let Some(a) = stop {
            let kind = a.kind;
            self.push(anomaly(kind, a.detail));
            if encrypted && kind != AnomalyKind::Bomb {
                self.push(anomaly(
                    AnomalyKind::Encrypted,
                    "member is flagged encrypted and does not decode as plain data".into(),
                ));
            }
        }
        let target = if m.symlink {
            let mut b = Vec::new();
            let _ = (&mut spool).take(LINK_TARGET_MAX).read_to_end(&mut b);
            let _ = spool.seek(SeekFrom::Start(0));
            Some(String::from_utf8_lossy(&b).into_owned())
        } else {
            None
        };
        self.link_checks(m, target.as_deref());
        let entry = Entry {
            name: m.name.to_string(),
            offset: m.header,
            declared_size: Some(m.usize),
            kind: entry_kind(target),
        };
        (self.visit)(&entry, &mut spool, real);
        self.visited += 1;
        if clean {
            if crc != m.crc {
                self.push(anomaly(
                    AnomalyKind::BadCrc,
                    format!("stored CRC-32 {:#010x} but the data hashes to {crc:#010x}", m.crc),
                ));
                if encrypted {
                    self.push(anomaly(
                        AnomalyKind::Encrypted,
                        "member is flagged encrypted and its data does not check out as plain".into(),
                    ));
                }
            }
            if real != m.usize {
                self.push(anomaly(
                    AnomalyKind::SizeMismatch,
                    format!("declares {} bytes uncompressed but decodes to {real}", m.usize),
                ));
            }
        }
        data_end
    }

    fn link_checks(&mut self, m: &Member<'_>, target: Option<&str>) {
        let Some(target) = target else { return };
        self.push(
            Anomaly::new(AnomalyKind::Link, format!("symbolic link to {target:?}"))
                .member(m.name.to_string())
                .at(m.header),
        );
        if is_traversal(target) {
            self.push(
                Anomaly::new(
                    AnomalyKind::PathTraversal,
                    format!("symbolic link target {target:?} leaves the extraction folder"),
                )
                .member(m.name.to_string())
                .at(m.header),
            );
        }
    }

    fn stored_prefix(&mut self, start: u64, len: u64) -> String {
        let mut b = vec![0u8; usize::try_from(len.min(LINK_TARGET_MAX)).unwrap_or(0)];
        if !self.src.read_at(start, &mut b) {
            b.clear();
        }
        String::from_utf8_lossy(&b).into_owned()
    }

    #[allow(clippy::type_complexity)]
    fn decode(
        &mut self,
        m: &Member<'_>,
        avail: u64,
    ) -> Result<(crate::container::Spool, u64, u32, Option<Anomaly>), Anomaly> {
        let mut pump = Pump::new(avail, self.limits, self.budget, method_name(m.method));
        // The entry's declared size lets a bomb that says what it is stop at its
        // first chunk over the ratio limit (never used to call anything else a bomb).
        let consumed = pump.declare(Some(m.usize));
        let win = Window::new(&mut *self.src.r, m.data_start, avail);
        let mut br = Counted::new(BufReader::with_capacity(64 << 10, win), consumed);
        let (flags, declared) = (m.flags, m.usize);
        pump.guard(|pump| match m.method {
            8 => pump.feed(&mut flate2::bufread::DeflateDecoder::new(br)),
            12 => pump.feed(&mut bzip2::bufread::MultiBzDecoder::new(br)),
            14 => {
                // ZIP's LZMA: version (2), properties size (2), properties (5).
                let mut h = [0u8; 4];
                if let Err(e) = br.read_exact(&mut h) {
                    pump.fail(&e);
                } else {
                    let psize = le16(&h, 2);
                    match (psize >= 5).then(|| {
                        let mut p = vec![0u8; usize::from(psize)];
                        br.read_exact(&mut p).map(|()| p)
                    }) {
                        None => pump.fail(&format!("LZMA properties size {psize} is not 5")),
                        Some(Err(e)) => pump.fail(&e),
                        Some(Ok(p)) => {
                            let props = p.first().copied().unwrap_or(0);
                            let dict = le32(&p, 1);
                            let size = if flags & 2 != 0 { u64::MAX } else { declared };
                            match lzma_rust2::LzmaReader::new_with_props(br, size, props, dict, None) {
                                Ok(mut r) => pump.feed(&mut r),
                                Err(e) => pump.fail(&e),
                            }
                        }
                    }
                }
            }
            93 => zstd_frames(pump, &mut br),
            95 => pump.feed(&mut lzma_rust2::XzReader::new(br, true)),
            _ => pump.fail(&"unsupported method"),
        });
        pump.finish_with_crc()
    }

    /// Builds a member from a local header alone (unlisted, or no central
    /// directory). Unknown sizes (data descriptor) are found by scanning for the
    /// next signature before `limit`.
    fn local_member(&mut self, off: u64, l: Local, limit: u64) -> Member<'static> {
        let mut csize = l.csize;
        let mut usize = l.usize;
        let mut crc = l.crc;
        if l.flags & 8 != 0 && csize == 0 {
            let sigs = [SIG_DESCRIPTOR, SIG_LOCAL, SIG_CENTRAL, SIG_EOCD];
            let end = self.src.find_sig(l.data_start, limit, &sigs, &mut self.scanned).unwrap_or(limit);
            csize = end.saturating_sub(l.data_start);
            let mut dd = [0u8; 24];
            if self.src.sig_at(end, SIG_DESCRIPTOR) && self.src.read_at(end, &mut dd[..16]) {
                crc = le32(&dd, 4);
                if l.zip64 && self.src.read_at(end, &mut dd) {
                    usize = le64(&dd, 16);
                } else {
                    usize = u64::from(le32(&dd, 12));
                }
            } else {
                usize = u64::MAX;
            }
        }
        let name = String::from_utf8_lossy(&l.raw_name).into_owned();
        Member {
            name: name.into(),
            raw_name: l.raw_name.into(),
            header: off,
            flags: l.flags,
            method: l.method,
            crc,
            csize,
            usize,
            symlink: false,
            data_start: l.data_start,
            zip64: l.zip64,
        }
    }

    /// Length of a data descriptor at `at`, if the member has one.
    fn descriptor_len(&mut self, at: u64, flags: u16, zip64: bool) -> u64 {
        if flags & 8 == 0 {
            return 0;
        }
        let body = if zip64 { 20 } else { 12 };
        let len = if self.src.sig_at(at, SIG_DESCRIPTOR) { body + 4 } else { body };
        if at.saturating_add(len) <= self.src.len { len } else { 0 }
    }

    /// Walks a region that no listed member covers: visits each local header
    /// found there and reports the rest as hidden bytes. `listed` says whether
    /// there is a central directory (if not, found members are the archive and
    /// only the bytes between them are reported).
    fn gap(&mut self, start: u64, end: u64, listed: bool) {
        let mut pos = start;
        let mut loose = 0u64;
        let mut loose_at = None;
        while pos < end {
            if self.visited >= self.limits.max_entries {
                self.push(Anomaly::new(
                    AnomalyKind::TooManyEntries,
                    format!("more than {} members; the rest are not read", self.limits.max_entries),
                ));
                return;
            }
            let scanned_before = self.scanned;
            let found = self.src.find_sig(pos, end, &[SIG_LOCAL], &mut self.scanned);
            let Some(at) = found else {
                if self.scanned >= SCAN_LIMIT && scanned_before < SCAN_LIMIT {
                    self.push(Anomaly::new(
                        AnomalyKind::HiddenData,
                        format!("stopped scanning unlisted bytes for local headers after {SCAN_LIMIT} bytes"),
                    ));
                }
                loose += end - pos;
                loose_at.get_or_insert(pos);
                break;
            };
            if at > pos {
                loose += at - pos;
                loose_at.get_or_insert(pos);
            }
            let Some(l) = read_local(&mut self.src, at) else {
                loose += 4;
                loose_at.get_or_insert(at);
                pos = at + 4;
                continue;
            };
            let m = self.local_member(at, l, end);
            if listed {
                self.push(
                    Anomaly::new(
                        AnomalyKind::HiddenData,
                        format!("local header at {at} is not listed in the central directory"),
                    )
                    .member(m.name.to_string())
                    .at(at),
                );
            }
            let data_end = self.member(&m);
            let next = data_end + self.descriptor_len(data_end, m.flags, m.zip64);
            pos = next.max(at + 4);
        }
        if loose > 0 {
            let at = loose_at.unwrap_or(start);
            let detail = if start == 0 && at == 0 {
                format!("{loose} bytes before the first member belong to no member (prepended data, polyglot file?)")
            } else {
                format!("{loose} bytes in {start}..{end} belong to no member")
            };
            self.push(Anomaly::new(AnomalyKind::HiddenData, detail).at(at));
        }
    }
}

/// Walks a ZIP archive of `len` bytes, calling `visit` for every member with a
/// seekable view of its (decoded) bytes and that view's length. Members come in
/// central directory order, duplicates included, then members found only by
/// their local headers. Returns every anomaly found; never panics, never
/// fails.
pub fn walk(
    src: &mut dyn ReadSeek,
    len: u64,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64),
) -> Vec<Anomaly> {
    let mut w = Walk {
        src: Src { r: src, len },
        limits,
        budget,
        visit,
        log: AnomalyLog::new(),
        names: HashSet::new(),
        scanned: 0,
        visited: 0,
    };
    let eocd = find_eocd(&mut w.src, &mut w.log);
    let Some(eocd) = eocd else {
        w.push(Anomaly::new(AnomalyKind::Truncated, "no end-of-central-directory record: walking local headers"));
        w.gap(0, len, false);
        return w.log.finish();
    };
    if eocd.split {
        w.push(Anomaly::new(AnomalyKind::Malformed, "archive claims to span several disks").at(eocd.pos));
    }
    if eocd.end < len {
        w.push(
            Anomaly::new(
                AnomalyKind::HiddenData,
                format!("{} bytes after the end-of-central-directory record", len - eocd.end),
            )
            .at(eocd.end),
        );
    }

    // The central directory ends where the (ZIP64) EOCD starts; a prefix shifts
    // every offset by the difference (Python's `concat`).
    let cd_end = eocd.zip64.map_or(eocd.pos, |z| z.0);
    let shift = cd_end.checked_sub(eocd.cd_size).and_then(|x| x.checked_sub(eocd.cd_offset)).unwrap_or(0);
    let declared_ok = w.src.sig_at(eocd.cd_offset, SIG_CENTRAL);
    let shifted = eocd.cd_offset.saturating_add(shift);
    let shifted_ok = shift != 0 && w.src.sig_at(shifted, SIG_CENTRAL);
    // Member names are borrowed from `centrals` (not copied) once it is complete.
    let mut spans: Vec<(u64, u64, std::borrow::Cow<'_, str>)> = Vec::new();
    let mut centrals = Vec::new();
    if declared_ok {
        let (c, end) = read_central(&mut w.src, eocd.cd_offset, 0, limits, &mut w.log);
        spans.push((eocd.cd_offset, end, "central directory".into()));
        centrals.extend(c);
    }
    if shifted_ok {
        if declared_ok {
            w.push(
                Anomaly::new(
                    AnomalyKind::HeaderMismatch,
                    format!(
                        "two central directories: at {} as declared, and at {shifted} where the EOCD position implies",
                        eocd.cd_offset
                    ),
                )
                .at(shifted),
            );
        } else {
            w.push(
                Anomaly::new(
                    AnomalyKind::HiddenData,
                    format!("{shift} bytes were prepended to the archive; offsets shifted"),
                )
                .at(0),
            );
        }
        let (c, end) = read_central(&mut w.src, shifted, shift, limits, &mut w.log);
        spans.push((shifted, end, "central directory".into()));
        for e in c {
            if !centrals.iter().any(|x: &Central| x.offset == e.offset && x.raw_name == e.raw_name) {
                centrals.push(e);
            }
        }
    }
    if !declared_ok && !shifted_ok && (eocd.entries != 0 || eocd.cd_size != 0) {
        w.push(
            Anomaly::new(
                AnomalyKind::Malformed,
                format!("no central directory at offset {}: walking local headers", eocd.cd_offset),
            )
            .at(eocd.pos),
        );
        w.gap(0, eocd.zip64.map_or(eocd.pos, |z| z.0), false);
        return w.log.finish();
    }
    if centrals.len() as u64 != eocd.entries && (centrals.len() as u64) < limits.max_entries {
        w.push(
            Anomaly::new(
                AnomalyKind::HeaderMismatch,
                format!("end record declares {} entries; the central directory holds {}", eocd.entries, centrals.len()),
            )
            .at(eocd.pos),
        );
    }
    spans.push((eocd.pos, eocd.end, "end of central directory".into()));
    if let Some((z, eocd_pos)) = eocd.zip64 {
        spans.push((z, eocd_pos, "zip64 end of central directory".into()));
    }

    for c in &centrals {
        let at = c.offset;
        let Some(l) = read_local(&mut w.src, at) else {
            w.push(
                Anomaly::new(AnomalyKind::Malformed, format!("no local header at offset {at}; member skipped"))
                    .member(c.name.clone())
                    .at(at),
            );
            continue;
        };
        if l.raw_name != c.raw_name {
            w.push(
                Anomaly::new(
                    AnomalyKind::HeaderMismatch,
                    format!(
                        "local header names {:?}, central directory names {:?}",
                        String::from_utf8_lossy(&l.raw_name),
                        c.name
                    ),
                )
                .member(c.name.clone())
                .at(at),
            );
        }
        if l.method != c.method {
            w.push(
                Anomaly::new(
                    AnomalyKind::HeaderMismatch,
                    format!("local header method {}, central directory method {}", l.method, c.method),
                )
                .member(c.name.clone())
                .at(at),
            );
        }
        if l.flags & 8 == 0 && (l.crc != c.crc || l.csize != c.csize || l.usize != c.usize) {
            w.push(
                Anomaly::new(
                    AnomalyKind::HeaderMismatch,
                    format!(
                        "local header says crc {:#010x}, {} -> {} bytes; central directory says crc {:#010x}, {} -> {} bytes",
                        l.crc, l.csize, l.usize, c.crc, c.csize, c.usize
                    ),
                )
                .member(c.name.clone())
                .at(at),
            );
        }
        let symlink = c.made_by >> 8 == 3 && (c.ext_attr >> 16) & 0o170_000 == 0o120_000;
        let m = Member {
            name: c.name.as_str().into(),
            raw_name: c.raw_name.as_slice().into(),
            header: at,
            flags: c.flags | l.flags,
            method: c.method,
            crc: c.crc,
            csize: c.csize,
            usize: c.usize,
            symlink,
            data_start: l.data_start,
            zip64: c.zip64 || l.zip64,
        };
        let data_end = w.member(&m);
        let end = data_end + w.descriptor_len(data_end, m.flags, m.zip64);
        spans.push((at, end, c.name.as_str().into()));
    }

    // Overlapping members (and members overlapping the directory).
    spans.sort_by_key(|s| (s.0, s.1));
    let mut reach: Option<(u64, usize)> = None;
    for (i, s) in spans.iter().enumerate() {
        if let Some((end, j)) = reach
            && s.0 < end
            && let Some(other) = spans.get(j)
        {
            w.log.push(
                Anomaly::new(
                    AnomalyKind::Overlap,
                    format!("bytes {}..{} overlap {:?} at {}..{}", s.0, s.1, other.2, other.0, other.1),
                )
                .member(s.2.to_string())
                .at(s.0),
            );
        }
        if reach.is_none_or(|(end, _)| s.1 > end) {
            reach = Some((s.1, i));
        }
    }

    // Bytes nobody lists: scan them for hidden local headers.
    let mut gaps = Vec::new();
    let mut cursor = 0u64;
    for s in &spans {
        if s.0 > cursor {
            gaps.push((cursor, s.0));
        }
        cursor = cursor.max(s.1);
    }
    for (a, b) in gaps {
        w.gap(a, b.min(len), true);
    }
    w.log.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::MAX_ANOMALIES_PER_KIND;
    use proptest::prelude::*;
    use std::io::{Cursor, Write};

    /// One member for the test writer; fields left `None` are computed.
    #[derive(Default, Clone)]
    struct M<'a> {
        name: &'a str,
        local_name: Option<&'a str>,
        data: &'a [u8],
        method: u16,
        flags: u16,
        crc: Option<u32>,
        usize: Option<u64>,
        made_by: u16,
        ext_attr: u32,
        zip64: bool,
    }

    fn compress(method: u16, data: &[u8]) -> Vec<u8> {
        match method {
            0 => data.to_vec(),
            8 => {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            12 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            14 => {
                let opts = lzma_rust2::LzmaOptions::with_preset(6);
                let mut w = lzma_rust2::LzmaWriter::new_no_header(Vec::new(), &opts, true).unwrap();
                w.write_all(data).unwrap();
                let body = w.finish().unwrap();
                let mut out = vec![9, 20, 5, 0, opts.get_props()];
                out.extend(opts.dict_size.to_le_bytes());
                out.extend(body);
                out
            }
            93 => ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
            95 => {
                let mut w = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
                w.write_all(data).unwrap();
                w.finish().unwrap()
            }
            _ => data.to_vec(),
        }
    }

    /// A tiny ZIP writer that can lie in every field.
    #[derive(Default)]
    struct Z {
        out: Vec<u8>,
        cd: Vec<u8>,
        n: u64,
        zip64_end: bool,
    }

    impl Z {
        fn add(&mut self, m: M<'_>) -> u64 {
            let body = compress(m.method, m.data);
            let crc = m.crc.unwrap_or_else(|| crc32fast::hash(m.data));
            let usize = m.usize.unwrap_or(m.data.len() as u64);
            let csize = body.len() as u64;
            let off = self.out.len() as u64;
            let lname = m.local_name.unwrap_or(m.name).as_bytes();
            let mut lextra = Vec::new();
            let (u32f, c32f) = if m.zip64 {
                lextra.extend(1u16.to_le_bytes());
                lextra.extend(16u16.to_le_bytes());
                lextra.extend(usize.to_le_bytes());
                lextra.extend(csize.to_le_bytes());
                (u32::MAX, u32::MAX)
            } else {
                (usize as u32, csize as u32)
            };
            self.out.extend(SIG_LOCAL);
            self.out.extend(20u16.to_le_bytes());
            self.out.extend(m.flags.to_le_bytes());
            self.out.extend(m.method.to_le_bytes());
            self.out.extend([0u8; 4]);
            self.out.extend(crc.to_le_bytes());
            self.out.extend(c32f.to_le_bytes());
            self.out.extend(u32f.to_le_bytes());
            self.out.extend((lname.len() as u16).to_le_bytes());
            self.out.extend((lextra.len() as u16).to_le_bytes());
            self.out.extend(lname);
            self.out.extend(&lextra);
            self.out.extend(&body);
            self.central(&m, crc, csize, usize, off);
            off
        }

        fn central(&mut self, m: &M<'_>, crc: u32, csize: u64, usize: u64, off: u64) {
            let mut cextra = Vec::new();
            let (u32f, c32f, o32f) = if m.zip64 {
                cextra.extend(1u16.to_le_bytes());
                cextra.extend(24u16.to_le_bytes());
                cextra.extend(usize.to_le_bytes());
                cextra.extend(csize.to_le_bytes());
                cextra.extend(off.to_le_bytes());
                (u32::MAX, u32::MAX, u32::MAX)
            } else {
                (usize as u32, csize as u32, off as u32)
            };
            let name = m.name.as_bytes();
            self.cd.extend(SIG_CENTRAL);
            self.cd.extend(m.made_by.to_le_bytes());
            self.cd.extend(20u16.to_le_bytes());
            self.cd.extend(m.flags.to_le_bytes());
            self.cd.extend(m.method.to_le_bytes());
            self.cd.extend([0u8; 4]);
            self.cd.extend(crc.to_le_bytes());
            self.cd.extend(c32f.to_le_bytes());
            self.cd.extend(u32f.to_le_bytes());
            self.cd.extend((name.len() as u16).to_le_bytes());
            self.cd.extend((cextra.len() as u16).to_le_bytes());
            self.cd.extend(0u16.to_le_bytes());
            self.cd.extend(0u16.to_le_bytes());
            self.cd.extend(0u16.to_le_bytes());
            self.cd.extend(m.ext_attr.to_le_bytes());
            self.cd.extend(o32f.to_le_bytes());
            self.cd.extend(name);
            self.cd.extend(&cextra);
            self.n += 1;
        }

        /// Lists a member already written at `off` a second time.
        fn relist(&mut self, m: M<'_>, off: u64) {
            let body = compress(m.method, m.data);
            let crc = crc32fast::hash(m.data);
            self.central(&m, crc, body.len() as u64, m.data.len() as u64, off);
        }

        fn raw(&mut self, b: &[u8]) {
            self.out.extend(b);
        }

        fn finish(mut self) -> Vec<u8> {
            let cd_off = self.out.len() as u64;
            let cd_len = self.cd.len() as u64;
            self.out.extend(&self.cd);
            if self.zip64_end {
                let z = self.out.len() as u64;
                self.out.extend(SIG_EOCD64);
                self.out.extend(44u64.to_le_bytes());
                self.out.extend(45u16.to_le_bytes());
                self.out.extend(45u16.to_le_bytes());
                self.out.extend([0u8; 8]);
                self.out.extend(self.n.to_le_bytes());
                self.out.extend(self.n.to_le_bytes());
                self.out.extend(cd_len.to_le_bytes());
                self.out.extend(cd_off.to_le_bytes());
                self.out.extend(SIG_LOCATOR64);
                self.out.extend(0u32.to_le_bytes());
                self.out.extend(z.to_le_bytes());
                self.out.extend(1u32.to_le_bytes());
            }
            let (n16, l32, o32) = if self.zip64_end {
                (0xffff, u32::MAX, u32::MAX)
            } else {
                (self.n as u16, cd_len as u32, cd_off as u32)
            };
            self.out.extend(SIG_EOCD);
            self.out.extend([0u8; 4]);
            self.out.extend(u16::to_le_bytes(n16));
            self.out.extend(u16::to_le_bytes(n16));
            self.out.extend(l32.to_le_bytes());
            self.out.extend(o32.to_le_bytes());
            self.out.extend(0u16.to_le_bytes());
            self.out
        }
    }

    fn small_limits() -> Limits {
        Limits { max_decompressed_bytes: 64 << 20, ..Limits::default() }
    }

    /// Walks `zip`, returning (name, bytes) for every visit and the anomalies.
    fn run(zip: &[u8]) -> (Vec<(Entry, Vec<u8>)>, Vec<Anomaly>) {
        run_with(zip, &small_limits())
    }

    fn run_with(zip: &[u8], limits: &Limits) -> (Vec<(Entry, Vec<u8>)>, Vec<Anomaly>) {
        let budget = Budget::new(limits.max_total_decompressed_bytes);
        let mut seen = Vec::new();
        let mut cur = Cursor::new(zip);
        let anomalies = walk(&mut cur, zip.len() as u64, limits, &budget, &mut |e, r, n| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            assert_eq!(v.len() as u64, n, "visit length for {}", e.name);
            seen.push((e.clone(), v));
        });
        (seen, anomalies)
    }

    fn kinds(a: &[Anomaly]) -> Vec<AnomalyKind> {
        a.iter().map(|a| a.kind).collect()
    }

    fn has(a: &[Anomaly], k: AnomalyKind) -> bool {
        a.iter().any(|a| a.kind == k)
    }

    fn pickle_bytes() -> Vec<u8> {
        let mut v = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.".to_vec();
        v.extend((0..5000u32).map(|i| (i % 7) as u8));
        v
    }

    #[test]
    fn stored_and_deflated_members() {
        let data = pickle_bytes();
        let mut z = Z::default();
        z.add(M { name: "archive/data.pkl", data: &data, method: 8, ..M::default() });
        z.add(M { name: "archive/data/0", data: b"tensor bytes", ..M::default() });
        z.add(M { name: "archive/", ..M::default() });
        let (seen, a) = run(&z.finish());
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].0.name, "archive/data.pkl");
        assert_eq!(seen[0].1, data);
        assert_eq!(seen[1].1, b"tensor bytes");
        assert_eq!(seen[1].0.kind, EntryKind::File);
    }

    #[test]
    fn other_methods() {
        let data = pickle_bytes();
        for method in [12u16, 14, 93, 95] {
            let mut z = Z::default();
            z.add(M { name: "m", data: &data, method, ..M::default() });
            let (seen, a) = run(&z.finish());
            assert!(a.is_empty(), "method {method}: {a:?}");
            assert_eq!(seen.len(), 1);
            assert_eq!(seen[0].1, data, "method {method}");
        }
        let mut z = Z::default();
        z.add(M { name: "m", data: b"x", method: 9, ..M::default() });
        let (seen, a) = run(&z.finish());
        assert!(seen.is_empty());
        assert_eq!(kinds(&a), vec![AnomalyKind::UnsupportedMethod]);
    }

    #[test]
    fn bad_crc_still_visited() {
        for method in [0u16, 8] {
            let mut z = Z::default();
            z.add(M { name: "data.pkl", data: b"payload", method, crc: Some(0x1234_5678), ..M::default() });
            let (seen, a) = run(&z.finish());
            assert_eq!(kinds(&a), vec![AnomalyKind::BadCrc], "method {method}");
            assert_eq!(seen[0].1, b"payload");
        }
    }

    #[test]
    fn flag_bits_read_as_plain() {
        let mut z = Z::default();
        z.add(M { name: "data.pkl", data: b"payload", method: 8, flags: 0x1, ..M::default() });
        z.add(M { name: "b", data: b"plain", flags: 0x20, ..M::default() });
        let (seen, a) = run(&z.finish());
        assert_eq!(kinds(&a), vec![AnomalyKind::FlagBits, AnomalyKind::FlagBits]);
        assert_eq!(seen[0].1, b"payload");
        assert_eq!(seen[1].1, b"plain");
        // Encrypted for real: flagged, and the bytes are not a deflate stream.
        let mut z = Z::default();
        z.add(M { name: "e", data: &[0xff; 40], method: 0, flags: 0x1, ..M::default() });
        let mut bytes = z.finish();
        // Turn the stored member into a "deflate" one in both headers.
        bytes[8] = 8;
        let cd = bytes.len() - 22 - 46 - 1;
        bytes[cd + 10] = 8;
        let (_, a) = run(&bytes);
        assert!(has(&a, AnomalyKind::Encrypted), "{a:?}");
    }

    #[test]
    fn local_central_name_mismatch() {
        let mut z = Z::default();
        z.add(M { name: "archive/data.pkl", local_name: Some("archive/other.pk"), data: b"x", ..M::default() });
        let (seen, a) = run(&z.finish());
        assert_eq!(kinds(&a), vec![AnomalyKind::HeaderMismatch]);
        assert_eq!(seen[0].0.name, "archive/data.pkl");
    }

    #[test]
    fn duplicates_both_visited() {
        let mut z = Z::default();
        z.add(M { name: "data.pkl", data: b"first", ..M::default() });
        z.add(M { name: "data.pkl", data: b"second", ..M::default() });
        let (seen, a) = run(&z.finish());
        assert_eq!(kinds(&a), vec![AnomalyKind::DuplicateName]);
        assert_eq!(seen.iter().map(|s| s.1.clone()).collect::<Vec<_>>(), vec![b"first".to_vec(), b"second".to_vec()]);
    }

    #[test]
    fn lying_sizes() {
        let mut z = Z::default();
        z.add(M { name: "a", data: &[7u8; 100], usize: Some(4_000_000_000), ..M::default() });
        z.add(M { name: "b", data: &[7u8; 100], method: 8, usize: Some(4_000_000_000), ..M::default() });
        let (seen, a) = run(&z.finish());
        assert_eq!(kinds(&a), vec![AnomalyKind::SizeMismatch, AnomalyKind::SizeMismatch]);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].1, vec![7u8; 100]);
    }

    #[test]
    fn traversal_names() {
        let mut z = Z::default();
        z.add(M { name: "../../evil.pkl", data: b"x", ..M::default() });
        z.add(M { name: "/etc/cron.d/x", data: b"y", ..M::default() });
        z.add(M { name: "C:\\x", data: b"y", ..M::default() });
        z.add(M { name: "fine/name", data: b"z", ..M::default() });
        let (seen, a) = run(&z.finish());
        assert_eq!(kinds(&a), vec![AnomalyKind::PathTraversal; 3]);
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn symlink_member() {
        let mut z = Z::default();
        z.add(M {
            name: "link",
            data: b"../../etc/passwd",
            made_by: 3 << 8,
            ext_attr: 0o120_777 << 16,
            ..M::default()
        });
        let (seen, a) = run(&z.finish());
        assert_eq!(kinds(&a), vec![AnomalyKind::Link, AnomalyKind::PathTraversal]);
        assert_eq!(seen[0].0.kind, EntryKind::Symlink { target: "../../etc/passwd".into() });
    }

    #[test]
    fn truncated_without_central_directory() {
        let data = pickle_bytes();
        let mut z = Z::default();
        z.add(M { name: "archive/data.pkl", data: &data, method: 8, ..M::default() });
        z.add(M { name: "archive/data/0", data: b"tensor", ..M::default() });
        let full = z.finish();
        let cd = full.windows(4).position(|w| w == SIG_CENTRAL).unwrap();
        let (seen, a) = run(&full[..cd]);
        assert!(has(&a, AnomalyKind::Truncated), "{a:?}");
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].1, data);
        assert_eq!(seen[1].1, b"tensor");
        // Cut in the middle of the first member: its prefix is still visited.
        let cut = 30 + 16 + compress(8, &data).len() / 2;
        let (seen, a) = run(&full[..cut]);
        assert!(has(&a, AnomalyKind::Truncated));
        assert_eq!(seen.len(), 1);
        assert!(!seen[0].1.is_empty());
        assert_eq!(&seen[0].1[..], &data[..seen[0].1.len()]);
    }

    #[test]
    fn data_descriptor_without_central_directory() {
        let mut z = Z::default();
        z.add(M { name: "a", data: b"hello world", flags: 8, ..M::default() });
        let mut bytes = z.finish();
        // Zero the local sizes and add a descriptor after the data.
        bytes[14..26].fill(0);
        let end = 30 + 1 + 11;
        let mut dd = SIG_DESCRIPTOR.to_vec();
        dd.extend(crc32fast::hash(b"hello world").to_le_bytes());
        dd.extend(11u32.to_le_bytes());
        dd.extend(11u32.to_le_bytes());
        let mut cut = bytes[..end].to_vec();
        cut.extend(dd);
        let (seen, a) = run(&cut);
        assert_eq!(kinds(&a), vec![AnomalyKind::Truncated]);
        assert_eq!(seen[0].1, b"hello world");
    }

    #[test]
    fn hidden_local_header_and_prefix() {
        let mut z = Z::default();
        z.raw(b"#!/bin/sh\necho polyglot\n");
        z.add(M { name: "listed", data: b"a", ..M::default() });
        // An unlisted member: written, then its central entry dropped.
        let mut hidden = Z::default();
        hidden.add(M { name: "hidden.pkl", data: b"evil", method: 8, ..M::default() });
        z.raw(&hidden.out);
        let (seen, a) = run(&z.finish());
        assert!(has(&a, AnomalyKind::HiddenData), "{a:?}");
        assert_eq!(a.iter().filter(|a| a.kind == AnomalyKind::HiddenData).count(), 2, "{a:?}");
        let names: Vec<_> = seen.iter().map(|s| s.0.name.as_str()).collect();
        assert_eq!(names, vec!["listed", "hidden.pkl"]);
        assert_eq!(seen[1].1, b"evil");
    }

    #[test]
    fn prepended_bytes_shift_offsets() {
        // Offsets written as if the archive started at 0, then a prefix added.
        let mut z = Z::default();
        z.add(M { name: "a", data: b"content", ..M::default() });
        let inner = z.finish();
        let mut bytes = b"PREFIX-PREFIX".to_vec();
        bytes.extend(&inner);
        let (seen, a) = run(&bytes);
        assert!(has(&a, AnomalyKind::HiddenData), "{a:?}");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].1, b"content");
    }

    #[test]
    fn overlapping_members() {
        let mut z = Z::default();
        let off = z.add(M { name: "a", data: b"shared", ..M::default() });
        z.relist(M { name: "a", data: b"shared", ..M::default() }, off);
        let (seen, a) = run(&z.finish());
        assert!(has(&a, AnomalyKind::Overlap), "{a:?}");
        assert!(has(&a, AnomalyKind::DuplicateName));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn anomalies_capped_per_kind() {
        let mut z = Z::default();
        let off = z.add(M { name: "a", data: b"shared", ..M::default() });
        for _ in 0..150 {
            z.relist(M { name: "a", data: b"shared", ..M::default() }, off);
        }
        let (seen, a) = run(&z.finish());
        assert_eq!(seen.len(), 151);
        let dups: Vec<_> = a.iter().filter(|a| a.kind == AnomalyKind::DuplicateName).collect();
        assert_eq!(dups.len(), MAX_ANOMALIES_PER_KIND + 1);
        assert!(dups.last().unwrap().detail.starts_with("50 more"), "{:?}", dups.last());
    }

    #[test]
    fn zip64_records() {
        let mut z = Z { zip64_end: true, ..Z::default() };
        z.add(M { name: "big", data: b"zip64 member", zip64: true, ..M::default() });
        z.add(M { name: "d", data: &pickle_bytes(), method: 8, zip64: true, ..M::default() });
        let (seen, a) = run(&z.finish());
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].1, b"zip64 member");
        assert_eq!(seen[1].1, pickle_bytes());
    }

    #[test]
    fn too_many_entries() {
        let mut z = Z::default();
        for i in 0..10 {
            let name = format!("m{i}");
            z.add(M { name: &name, data: b"x", ..M::default() });
        }
        let lim = Limits { max_entries: 4, ..small_limits() };
        let (seen, a) = run_with(&z.finish(), &lim);
        assert!(has(&a, AnomalyKind::TooManyEntries), "{a:?}");
        assert!(seen.len() <= 10);
    }

    #[test]
    fn bomb_stops_bounded() {
        // 200 MB of zeros deflated, declared honestly.
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        let mut h = crc32fast::Hasher::new();
        for _ in 0..200 {
            e.write_all(&zeros).unwrap();
            h.update(&zeros);
        }
        let body = e.finish().unwrap();
        let mut z = Z::default();
        // Write the member by hand: the helper would compress again.
        let name = b"bomb";
        z.out.extend(SIG_LOCAL);
        z.out.extend(20u16.to_le_bytes());
        z.out.extend(0u16.to_le_bytes());
        z.out.extend(8u16.to_le_bytes());
        z.out.extend([0u8; 4]);
        z.out.extend(h.clone().finalize().to_le_bytes());
        z.out.extend((body.len() as u32).to_le_bytes());
        z.out.extend((200u32 << 20).to_le_bytes());
        z.out.extend(4u16.to_le_bytes());
        z.out.extend(0u16.to_le_bytes());
        z.out.extend(name);
        z.out.extend(&body);
        let m = M { name: "bomb", method: 8, ..M::default() };
        z.central(&m, h.finalize(), body.len() as u64, 200 << 20, 0);
        let bytes = z.finish();
        let lim = Limits { max_ratio: 1_000_000, ..small_limits() };
        let budget = Budget::new(1 << 40);
        let mut max_len = 0;
        let a = walk(&mut Cursor::new(&bytes), bytes.len() as u64, &lim, &budget, &mut |_, _, n| max_len = n);
        assert_eq!(kinds(&a), vec![AnomalyKind::Bomb]);
        assert_eq!(max_len, 64 << 20);
        // Default ratio stops it sooner: the entry declares 200 MiB, over the
        // limits, so the ratio is judged while streaming and decoding stops just
        // past the grace instead of at compressed size × 1000.
        let (seen, a) = run(&bytes);
        assert_eq!(kinds(&a), vec![AnomalyKind::Bomb]);
        assert!(a[0].detail.contains("the rest is not decoded"), "{}", a[0].detail);
        let n = seen[0].1.len() as u64;
        assert!(n > crate::compress::RATIO_GRACE && n <= crate::compress::RATIO_GRACE + (128 << 10), "{n}");
    }

    /// 20 MiB of zeros deflated: (data, deflated body).
    fn zeros_deflated() -> (Vec<u8>, Vec<u8>) {
        let data = vec![0u8; 20 << 20];
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&data).unwrap();
        (data, e.finish().unwrap())
    }

    #[test]
    fn bomb_declaring_a_small_size_is_judged_on_its_whole_length() {
        // A bomb that lies about its size gets no early stop, and is still caught
        // when it passes compressed size × ratio.
        let (data, body) = zeros_deflated();
        let mut z = Z::default();
        z.add(M { name: "liar", method: 8, data: &data, usize: Some(1000), ..M::default() });
        let bytes = z.finish();
        let (seen, a) = run(&bytes);
        assert_eq!(kinds(&a), vec![AnomalyKind::Bomb]);
        assert!(a[0].detail.contains("ratio limit"), "{}", a[0].detail);
        assert_eq!(seen[0].1.len() as u64, body.len() as u64 * 1000);
    }

    #[test]
    fn zero_prefix_within_the_ratio_is_not_a_bomb() {
        // 8 MiB of zeros then 8 MiB of noise: the prefix alone expands over
        // 1000:1, the member as a whole about 2:1. Declared honestly, it passes.
        let mut data = vec![0u8; 8 << 20];
        let mut x: u32 = 0x9e37_79b9;
        data.extend((0..8 << 20).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        }));
        let mut z = Z::default();
        z.add(M { name: "weights.bin", method: 8, data: &data, ..M::default() });
        let bytes = z.finish();
        let (seen, a) = run(&bytes);
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(seen[0].1, data);
    }

    /// Counts bytes read from the source.
    struct Counting<R> {
        inner: R,
        read: std::rc::Rc<std::cell::Cell<u64>>,
    }
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read.set(self.read.get() + n as u64);
            Ok(n)
        }
    }
    impl<R: Seek> Seek for Counting<R> {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.inner.seek(to)
        }
    }

    #[test]
    fn large_stored_member_not_read_unless_visited() {
        let big = vec![1u8; (CRC_READ_LIMIT + (1 << 20)) as usize];
        let mut z = Z::default();
        z.add(M { name: "archive/data/0", data: &big, ..M::default() });
        let bytes = z.finish();
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut src = Counting { inner: Cursor::new(&bytes), read: read.clone() };
        let budget = Budget::new(1 << 30);
        let mut n_seen = 0;
        let a = walk(&mut src, bytes.len() as u64, &small_limits(), &budget, &mut |_, _, n| n_seen = n);
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(n_seen, big.len() as u64);
        assert!(read.get() < 1 << 20, "read {} bytes", read.get());
    }

    /// Walks a one-member archive whose stored member has a wrong CRC, the
    /// visitor reading `visit(reader)`; returns the anomalies and the bytes read.
    fn crc_walk(data: &[u8], visit: &mut dyn FnMut(&mut dyn ReadSeek)) -> (Vec<AnomalyKind>, u64) {
        let mut z = Z::default();
        z.add(M { name: "archive/data/0", data, crc: Some(0x1234_5678), ..M::default() });
        let bytes = z.finish();
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut src = Counting { inner: Cursor::new(&bytes), read: read.clone() };
        let budget = Budget::new(1 << 30);
        let a = walk(&mut src, bytes.len() as u64, &small_limits(), &budget, &mut |_, r, _| visit(r));
        (kinds(&a), read.get())
    }

    #[test]
    fn stored_crc_checked_for_what_the_visitor_reads() {
        let member = vec![7u8; 1 << 20];
        // Read through after a look at the head and a seek back, as the scanner
        // reads a member: the CRC is checked and the data read once, not twice.
        let (a, read) = crc_walk(&member, &mut |r| {
            let mut head = [0u8; 1024];
            r.read_exact(&mut head).unwrap();
            r.seek(SeekFrom::Start(0)).unwrap();
            io::copy(r, &mut io::sink()).unwrap();
        });
        assert_eq!(a, vec![AnomalyKind::BadCrc]);
        assert!(read < member.len() as u64 + (256 << 10), "read {read} bytes");
        // Parsed part of the way (further than a look at its head): the rest is read for the CRC.
        let (a, _) = crc_walk(&member, &mut |r| {
            io::copy(&mut r.take(200 << 10), &mut io::sink()).unwrap();
        });
        assert_eq!(a, vec![AnomalyKind::BadCrc]);
        // Taken for opaque data after its head: not read for the CRC alone.
        let (a, read) = crc_walk(&member, &mut |r| {
            let mut head = [0u8; 1024];
            r.read_exact(&mut head).unwrap();
        });
        assert!(a.is_empty(), "{a:?}");
        assert!(read < 256 << 10, "read {read} bytes");
        // A small member is checked even unread.
        let (a, _) = crc_walk(&member[..OPAQUE_SPAN as usize], &mut |_| {});
        assert_eq!(a, vec![AnomalyKind::BadCrc]);
    }

    #[test]
    fn garbage_and_empty() {
        for bytes in [&b""[..], b"PK", b"PK\x05\x06", b"PK\x03\x04\xff\xff", &[0u8; 100]] {
            let _ = run(bytes);
        }
        // An empty archive is fine.
        let (seen, a) = run(&Z::default().finish());
        assert!(seen.is_empty() && a.is_empty(), "{a:?}");
        assert!(sniff(b"PK\x03\x04") && sniff(b"PK\x05\x06") && !sniff(b"PK\x01\x02"));
    }

    fn sample_zip() -> Vec<u8> {
        let mut z = Z { zip64_end: true, ..Z::default() };
        z.add(M { name: "archive/data.pkl", data: &pickle_bytes(), method: 8, ..M::default() });
        z.add(M { name: "archive/data/0", data: b"0123456789", zip64: true, ..M::default() });
        z.add(M { name: "x", data: b"bzip", method: 12, ..M::default() });
        z.finish()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = run(&data);
        }

        #[test]
        fn mutated_zip_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16), cut in any::<usize>()) {
            let mut z = sample_zip();
            for (at, b) in edits {
                let i = at % z.len();
                z[i] = b;
            }
            let keep = z.len() - cut % (z.len() / 4);
            z.truncate(keep);
            let _ = run(&z);
        }
    }
}
