//! Single-stream compression formats (gzip, zlib, bzip2, xz, lzma-alone, zstd,
//! lz4 frames): sniffing by magic bytes and bounded decompression into a
//! [`Spool`].
//!
//! Decompression never trusts a size in the stream. Output stops, with an
//! [`AnomalyKind::Bomb`] anomaly, as soon as it would exceed
//! `limits.max_decompressed_bytes`, or `compressed_len * limits.max_ratio` once
//! past [`RATIO_GRACE`] bytes, or the shared [`Budget`] runs dry.
//!
//! A declared size is used in one way only, to stop sooner: when the stream
//! (or the zip entry holding it) declares more bytes than those limits allow,
//! the ratio is also judged while streaming, on the compressed bytes read so
//! far, and decoding stops at the first chunk that crosses it instead of
//! inflating the whole bomb first (see [`Pump::declare`]). A stream whose
//! declared size is within the limits, or that declares none, is judged only
//! on its whole length, so a benign stream that starts with megabytes of
//! zeros is never called a bomb.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::rc::Rc;

use crate::Limits;
use crate::container::{Anomaly, AnomalyKind, Budget, ReadSeek, Spool, spool};

/// Output below this many bytes is never a bomb by ratio, so tiny members
/// (a 20-byte stream expanding to 40 KiB) do not false-alarm.
pub const RATIO_GRACE: u64 = 1 << 20;

/// Largest zstd window accepted (zstd `--long=31` needs 2 GiB; we refuse that).
const ZSTD_MAX_WINDOW: u64 = 512 << 20;

/// A compressed stream format that [`sniff`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Gzip,
    Zlib,
    Bzip2,
    Xz,
    LzmaAlone,
    Zstd,
    Lz4Frame,
}

impl Codec {
    /// A short lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zlib => "zlib",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::LzmaAlone => "lzma",
            Codec::Zstd => "zstd",
            Codec::Lz4Frame => "lz4",
        }
    }
}

/// The result of [`decompress`]: the decoded bytes (spool positioned at 0), how
/// many there are, and the anomaly that stopped decoding early, if any (a
/// [`AnomalyKind::Bomb`], or a [`AnomalyKind::Truncated`] /
/// [`AnomalyKind::Malformed`] stream whose decodable prefix is in the spool).
pub type Decompressed = (Spool, u64, Option<Anomaly>);

/// Recognises a compressed stream by its first bytes. Strict: formats with weak
/// magic (zlib's two bytes, lzma-alone's props byte) must also decode cleanly
/// for as far as `head` goes, so random tensor bytes are not taken for them.
/// Give at least 64 bytes of head when the stream is that long.
pub fn sniff(head: &[u8]) -> Option<Codec> {
    if head.len() >= 10 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8 && head[3] & 0xe0 == 0 {
        return Some(Codec::Gzip);
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) && head.len() >= 12 {
        // Stream flags: first byte zero, check type < 16 in the second.
        if head[6] == 0 && head[7] & 0xf0 == 0 {
            return Some(Codec::Xz);
        }
        return None;
    }
    if head.starts_with(b"BZh") && head.len() >= 10 && (b'1'..=b'9').contains(&head[3]) {
        let block = &head[4..10];
        if block == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] || block == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90] {
            return Some(Codec::Bzip2);
        }
        return None;
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) && head.len() >= 6 {
        // Frame header descriptor: reserved bit 3 must be clear.
        if head[4] & 0x08 == 0 {
            return Some(Codec::Zstd);
        }
        return None;
    }
    if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) && head.len() >= 7 {
        let flg = head[4];
        let bd = head[5];
        // Version 01, reserved bit 1 clear; BD: reserved bits clear, block size 4..=7.
        if flg >> 6 == 1 && flg & 0x02 == 0 && bd & 0x8f == 0 && (4..=7).contains(&(bd >> 4)) {
            return Some(Codec::Lz4Frame);
        }
        return None;
    }
    if sniff_zlib(head) {
        return Some(Codec::Zlib);
    }
    if sniff_lzma_alone(head) {
        return Some(Codec::LzmaAlone);
    }
    None
}

fn sniff_zlib(head: &[u8]) -> bool {
    let (Some(&cmf), Some(&flg)) = (head.first(), head.get(1)) else {
        return false;
    };
    // CM 8 (deflate), window ≤ 32 KiB, no preset dictionary, header checksum.
    if cmf & 0x0f != 8 || cmf >> 4 > 7 || flg & 0x20 != 0 || (u16::from(cmf) * 256 + u16::from(flg)) % 31 != 0 {
        return false;
    }
    if head.len() < 4 {
        return false;
    }
    trial_decode(&mut flate2::read::ZlibDecoder::new(head))
}

fn sniff_lzma_alone(head: &[u8]) -> bool {
    if head.len() < 14 || head[0] != 0x5d {
        return false;
    }
    let dict = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    // Dictionary sizes written by real encoders: 2^n or 2^n + 2^(n-1), 4 KiB ..= 1.5 GiB.
    let sane_dict = (12..=30).any(|n| dict == 1 << n || dict == (1 << n) + (1 << (n - 1)));
    let size = u64::from_le_bytes([head[5], head[6], head[7], head[8], head[9], head[10], head[11], head[12]]);
    if !sane_dict || (size != u64::MAX && size >= 1 << 48) || head[13] != 0 {
        return false;
    }
    match lzma_rust2::LzmaReader::new_mem_limit(head, u32::MAX, None) {
        Ok(mut r) => trial_decode(&mut r),
        Err(_) => false,
    }
}

/// Decodes up to 64 KiB from a prefix: true unless the decoder reports an error
/// other than running out of input.
fn trial_decode(r: &mut dyn Read) -> bool {
    let mut buf = [0u8; 8192];
    let mut total = 0usize;
    while total < 64 << 10 {
        match r.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Decompresses one stream of `codec` from `src`, which holds `compressed_len`
/// bytes (used for the ratio limit). Multi-member gzip, multi-stream bzip2/xz
/// and concatenated zstd/lz4 frames are decoded in full.
///
/// Returns `Err` only when nothing at all could be decoded (a corrupt header,
/// a bomb on its first chunk); otherwise `Ok((spool, len, anomaly))` where the
/// spool, positioned at 0, holds every byte decoded and `anomaly` says why
/// decoding stopped early, if it did.
pub fn decompress(
    codec: Codec,
    src: &mut dyn Read,
    compressed_len: u64,
    limits: &Limits,
    budget: &Budget,
) -> Result<Decompressed, Anomaly> {
    decompress_declared(codec, src, compressed_len, None, limits, budget)
}

/// [`decompress`] for a whole seekable stream of `len` bytes: reads the size
/// the stream declares (see [`declared_size`]) so that a bomb that says what
/// it is stops at its first chunk over the ratio limit.
pub fn decompress_stream(
    codec: Codec,
    src: &mut dyn ReadSeek,
    len: u64,
    limits: &Limits,
    budget: &Budget,
) -> Result<Decompressed, Anomaly> {
    let declared = declared_size(codec, src, len);
    if let Err(e) = src.seek(SeekFrom::Start(0)) {
        return Err(Anomaly::new(AnomalyKind::Malformed, format!("cannot rewind {} stream: {e}", codec.name())));
    }
    decompress_declared(codec, src, len, declared, limits, budget)
}

fn decompress_declared(
    codec: Codec,
    src: &mut dyn Read,
    compressed_len: u64,
    declared: Option<u64>,
    limits: &Limits,
    budget: &Budget,
) -> Result<Decompressed, Anomaly> {
    let mut pump = Pump::new(compressed_len, limits, budget, codec.name());
    let mut br = Counted::new(BufReader::with_capacity(32 << 10, src), pump.declare(declared));
    pump.guard(|pump| match codec {
        Codec::Gzip => pump.feed(&mut flate2::bufread::MultiGzDecoder::new(&mut br)),
        Codec::Zlib => pump.feed(&mut flate2::bufread::ZlibDecoder::new(&mut br)),
        Codec::Bzip2 => pump.feed(&mut bzip2::bufread::MultiBzDecoder::new(&mut br)),
        Codec::Xz => pump.feed(&mut lzma_rust2::XzReader::new(&mut br, true)),
        Codec::LzmaAlone => match lzma_rust2::LzmaReader::new_mem_limit(&mut br, u32::MAX, None) {
            Ok(mut r) => pump.feed(&mut r),
            Err(e) => pump.fail(&e),
        },
        Codec::Zstd => zstd_frames(pump, &mut br),
        Codec::Lz4Frame => pump.feed(&mut lz4_flex::frame::FrameDecoder::new(&mut br)),
    });
    pump.finish()
}

/// The uncompressed size a stream states about itself, where its format has
/// such a field: gzip's ISIZE trailer (the last member's size modulo 2^32), the
/// first zstd frame's content size, an lz4 frame's content size, lzma-alone's
/// header size. Each is a lower bound of what an honest stream decodes to, and
/// is never trusted for anything but stopping a bomb sooner. zlib, bzip2 and xz
/// streams declare nothing here. Leaves `src` at an unspecified position.
pub fn declared_size(codec: Codec, src: &mut dyn ReadSeek, len: u64) -> Option<u64> {
    let mut head = [0u8; 18];
    let n = usize::try_from(len.min(head.len() as u64)).ok()?;
    let head = head.get_mut(..n)?;
    src.seek(SeekFrom::Start(0)).ok()?;
    src.read_exact(head).ok()?;
    let le = |b: &[u8]| b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x));
    match codec {
        Codec::Gzip => {
            if len < 18 {
                return None;
            }
            let mut tail = [0u8; 4];
            src.seek(SeekFrom::Start(len - 4)).ok()?;
            src.read_exact(&mut tail).ok()?;
            Some(le(&tail))
        }
        Codec::Zstd => {
            let desc = *head.get(4)?;
            let single = desc & 0x20 != 0;
            let dict = [0usize, 1, 2, 4][usize::from(desc & 3)];
            let fcs = match desc >> 6 {
                0 if single => 1,
                0 => return None,
                1 => 2,
                2 => 4,
                _ => 8,
            };
            let at = 5 + usize::from(!single) + dict;
            let v = le(head.get(at..at + fcs)?);
            Some(if fcs == 2 { v + 256 } else { v })
        }
        Codec::Lz4Frame => (head.get(4)? & 0x08 != 0).then(|| head.get(6..14).map(le)).flatten(),
        Codec::LzmaAlone => Some(le(head.get(5..13)?)).filter(|&v| v != u64::MAX),
        Codec::Zlib | Codec::Bzip2 | Codec::Xz => None,
    }
}

/// Counts the compressed bytes a decoder takes from its source, for the
/// streaming ratio judgement. As a [`BufRead`] it counts what the decoder
/// consumes (exact); as a [`Read`] what it reads, which can run ahead of what
/// was decoded by the decoder's own buffer: the count is then high, so the
/// ratio judged is low, never the other way round.
pub(crate) struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R> Counted<R> {
    pub(crate) fn new(inner: R, count: Rc<Cell<u64>>) -> Self {
        Self { inner, count }
    }
    fn add(&self, n: usize) {
        self.count.set(self.count.get().saturating_add(n as u64));
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.add(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.add(amt);
    }
}

/// Decodes concatenated zstd frames, skipping skippable frames.
pub(crate) fn zstd_frames(pump: &mut Pump<'_>, br: &mut dyn BufRead) {
    let mut frames = 0u32;
    loop {
        let head = match br.fill_buf() {
            Ok(h) => h,
            Err(e) => return pump.fail(&e),
        };
        if head.is_empty() || pump.stop.is_some() {
            return;
        }
        if head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18] {
            let mut hdr = [0u8; 8];
            if let Err(e) = br.read_exact(&mut hdr) {
                return pump.fail(&e);
            }
            let skip = u64::from(u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]));
            match io::copy(&mut (&mut *br).take(skip), &mut io::sink()) {
                Ok(n) if n == skip => continue,
                Ok(_) => return pump.fail(&io::Error::from(io::ErrorKind::UnexpectedEof)),
                Err(e) => return pump.fail(&e),
            }
        }
        let max_window = pump.max_window;
        match ruzstd::decoding::StreamingDecoder::new_with_max_window_size(&mut *br, max_window) {
            Ok(mut d) => pump.feed(&mut d),
            Err(e) => {
                let detail = if frames == 0 {
                    format!("corrupt zstd frame header: {e}")
                } else {
                    format!("garbage after zstd frame {frames}: {e}")
                };
                pump.stop_with(AnomalyKind::Malformed, detail);
                return;
            }
        }
        frames = frames.saturating_add(1);
    }
}

/// Streams decoded bytes into a spool under the size, ratio and budget limits.
pub(crate) struct Pump<'a> {
    spool: Spool,
    len: u64,
    crc: crc32fast::Hasher,
    /// Most bytes this stream may produce (size and ratio limits combined).
    limit: u64,
    limit_reason: String,
    budget: &'a Budget,
    what: &'a str,
    max_window: u64,
    stop: Option<Anomaly>,
    failed_spool: bool,
    compressed_len: u64,
    max_ratio: u64,
    /// Compressed bytes taken so far, counted by a [`Counted`] source.
    consumed: Rc<Cell<u64>>,
    /// The declared size, when it is over `limit`: judge the ratio while streaming.
    early: Option<u64>,
}

impl<'a> Pump<'a> {
    pub(crate) fn new(compressed_len: u64, limits: &Limits, budget: &'a Budget, what: &'a str) -> Self {
        let by_ratio = compressed_len.saturating_mul(limits.max_ratio).max(RATIO_GRACE);
        let (limit, limit_reason) = if by_ratio < limits.max_decompressed_bytes {
            (
                by_ratio,
                format!(
                    "expands past {by_ratio} bytes from {compressed_len} compressed (ratio limit {})",
                    limits.max_ratio
                ),
            )
        } else {
            let m = limits.max_decompressed_bytes;
            (m, format!("expands past the {m}-byte decompression limit"))
        };
        Self {
            spool: spool(),
            len: 0,
            crc: crc32fast::Hasher::new(),
            limit,
            limit_reason,
            budget,
            what,
            max_window: limits.max_decompressed_bytes.clamp(8 << 20, ZSTD_MAX_WINDOW),
            stop: None,
            failed_spool: false,
            compressed_len,
            max_ratio: limits.max_ratio,
            consumed: Rc::new(Cell::new(0)),
            early: None,
        }
    }

    /// Takes the size the stream or its container declares. When it is over
    /// the limits (so that, if true, the stream is a bomb whatever else it
    /// holds), the ratio is judged while streaming as well: decoding stops at
    /// the first chunk after which more than [`RATIO_GRACE`] bytes have come
    /// from less than `1 / max_ratio` as many compressed bytes. Returns the
    /// counter that the source must feed (wrap it in a [`Counted`]).
    pub(crate) fn declare(&mut self, declared: Option<u64>) -> Rc<Cell<u64>> {
        self.early = declared.filter(|&d| d > self.limit);
        Rc::clone(&self.consumed)
    }

    /// Runs decoding in `f`, turning a panic inside a third-party decoder into
    /// a [`AnomalyKind::Malformed`] stop (defence in depth: no input should
    /// panic, but a scanner must not die on one that does). The spool only
    /// ever holds whole chunks, so it stays consistent.
    pub(crate) fn guard(&mut self, f: impl FnOnce(&mut Self)) {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        if caught.is_err() {
            let (what, len) = (self.what, self.len);
            self.stop_with(AnomalyKind::Malformed, format!("{what} decoder panicked after {len} decoded bytes"));
        }
    }

    fn stop_with(&mut self, kind: AnomalyKind, detail: String) {
        if self.stop.is_none() {
            self.stop = Some(Anomaly::new(kind, detail));
        }
    }

    /// Records a decoder error: truncation or corruption after `len` bytes.
    pub(crate) fn fail(&mut self, e: &dyn std::fmt::Display) {
        let text = e.to_string();
        let lower = text.to_ascii_lowercase();
        let kind = if lower.contains("eof") || lower.contains("end of file") || lower.contains("unexpected end") {
            AnomalyKind::Truncated
        } else {
            AnomalyKind::Malformed
        };
        let what = self.what;
        let len = self.len;
        self.stop_with(kind, format!("{what} data fails after {len} decoded bytes: {text}"));
    }

    /// Reads `r` to its end (or to a limit) into the spool.
    pub(crate) fn feed(&mut self, r: &mut dyn Read) {
        // A pooled buffer: a folder of compressed members would otherwise zero 64 KiB each.
        let mut buf = crate::pool::take_len(64 << 10);
        self.feed_through(r, &mut buf);
        crate::pool::give(buf);
    }

    fn feed_through(&mut self, r: &mut dyn Read, buf: &mut [u8]) {
        while self.stop.is_none() {
            let n = match r.read(buf) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        let (what, len) = (self.what, self.len);
                        self.stop_with(
                            AnomalyKind::Truncated,
                            format!("{what} data ends early after {len} decoded bytes: {e}"),
                        );
                    } else {
                        self.fail(&e);
                    }
                    return;
                }
            };
            let room = self.limit.saturating_sub(self.len);
            let take = usize::try_from(room).map_or(n, |room| room.min(n));
            if take > 0 {
                if !self.budget.take(take as u64) {
                    let what = self.what;
                    self.stop_with(
                        AnomalyKind::Bomb,
                        format!("{what} data exhausts the shared decompression budget after {} bytes", self.len),
                    );
                    return;
                }
                let chunk = &buf[..take];
                if let Err(e) = self.spool.write_all(chunk) {
                    self.failed_spool = true;
                    self.stop_with(AnomalyKind::Malformed, format!("cannot spool decoded data: {e}"));
                    return;
                }
                self.crc.update(chunk);
                self.len += take as u64;
            }
            if take < n {
                let detail = format!("{} data {}", self.what, self.limit_reason);
                self.stop_with(AnomalyKind::Bomb, detail);
                return;
            }
            if let Some(declared) = self.early {
                let consumed = self.consumed.get();
                if self.len > RATIO_GRACE && self.len > consumed.saturating_mul(self.max_ratio) {
                    let detail = format!(
                        "{} data declares {declared} bytes from {} compressed, and its first {consumed} compressed \
                         bytes already expand to {} (ratio limit {}); the rest is not decoded",
                        self.what, self.compressed_len, self.len, self.max_ratio
                    );
                    self.stop_with(AnomalyKind::Bomb, detail);
                    return;
                }
            }
        }
    }

    /// Rewinds the spool and hands back the result (see [`decompress`]).
    pub(crate) fn finish(self) -> Result<Decompressed, Anomaly> {
        let (spool, len, _crc, stop) = self.finish_with_crc()?;
        Ok((spool, len, stop))
    }

    pub(crate) fn finish_with_crc(mut self) -> Result<(Spool, u64, u32, Option<Anomaly>), Anomaly> {
        if self.failed_spool {
            return Err(self.stop.unwrap_or_else(|| Anomaly::new(AnomalyKind::Malformed, "spool failure")));
        }
        if let Err(e) = self.spool.seek(SeekFrom::Start(0)) {
            return Err(Anomaly::new(AnomalyKind::Malformed, format!("cannot rewind spool: {e}")));
        }
        if self.len == 0
            && let Some(a) = self.stop
        {
            return Err(a);
        }
        Ok((self.spool, self.len, self.crc.finalize(), self.stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    fn limits() -> Limits {
        Limits { max_decompressed_bytes: 64 << 20, ..Limits::default() }
    }

    fn roundtrip(codec: Codec, data: &[u8], compressed: &[u8]) {
        assert_eq!(sniff(compressed), Some(codec), "sniff {codec:?}");
        let budget = Budget::new(1 << 30);
        let (mut sp, len, anomaly) =
            decompress(codec, &mut &compressed[..], compressed.len() as u64, &limits(), &budget).unwrap();
        assert_eq!(anomaly, None, "{codec:?}");
        assert_eq!(len, data.len() as u64);
        let mut out = Vec::new();
        sp.read_to_end(&mut out).unwrap();
        assert_eq!(out, data, "{codec:?}");
    }

    fn sample() -> Vec<u8> {
        (0..100_000u32).map(|i| (i % 251) as u8 ^ (i / 1000) as u8).collect()
    }

    #[test]
    fn gzip_multi_member() {
        let data = sample();
        let mut out = Vec::new();
        for half in [&data[..50_000], &data[50_000..]] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(half).unwrap();
            out.extend(e.finish().unwrap());
        }
        roundtrip(Codec::Gzip, &data, &out);
    }

    #[test]
    fn zlib_roundtrip_and_strict_sniff() {
        let data = sample();
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&data).unwrap();
        roundtrip(Codec::Zlib, &data, &e.finish().unwrap());
        // A valid zlib header followed by garbage that is not deflate.
        assert_eq!(sniff(&[0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn bzip2_roundtrip() {
        let data = sample();
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        e.write_all(&data).unwrap();
        roundtrip(Codec::Bzip2, &data, &e.finish().unwrap());
    }

    #[test]
    fn xz_roundtrip() {
        let data = sample();
        let mut w = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
        w.write_all(&data).unwrap();
        roundtrip(Codec::Xz, &data, &w.finish().unwrap());
    }

    #[test]
    fn lzma_alone_roundtrip() {
        let data = sample();
        let opts = lzma_rust2::LzmaOptions::with_preset(6);
        let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, None).unwrap();
        w.write_all(&data).unwrap();
        roundtrip(Codec::LzmaAlone, &data, &w.finish().unwrap());
    }

    #[test]
    fn zstd_two_frames() {
        let data = sample();
        let mut out = Vec::new();
        for half in [&data[..30_000], &data[30_000..]] {
            out.extend(ruzstd::encoding::compress_to_vec(half, ruzstd::encoding::CompressionLevel::Fastest));
        }
        roundtrip(Codec::Zstd, &data, &out);
    }

    #[test]
    fn lz4_roundtrip() {
        let data = sample();
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(&data).unwrap();
        roundtrip(Codec::Lz4Frame, &data, &e.finish().unwrap());
    }

    #[test]
    fn gzip_bomb_stops() {
        // 200 MB of zeros compress to ~200 KB: ratio ~1000, over the 64 MiB limit.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            e.write_all(&zeros).unwrap();
        }
        let gz = e.finish().unwrap();
        let budget = Budget::new(1 << 40);
        let lim = Limits { max_ratio: 100_000, ..limits() };
        let (_, len, a) = decompress(Codec::Gzip, &mut &gz[..], gz.len() as u64, &lim, &budget).unwrap();
        assert_eq!(a.unwrap().kind, AnomalyKind::Bomb);
        assert_eq!(len, 64 << 20);
        // With the default ratio of 1000 it stops far earlier.
        let (_, len, a) = decompress(Codec::Gzip, &mut &gz[..], gz.len() as u64, &limits(), &budget).unwrap();
        assert_eq!(a.unwrap().kind, AnomalyKind::Bomb);
        assert!(len <= gz.len() as u64 * 1000);
        // And the shared budget is honoured.
        let small = Budget::new(100_000);
        let (_, len, a) = decompress(Codec::Gzip, &mut &gz[..], gz.len() as u64, &lim, &small).unwrap();
        assert_eq!(a.unwrap().kind, AnomalyKind::Bomb);
        assert!(len <= 100_000);
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn declared_bomb_stops_at_its_first_chunk_over_the_ratio() {
        // 200 MiB of zeros, ISIZE says so: judged while streaming.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            e.write_all(&zeros).unwrap();
        }
        let bomb = e.finish().unwrap();
        assert_eq!(declared_size(Codec::Gzip, &mut io::Cursor::new(&bomb), bomb.len() as u64), Some(200 << 20));
        let budget = Budget::new(1 << 40);
        let (_, len, a) =
            decompress_stream(Codec::Gzip, &mut io::Cursor::new(&bomb), bomb.len() as u64, &limits(), &budget).unwrap();
        let a = a.unwrap();
        assert_eq!(a.kind, AnomalyKind::Bomb);
        assert!(a.detail.contains("declares 209715200 bytes") && a.detail.contains("not decoded"), "{}", a.detail);
        assert!(len > RATIO_GRACE && len <= RATIO_GRACE + (64 << 10), "{len}");
        // Without the declaration (a plain reader) it runs to the first whole-stream
        // limit: compressed × ratio, or here the 64 MiB size limit.
        let (_, len, a) = decompress(Codec::Gzip, &mut &bomb[..], bomb.len() as u64, &limits(), &budget).unwrap();
        assert_eq!(a.unwrap().kind, AnomalyKind::Bomb);
        assert_eq!(len, (bomb.len() as u64 * 1000).min(64 << 20));
    }

    #[test]
    fn zero_prefix_is_judged_on_the_whole_stream() {
        // Zeros first (over 1000:1 on their own), then noise: about 2:1 overall.
        let mut data = vec![0u8; 8 << 20];
        let mut x: u32 = 0x9e37_79b9;
        data.extend((0..8 << 20).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        }));
        let z = gz(&data);
        let budget = Budget::new(1 << 40);
        let (_, len, a) =
            decompress_stream(Codec::Gzip, &mut io::Cursor::new(&z), z.len() as u64, &limits(), &budget).unwrap();
        assert_eq!(a, None);
        assert_eq!(len, data.len() as u64);
    }

    #[test]
    fn declared_sizes() {
        let data = sample();
        let len = data.len() as u64;
        let c = |codec, b: &[u8]| declared_size(codec, &mut io::Cursor::new(b), b.len() as u64);
        assert_eq!(c(Codec::Gzip, &gz(&data)), Some(len));
        let zs = ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
        assert!(matches!(c(Codec::Zstd, &zs), Some(n) if n == len) || c(Codec::Zstd, &zs).is_none());
        let opts = lzma_rust2::LzmaOptions::with_preset(6);
        let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, Some(len)).unwrap();
        w.write_all(&data).unwrap();
        assert_eq!(c(Codec::LzmaAlone, &w.finish().unwrap()), Some(len));
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&data).unwrap();
        assert_eq!(c(Codec::Zlib, &e.finish().unwrap()), None);
        // Hand-made frame headers: lz4 with content size, zstd single-segment with a 1-byte size.
        let mut lz4 = vec![0x04, 0x22, 0x4d, 0x18, 0x48, 0x40];
        lz4.extend(123_456u64.to_le_bytes());
        lz4.extend([0u8; 8]);
        assert_eq!(c(Codec::Lz4Frame, &lz4), Some(123_456));
        assert_eq!(c(Codec::Zstd, &[0x28, 0xb5, 0x2f, 0xfd, 0x20, 200, 0, 0]), Some(200));
        assert_eq!(c(Codec::Zstd, &[0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x10, 0x00, 0, 0]), Some(256 + 0x10));
        assert_eq!(c(Codec::Zstd, &[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0, 0]), None);
    }

    #[test]
    fn truncated_gzip_keeps_prefix() {
        let data = sample();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&data).unwrap();
        let gz = e.finish().unwrap();
        let cut = &gz[..gz.len() / 2];
        let budget = Budget::new(1 << 30);
        let (mut sp, len, a) = decompress(Codec::Gzip, &mut &cut[..], cut.len() as u64, &limits(), &budget).unwrap();
        assert!(len > 0);
        assert!(a.is_some(), "truncation reported");
        let mut out = Vec::new();
        sp.read_to_end(&mut out).unwrap();
        assert_eq!(&out[..], &data[..out.len()]);
    }

    #[test]
    fn corrupt_header_is_err() {
        let budget = Budget::new(1 << 30);
        for codec in [Codec::Gzip, Codec::Zlib, Codec::Bzip2, Codec::Xz, Codec::LzmaAlone, Codec::Zstd, Codec::Lz4Frame]
        {
            let r = decompress(codec, &mut &b"not compressed at all"[..], 21, &limits(), &budget);
            assert!(r.is_err(), "{codec:?}");
        }
    }

    #[test]
    fn sniff_rejects_plain_data() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"PK\x03\x04 zip"), None);
        assert_eq!(sniff(&[0u8; 64]), None);
        assert_eq!(sniff(&[0x5d, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]), None);
    }

    #[test]
    fn sniff_random_floats_rarely_matches() {
        // Pseudo-random tensor-like bytes: no codec should claim them.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut hits = 0;
        for _ in 0..20_000 {
            let mut head = [0u8; 64];
            for b in head.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            if sniff(&head).is_some() {
                hits += 1;
            }
        }
        assert!(hits <= 2, "{hits} false positives");
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048), c in 0usize..7) {
            let codec = [Codec::Gzip, Codec::Zlib, Codec::Bzip2, Codec::Xz, Codec::LzmaAlone, Codec::Zstd, Codec::Lz4Frame][c];
            let _ = sniff(&data);
            let budget = Budget::new(1 << 30);
            let _ = decompress(codec, &mut &data[..], data.len() as u64, &limits(), &budget);
        }
    }
}
