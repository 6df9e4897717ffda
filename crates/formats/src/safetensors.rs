//! safetensors: an 8-byte little-endian header length, a JSON header, then the
//! tensor bytes. Only the header is read and checked against the format's
//! rules (header below 100 MB, known dtypes, non-negative shapes, offsets that
//! tile the data section exactly); every departure is returned as an
//! [`Anomaly`], never an error. The tensor data is never read here.

use std::io::SeekFrom;

use base64::Engine as _;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::container::ReadSeek;

/// The reference implementation refuses headers above 100 MB.
pub const MAX_HEADER: u64 = 100_000_000;
/// Most tensors whose details are kept (the rest are still checked).
const MAX_TENSORS: usize = 1 << 20;

/// What is wrong with a safetensors header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// Header length beyond the file, above the 100 MB limit, or overflowing.
    HeaderLength,
    /// Not JSON, not an object, or a tensor entry without the required fields.
    MalformedHeader,
    /// A key appears twice: parsers disagree on which one wins.
    DuplicateKey,
    /// A dtype the format does not define.
    UnknownDtype,
    /// `__metadata__` is not a map of strings.
    MetadataNotString,
    /// A negative, fractional or absurdly large dimension.
    InvalidShape,
    /// Offsets reversed, outside the data section, overlapping, or not matching dtype × shape.
    InvalidOffsets,
    /// Bytes in the data section that no tensor covers (a gap or trailing data).
    HiddenData,
}

/// One problem, with where it is (offset in the file) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub detail: String,
    pub offset: Option<u64>,
}

/// A tensor's header entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    /// Offsets relative to the start of the data section.
    pub begin: u64,
    pub end: u64,
}

/// A parsed header.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// The declared header length.
    pub header_len: u64,
    /// Where the data section starts (8 + header length).
    pub data_start: u64,
    pub tensors: Vec<Tensor>,
    /// `__metadata__` entries whose values are strings.
    pub metadata: Vec<(String, String)>,
    /// Ranges of the data section (absolute file offsets, `[start, end)`) no tensor covers.
    pub holes: Vec<(u64, u64)>,
    pub anomalies: Vec<Anomaly>,
}

/// True if the bytes look like the start of a safetensors file: a length and `{`.
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 10 && head[8] == b'{' && matches!(head[9], b'"' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
}

/// Bits per element of a dtype, or `None` if the format does not define it.
pub fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        _ => return None,
    })
}

/// The header's top-level entries in file order, duplicates kept.
struct Entries(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads and checks the header of a safetensors stream of `len` bytes.
pub fn parse(src: &mut dyn ReadSeek, len: u64) -> Header {
    let mut h = Header::default();
    let mut lenbuf = [0u8; 8];
    if len < 8 || src.seek(SeekFrom::Start(0)).and_then(|_| src.read_exact(&mut lenbuf)).is_err() {
        h.anomalies.push(anomaly(
            AnomalyKind::HeaderLength,
            format!("file of {len} bytes has no 8-byte header length"),
            0,
        ));
        return h;
    }
    let n = u64::from_le_bytes(lenbuf);
    h.header_len = n;
    let room = len - 8;
    if n > MAX_HEADER || n > room {
        let why = if n >= 1 << 62 {
            "overflows any allocation".to_string()
        } else if n > MAX_HEADER {
            format!("is above the format's {MAX_HEADER}-byte limit")
        } else {
            format!("is beyond the end of the file ({room} bytes follow)")
        };
        h.anomalies.push(anomaly(AnomalyKind::HeaderLength, format!("header length {n} {why}"), 0));
        return h;
    }
    h.data_start = 8 + n;
    let mut buf = vec![0u8; usize::try_from(n).unwrap_or(0)];
    if src.read_exact(&mut buf).is_err() {
        h.anomalies.push(anomaly(AnomalyKind::HeaderLength, "header could not be read".into(), 8));
        return h;
    }
    check_header(&mut h, &buf, room - n);
    h
}

fn anomaly(kind: AnomalyKind, detail: String, offset: u64) -> Anomaly {
    Anomaly { kind, detail, offset: Some(offset) }
}

/// Checks the JSON header `buf`, given `data_len` bytes of data section after it.
fn check_header(h: &mut Header, buf: &[u8], data_len: u64) {
    use AnomalyKind as K;
    let entries = match serde_json::from_slice::<Entries>(buf) {
        Ok(e) => e.0,
        Err(e) => {
            let what = if e.is_eof() { "unterminated JSON header" } else { "invalid JSON header" };
            h.anomalies.push(anomaly(K::MalformedHeader, format!("{what}: {e}"), 8));
            return;
        }
    };
    let mut seen = std::collections::HashSet::new();
    let mut rejected = false;
    for (name, value) in entries {
        if !seen.insert(name.clone()) {
            h.anomalies.push(anomaly(
                K::DuplicateKey,
                format!("key {name:?} appears more than once (loaders disagree on which wins)"),
                8,
            ));
            continue;
        }
        if name == "__metadata__" {
            check_metadata(h, value);
            continue;
        }
        match check_tensor(h, &name, &value, data_len) {
            Some(t) if h.tensors.len() < MAX_TENSORS => h.tensors.push(t),
            Some(_) => {}
            None => rejected = true,
        }
    }
    check_layout(h, data_len, !rejected);
}

fn check_metadata(h: &mut Header, value: Value) {
    let Value::Object(map) = value else {
        let d = format!("__metadata__ is {} instead of a map of strings", kind_of(&value));
        h.anomalies.push(anomaly(AnomalyKind::MetadataNotString, d, 8));
        return;
    };
    for (k, v) in map {
        match v {
            Value::String(s) => h.metadata.push((k, s)),
            other => h.anomalies.push(anomaly(
                AnomalyKind::MetadataNotString,
                format!("__metadata__[{k:?}] is {} instead of a string", kind_of(&other)),
                8,
            )),
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_tensor(h: &mut Header, name: &str, value: &Value, data_len: u64) -> Option<Tensor> {
    use AnomalyKind as K;
    let mut bad = |kind, d: String| h.anomalies.push(anomaly(kind, format!("tensor {name:?}: {d}"), 8));
    let Value::Object(obj) = value else {
        bad(K::MalformedHeader, format!("entry is {} instead of an object", kind_of(value)));
        return None;
    };
    let Some(Value::String(dtype)) = obj.get("dtype") else {
        bad(K::MalformedHeader, "missing or non-string dtype".into());
        return None;
    };
    let bits = dtype_bits(dtype);
    if bits.is_none() {
        bad(K::UnknownDtype, format!("unknown dtype {dtype:?}"));
    }
    let Some(Value::Array(dims)) = obj.get("shape") else {
        bad(K::MalformedHeader, "missing or non-array shape".into());
        return None;
    };
    let mut shape = Vec::with_capacity(dims.len().min(64));
    for d in dims {
        match d.as_u64() {
            Some(v) => shape.push(v),
            None => {
                bad(K::InvalidShape, format!("dimension {d} is not a non-negative integer (shape {})", short(dims)));
                return None;
            }
        }
    }
    let elems = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
    let bytes = elems.and_then(|e| e.checked_mul(bits.unwrap_or(8))).map(|b| b.div_ceil(8));
    let Some(bytes) = bytes else {
        bad(K::InvalidShape, format!("shape {} overflows 64 bits", short(dims)));
        return None;
    };
    let offs = match obj.get("data_offsets") {
        Some(Value::Array(a)) if a.len() == 2 => (a[0].as_u64(), a[1].as_u64()),
        _ => {
            bad(K::MalformedHeader, "data_offsets is not a pair".into());
            return None;
        }
    };
    let (Some(begin), Some(end)) = offs else {
        bad(K::InvalidOffsets, "data_offsets are not non-negative integers".into());
        return None;
    };
    if end < begin {
        bad(K::InvalidOffsets, format!("data_offsets [{begin}, {end}] end before they begin"));
        return None;
    }
    if end > data_len {
        bad(K::InvalidOffsets, format!("data_offsets [{begin}, {end}] reach past the {data_len}-byte data section"));
        return None;
    }
    if bits.is_some() && end - begin != bytes {
        bad(
            K::InvalidOffsets,
            format!(
                "{dtype} shape {} needs {bytes} bytes but data_offsets [{begin}, {end}] hold {}",
                short(dims),
                end - begin
            ),
        );
    }
    Some(Tensor { name: name.to_string(), dtype: dtype.clone(), shape, begin, end })
}

/// A short rendering of a JSON array for messages.
fn short(v: &[Value]) -> String {
    let s = Value::Array(v.iter().take(8).cloned().collect()).to_string();
    if v.len() > 8 { format!("{}, ...]", s.trim_end_matches(']')) } else { s }
}

/// Tensors must tile the data section: no overlap, no gap, no trailing bytes.
/// Holes are always returned for scanning; they are reported only when every
/// tensor entry was valid (a rejected entry may be what covers them).
fn check_layout(h: &mut Header, data_len: u64, report_holes: bool) {
    let mut spans: Vec<(u64, u64, usize)> =
        h.tensors.iter().enumerate().filter(|(_, t)| t.end > t.begin).map(|(i, t)| (t.begin, t.end, i)).collect();
    spans.sort_unstable();
    let mut covered = 0u64;
    let mut prev: Option<usize> = None;
    let mut overlaps = 0;
    for &(b, e, i) in &spans {
        if b < covered {
            if overlaps < 16 {
                let other = prev.map_or("", |p| h.tensors[p].name.as_str());
                let d =
                    format!("tensor {:?} [{b}, {e}] overlaps tensor {other:?} (ends at {covered})", h.tensors[i].name);
                h.anomalies.push(anomaly(AnomalyKind::InvalidOffsets, d, h.data_start + b));
            }
            overlaps += 1;
        } else if b > covered {
            h.holes.push((h.data_start + covered, h.data_start + b));
        }
        if e > covered {
            covered = e;
            prev = Some(i);
        }
    }
    if covered < data_len {
        h.holes.push((h.data_start + covered, h.data_start + data_len));
    }
    let shown = if report_holes { 16 } else { 0 };
    for &(s, e) in h.holes.iter().take(shown) {
        let what = if e == h.data_start + data_len { "trailing bytes after the last tensor" } else { "a gap" };
        let d = format!("{} bytes no tensor covers ({what}, file offsets {s}..{e})", e - s);
        h.anomalies.push(anomaly(AnomalyKind::HiddenData, d, s));
    }
}

/// Decodes a metadata string that carries binary data as base64 or hex, if it does.
/// Short or plain-text strings return `None`.
pub fn decode_embedded(s: &str) -> Option<Vec<u8>> {
    let t = s.trim();
    if t.len() < 16 {
        return None;
    }
    if t.len().is_multiple_of(2) && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        let v: Option<Vec<u8>> = (0..t.len()).step_by(2).map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok()).collect();
        if v.is_some() {
            return v;
        }
    }
    let compact: String = t.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_');
    if !compact.chars().all(b64) {
        return None;
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines.iter().find_map(|e| e.decode(compact.as_bytes()).ok()).filter(|v| v.len() >= 8)
}

/// Reads at most `max` bytes of `src` from `start`.
pub fn read_range(src: &mut dyn ReadSeek, start: u64, end: u64, max: u64) -> Option<Vec<u8>> {
    let n = end.saturating_sub(start).min(max);
    let mut buf = vec![0u8; usize::try_from(n).ok()?];
    src.seek(SeekFrom::Start(start)).ok()?;
    src.read_exact(&mut buf).ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn file(header: &str, data: usize) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        v.extend(std::iter::repeat_n(0u8, data));
        v
    }

    fn kinds(bytes: &[u8]) -> Vec<AnomalyKind> {
        parse(&mut Cursor::new(bytes), bytes.len() as u64).anomalies.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn valid_file_has_no_anomalies() {
        let h = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"e":{"dtype":"F16","shape":[0],"data_offsets":[16,16]},"s":{"dtype":"I64","shape":[],"data_offsets":[16,24]}}  "#;
        let b = file(h, 24);
        let p = parse(&mut Cursor::new(&b), b.len() as u64);
        assert!(p.anomalies.is_empty(), "{:?}", p.anomalies);
        assert_eq!(p.tensors.len(), 3);
        assert_eq!(p.metadata, vec![("format".into(), "pt".into())]);
        assert!(sniff(&b));
    }

    #[test]
    fn header_lengths() {
        let mut b = vec![8, 0, 0, 0, 0, 0, 0, 0x80];
        b.extend_from_slice(b"{}");
        assert_eq!(kinds(&b), vec![AnomalyKind::HeaderLength]);
        assert_eq!(kinds(&[1, 2]), vec![AnomalyKind::HeaderLength]);
        let mut b = 200_000_000u64.to_le_bytes().to_vec();
        b.extend_from_slice(b"{}");
        assert_eq!(kinds(&b), vec![AnomalyKind::HeaderLength]);
    }

    #[test]
    fn malformed_json_and_metadata() {
        assert_eq!(kinds(&file(r#"{"w": {"dtype": "F32""#, 0)), vec![AnomalyKind::MalformedHeader]);
        assert_eq!(kinds(&file("[1,2]", 0)), vec![AnomalyKind::MalformedHeader]);
        assert_eq!(kinds(&file(r#"{"__metadata__":{"a":[1]}}"#, 0)), vec![AnomalyKind::MetadataNotString]);
        assert_eq!(kinds(&file(r#"{"__metadata__":3}"#, 0)), vec![AnomalyKind::MetadataNotString]);
        assert_eq!(kinds(&file(r#"{"w":{"dtype":"F32"}}"#, 0)), vec![AnomalyKind::MalformedHeader]);
        assert_eq!(kinds(&file("{\"w\":\u{0}}", 0)), vec![AnomalyKind::MalformedHeader]);
    }

    #[test]
    fn duplicates_dtypes_shapes() {
        let t = r#"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#;
        let k = kinds(&file(&format!(r#"{{"w":{t},"w":{t}}}"#), 4));
        assert_eq!(k, vec![AnomalyKind::DuplicateKey]);
        let k = kinds(&file(r#"{"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}"#, 16));
        assert_eq!(k, vec![AnomalyKind::UnknownDtype]);
        let k = kinds(&file(r#"{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}}"#, 16));
        assert_eq!(k, vec![AnomalyKind::InvalidShape]);
        let k = kinds(&file(r#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}}"#, 16));
        assert_eq!(k, vec![AnomalyKind::InvalidShape]);
    }

    #[test]
    fn offsets_and_holes() {
        let k = kinds(&file(r#"{"w":{"dtype":"F32","shape":[1000,1000],"data_offsets":[0,4]}}"#, 4));
        assert_eq!(k, vec![AnomalyKind::InvalidOffsets]);
        let k = kinds(&file(r#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, 4));
        assert_eq!(k[0], AnomalyKind::InvalidOffsets);
        let k = kinds(&file(r#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4000]}}"#, 4));
        assert_eq!(k[0], AnomalyKind::InvalidOffsets);
        let t = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#;
        assert_eq!(kinds(&file(t, 12)), vec![AnomalyKind::InvalidOffsets]);
        let t = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[100,104]}}"#;
        let b = file(t, 200);
        let p = parse(&mut Cursor::new(&b), b.len() as u64);
        assert_eq!(p.holes.len(), 2);
        assert_eq!(p.holes[0], (p.data_start + 4, p.data_start + 100));
    }

    #[test]
    fn embedded_payloads_decode() {
        assert_eq!(decode_embedded("gAJjb3MKc3lzdGVtClgTAAAA").unwrap()[..2], [0x80, 2]);
        assert_eq!(decode_embedded("80026330313233343536").unwrap()[0], 0x80);
        assert!(decode_embedded("pt").is_none());
        assert!(decode_embedded("this is plain text, not base64").is_none());
    }

    #[test]
    fn never_panics_on_junk() {
        for n in 0..64u8 {
            let mut b = vec![n, 0, 0, 0, 0, 0, 0, 0, b'{'];
            b.extend((0..n).map(|i| i.wrapping_mul(37)));
            let _ = parse(&mut Cursor::new(&b), b.len() as u64);
        }
    }
}
