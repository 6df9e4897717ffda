//! Keras model files: the root attributes of Keras/TensorFlow HDF5 files
//! (`model_config`, `training_config`, `keras_version`, ...) and a static
//! reader for the marshalled Python bytecode that `Lambda` layers carry.
//!
//! Nothing here unmarshals or runs anything: the marshal reader walks the
//! byte format and keeps the strings it finds (names, constants, function
//! names), and the HDF5 reader only decodes the root group's attributes.

use std::io::SeekFrom;
use std::sync::Arc;

use base64::Engine as _;

use crate::container::ReadSeek;

/// The HDF5 signature.
pub const HDF5_MAGIC: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Most bytes of an HDF5 file read to find the root attributes. Keras writes
/// them before the weights, so they sit near the start.
pub const MAX_H5_PREFIX: u64 = 64 << 20;

/// Longest attribute value kept.
pub const MAX_ATTR_BYTES: usize = 16 << 20;

/// Whether the bytes start like an HDF5 file (at offset 0; user blocks move
/// the signature to 512, 1024, ... which is checked by [`h5_signature_offset`]).
pub fn sniff_h5(head: &[u8]) -> bool {
    head.starts_with(HDF5_MAGIC)
}

/// Where the HDF5 signature is, searching 0, 512, 1024, ... within `head`.
pub fn h5_signature_offset(head: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    while at + 8 <= head.len() {
        if &head[at..at + 8] == HDF5_MAGIC {
            return Some(at);
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
    None
}

/// The root group's string attributes of an HDF5 file.
#[derive(Debug, Default, Clone)]
pub struct H5Root {
    /// `(name, value)` of every root attribute that decodes as text.
    pub attributes: Vec<(String, String)>,
    /// Names of the root group's members (groups and datasets).
    pub members: Vec<String>,
    /// Whether only a prefix of the file was read.
    pub truncated: bool,
}

impl H5Root {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Storage over the first bytes of a file: reads past them fail.
struct Prefix {
    data: Arc<[u8]>,
    len: u64,
}

impl hdf5_reader::storage::Storage for Prefix {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_range(&self, offset: u64, len: usize) -> hdf5_reader::error::Result<hdf5_reader::storage::StorageBuffer> {
        let start = usize::try_from(offset).map_err(|_| hdf5_reader::error::Error::OffsetOutOfBounds(offset))?;
        match start.checked_add(len) {
            Some(end) if end <= self.data.len() => {
                hdf5_reader::storage::StorageBuffer::from_shared(self.data.clone(), start, len)
            }
            _ => Err(hdf5_reader::error::Error::OffsetOutOfBounds(offset)),
        }
    }
}

/// Reads the root group's attributes of an HDF5 file (never the datasets).
/// Errors are described in words; a panic inside the HDF5 decoder is caught
/// and reported as an error.
pub fn read_h5_root(src: &mut dyn ReadSeek, len: u64) -> Result<H5Root, String> {
    let take = len.min(MAX_H5_PREFIX);
    let mut buf = vec![0u8; usize::try_from(take).map_err(|_| "file too large".to_string())?];
    src.seek(SeekFrom::Start(0)).and_then(|_| src.read_exact(&mut buf)).map_err(|e| format!("read error: {e}"))?;
    let data: Arc<[u8]> = buf.into();
    let truncated = len > take;
    let storage: hdf5_reader::storage::DynStorage = Arc::new(Prefix { data, len });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_root_attrs(storage)));
    match result {
        Ok(Ok(mut root)) => {
            root.truncated = truncated;
            Ok(root)
        }
        Ok(Err(e)) if truncated => Err(format!("{e} (only the first {take} bytes were read)")),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("the HDF5 structures are inconsistent (decoder aborted)".into()),
    }
}

fn read_root_attrs(storage: hdf5_reader::storage::DynStorage) -> Result<H5Root, String> {
    let opts = hdf5_reader::OpenOptions::default()
        .with_max_read_bytes(MAX_ATTR_BYTES)
        .with_max_chunk_bytes(MAX_ATTR_BYTES)
        .with_chunk_cache_bytes(1 << 20)
        .with_max_object_header_bytes(4 << 20);
    let file = hdf5_reader::Hdf5File::from_storage_with_options(storage, opts).map_err(|e| e.to_string())?;
    let root = file.root_group().map_err(|e| e.to_string())?;
    let mut out = H5Root::default();
    for a in root.attributes().map_err(|e| e.to_string())? {
        let text = a.read_string().ok().or_else(|| a.read_strings().ok().map(|v| v.join("\n")));
        if let Some(mut t) = text {
            if t.len() > MAX_ATTR_BYTES {
                let mut cut = MAX_ATTR_BYTES;
                while !t.is_char_boundary(cut) {
                    cut -= 1;
                }
                t.truncate(cut);
            }
            out.attributes.push((a.name.clone(), t));
        }
    }
    if let Ok((groups, datasets)) = root.member_names() {
        out.members = groups.into_iter().chain(datasets).take(10_000).collect();
    }
    Ok(out)
}

/// What static reading of marshalled Python code found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CodeSummary {
    /// Names of the code objects (`<lambda>`, a function's name), outermost first.
    pub functions: Vec<String>,
    /// Global and attribute names the code refers to (`co_names`), in order, deduplicated.
    pub names: Vec<String>,
    /// String and number constants, deduplicated.
    pub constants: Vec<String>,
    /// Whether the bytes parsed as marshal data; otherwise the lists hold printable strings.
    pub parsed: bool,
}

/// Decodes base64 (with or without line breaks) as Keras writes lambda code.
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let clean: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if clean.is_empty() {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(clean.trim_end_matches('=').as_bytes()))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(clean.as_bytes()))
        .ok()
}

const MAX_ITEMS: usize = 4096;
const MAX_OBJECTS: usize = 200_000;
const MAX_MARSHAL_DEPTH: u32 = 64;

/// Reads the strings of marshalled Python code statically. Falls back to the
/// printable strings when the bytes are not well-formed marshal data.
pub fn summarize_code(data: &[u8]) -> CodeSummary {
    let mut r = Marshal { data, pos: 0, refs: Vec::new(), objects: 0, out: CodeSummary::default() };
    match r.object(0) {
        Ok(_) => {
            r.out.parsed = true;
            r.out
        }
        Err(()) => {
            let mut s = CodeSummary::default();
            for w in printable_strings(data, 3) {
                push_unique(&mut s.constants, w);
            }
            s
        }
    }
}

/// Runs of printable ASCII at least `min` long (bounded in number).
pub fn printable_strings(data: &[u8], min: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for &b in data.iter().chain(std::iter::once(&0u8)) {
        if (0x20..0x7f).contains(&b) {
            cur.push(b);
        } else {
            if cur.len() >= min && out.len() < MAX_ITEMS {
                out.push(String::from_utf8_lossy(&cur).into_owned());
            }
            cur.clear();
        }
    }
    out
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if v.len() < MAX_ITEMS && !v.contains(&s) {
        v.push(s);
    }
}

/// A value read from marshal data, as far as the summary needs it.
#[derive(Debug, Clone)]
enum Val {
    Str(String),
    Num(String),
    Tuple(Vec<Val>),
    Other,
}

impl Val {
    fn strings(&self) -> Vec<String> {
        match self {
            Val::Str(s) => vec![s.clone()],
            Val::Tuple(v) => v.iter().flat_map(Val::strings).collect(),
            _ => Vec::new(),
        }
    }
}

struct Marshal<'a> {
    data: &'a [u8],
    pos: usize,
    refs: Vec<Val>,
    objects: usize,
    out: CodeSummary,
}

type R<T> = Result<T, ()>;

impl Marshal<'_> {
    fn byte(&mut self) -> R<u8> {
        let b = *self.data.get(self.pos).ok_or(())?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes(&mut self, n: usize) -> R<&[u8]> {
        let end = self.pos.checked_add(n).ok_or(())?;
        let s = self.data.get(self.pos..end).ok_or(())?;
        self.pos = end;
        Ok(s)
    }

    fn long(&mut self) -> R<i32> {
        let b = self.bytes(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn len(&mut self) -> R<usize> {
        usize::try_from(self.long()?).map_err(|_| ())
    }

    fn text(&mut self, n: usize) -> R<Val> {
        let b = self.bytes(n)?;
        Ok(Val::Str(String::from_utf8_lossy(b).into_owned()))
    }

    fn object(&mut self, depth: u32) -> R<Val> {
        if depth > MAX_MARSHAL_DEPTH {
            return Err(());
        }
        self.objects += 1;
        if self.objects > MAX_OBJECTS {
            return Err(());
        }
        let code = self.byte()?;
        let flag = code & 0x80 != 0;
        let slot = if flag {
            if self.refs.len() >= MAX_OBJECTS {
                return Err(());
            }
            self.refs.push(Val::Other);
            Some(self.refs.len() - 1)
        } else {
            None
        };
        let v = match code & 0x7f {
            b'0' | b'N' | b'F' | b'T' | b'S' | b'.' => Val::Other,
            b'i' => Val::Num(self.long()?.to_string()),
            b'l' => {
                let n = self.long()?.unsigned_abs() as usize;
                self.bytes(n.checked_mul(2).ok_or(())?)?;
                Val::Num("<long>".into())
            }
            b'g' => {
                let b = self.bytes(8)?;
                let f = f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                Val::Num(f.to_string())
            }
            b'y' => {
                self.bytes(16)?;
                Val::Other
            }
            b'f' => {
                let n = usize::from(self.byte()?);
                match self.text(n)? {
                    Val::Str(s) => Val::Num(s),
                    v => v,
                }
            }
            b'x' => {
                let n = usize::from(self.byte()?);
                self.bytes(n)?;
                let n = usize::from(self.byte()?);
                self.bytes(n)?;
                Val::Other
            }
            b's' | b't' | b'u' | b'a' | b'A' => {
                let n = self.len()?;
                self.text(n)?
            }
            b'z' | b'Z' => {
                let n = usize::from(self.byte()?);
                self.text(n)?
            }
            b'r' => {
                let i = self.len()?;
                self.refs.get(i).cloned().ok_or(())?
            }
            b'(' | b'[' | b'<' | b'>' => {
                let n = self.len()?;
                self.seq(n, depth)?
            }
            b')' => {
                let n = usize::from(self.byte()?);
                self.seq(n, depth)?
            }
            b'{' => {
                let mut items = Vec::new();
                loop {
                    if self.data.get(self.pos) == Some(&b'0') {
                        self.pos += 1;
                        break;
                    }
                    let k = self.object(depth + 1)?;
                    let v = self.object(depth + 1)?;
                    if items.len() < MAX_ITEMS {
                        items.push(k);
                        items.push(v);
                    }
                }
                Val::Tuple(items)
            }
            b'c' => self.code(depth)?,
            _ => return Err(()),
        };
        if let Some(i) = slot {
            self.refs[i] = v.clone();
        }
        Ok(v)
    }

    fn seq(&mut self, n: usize, depth: u32) -> R<Val> {
        // Every item takes at least one byte.
        if n > self.data.len().saturating_sub(self.pos) {
            return Err(());
        }
        let mut items = Vec::with_capacity(n.min(MAX_ITEMS));
        for _ in 0..n {
            let v = self.object(depth + 1)?;
            if items.len() < MAX_ITEMS {
                items.push(v);
            }
        }
        Ok(Val::Tuple(items))
    }

    /// A code object. The layout depends on the Python version that wrote
    /// it: 3.8-3.10 write six counters, 3.7 and 3.11+ five; the bytecode
    /// (a bytes object) follows them.
    fn code(&mut self, depth: u32) -> R<Val> {
        let at = |k: usize| self.data.get(self.pos + k).map(|b| b & 0x7f);
        let six = if at(20) == Some(b's') {
            false
        } else if at(24) == Some(b's') {
            true
        } else {
            return Err(());
        };
        self.bytes(if six { 24 } else { 20 })?;
        let _bytecode = self.object(depth + 1)?;
        let consts = self.object(depth + 1)?;
        let names = self.object(depth + 1)?;
        let _varnames = self.object(depth + 1)?;
        let next = self.data.get(self.pos).map(|b| b & 0x7f);
        let name;
        if !six && next == Some(b's') {
            // 3.11+: localspluskinds, filename, name, qualname, firstlineno, linetable, exceptiontable
            self.object(depth + 1)?;
            self.object(depth + 1)?;
            name = self.object(depth + 1)?;
            self.object(depth + 1)?;
            self.long()?;
            self.object(depth + 1)?;
            self.object(depth + 1)?;
        } else {
            // 3.7-3.10: freevars, cellvars, filename, name, firstlineno, lnotab
            self.object(depth + 1)?;
            self.object(depth + 1)?;
            self.object(depth + 1)?;
            name = self.object(depth + 1)?;
            self.long()?;
            self.object(depth + 1)?;
        }
        if let Val::Str(n) = &name {
            push_unique(&mut self.out.functions, n.clone());
        }
        for n in names.strings() {
            push_unique(&mut self.out.names, n);
        }
        if let Val::Tuple(items) = &consts {
            for c in items {
                match c {
                    Val::Str(s) => push_unique(&mut self.out.constants, s.clone()),
                    Val::Num(s) => push_unique(&mut self.out.constants, s.clone()),
                    Val::Tuple(_) => {
                        for s in c.strings() {
                            push_unique(&mut self.out.constants, s);
                        }
                    }
                    Val::Other => {}
                }
            }
        }
        Ok(Val::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `marshal.dumps((lambda x: __import__('os').system('true')).__code__)` from CPython 3.11.
    const PY311_LAMBDA: &str = "4wEAAAAAAAAAAAAAAAMAAAADAAAA80YAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACgAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAFMAKQNO2gJvc9oEdHJ1ZSkC2gpfX2ltcG9ydF9f2gZzeXN0ZW0pAdoBeHMBAAAAIPoIPHN0cmluZz76CDxsYW1iZGE+cggAAAADAAAAcxwAAACAALUKuDTRMEDUMEDXMEfSMEfIBtEwT9QwT4AA8wAAAAA=";

    #[test]
    fn reads_a_311_lambda() {
        let data = decode_b64(PY311_LAMBDA).expect("b64");
        let s = summarize_code(&data);
        assert!(s.parsed, "{s:?}");
        assert_eq!(s.functions, vec!["<lambda>".to_string()]);
        assert!(s.names.contains(&"__import__".to_string()) && s.names.contains(&"system".to_string()), "{s:?}");
        assert!(s.constants.contains(&"os".to_string()) && s.constants.contains(&"true".to_string()), "{s:?}");
    }

    #[test]
    fn garbage_falls_back_to_strings() {
        let s = summarize_code(b"\xe3\x01\x02 os.system hello\xff");
        assert!(!s.parsed);
        assert!(s.constants.iter().any(|c| c.contains("os.system")));
    }

    #[test]
    fn hostile_marshal_does_not_panic() {
        for data in [
            &b"("[..],
            b"(\xff\xff\xff\x7f",
            b"r\x00\x00\x00\x00",
            b"\xe3\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00s\xff\xff\xff\xff",
            b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
            b"l\x00\x00\x00\x80",
        ] {
            let _ = summarize_code(data);
        }
        let deep = vec![b'['; 10_000];
        let _ = summarize_code(&deep);
    }

    #[test]
    fn b64_with_newlines() {
        assert_eq!(decode_b64("aGVs\nbG8=\n").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_b64(""), None);
        assert_eq!(decode_b64("!!!"), None);
    }

    #[test]
    fn h5_garbage_is_an_error() {
        let mut data = HDF5_MAGIC.to_vec();
        data.extend_from_slice(&[0xff; 200]);
        let len = data.len() as u64;
        assert!(read_h5_root(&mut std::io::Cursor::new(data), len).is_err());
        let mut data = HDF5_MAGIC.to_vec();
        data.extend_from_slice(&[0; 3]);
        let len = data.len() as u64;
        assert!(read_h5_root(&mut std::io::Cursor::new(data), len).is_err());
    }

    #[test]
    fn signature_offsets() {
        assert_eq!(h5_signature_offset(HDF5_MAGIC), Some(0));
        let mut v = vec![0u8; 512];
        v.extend_from_slice(HDF5_MAGIC);
        assert_eq!(h5_signature_offset(&v), Some(512));
        assert_eq!(h5_signature_offset(b"nothing here"), None);
    }
}
