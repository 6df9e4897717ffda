//! A fast first pass for pickles that are plain data.
//!
//! Most of a folder's pickle bytes are dictionaries, lists and strings
//! (pykakasi's 10 MB dictionary: three million opcodes, a million memo
//! entries, not one import). Such a stream cannot run anything: without
//! `GLOBAL`, `STACK_GLOBAL`, `INST` or `EXT*` no callable exists, and without
//! `REDUCE`/`OBJ`/`NEWOBJ*`/`BUILD`/`PERSID` nothing is called. The symbolic
//! machine would follow it value by value only to report nothing.
//!
//! This pass follows only the stack's *shape* (how many items, where the
//! marks are, which memo keys are written) with no value allocated and no
//! string copied, and returns the [`Outcome`] the machine would return — but
//! only when it is sure the machine would report no event other than the
//! size-limit note it reproduces. On the first opcode that can import or call,
//! on anything the machine would report (a stack underflow, a missing memo
//! key, a read error, an unknown protocol, a second pickle, bytes after the
//! `STOP`, frames that disagree with opcodes) it gives up, and the caller runs
//! the machine from the start. Giving up is always safe; the equivalence of
//! what it does not give up on is tested against the machine
//! (`shape_pass_agrees_with_the_machine`).

use super::machine::{Anomaly, AnomalyKind, Outcome};
use super::opcodes::op;
use super::reader::{Framing, Reader};
use crate::container::ReadSeek;
use crate::limits::Limits;

/// What the stack holds, as far as this pass cares: whether a value is the
/// PyTorch legacy format's magic number (which the machine looks at).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Plain,
    Magic,
}

/// The memo's written keys: in order (as writers write them), or any.
struct Keys {
    dense: Vec<Item>,
    sparse: std::collections::HashMap<u64, Item>,
}

impl Keys {
    fn get(&self, k: u64) -> Option<Item> {
        match usize::try_from(k) {
            Ok(i) if i < self.dense.len() => Some(self.dense[i]),
            _ => self.sparse.get(&k).copied(),
        }
    }
    fn put(&mut self, k: u64, v: Item) {
        if k < self.dense.len() as u64 {
            self.dense[k as usize] = v;
        } else if k == self.dense.len() as u64 && self.sparse.is_empty() {
            self.dense.push(v);
        } else {
            self.sparse.insert(k, v);
        }
    }
    fn len(&self) -> usize {
        self.dense.len() + self.sparse.len()
    }
}

/// Runs the pass over one pickle at `src`'s position, `len` bytes to the end.
/// `Some((outcome, anomalies))` when the stream is one plain-data pickle and
/// the machine would report exactly `anomalies` (at most the size-limit note);
/// `None` when the machine must run. The caller rewinds `src` either way.
pub(super) fn plain_data(
    src: &mut dyn ReadSeek,
    len: u64,
    limits: &Limits,
    framing: Framing,
) -> Option<(Outcome, Vec<Anomaly>)> {
    let mut reader = Reader::new(src, limits).shape_only().framing(framing);
    reader.new_unpickler();
    let mut stack: Vec<Item> = Vec::new();
    // Stack length at each MARK: the machine's current stack is what lies above the last.
    let mut marks: Vec<usize> = Vec::new();
    let mut memo = Keys { dense: Vec::new(), sparse: Default::default() };
    let mut anomalies = Vec::new();
    let mut degraded = false;
    let mut ops = 0u64;
    let stack_bound = limits.max_container_items.max(1 << 20);
    // What the machine does at the same bound (`Machine::degrade`): from here on
    // it follows imports only.
    macro_rules! degrade {
        ($at:expr) => {{
            degraded = true;
            stack = Vec::new();
            marks = Vec::new();
            memo = Keys { dense: Vec::new(), sparse: Default::default() };
            anomalies.push(Anomaly {
                kind: AnomalyKind::LimitReached,
                offset: $at,
                detail: super::machine::degraded_detail(super::machine::BOUNDS_REACHED),
            });
        }};
    }
    let value = loop {
        if !degraded {
            let bounds = Bounds { stack: stack_bound, memo: limits.max_memo_entries };
            let (n, crossed) = run_buffered(&mut reader, &mut stack, &mut marks, &mut memo, bounds);
            ops += n;
            if let Some(at) = crossed {
                degrade!(at);
                continue;
            }
        }
        let o = reader.next_shape().ok()??;
        ops += 1;
        let code = o.code;
        if degraded {
            // The machine now follows imports only; anything that could be one is its job.
            match code {
                op::STOP => break Item::Plain,
                op::GLOBAL | op::INST | op::STACK_GLOBAL | op::EXT1 | op::EXT2 | op::EXT4 => return None,
                _ => continue,
            }
        }
        let base = marks.last().copied().unwrap_or(0);
        // How many items the machine's current stack holds.
        let here = stack.len() - base;
        match code {
            op::PROTO => {
                if !matches!(o.int, Some(0..=5)) {
                    return None;
                }
            }
            op::FRAME => {}
            op::STOP => {
                if here == 0 {
                    return None;
                }
                break stack.pop()?;
            }
            op::INT | op::BININT | op::BININT1 | op::BININT2 | op::LONG | op::LONG1 | op::LONG4 => {
                stack.push(if o.magic { Item::Magic } else { Item::Plain });
            }
            op::NONE
            | op::NEWTRUE
            | op::NEWFALSE
            | op::FLOAT
            | op::BINFLOAT
            | op::STRING
            | op::BINSTRING
            | op::SHORT_BINSTRING
            | op::UNICODE
            | op::BINUNICODE
            | op::SHORT_BINUNICODE
            | op::BINUNICODE8
            | op::BINBYTES
            | op::SHORT_BINBYTES
            | op::BINBYTES8
            | op::BYTEARRAY8
            | op::EMPTY_TUPLE
            | op::EMPTY_LIST
            | op::EMPTY_DICT
            | op::EMPTY_SET => stack.push(Item::Plain),
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let n = usize::from(code - op::TUPLE1 + 1);
                if here < n {
                    return None;
                }
                stack.truncate(stack.len() - n);
                stack.push(Item::Plain);
            }
            op::TUPLE | op::LIST | op::DICT | op::FROZENSET => {
                stack.truncate(marks.pop()?);
                stack.push(Item::Plain);
            }
            op::APPEND => {
                if here < 2 {
                    return None;
                }
                stack.pop();
            }
            op::SETITEM => {
                if here < 3 {
                    return None;
                }
                stack.truncate(stack.len() - 2);
            }
            op::APPENDS | op::SETITEMS | op::ADDITEMS => {
                let at = marks.pop()?;
                stack.truncate(at);
                // The target is the top of the stack below the mark.
                if stack.len() == marks.last().copied().unwrap_or(0) {
                    return None;
                }
            }
            op::POP => {
                if here > 0 {
                    stack.pop();
                } else if let Some(at) = marks.pop() {
                    stack.truncate(at);
                } else {
                    return None;
                }
            }
            op::POP_MARK => stack.truncate(marks.pop()?),
            op::DUP => {
                let top = *stack.last().filter(|_| here > 0)?;
                stack.push(top);
            }
            op::MARK => marks.push(stack.len()),
            op::GET | op::BINGET | op::LONG_BINGET => {
                let key = u64::try_from(o.int?).ok()?;
                stack.push(memo.get(key)?);
            }
            op::PUT | op::BINPUT | op::LONG_BINPUT => {
                let top = *stack.last().filter(|_| here > 0)?;
                match o.int {
                    Some(i) if i < 0 => return None,
                    Some(k) => memo.put(k as u64, top),
                    None => {}
                }
            }
            op::MEMOIZE => {
                let top = *stack.last().filter(|_| here > 0)?;
                memo.put(memo.len() as u64, top);
            }
            // Imports, calls, state, persistent ids, out-of-band buffers: the machine's work.
            _ => return None,
        }
        let here = stack.len() - marks.last().copied().unwrap_or(0);
        if here > stack_bound || marks.len() > MAX_MARKS || memo.len() > limits.max_memo_entries {
            degrade!(o.pos);
        }
    };
    // The machine reads the magic number as the start of a legacy PyTorch file.
    if value == Item::Magic || !reader.at_end() || reader.divergence().is_some() {
        return None;
    }
    let outcome = Outcome { pickles: 1, ops, end: reader.position(), len, ..Outcome::default() };
    Some((outcome, anomalies))
}

/// Most marks open at once before the pass (and the machine) degrades.
const MAX_MARKS: usize = 1 << 16;

#[derive(Clone, Copy)]
struct Bounds {
    stack: usize,
    memo: usize,
}

/// Decodes the opcodes that make up a data pickle straight from the reader's
/// buffer, with one dispatch per opcode, doing to the stack's shape what
/// [`plain_data`]'s general loop does. It stops, leaving the opcode to that
/// loop, at any other opcode, at an operand not wholly buffered, at a read
/// that would run past the buffered frame's end, at text that is not valid
/// UTF-8, and at a stack that does not hold what the opcode takes. Returns
/// how many opcodes it consumed and, when one crossed a bound, its offset
/// (the last one consumed).
fn run_buffered(
    reader: &mut Reader<'_>,
    stack: &mut Vec<Item>,
    marks: &mut Vec<usize>,
    memo: &mut Keys,
    bounds: Bounds,
) -> (u64, Option<u64>) {
    let (buf, pos0) = reader.buffered();
    let frame_end = reader.frame_end();
    let max_inline = reader.max_inline();
    let (mut i, mut ops, mut crossed) = (0usize, 0u64, None);
    let u32_at = |at: usize| buf.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    while let Some(&code) = buf.get(i) {
        let pos = pos0 + i as u64;
        // Takes the opcode's `len` bytes if they are buffered and read within
        // the buffered frame or after it; otherwise leaves it to the general loop.
        macro_rules! take {
            ($len:expr) => {{
                let len: usize = $len;
                if len > buf.len() - i {
                    break;
                }
                if let Some(end) = frame_end
                    && pos < end
                    && pos + len as u64 > end
                {
                    break;
                }
                len
            }};
        }
        macro_rules! here {
            () => {
                stack.len() - marks.last().copied().unwrap_or(0)
            };
        }
        let len = match code {
            op::SHORT_BINUNICODE | op::BINUNICODE | op::SHORT_BINBYTES | op::SHORT_BINSTRING | op::BINBYTES => {
                // A one-byte or four-byte length, then the operand.
                let (width, n): (usize, usize) = if matches!(code, op::BINUNICODE | op::BINBYTES) {
                    (5, u32_at(i + 1).unwrap_or(usize::MAX))
                } else {
                    (2, buf.get(i + 1).map_or(usize::MAX, |&b| usize::from(b)))
                };
                if n > max_inline {
                    break;
                }
                let len = take!(width.saturating_add(n));
                let text = &buf[i + width..i + len];
                let unicode = matches!(code, op::SHORT_BINUNICODE | op::BINUNICODE);
                if unicode && !text.is_ascii() && simdutf8::basic::from_utf8(text).is_err() {
                    break;
                }
                stack.push(Item::Plain);
                len
            }
            op::NONE
            | op::NEWTRUE
            | op::NEWFALSE
            | op::EMPTY_TUPLE
            | op::EMPTY_LIST
            | op::EMPTY_DICT
            | op::EMPTY_SET
            | op::BININT1
            | op::BININT2
            | op::BININT
            | op::BINFLOAT => {
                let len = take!(match code {
                    op::BININT1 => 2,
                    op::BININT2 => 3,
                    op::BININT => 5,
                    op::BINFLOAT => 9,
                    _ => 1,
                });
                stack.push(Item::Plain);
                len
            }
            op::MARK => {
                let len = take!(1);
                marks.push(stack.len());
                len
            }
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let len = take!(1);
                let n = usize::from(code - op::TUPLE1 + 1);
                if here!() < n {
                    break;
                }
                stack.truncate(stack.len() - n);
                stack.push(Item::Plain);
                len
            }
            op::TUPLE | op::LIST | op::DICT | op::FROZENSET => {
                let len = take!(1);
                let Some(at) = marks.pop() else { break };
                stack.truncate(at);
                stack.push(Item::Plain);
                len
            }
            op::APPEND => {
                let len = take!(1);
                if here!() < 2 {
                    break;
                }
                stack.pop();
                len
            }
            op::SETITEM => {
                let len = take!(1);
                if here!() < 3 {
                    break;
                }
                stack.truncate(stack.len() - 2);
                len
            }
            op::APPENDS | op::SETITEMS | op::ADDITEMS => {
                let len = take!(1);
                // The target is the top of the stack below the mark.
                let below = marks.len().checked_sub(2).map_or(0, |j| marks[j]);
                match marks.last() {
                    Some(&at) if at != below => {
                        marks.pop();
                        stack.truncate(at);
                    }
                    _ => break,
                }
                len
            }
            op::POP => {
                let len = take!(1);
                if here!() > 0 {
                    stack.pop();
                } else if let Some(at) = marks.pop() {
                    stack.truncate(at);
                } else {
                    break;
                }
                len
            }
            op::POP_MARK => {
                let len = take!(1);
                let Some(at) = marks.pop() else { break };
                stack.truncate(at);
                len
            }
            op::DUP => {
                let len = take!(1);
                let Some(&top) = stack.last().filter(|_| here!() > 0) else { break };
                stack.push(top);
                len
            }
            op::BINGET | op::LONG_BINGET => {
                let len = take!(if code == op::BINGET { 2 } else { 5 });
                let key = if code == op::BINGET { usize::from(buf[i + 1]) } else { u32_at(i + 1).unwrap_or(0) };
                let Some(item) = memo.get(key as u64) else { break };
                stack.push(item);
                len
            }
            op::BINPUT | op::LONG_BINPUT | op::MEMOIZE => {
                let len = take!(match code {
                    op::BINPUT => 2,
                    op::LONG_BINPUT => 5,
                    _ => 1,
                });
                let Some(&top) = stack.last().filter(|_| here!() > 0) else { break };
                let key = match code {
                    op::BINPUT => usize::from(buf[i + 1]),
                    op::LONG_BINPUT => u32_at(i + 1).unwrap_or(0),
                    _ => memo.len(),
                };
                memo.put(key as u64, top);
                len
            }
            _ => break,
        };
        i += len;
        ops += 1;
        let here = stack.len() - marks.last().copied().unwrap_or(0);
        if here > bounds.stack || marks.len() > MAX_MARKS || memo.len() > bounds.memo {
            crossed = Some(pos);
            break;
        }
    }
    reader.advance(i);
    (ops, crossed)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::pickle::machine::{Event, Machine};

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Writes one value of plain data, memoizing (and reusing) some of it.
    fn value(r: &mut Rng, out: &mut Vec<u8>, depth: u32, memo: &mut u32) {
        let pick = if depth > 3 { r.below(9) } else { r.below(16) };
        match pick {
            0 => out.push(op::NONE),
            1 => out.extend([op::BININT1, r.below(256) as u8]),
            2 => out.extend([op::BININT2, 1, 2]),
            3 => {
                let n = r.below(12) as u8;
                out.extend([op::LONG1, n]);
                out.extend((0..n).map(|i| i.wrapping_mul(37)));
            }
            4 => {
                let s: &[u8] =
                    [&b"key"[..], "\u{e9}t\u{e9}".as_bytes(), b"\xed\xa0\x80", b"\xff\xfe"][r.below(4) as usize];
                out.extend([op::SHORT_BINUNICODE, s.len() as u8]);
                out.extend(s);
            }
            5 => {
                let n = r.below(70_000) as u32;
                out.push(op::BINUNICODE);
                out.extend(n.to_le_bytes());
                out.extend(std::iter::repeat_n(b'a', n as usize));
            }
            6 => out.extend([op::SHORT_BINBYTES, 3, 0, 0xff, 7]),
            7 => out.extend([op::SHORT_BINSTRING, 2, b'h', 0x80]),
            8 if *memo > 0 => out.extend([op::BINGET, r.below(u64::from(*memo)) as u8]),
            8 => out.extend(b"S'text'\n"),
            // Protocol 0 and 1 forms of integers and memo writes.
            15 if r.below(2) == 0 => {
                out.extend([&b"I01\n"[..], b"I-7\n", b"L123L\n", b"F1.5\n"][r.below(4) as usize]);
                if r.below(2) == 0 {
                    out.extend(format!("p{}\n", *memo).as_bytes());
                    *memo += 1;
                }
            }
            9 | 10 => {
                out.push(op::EMPTY_LIST);
                memoize(r, out, memo);
                out.push(op::MARK);
                for _ in 0..r.below(4) {
                    value(r, out, depth + 1, memo);
                }
                out.push(op::APPENDS);
            }
            11 => {
                out.push(op::EMPTY_DICT);
                memoize(r, out, memo);
                for _ in 0..r.below(3) {
                    value(r, out, depth + 1, memo);
                    value(r, out, depth + 1, memo);
                    out.push(op::SETITEM);
                }
            }
            12 => {
                let n = r.below(4);
                for _ in 0..n {
                    value(r, out, depth + 1, memo);
                }
                out.push([op::EMPTY_TUPLE, op::TUPLE1, op::TUPLE2, op::TUPLE3][n as usize]);
            }
            13 => {
                out.push(op::MARK);
                for _ in 0..r.below(4) {
                    value(r, out, depth + 1, memo);
                }
                out.push([op::TUPLE, op::LIST, op::FROZENSET][r.below(3) as usize]);
            }
            14 => {
                out.push(op::EMPTY_SET);
                out.push(op::MARK);
                value(r, out, depth + 1, memo);
                out.push(op::ADDITEMS);
            }
            _ => {
                value(r, out, depth + 1, memo);
                out.extend([op::DUP, op::POP]);
            }
        }
        memoize(r, out, memo);
    }

    fn memoize(r: &mut Rng, out: &mut Vec<u8>, memo: &mut u32) {
        match r.below(5) {
            0 => {
                out.push(op::MEMOIZE);
                *memo += 1;
            }
            4 => {
                out.push(op::LONG_BINPUT);
                out.extend(memo.to_le_bytes());
                *memo += 1;
            }
            1 if *memo < 250 => {
                out.extend([op::BINPUT, *memo as u8]);
                *memo += 1;
            }
            _ => {}
        }
    }

    fn pickle(r: &mut Rng) -> Vec<u8> {
        let proto = [2, 4, 5][r.below(3) as usize];
        let mut body = Vec::new();
        let mut memo = 0;
        value(r, &mut body, 0, &mut memo);
        body.push(op::STOP);
        let mut out = vec![0x80, proto];
        if proto >= 4 && r.below(2) == 0 {
            // One frame over the whole body, as writers do, or a short one
            // that an operand may run past.
            let len = if r.below(4) == 0 { r.below(body.len() as u64) } else { body.len() as u64 };
            out.push(op::FRAME);
            out.extend(len.to_le_bytes());
        }
        out.extend(body);
        out
    }

    /// Damage of the kinds that make a machine report something: a byte
    /// changed, dropped or added; an import and a call; a second pickle.
    fn mutate(r: &mut Rng, mut p: Vec<u8>) -> Vec<u8> {
        let at = r.below(p.len() as u64) as usize;
        match r.below(6) {
            0 => p[at] = r.below(256) as u8,
            1 => {
                p.remove(at);
            }
            2 => p.insert(at, [op::MARK, op::POP, op::APPEND, op::BINGET, op::STOP][r.below(5) as usize]),
            3 => {
                let call = b"cos\nsystem\n(S'true'\ntR";
                p.splice(2..2, call.iter().copied());
                p.splice(p.len() - 1..p.len() - 1, [op::POP]);
            }
            4 => p.extend(pickle(r)),
            _ => p.extend(b"trailing bytes"),
        }
        p
    }

    fn run(data: &[u8], limits: &Limits, exhaustive: bool) -> (String, Vec<String>) {
        let mut events = Vec::new();
        let mut sink = |e: &Event<'_>| events.push(format!("{e:?}"));
        let machine = Machine::new(&mut sink, limits);
        let machine = if exhaustive { machine.exhaustive() } else { machine };
        let outcome = machine.run(&mut Cursor::new(data));
        (format!("{outcome:?}"), events)
    }

    #[test]
    fn shape_pass_agrees_with_the_machine() {
        let small = Limits { max_memo_entries: 6, max_container_items: 4, ..Limits::default() };
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut fast, mut degraded, mut total) = (0, 0, 0);
        for i in 0..3000 {
            let good = pickle(&mut r);
            let data = if i % 2 == 0 { good } else { mutate(&mut r, good) };
            for limits in [&Limits::default(), &small] {
                total += 1;
                let want = run(&data, limits, true);
                assert_eq!(run(&data, limits, false), want, "case {i}: {data:?}");
                if let Some((_, notes)) =
                    plain_data(&mut Cursor::new(&data[..]), data.len() as u64, limits, Framing::Contiguous)
                {
                    fast += 1;
                    degraded += usize::from(!notes.is_empty());
                }
            }
        }
        // The pass must actually be taken, degraded or not, and declined on damage.
        assert!(fast > total / 5 && fast < total, "fast path taken {fast} of {total} times");
        assert!(degraded > 10, "degraded {degraded} times");
    }

    #[test]
    fn long_operands_are_checked_like_short_ones() {
        // Text longer than the reader's buffer is checked piece by piece: valid
        // (with characters cut at every buffer boundary), invalid early or
        // late, a surrogate the unpickler accepts, and a stream cut short.
        let euro = "\u{20ac}".repeat(120_000).into_bytes();
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for (i, tail) in [&b""[..], b"\xff", b"\xed\xa0\x80", b"\xe2\x82"].iter().enumerate() {
            for early in [false, true] {
                let mut text = euro.clone();
                if early {
                    text.splice(1000..1000, tail.iter().copied());
                } else {
                    text.extend(*tail);
                }
                let mut p = vec![0x80, 4, op::BINUNICODE];
                p.extend((text.len() as u32).to_le_bytes());
                p.extend(&text);
                p.extend([op::MEMOIZE, op::STOP]);
                if i == 0 && early {
                    p.truncate(p.len() - 5_000);
                }
                cases.push(p);
            }
        }
        let mut bytes = vec![0x80, 4, op::BINBYTES];
        bytes.extend(600_000u32.to_le_bytes());
        bytes.extend(std::iter::repeat_n(0xffu8, 600_000));
        bytes.push(op::STOP);
        cases.push(bytes.clone());
        bytes.truncate(300_000);
        cases.push(bytes);
        let limits = Limits::default();
        let mut fast = 0;
        for (i, data) in cases.iter().enumerate() {
            assert_eq!(run(data, &limits, false), run(data, &limits, true), "case {i}");
            let taken =
                plain_data(&mut Cursor::new(&data[..]), data.len() as u64, &limits, Framing::Contiguous).is_some();
            fast += usize::from(taken);
        }
        // The valid text, the surrogate (read the usual way after the piecewise
        // check declines it) and the whole bytes operand.
        assert_eq!(fast, 3, "fast path taken {fast} times");
    }

    #[test]
    fn shape_pass_declines_what_the_machine_must_see() {
        let limits = Limits::default();
        let len = |d: &[u8]| d.len() as u64;
        for data in [
            &b"\x80\x04cos\nsystem\n\x8c\x04true\x85R."[..],
            b"\x80\x04\x8c\x02os\x8c\x06system\x93.",
            b"\x80\x04]\x94h\x07.",
            b"\x80\x04a.",
            b"\x80\x04N.N.",
            b"\x80\x04N.junk",
            b"\x80\x09N.",
            b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.",
            b"\x80\x04N",
        ] {
            assert!(plain_data(&mut Cursor::new(data), len(data), &limits, Framing::Contiguous).is_none(), "{data:?}");
        }
        let plain = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94]\x94s.";
        let (outcome, notes) =
            plain_data(&mut Cursor::new(&plain[..]), len(plain), &limits, Framing::Contiguous).unwrap();
        assert_eq!((outcome.pickles, outcome.ops, notes.len()), (1, 10, 0));
    }
}
