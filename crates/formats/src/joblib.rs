//! joblib's on-disk format: a pickle in which each NumPy array is a
//! `NumpyArrayWrapper` object followed, right after its `BUILD` opcode, by the
//! array's raw bytes (or, for object arrays, by a whole nested pickle). A plain
//! opcode walk stops at the first array block; the pickle machine asks this
//! module how to step over it.

use crate::pickle::value::{Call, Value};

/// What follows a `NumpyArrayWrapper`'s BUILD in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineArray {
    /// `bytes` of raw array data, preceded by a padding-length byte and that
    /// much padding when `aligned`.
    Raw { bytes: u64, aligned: bool },
    /// An object array: a complete pickle follows (joblib calls `pickle.load`).
    Pickle,
}

const WRAPPERS: &[&str] =
    &["joblib.numpy_pickle.NumpyArrayWrapper", "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"];

/// If `obj` is a joblib array wrapper whose state is now set, how to step over
/// its data; `Err` when the wrapper's dtype or shape cannot be understood.
pub fn inline_array(obj: &Call) -> Option<Result<InlineArray, String>> {
    let class = obj.func.as_global()?;
    if !WRAPPERS.iter().any(|w| class.dotted_is(w)) {
        return None;
    }
    let attrs = obj.attrs.borrow();
    let get = |k: &str| attrs.iter().rev().find(|(n, _)| &**n == k).map(|(_, v)| v.clone());
    Some((|| {
        let dtype = get("dtype").ok_or("no dtype")?;
        let shape = get("shape").ok_or("no shape")?;
        let typestr = match dtype.resolved() {
            Value::Call(c) => c.args.items().first().and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
        .ok_or("dtype is not a numpy.dtype(...) call")?;
        let itemsize = itemsize(&typestr).ok_or_else(|| format!("unknown dtype {typestr:?}"))?;
        if itemsize == 0 {
            return Ok(InlineArray::Pickle);
        }
        let mut count: u64 = 1;
        for d in shape.items() {
            let d = d.as_int().ok_or("shape holds a non-integer")?;
            let d = u64::try_from(d).map_err(|_| "negative dimension")?;
            count = count.checked_mul(d).ok_or("shape product overflows")?;
        }
        let bytes = count.checked_mul(itemsize).ok_or("array size overflows")?;
        let aligned = get("numpy_array_alignment_bytes").is_some_and(|v| !matches!(v, Value::None));
        Ok(InlineArray::Raw { bytes, aligned })
    })())
}

/// Bytes per element for a NumPy type string such as `f8`, `<i4`, `U10`, `V24`;
/// 0 for object arrays.
pub fn itemsize(typestr: &str) -> Option<u64> {
    let t = typestr.trim_start_matches(['<', '>', '|', '=']);
    let kind = t.chars().next()?;
    let digits: String = t[kind.len_utf8()..].chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    Some(match kind {
        'O' => 0,
        'U' => n.checked_mul(4)?,
        'M' | 'm' => 8,
        '?' => 1,
        'b' | 'B' | 'i' | 'u' | 'f' | 'c' | 'S' | 'a' | 'V' if n > 0 => n,
        'b' | 'B' => 1,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::itemsize;

    #[test]
    fn itemsizes() {
        assert_eq!(itemsize("f8"), Some(8));
        assert_eq!(itemsize("<i4"), Some(4));
        assert_eq!(itemsize("U5"), Some(20));
        assert_eq!(itemsize("O8"), Some(0));
        assert_eq!(itemsize("M8"), Some(8));
        assert_eq!(itemsize("b1"), Some(1));
        assert_eq!(itemsize("zz"), None);
    }
}
