//! NumPy `.npy` files: a magic string, a version, a header that is a Python
//! dict literal, then the array data. An array with an object dtype stores its
//! data as a pickle (loaded only with `allow_pickle=True`).

/// What an `.npy` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub major: u8,
    pub minor: u8,
    /// The `descr` entry as written (a type string or a structured list).
    pub descr: String,
    /// Offset where the array data starts.
    pub data_offset: u64,
    /// The dtype holds Python objects: the data is a pickle.
    pub has_object: bool,
    pub shape: Vec<u64>,
}

/// Whether `head` starts with the `.npy` magic.
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(b"\x93NUMPY")
}

/// Where the header ends (the data's offset), from the file's first 12 bytes
/// (or fewer): `None` when they do not hold the magic, a known version and
/// the header's length. What [`parse_header`] needs of a file is its bytes up
/// to there.
pub fn header_end(prefix: &[u8]) -> Option<u64> {
    if !sniff(prefix) {
        return None;
    }
    match prefix.get(6)? {
        1 => prefix.get(8..10).map(|b| 10 + u64::from(u16::from_le_bytes([b[0], b[1]]))),
        2 | 3 => prefix.get(8..12).map(|b| 12 + u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        _ => None,
    }
}

/// Parses the header from the first bytes of the file (at least the header's
/// length; 64 KiB plus 12 bytes covers any sane file). The error says what is
/// wrong in words.
pub fn parse_header(bytes: &[u8], file_len: u64) -> Result<Header, String> {
    if !sniff(bytes) {
        return Err("missing \\x93NUMPY magic".into());
    }
    let (major, minor) = match bytes.get(6..8) {
        Some(&[a, b]) => (a, b),
        _ => return Err("file ends inside the version field".into()),
    };
    let (len, start) = match major {
        1 => (bytes.get(8..10).map(|b| u64::from(u16::from_le_bytes([b[0], b[1]]))), 10u64),
        2 | 3 => (bytes.get(8..12).map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))), 12u64),
        v => return Err(format!("unknown .npy format version {v}.{minor}")),
    };
    let len = len.ok_or("file ends inside the header length")?;
    let end = start + len;
    if end > file_len {
        return Err(format!("header of {len} bytes runs past the end of the {file_len}-byte file"));
    }
    let raw = bytes
        .get(start as usize..end as usize)
        .ok_or_else(|| format!("header of {len} bytes is larger than this reader accepts"))?;
    let text = if major == 3 {
        std::str::from_utf8(raw).map_err(|_| "header is not valid UTF-8")?
    } else {
        std::str::from_utf8(raw).map_err(|_| "header is not ASCII/Latin-1 text")?
    };
    let text = text.trim_end_matches(['\n', ' ', '\0']);
    if !text.trim_start().starts_with('{') || !text.ends_with('}') {
        return Err("header is not a dict literal".into());
    }
    let descr = dict_value(text, "descr").ok_or("header has no 'descr' entry")?;
    let shape_text = dict_value(text, "shape").ok_or("header has no 'shape' entry")?;
    let shape = parse_shape(&shape_text)
        .ok_or_else(|| format!("shape {shape_text} is not a tuple of non-negative integers"))?;
    let has_object = descr_has_object(&descr);
    Ok(Header { major, minor, descr, data_offset: end, has_object, shape })
}

/// The text of `key`'s value in a flat Python dict literal.
fn dict_value(text: &str, key: &str) -> Option<String> {
    let pat_sq = format!("'{key}'");
    let pat_dq = format!("\"{key}\"");
    let at = text.find(&pat_sq).map(|i| i + pat_sq.len()).or_else(|| text.find(&pat_dq).map(|i| i + pat_dq.len()))?;
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    // Read up to the comma that closes this value at nesting depth 0.
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') if depth > 0 => depth -= 1,
            (None, ',' | '}') if depth == 0 => return Some(rest[..i].trim().to_string()),
            _ => {}
        }
    }
    None
}

fn parse_shape(s: &str) -> Option<Vec<u64>> {
    let inner = s.strip_prefix('(')?.strip_suffix(')')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.trim_end_matches('L').parse::<u64>().ok())
        .collect()
}

/// True if a dtype description contains the object type code `O`.
fn descr_has_object(descr: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in descr.chars() {
        match quote {
            Some(q) if c == q => {
                let t = cur.trim_start_matches(['<', '>', '|', '=']);
                if t == "O" || t.starts_with('O') && t[1..].chars().all(|d| d.is_ascii_digit()) {
                    return true;
                }
                cur.clear();
                quote = None;
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, major: u8) -> Vec<u8> {
        let mut v = b"\x93NUMPY".to_vec();
        v.push(major);
        v.push(0);
        if major == 1 {
            v.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            v.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        v.extend_from_slice(header.as_bytes());
        v
    }

    #[test]
    fn header_end_is_where_parse_header_puts_the_data() {
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n";
        for major in [1, 2, 3] {
            let mut f = npy(h, major);
            f.extend_from_slice(&[0u8; 12]);
            let end = header_end(&f[..12]).unwrap();
            assert_eq!(end, parse_header(&f, f.len() as u64).unwrap().data_offset);
            // Its bytes up to there are all parse_header reads.
            assert_eq!(parse_header(&f[..end as usize], f.len() as u64).unwrap().data_offset, end);
        }
        assert_eq!(header_end(b"\x93NUMPY\x01\x00\x05"), None);
        assert_eq!(header_end(b"\x93NUMPY\x09\x00\x05\x00"), None);
        assert_eq!(header_end(b"PK\x03\x04"), None);
    }

    #[test]
    fn float_array() {
        let f = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n", 1);
        let h = parse_header(&f, f.len() as u64 + 48).unwrap();
        assert_eq!((h.has_object, h.shape.clone(), h.data_offset), (false, vec![3, 4], f.len() as u64));
    }

    #[test]
    fn object_arrays_v1_and_v3() {
        for major in [1, 3] {
            let f = npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n", major);
            assert!(parse_header(&f, f.len() as u64).unwrap().has_object);
        }
        let f = npy("{'descr': [('a', '<f8'), ('b', '|O')], 'fortran_order': False, 'shape': (), }\n", 1);
        assert!(parse_header(&f, f.len() as u64).unwrap().has_object);
    }

    #[test]
    fn malformed_headers_are_errors_not_panics() {
        assert!(parse_header(b"\x93NUMPY\x09\x00", 10).is_err());
        assert!(parse_header(b"\x93NUMPY\x01\x00\xff\xff{", 13).is_err());
        let f = npy("not a dict", 1);
        assert!(parse_header(&f, f.len() as u64).is_err());
    }
}
