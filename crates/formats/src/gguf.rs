//! GGUF (llama.cpp) files, versions 1 to 3: the header, the metadata key/values
//! and the tensor descriptions, read through a small bounded buffer. Tensor data
//! is never read: large arrays are validated against the file size and skipped.
//! Everything odd is returned as an [`Anomaly`]; the chat templates found in the
//! metadata are returned for template analysis.

use std::collections::HashSet;
use std::io::{self, SeekFrom};

use crate::Limits;
use crate::container::ReadSeek;

/// The magic bytes at offset 0.
pub const MAGIC: &[u8; 4] = b"GGUF";
/// The alignment of tensor data when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Largest `general.alignment` accepted as sane.
pub const MAX_ALIGNMENT: u64 = 1 << 16;
/// Most dimensions a tensor may have (`GGML_MAX_DIMS`).
pub const MAX_DIMS: u32 = 4;
/// Longest key accepted.
const MAX_KEY_LEN: u64 = 1 << 16;
/// Longest chat template kept in memory.
const MAX_TEMPLATE_LEN: u64 = 4 << 20;
/// Longest licence value kept (a whole licence text fits).
const MAX_LICENCE_LEN: u64 = 256 << 10;

/// `general.license`, `general.license.name`, `general.license.link`.
fn is_licence_key(key: &str) -> bool {
    key == "general.license" || key.starts_with("general.license.")
}
/// Deepest nesting of arrays.
const MAX_ARRAY_NESTING: u32 = 2;

/// True if the bytes start like a GGUF file.
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 8 && &head[..4] == MAGIC
}

/// What is wrong with a GGUF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnomalyKind {
    /// The file ends before the header, a key/value or a tensor description does.
    Truncated,
    /// A tensor or key/value count, string length or array length larger than the bytes left.
    AbsurdLength,
    /// Unknown value type, bad UTF-8, nested arrays, duplicate keys or tensor names.
    Malformed,
    /// A version other than 1, 2 or 3.
    UnknownVersion,
    /// `general.alignment` is zero, not a power of two, huge, or of the wrong type.
    BadAlignment,
    /// A known key with the wrong value type, or tokenizer arrays of different lengths.
    TypeMismatch,
    /// n_dims out of range, a zero/overflowing dimension product, or data beyond the file.
    TensorOutOfBounds,
    /// A tensor offset not a multiple of the alignment, or overlapping tensors.
    Misaligned,
    /// A ggml tensor type this reader does not know.
    UnknownTensorType,
    /// More key/values or tensors than the scan limits allow; the rest was not read.
    Limit,
}

/// One anomaly, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub message: String,
    pub offset: Option<u64>,
}

/// A chat template found in the metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The key (`tokenizer.chat_template`, `tokenizer.chat_template.tool_use`).
    pub key: String,
    pub text: String,
    /// Offset of the template's bytes in the file.
    pub offset: u64,
}

/// What the header says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub big_endian: bool,
    pub tensor_count: u64,
    pub kv_count: u64,
    /// Keys read, in order (bounded by the entry limit).
    pub keys: Vec<String>,
    pub architecture: Option<String>,
    pub alignment: u64,
    /// Offset where tensor data starts (after the descriptions and padding), if reached.
    pub data_offset: Option<u64>,
    pub templates: Vec<Template>,
    /// String values of `general.license`, `general.license.name` and
    /// `general.license.link` (the GGUF spec's licence keys), with their offsets.
    pub licence: Vec<Template>,
    pub anomalies: Vec<Anomaly>,
}

const T_U8: u32 = 0;
const T_I8: u32 = 1;
const T_U16: u32 = 2;
const T_I16: u32 = 3;
const T_U32: u32 = 4;
const T_I32: u32 = 5;
const T_F32: u32 = 6;
const T_BOOL: u32 = 7;
const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;
const T_U64: u32 = 10;
const T_I64: u32 = 11;
const T_F64: u32 = 12;

fn type_name(t: u32) -> &'static str {
    match t {
        T_U8 => "UINT8",
        T_I8 => "INT8",
        T_U16 => "UINT16",
        T_I16 => "INT16",
        T_U32 => "UINT32",
        T_I32 => "INT32",
        T_F32 => "FLOAT32",
        T_BOOL => "BOOL",
        T_STRING => "STRING",
        T_ARRAY => "ARRAY",
        T_U64 => "UINT64",
        T_I64 => "INT64",
        T_F64 => "FLOAT64",
        _ => "unknown",
    }
}

fn fixed_size(t: u32) -> Option<u64> {
    match t {
        T_U8 | T_I8 | T_BOOL => Some(1),
        T_U16 | T_I16 => Some(2),
        T_U32 | T_I32 | T_F32 => Some(4),
        T_U64 | T_I64 | T_F64 => Some(8),
        _ => None,
    }
}

/// (block size in elements, bytes per block) of a ggml tensor type.
pub fn ggml_type(t: u32) -> Option<(&'static str, u64, u64)> {
    Some(match t {
        0 => ("F32", 1, 4),
        1 => ("F16", 1, 2),
        2 => ("Q4_0", 32, 18),
        3 => ("Q4_1", 32, 20),
        6 => ("Q5_0", 32, 22),
        7 => ("Q5_1", 32, 24),
        8 => ("Q8_0", 32, 34),
        9 => ("Q8_1", 32, 36),
        10 => ("Q2_K", 256, 84),
        11 => ("Q3_K", 256, 110),
        12 => ("Q4_K", 256, 144),
        13 => ("Q5_K", 256, 176),
        14 => ("Q6_K", 256, 210),
        15 => ("Q8_K", 256, 292),
        16 => ("IQ2_XXS", 256, 66),
        17 => ("IQ2_XS", 256, 74),
        18 => ("IQ3_XXS", 256, 98),
        19 => ("IQ1_S", 256, 50),
        20 => ("IQ4_NL", 32, 18),
        21 => ("IQ3_S", 256, 110),
        22 => ("IQ2_S", 256, 82),
        23 => ("IQ4_XS", 256, 136),
        24 => ("I8", 1, 1),
        25 => ("I16", 1, 2),
        26 => ("I32", 1, 4),
        27 => ("I64", 1, 8),
        28 => ("F64", 1, 8),
        29 => ("IQ1_M", 256, 56),
        30 => ("BF16", 1, 2),
        34 => ("TQ1_0", 256, 54),
        35 => ("TQ2_0", 256, 66),
        39 => ("MXFP4", 32, 17),
        _ => return None,
    })
}

/// Value types that loaders read for well-known keys (`None` element type = scalar).
fn expected_type(key: &str) -> Option<(u32, Option<u32>)> {
    Some(match key {
        "general.alignment" | "general.quantization_version" | "general.file_type" => (T_U32, None),
        "general.architecture" | "general.name" | "tokenizer.ggml.model" | "tokenizer.ggml.pre" => (T_STRING, None),
        "tokenizer.ggml.tokens" | "tokenizer.ggml.merges" => (T_ARRAY, Some(T_STRING)),
        "tokenizer.ggml.scores" => (T_ARRAY, Some(T_F32)),
        "tokenizer.ggml.token_type" => (T_ARRAY, Some(T_I32)),
        "tokenizer.ggml.bos_token_id"
        | "tokenizer.ggml.eos_token_id"
        | "tokenizer.ggml.unknown_token_id"
        | "tokenizer.ggml.seperator_token_id"
        | "tokenizer.ggml.padding_token_id" => (T_U32, None),
        k if is_template_key(k) => (T_STRING, None),
        _ => return None,
    })
}

fn is_template_key(k: &str) -> bool {
    k == "tokenizer.chat_template" || k.strip_prefix("tokenizer.chat_template.").is_some_and(|n| !n.is_empty())
}

/// A forward reader over the file with its own buffer, so that skipping many small strings
/// does not cost a system call each, and every read is checked against the file's length.
struct Stream<'a> {
    src: &'a mut dyn ReadSeek,
    len: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    be: bool,
}

#[derive(Debug)]
enum Stop {
    /// Needed `need` bytes at `at`, only `have` remain.
    Eof {
        at: u64,
        need: u64,
    },
    Io(io::Error),
    /// Parsing cannot go on and the reason was already reported.
    Reported,
}

impl<'a> Stream<'a> {
    fn new(src: &'a mut dyn ReadSeek, len: u64) -> Self {
        Self { src, len, pos: 0, buf: Vec::new(), buf_start: 0, be: false }
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], Stop> {
        if (n as u64) > self.remaining() {
            return Err(Stop::Eof { at: self.pos, need: n as u64 });
        }
        let in_buf = self.pos >= self.buf_start && self.pos + n as u64 <= self.buf_start + self.buf.len() as u64;
        if !in_buf {
            let want = n.max(64 << 10).min(usize::try_from(self.remaining()).unwrap_or(usize::MAX));
            self.src.seek(SeekFrom::Start(self.pos)).map_err(Stop::Io)?;
            self.buf.resize(want, 0);
            let mut got = 0;
            while got < want {
                match self.src.read(&mut self.buf[got..]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Stop::Io(e)),
                }
            }
            self.buf.truncate(got);
            self.buf_start = self.pos;
            if got < n {
                return Err(Stop::Eof { at: self.pos, need: n as u64 });
            }
        }
        let s = usize::try_from(self.pos - self.buf_start).unwrap_or(0);
        self.pos += n as u64;
        Ok(&self.buf[s..s + n])
    }

    fn skip(&mut self, n: u64) -> Result<(), Stop> {
        if n > self.remaining() {
            return Err(Stop::Eof { at: self.pos, need: n });
        }
        self.pos += n;
        Ok(())
    }

    fn u32(&mut self) -> Result<u32, Stop> {
        let be = self.be;
        let b: [u8; 4] = self.bytes(4)?.try_into().unwrap_or([0; 4]);
        Ok(if be { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    fn u64(&mut self) -> Result<u64, Stop> {
        let be = self.be;
        let b: [u8; 8] = self.bytes(8)?.try_into().unwrap_or([0; 8]);
        Ok(if be { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    }
}

struct Parser<'a, 'l> {
    s: Stream<'a>,
    limits: &'l Limits,
    version: u32,
    h: Header,
    /// Structural anomalies are not reported for unknown versions (the body may be another layout).
    quiet: bool,
}

/// A string too long to keep: its length and offset.
type Skipped = (u64, u64);

/// A decoded scalar value, for the few keys whose value matters.
enum Val {
    Int(u64),
    Str(String, u64),
    Other,
}

impl Parser<'_, '_> {
    fn anomaly(&mut self, kind: AnomalyKind, offset: Option<u64>, message: impl Into<String>) {
        if self.quiet && kind != AnomalyKind::UnknownVersion {
            return;
        }
        if self.h.anomalies.len() < 256 {
            self.h.anomalies.push(Anomaly { kind, message: message.into(), offset });
        }
    }

    fn stop(&mut self, what: &str, e: Stop) {
        match e {
            Stop::Eof { at, need } => {
                let have = self.s.len.saturating_sub(at);
                let (kind, msg) = if need > have && need > 1 << 20 {
                    (AnomalyKind::AbsurdLength, format!("{what}: declares {need} bytes but only {have} remain"))
                } else {
                    (AnomalyKind::Truncated, format!("file ends inside {what} ({need} bytes needed, {have} left)"))
                };
                self.anomaly(kind, Some(at), msg);
            }
            Stop::Io(e) => self.anomaly(AnomalyKind::Truncated, Some(self.s.pos), format!("read error in {what}: {e}")),
            Stop::Reported => {}
        }
    }

    fn count(&mut self) -> Result<u64, Stop> {
        if self.version == 1 { self.s.u32().map(u64::from) } else { self.s.u64() }
    }

    /// A string's length and offset, validated against the bytes left.
    fn str_len(&mut self) -> Result<(u64, u64), Stop> {
        let n = self.count()?;
        let at = self.s.pos;
        if n > self.s.remaining() {
            return Err(Stop::Eof { at, need: n });
        }
        Ok((n, at))
    }

    /// A string and its offset, or (when longer than `max`, skipped) its length and offset.
    fn read_string(&mut self, max: u64) -> Result<Result<(String, u64), Skipped>, Stop> {
        let (n, at) = self.str_len()?;
        if n > max {
            self.s.skip(n)?;
            return Ok(Err((n, at)));
        }
        let b = self.s.bytes(usize::try_from(n).unwrap_or(usize::MAX))?;
        Ok(Ok((String::from_utf8_lossy(b).into_owned(), at)))
    }

    fn value(&mut self, key: &str, t: u32, nesting: u32) -> Result<Val, Stop> {
        let at = self.s.pos;
        if let Some(sz) = fixed_size(t) {
            return match (t, sz) {
                (_, 1) => Ok(Val::Int(u64::from(self.s.bytes(1)?[0]))),
                (_, 2) => {
                    let b: [u8; 2] = self.s.bytes(2)?.try_into().unwrap_or([0; 2]);
                    Ok(Val::Int(u64::from(if self.s.be { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })))
                }
                (T_F32, _) => self.s.u32().map(|_| Val::Other),
                (T_F64, _) => self.s.u64().map(|_| Val::Other),
                (_, 4) => self.s.u32().map(|v| Val::Int(u64::from(v))),
                _ => self.s.u64().map(Val::Int),
            };
        }
        match t {
            T_STRING => {
                let max = if is_template_key(key) || key == "general.architecture" {
                    MAX_TEMPLATE_LEN
                } else if is_licence_key(key) {
                    MAX_LICENCE_LEN
                } else {
                    0
                };
                match self.read_string(max)? {
                    Ok((s, at)) => {
                        if std::str::from_utf8(s.as_bytes()).is_err() || s.contains('\u{FFFD}') && max > 0 {
                            self.anomaly(AnomalyKind::Malformed, Some(at), format!("{key}: string is not valid UTF-8"));
                        }
                        Ok(Val::Str(s, at))
                    }
                    Err((n, at)) => {
                        if max > 0 {
                            self.anomaly(
                                AnomalyKind::AbsurdLength,
                                Some(at),
                                format!("{key}: {n}-byte string is above the {max}-byte limit; not analysed"),
                            );
                        }
                        Ok(Val::Other)
                    }
                }
            }
            T_ARRAY => {
                let et = self.s.u32()?;
                let n = self.count()?;
                let rem = self.s.remaining();
                if let Some(sz) = fixed_size(et) {
                    match n.checked_mul(sz) {
                        Some(total) if total <= rem => self.s.skip(total)?,
                        _ => {
                            self.anomaly(
                                AnomalyKind::AbsurdLength,
                                Some(at),
                                format!(
                                    "{key}: array of {n} {} elements does not fit in the {rem} bytes left",
                                    type_name(et)
                                ),
                            );
                            return Err(Stop::Reported);
                        }
                    }
                } else if et == T_STRING || et == T_ARRAY {
                    // Each element takes at least its length field.
                    let min = if et == T_STRING {
                        if self.version == 1 { 4 } else { 8 }
                    } else {
                        4 + if self.version == 1 { 4 } else { 8 }
                    };
                    if n.checked_mul(min).is_none_or(|m| m > rem) {
                        self.anomaly(
                            AnomalyKind::AbsurdLength,
                            Some(at),
                            format!(
                                "{key}: array of {n} {} elements does not fit in the {rem} bytes left",
                                type_name(et)
                            ),
                        );
                        return Err(Stop::Reported);
                    }
                    if et == T_ARRAY && nesting >= MAX_ARRAY_NESTING {
                        self.anomaly(AnomalyKind::Malformed, Some(at), format!("{key}: arrays nested too deeply"));
                        return Err(Stop::Reported);
                    }
                    let cap = self.limits.max_entries.saturating_mul(100);
                    if n > cap {
                        self.anomaly(
                            AnomalyKind::Limit,
                            Some(at),
                            format!("{key}: array of {n} elements is above the {cap}-element scan limit"),
                        );
                        return Err(Stop::Reported);
                    }
                    for _ in 0..n {
                        if et == T_STRING {
                            let (len, _) = self.str_len()?;
                            self.s.skip(len)?;
                        } else {
                            self.value(key, T_ARRAY, nesting + 1)?;
                        }
                    }
                } else {
                    self.anomaly(AnomalyKind::Malformed, Some(at), format!("{key}: array of unknown value type {et}"));
                    return Err(Stop::Reported);
                }
                Ok(Val::Int(n))
            }
            _ => {
                self.anomaly(AnomalyKind::Malformed, Some(at), format!("{key}: unknown value type {t}"));
                Err(Stop::Reported)
            }
        }
    }
}

/// Reads a GGUF file's header, metadata and tensor descriptions. Never fails:
/// problems are anomalies in the returned header.
pub fn parse(src: &mut dyn ReadSeek, len: u64, limits: &Limits) -> Header {
    let mut p = Parser {
        s: Stream::new(src, len),
        limits,
        version: 0,
        h: Header { alignment: DEFAULT_ALIGNMENT, ..Header::default() },
        quiet: false,
    };
    run(&mut p);
    p.h
}

fn run(p: &mut Parser<'_, '_>) {
    let head = match p.s.bytes(8) {
        Ok(b) => <[u8; 8]>::try_from(b).unwrap_or([0; 8]),
        Err(e) => return p.stop("the header", e),
    };
    let le = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let be = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let version = if (1..=3).contains(&le) {
        le
    } else if (1..=3).contains(&be) {
        p.s.be = true;
        p.h.big_endian = true;
        be
    } else {
        p.anomaly(
            AnomalyKind::UnknownVersion,
            Some(4),
            format!("unknown GGUF version {le} (known: 1, 2, 3); loaders refuse it or misread it"),
        );
        p.quiet = true;
        3
    };
    p.version = version;
    p.h.version = if p.quiet { le } else { version };
    let (tensors, kvs) = match (p.count(), p.count()) {
        (Ok(t), Ok(k)) => (t, k),
        (Err(e), _) | (_, Err(e)) => return p.stop("the header", e),
    };
    p.h.tensor_count = tensors;
    p.h.kv_count = kvs;
    // A key/value takes at least a key length, a type and one byte; a tensor description
    // at least a name length, n_dims, a type and an offset.
    let (klen, min_kv) = if version == 1 { (4, 4 + 4 + 1) } else { (8, 8 + 4 + 1) };
    let min_tensor = klen + 4 + 4 + 8;
    let rem = p.s.remaining();
    if kvs.checked_mul(min_kv).is_none_or(|n| n > rem) {
        p.anomaly(
            AnomalyKind::AbsurdLength,
            Some(16),
            format!("{kvs} metadata key/values cannot fit in the {rem} bytes after the header"),
        );
        return;
    }
    if tensors.checked_mul(min_tensor).is_none_or(|n| n > rem) {
        p.anomaly(
            AnomalyKind::AbsurdLength,
            Some(8),
            format!("{tensors} tensor descriptions cannot fit in the {rem} bytes after the header"),
        );
        // The metadata (and its templates) are still read.
    }
    let max = p.limits.max_entries;
    let mut seen = HashSet::new();
    let mut tok_lens: [Option<u64>; 3] = [None; 3];
    for i in 0..kvs {
        if i >= max {
            p.anomaly(AnomalyKind::Limit, Some(p.s.pos), format!("more than {max} key/values; the rest was not read"));
            return;
        }
        let at = p.s.pos;
        let key = match p.read_string(MAX_KEY_LEN) {
            Ok(Ok((k, _))) => k,
            Ok(Err((n, _))) => {
                p.anomaly(AnomalyKind::AbsurdLength, Some(at), format!("key of {n} bytes"));
                format!("<{n}-byte key>")
            }
            Err(e) => return p.stop("a metadata key", e),
        };
        let t = match p.s.u32() {
            Ok(t) => t,
            Err(e) => return p.stop(&format!("the type of {key}"), e),
        };
        let vat = p.s.pos;
        if !seen.insert(key.clone()) {
            p.anomaly(AnomalyKind::Malformed, Some(at), format!("duplicate key {key}"));
        }
        // The element type of an array, peeked before reading it.
        let elem = if t == T_ARRAY {
            match p.s.bytes(4) {
                Ok(b) => {
                    let b: [u8; 4] = b.try_into().unwrap_or([0; 4]);
                    p.s.pos -= 4;
                    Some(if p.s.be { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
                }
                Err(e) => return p.stop(&format!("the value of {key}"), e),
            }
        } else {
            None
        };
        if let Some((want, want_elem)) = expected_type(&key)
            && (want != t || (want_elem.is_some() && want_elem != elem))
        {
            let got = match elem {
                Some(e) => format!("ARRAY of {}", type_name(e)),
                None => type_name(t).to_string(),
            };
            let exp = match want_elem {
                Some(e) => format!("ARRAY of {}", type_name(e)),
                None => type_name(want).to_string(),
            };
            let kind = if key == "general.alignment" { AnomalyKind::BadAlignment } else { AnomalyKind::TypeMismatch };
            p.anomaly(kind, Some(at), format!("{key} is {got} but loaders read it as {exp}"));
        }
        let v = match p.value(&key, t, 0) {
            Ok(v) => v,
            Err(e) => return p.stop(&format!("the value of {key}"), e),
        };
        match (key.as_str(), v) {
            ("general.alignment", Val::Int(a)) => {
                if a == 0 || !a.is_power_of_two() || a > MAX_ALIGNMENT {
                    p.anomaly(
                        AnomalyKind::BadAlignment,
                        Some(vat),
                        format!("general.alignment = {a} (must be a non-zero power of two, at most {MAX_ALIGNMENT})"),
                    );
                }
                if a != 0 {
                    p.h.alignment = a;
                }
            }
            ("general.architecture", Val::Str(s, _)) => p.h.architecture = Some(s.chars().take(64).collect()),
            (k, Val::Str(s, off)) if is_licence_key(k) && p.h.licence.len() < 16 => {
                p.h.licence.push(Template { key: k.to_string(), text: s, offset: off });
            }
            (k, Val::Str(s, off)) if is_template_key(k) => {
                p.h.templates.push(Template { key: k.to_string(), text: s, offset: off });
            }
            ("tokenizer.ggml.tokens", Val::Int(n)) => tok_lens[0] = Some(n),
            ("tokenizer.ggml.scores", Val::Int(n)) => tok_lens[1] = Some(n),
            ("tokenizer.ggml.token_type", Val::Int(n)) => tok_lens[2] = Some(n),
            _ => {}
        }
        if p.h.keys.len() < 4096 {
            p.h.keys.push(key);
        }
    }
    if let [Some(n), s, t] = tok_lens {
        for (name, m) in [("tokenizer.ggml.scores", s), ("tokenizer.ggml.token_type", t)] {
            if let Some(m) = m
                && m != n
            {
                p.anomaly(
                    AnomalyKind::TypeMismatch,
                    None,
                    format!("{name} has {m} entries but tokenizer.ggml.tokens has {n}; loaders index one by the other"),
                );
            }
        }
    }
    // Tensor descriptions.
    struct Info {
        name: String,
        at: u64,
        offset: u64,
        bytes: Option<u64>,
    }
    let mut infos: Vec<Info> = Vec::new();
    let mut names = HashSet::new();
    for i in 0..tensors {
        if i >= max {
            p.anomaly(AnomalyKind::Limit, Some(p.s.pos), format!("more than {max} tensors; the rest was not read"));
            return;
        }
        let at = p.s.pos;
        let name = match p.read_string(MAX_KEY_LEN) {
            Ok(Ok((n, _))) => n,
            Ok(Err((n, _))) => {
                p.anomaly(AnomalyKind::AbsurdLength, Some(at), format!("tensor name of {n} bytes"));
                format!("<{n}-byte name>")
            }
            Err(e) => return p.stop("a tensor description", e),
        };
        let n_dims = match p.s.u32() {
            Ok(n) => n,
            Err(e) => return p.stop(&format!("tensor {name}"), e),
        };
        if n_dims > MAX_DIMS {
            p.anomaly(
                AnomalyKind::TensorOutOfBounds,
                Some(at),
                format!("tensor {name} has {n_dims} dimensions (at most {MAX_DIMS})"),
            );
            if n_dims > 64 {
                return;
            }
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            match p.count() {
                Ok(d) => dims.push(d),
                Err(e) => return p.stop(&format!("tensor {name}"), e),
            }
        }
        let (ty, offset) = match (p.s.u32(), p.s.u64()) {
            (Ok(t), Ok(o)) => (t, o),
            (Err(e), _) | (_, Err(e)) => return p.stop(&format!("tensor {name}"), e),
        };
        if !names.insert(name.clone()) {
            p.anomaly(AnomalyKind::Malformed, Some(at), format!("duplicate tensor name {name}"));
        }
        let elems = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        let bytes = match (elems, ggml_type(ty)) {
            (None, _) => {
                p.anomaly(
                    AnomalyKind::TensorOutOfBounds,
                    Some(at),
                    format!("tensor {name}: dimensions {dims:?} overflow 64 bits when multiplied"),
                );
                None
            }
            (Some(_), None) => {
                p.anomaly(AnomalyKind::UnknownTensorType, Some(at), format!("tensor {name}: unknown ggml type {ty}"));
                None
            }
            (Some(n), Some((tn, block, size))) => {
                if dims.first().is_some_and(|d0| d0 % block != 0) {
                    p.anomaly(
                        AnomalyKind::TensorOutOfBounds,
                        Some(at),
                        format!(
                            "tensor {name}: first dimension {} is not a multiple of {tn}'s block size {block}",
                            dims[0]
                        ),
                    );
                }
                match (n / block).checked_mul(size) {
                    Some(b) => Some(b),
                    None => {
                        p.anomaly(
                            AnomalyKind::TensorOutOfBounds,
                            Some(at),
                            format!("tensor {name}: byte size of {dims:?} x {tn} overflows 64 bits"),
                        );
                        None
                    }
                }
            }
        };
        if infos.len() < (1 << 20) {
            infos.push(Info { name, at, offset, bytes });
        }
    }
    let (end, len) = (p.s.pos, p.s.len);
    let align = p.h.alignment.max(1);
    let data = end.div_ceil(align).checked_mul(align);
    let Some(data) = data.filter(|&d| d <= len || tensors == 0) else {
        if tensors > 0 {
            p.anomaly(
                AnomalyKind::TensorOutOfBounds,
                Some(end),
                format!("tensor data would start past the end of the file (alignment {align})"),
            );
        }
        return;
    };
    p.h.data_offset = Some(data);
    let size = len.saturating_sub(data);
    let mut ranges: Vec<(u64, u64, usize)> = Vec::new();
    let mut oob = 0usize;
    for (i, t) in infos.iter().enumerate() {
        if t.offset % align != 0 {
            p.anomaly(
                AnomalyKind::Misaligned,
                Some(t.at),
                format!("tensor {}: offset {} is not a multiple of the alignment {align}", t.name, t.offset),
            );
        }
        if let Some(b) = t.bytes {
            match t.offset.checked_add(b) {
                Some(e) if e <= size => ranges.push((t.offset, e, i)),
                _ => {
                    oob += 1;
                    if oob <= 8 {
                        p.anomaly(
                            AnomalyKind::TensorOutOfBounds,
                            Some(t.at),
                            format!(
                                "tensor {}: {} bytes at data offset {} run past the {size}-byte data section",
                                t.name, b, t.offset
                            ),
                        );
                    }
                }
            }
        }
    }
    ranges.sort_unstable();
    let mut overlaps = 0;
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 && w[1].0 != w[1].1 {
            overlaps += 1;
            if overlaps <= 4 {
                let (a, b) = (&infos[w[0].2], &infos[w[1].2]);
                p.anomaly(
                    AnomalyKind::Misaligned,
                    Some(b.at),
                    format!("tensors {} and {} overlap in the data section", a.name, b.name),
                );
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    /// A small GGUF writer for tests.
    pub struct W {
        pub b: Vec<u8>,
    }

    impl W {
        pub fn new(version: u32, tensors: u64, kvs: u64) -> Self {
            let mut b = b"GGUF".to_vec();
            b.extend(version.to_le_bytes());
            b.extend(tensors.to_le_bytes());
            b.extend(kvs.to_le_bytes());
            Self { b }
        }
        pub fn str(&mut self, s: &str) -> &mut Self {
            self.b.extend((s.len() as u64).to_le_bytes());
            self.b.extend(s.as_bytes());
            self
        }
        pub fn kv_str(&mut self, k: &str, v: &str) -> &mut Self {
            self.str(k);
            self.b.extend(T_STRING.to_le_bytes());
            self.str(v)
        }
        pub fn kv_u32(&mut self, k: &str, v: u32) -> &mut Self {
            self.str(k);
            self.b.extend(T_U32.to_le_bytes());
            self.b.extend(v.to_le_bytes());
            self
        }
        pub fn kv_arr(&mut self, k: &str, et: u32, n: u64, elem: usize) -> &mut Self {
            self.str(k);
            self.b.extend(T_ARRAY.to_le_bytes());
            self.b.extend(et.to_le_bytes());
            self.b.extend(n.to_le_bytes());
            self.b.extend(std::iter::repeat_n(0u8, elem * n as usize));
            self
        }
        pub fn tensor(&mut self, name: &str, dims: &[u64], ty: u32, off: u64) -> &mut Self {
            self.str(name);
            self.b.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                self.b.extend(d.to_le_bytes());
            }
            self.b.extend(ty.to_le_bytes());
            self.b.extend(off.to_le_bytes());
            self
        }
        pub fn pad_data(&mut self, align: usize, data: usize) -> &mut Self {
            while !self.b.len().is_multiple_of(align) {
                self.b.push(0);
            }
            self.b.extend(std::iter::repeat_n(0u8, data));
            self
        }
    }

    fn parse_bytes(b: &[u8]) -> Header {
        parse(&mut Cursor::new(b), b.len() as u64, &Limits::default())
    }

    fn kinds(h: &Header) -> Vec<AnomalyKind> {
        h.anomalies.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn valid_file() {
        let mut w = W::new(3, 1, 3);
        w.kv_str("general.architecture", "llama")
            .kv_str("tokenizer.chat_template", "{{ x }}")
            .kv_str("tokenizer.chat_template.tool_use", "{{ y }}");
        w.tensor("a", &[64, 2], 0, 0).pad_data(32, 512);
        let h = parse_bytes(&w.b);
        assert!(h.anomalies.is_empty(), "{:?}", h.anomalies);
        assert_eq!(h.templates.len(), 2);
        assert_eq!(h.templates[1].key, "tokenizer.chat_template.tool_use");
        assert_eq!(h.architecture.as_deref(), Some("llama"));
    }

    #[test]
    fn licence_keys_are_kept() {
        let mut w = W::new(3, 0, 3);
        w.kv_str("general.license", "cc-by-nc-4.0")
            .kv_str("general.license.link", "https://example.org/LICENSE")
            .kv_str("general.name", "tiny");
        let h = parse_bytes(&w.b);
        let kept: Vec<(&str, &str)> = h.licence.iter().map(|t| (t.key.as_str(), t.text.as_str())).collect();
        assert_eq!(
            kept,
            vec![("general.license", "cc-by-nc-4.0"), ("general.license.link", "https://example.org/LICENSE")]
        );
        assert_eq!(h.licence[0].offset, 24 + 8 + 15 + 4 + 8);
    }

    #[test]
    fn absurd_counts_and_lengths() {
        let h = parse_bytes(&W::new(3, 0, u64::MAX).b);
        assert_eq!(kinds(&h), vec![AnomalyKind::AbsurdLength]);
        let mut w = W::new(3, 0, 1);
        w.str("k");
        w.b.extend(T_ARRAY.to_le_bytes());
        w.b.extend(T_U32.to_le_bytes());
        w.b.extend((1u64 << 62).to_le_bytes());
        assert!(kinds(&parse_bytes(&w.b)).contains(&AnomalyKind::AbsurdLength));
        let mut w = W::new(3, 0, 1);
        w.b.extend(u64::MAX.to_le_bytes());
        assert!(kinds(&parse_bytes(&w.b)).contains(&AnomalyKind::AbsurdLength));
    }

    #[test]
    fn alignment_and_types() {
        for a in [0u32, 3, 1 << 30] {
            let mut w = W::new(3, 0, 1);
            w.kv_u32("general.alignment", a);
            assert_eq!(kinds(&parse_bytes(&w.b)), vec![AnomalyKind::BadAlignment], "{a}");
        }
        let mut w = W::new(3, 0, 2);
        w.kv_arr("tokenizer.ggml.tokens", T_STRING, 0, 0).kv_arr("tokenizer.ggml.token_type", T_U8, 0, 1);
        assert_eq!(kinds(&parse_bytes(&w.b)), vec![AnomalyKind::TypeMismatch]);
    }

    #[test]
    fn nested_arrays() {
        // An array of two arrays of one UINT32 each; then a template after it.
        let mut w = W::new(3, 0, 2);
        w.str("x");
        w.b.extend(T_ARRAY.to_le_bytes());
        w.b.extend(T_ARRAY.to_le_bytes());
        w.b.extend(2u64.to_le_bytes());
        for _ in 0..2 {
            w.b.extend(T_U32.to_le_bytes());
            w.b.extend(1u64.to_le_bytes());
            w.b.extend(7u32.to_le_bytes());
        }
        w.kv_str("tokenizer.chat_template", "t");
        let h = parse_bytes(&w.b);
        assert!(h.anomalies.is_empty(), "{:?}", h.anomalies);
        assert_eq!(h.templates.len(), 1);
    }

    #[test]
    fn tensors_out_of_bounds() {
        let mut w = W::new(3, 3, 0);
        w.tensor("a", &[32], 0, 1 << 40).tensor("b", &[u64::MAX, 4], 0, 0).tensor("c", &[1, 1, 1, 1, 1], 0, 0);
        w.pad_data(32, 128);
        let k = kinds(&parse_bytes(&w.b));
        assert!(k.iter().filter(|k| **k == AnomalyKind::TensorOutOfBounds).count() >= 3, "{k:?}");
    }

    #[test]
    fn versions_and_truncation() {
        let mut w = W::new(65535, 0, 0);
        w.b.truncate(24);
        assert_eq!(kinds(&parse_bytes(&w.b)), vec![AnomalyKind::UnknownVersion]);
        let mut w = W::new(3, 1, 1);
        w.kv_str("general.architecture", "llama");
        let n = w.b.len();
        for cut in [3, 10, 20, n - 2] {
            let h = parse_bytes(&w.b[..cut]);
            assert!(!h.anomalies.is_empty(), "{cut}");
        }
        // Version 1: 32-bit counts and lengths.
        let mut b = b"GGUF".to_vec();
        b.extend(1u32.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend(23u32.to_le_bytes());
        b.extend(b"tokenizer.chat_template");
        b.extend(T_STRING.to_le_bytes());
        b.extend(2u32.to_le_bytes());
        b.extend(b"{}");
        let h = parse_bytes(&b);
        assert!(h.anomalies.is_empty(), "{:?}", h.anomalies);
        assert_eq!(h.templates[0].text, "{}");
    }
}
