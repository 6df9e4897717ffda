//! A symbolic pickle machine: it follows the unpickler's stack and memo with
//! symbolic values, so every import and every call is seen however its names
//! were built (memo tricks, `STRING` operands, `getattr` chains, extension
//! codes), without importing or calling anything.
//!
//! The machine reports what it sees to a [`Sink`] as [`Event`]s. It knows the
//! pickle protocol and a few pure functions it can evaluate statically
//! (`getattr` on a module, base64 and zlib decoders, `_codecs.encode`); it does
//! not judge anything — that is the rules' job.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;
use std::rc::Rc;

use super::compat;
use super::opcodes::op;
use super::reader::{Arg, Divergence, Framing, Op, ReadError, ReadErrorKind, Reader, TORCH_LEGACY_MAGIC};
use super::value::{Blob, Call, CodeInfo, Function, Global, Map, Seq, Text, Value};
use crate::container::ReadSeek;
use crate::limits::Limits;

/// How an import was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Global,
    StackGlobal,
    Inst,
    /// An `EXT1/2/4` code registered by `copyreg.add_extension` in the stream.
    Ext,
    /// A name produced by a call the machine evaluated (`getattr`, `import_module`,
    /// `operator.attrgetter`, `pkgutil.resolve_name`, …).
    Dynamic,
}

/// Something wrong with the stream itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// The stream cannot be read further (truncated, invalid opcode, bad argument).
    Broken,
    /// The stream ended without a `STOP`.
    NoStop,
    /// An opcode needed more stack items (or a mark) than there were.
    StackUnderflow,
    /// A memo key was read before it was written.
    MemoMiss,
    /// An operand of the wrong type (the unpickler would raise here).
    BadOperand,
    /// `EXT` with a code nothing in the stream registered.
    UnregisteredExtension,
    /// An import whose module or name the machine cannot determine.
    UnresolvedImport,
    /// Bytes after the last `STOP` that are not a pickle.
    TrailingData,
    /// A further pickle after a `STOP`.
    Concatenated,
    /// A resource bound was reached; analysis went on in a simpler mode.
    LimitReached,
    /// A protocol number this unpickler does not know.
    UnknownProtocol,
}

/// A stream anomaly and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub offset: u64,
    pub detail: String,
}

/// What the machine saw.
#[derive(Debug)]
pub enum Event<'a> {
    /// The unpickler would import `global` (after Python 2 remapping).
    Import {
        global: &'a Global,
        /// The name as written, when remapping changed it.
        written: Option<&'a Global>,
        via: Via,
        offset: u64,
        /// For dynamic imports: the expression that produced the name.
        origin: Option<&'a Value>,
    },
    /// The unpickler would call something.
    Call {
        call: &'a Rc<Call>,
        /// The callee as a global, after following `partial`, `getattr` and the like.
        target: Option<&'a Global>,
    },
    /// A code object was rebuilt.
    Code { code: &'a CodeInfo, offset: u64, by: &'a Global },
    /// `BUILD` applied `state` to `target`.
    Build { target: &'a Value, state: &'a Value, offset: u64 },
    /// A problem with the stream.
    Anomaly(&'a Anomaly),
}

/// Receives events as the machine runs.
pub trait Sink {
    fn event(&mut self, event: &Event<'_>);
}

impl<F: FnMut(&Event<'_>)> Sink for F {
    fn event(&mut self, event: &Event<'_>) {
        self(event);
    }
}

/// Why the machine stops following the stack when its bounds are reached
/// (the shape pass of [`super::shape`] reports the same).
pub(super) const BOUNDS_REACHED: &str = "stack, mark or memo size limit reached";

/// The note of a machine that stopped following the stack, and why.
pub(super) fn degraded_detail(why: &str) -> String {
    format!("{why}; the rest of this pickle was checked for imports only")
}

/// What a run found out about the stream as a whole.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Pickles read to their `STOP`.
    pub pickles: u32,
    pub ops: u64,
    /// Offset just past the last byte the machine consumed.
    pub end: u64,
    /// The stream broke before a `STOP` (see the `Broken`/`NoStop` anomaly).
    pub broken: bool,
    /// Imports and calls seen (to judge whether bytes were a pickle at all).
    pub imports: u64,
    pub calls: u64,
    /// The file is PyTorch's legacy (pre-1.6, non-zip) format.
    pub torch_legacy: bool,
    /// joblib's inline NumPy array blocks that were stepped over.
    pub joblib_arrays: u32,
    /// Stream size (bytes available from the start).
    pub len: u64,
    /// Imports whose module or name is not a dotted Python identifier (the
    /// unpickler could not import them; text that is not a pickle has these).
    pub invalid_names: u64,
    /// Where bytes that are not a pickle start after the last STOP.
    pub trailing: Option<u64>,
    /// Where an opcode first ran past the end of its `FRAME` (the stream reads
    /// differently with [`Framing::Exact`]).
    pub frame_divergence: Option<Divergence>,
}

impl Outcome {
    /// True when the bytes behaved like a pickle: a complete one, or at least
    /// an import or call before breaking.
    pub fn is_pickle(&self) -> bool {
        self.pickles > 0 || (self.imports > 0 && self.invalid_names == 0)
    }
}

/// Memo entries written in order (`MEMOIZE`, or `PUT` of the next key) live in
/// fixed-size chunks: a million-entry memo grows without reallocating and
/// copying (or touching twice the memory for) what it already holds. Keys
/// that skip a few slots stay dense too, the slots between them empty
/// (Python 2's pickler numbered its memo from 1, and `pickletools.optimize`
/// drops the `PUT`s nothing reads): at most [`MEMO_GAP`] slots per skip and,
/// in all, no more empty slots than entries (plus [`MEMO_GAP`]), so a
/// hostile key sequence cannot make the memo allocate beyond its entries.
/// Other keys go to a map.
struct Memo {
    dense: Vec<Box<[Option<Value>]>>,
    /// Slots in use or skipped: every dense key is below this.
    dense_len: usize,
    sparse: HashMap<u64, Value>,
    /// Entries stored (what `len(memo)` is to the unpickler).
    count: usize,
}

const MEMO_CHUNK: usize = 4096;
const MEMO_GAP: usize = 64;

impl Memo {
    fn new() -> Self {
        Self { dense: Vec::new(), dense_len: 0, sparse: HashMap::new(), count: 0 }
    }
    fn get(&self, k: u64) -> Option<&Value> {
        match usize::try_from(k) {
            Ok(i) if i < self.dense_len => self.dense[i / MEMO_CHUNK][i % MEMO_CHUNK].as_ref(),
            _ => self.sparse.get(&k),
        }
    }
    fn put(&mut self, k: u64, v: Value) {
        let dense = match usize::try_from(k) {
            Ok(i) if i < self.dense_len => true,
            Ok(i) => self.sparse.is_empty() && i - self.dense_len <= MEMO_GAP && i < 2 * self.count + MEMO_GAP,
            Err(_) => false,
        };
        if dense {
            let i = k as usize;
            self.dense_len = self.dense_len.max(i + 1);
            if self.slot(i).replace(v).is_none() {
                self.count += 1;
            }
        } else if self.sparse.insert(k, v).is_none() {
            self.count += 1;
        }
    }
    /// Slot `i`, allocating its chunk: small pickles get a small first chunk,
    /// grown fourfold up to full size; later chunks are full size.
    fn slot(&mut self, i: usize) -> &mut Option<Value> {
        let c = i / MEMO_CHUNK;
        if self.dense.is_empty() {
            self.dense.push(vec![None; 32.min(MEMO_CHUNK)].into_boxed_slice());
        }
        let first = self.dense[0].len();
        if first < MEMO_CHUNK && (c > 0 || i >= first) {
            let want = if c > 0 { MEMO_CHUNK } else { (first * 4).max(i + 1).min(MEMO_CHUNK) };
            let mut v = std::mem::take(&mut self.dense[0]).into_vec();
            v.resize(want, None);
            self.dense[0] = v.into_boxed_slice();
        }
        while self.dense.len() <= c {
            self.dense.push(vec![None; MEMO_CHUNK].into_boxed_slice());
        }
        &mut self.dense[c][i % MEMO_CHUNK]
    }
    fn len(&self) -> usize {
        self.count
    }
}

struct Frame {
    stack: Vec<Value>,
    meta: Vec<Vec<Value>>,
    memo: Memo,
    proto: u8,
}

/// Runs the machine over a stream of one or more pickles.
pub struct Machine<'s> {
    sink: &'s mut dyn Sink,
    limits: Limits,
    stack: Vec<Value>,
    meta: Vec<Vec<Value>>,
    memo: Memo,
    proto: u8,
    /// Extension codes registered by `copyreg.add_extension` calls in the stream.
    ext: HashMap<i64, Global>,
    /// Set when a bound was reached; the machine then tracks imports only.
    degraded: bool,
    recent_strings: [Option<Rc<str>>; 2],
    /// Outer unpicklers suspended while an inline pickle (joblib object array) runs.
    nested: Vec<Frame>,
    outcome: Outcome,
    tracked: Vec<Tracked>,
    tracked_prune_at: usize,
    /// Scratch space for canonical callee names.
    key_buf: String,
    empty_tuple: Rc<[Value]>,
    framing: Framing,
    /// Try [`super::shape`]'s pass for plain data first.
    shape_pass: bool,
}

/// A weak handle on a mutable value, to empty it when the pickle ends.
enum Tracked {
    Seq(std::rc::Weak<RefCell<Seq>>),
    Map(std::rc::Weak<RefCell<Map>>),
    Call(std::rc::Weak<Call>),
}

impl Tracked {
    fn alive(&self) -> bool {
        match self {
            Tracked::Seq(w) => w.strong_count() > 0,
            Tracked::Map(w) => w.strong_count() > 0,
            Tracked::Call(w) => w.strong_count() > 0,
        }
    }
}

impl<'s> Machine<'s> {
    pub fn new(sink: &'s mut dyn Sink, limits: &Limits) -> Self {
        Self {
            sink,
            limits: limits.clone(),
            stack: Vec::new(),
            meta: Vec::new(),
            memo: Memo::new(),
            proto: 0,
            ext: HashMap::new(),
            degraded: false,
            recent_strings: [None, None],
            nested: Vec::new(),
            outcome: Outcome::default(),
            tracked: Vec::new(),
            tracked_prune_at: 1024,
            key_buf: String::new(),
            empty_tuple: Rc::from([]),
            framing: Framing::Contiguous,
            shape_pass: true,
        }
    }

    /// Reads `FRAME`s as `framing` says (contiguously unless told otherwise).
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }

    /// Follows every value even of a plain-data pickle (the fast pass of
    /// [`super::shape`] is skipped): for tests that compare the two.
    pub fn exhaustive(mut self) -> Self {
        self.shape_pass = false;
        self
    }

    /// Runs over every pickle in `src` from its current position to the end.
    pub fn run(mut self, src: &mut dyn ReadSeek) -> Outcome {
        let start = src.stream_position().unwrap_or(0);
        let len = src.seek(std::io::SeekFrom::End(0)).unwrap_or(0).saturating_sub(start);
        let _ = src.seek(std::io::SeekFrom::Start(start));
        self.outcome.len = len;
        if self.shape_pass {
            let found = super::shape::plain_data(src, len, &self.limits, self.framing);
            if let Some((outcome, anomalies)) = found {
                for a in &anomalies {
                    self.sink.event(&Event::Anomaly(a));
                }
                return outcome;
            }
            let _ = src.seek(std::io::SeekFrom::Start(start));
        }
        let mut reader = Reader::new(src, &self.limits).decode_text().framing(self.framing);
        let mut index = 0u32;
        loop {
            let trailing = index > 0;
            let before = (self.outcome.imports, self.outcome.calls);
            let first_pos = reader.position();
            if trailing {
                if reader.at_end() {
                    break;
                }
                let head = reader.peek(2).to_vec();
                let plausible = matches!(head.as_slice(), [0x80, p, ..] if *p <= 5)
                    || head.first().is_some_and(|b| super::opcodes::info(*b).is_some());
                if !plausible {
                    self.trailing(first_pos, len);
                    break;
                }
            }
            reader.new_unpickler();
            match self.run_one(&mut reader) {
                Ok(value) => {
                    self.outcome.pickles += 1;
                    if trailing {
                        self.anomaly(
                            AnomalyKind::Concatenated,
                            first_pos,
                            format!("pickle #{} starts after the STOP of the previous one", index + 1),
                        );
                    }
                    if index == 0 && matches!(&value, Value::BigInt(s) if &**s == TORCH_LEGACY_MAGIC) {
                        self.outcome.torch_legacy = true;
                    }
                    index += 1;
                    // The legacy torch format is five pickles followed by raw storages.
                    if self.outcome.torch_legacy && index == 5 {
                        break;
                    }
                }
                Err(err) => {
                    let quiet_trailing = trailing && (self.outcome.imports, self.outcome.calls) == before;
                    match err {
                        Some(e) if quiet_trailing => {
                            let _ = e;
                            self.trailing(first_pos, len);
                        }
                        Some(e) => {
                            self.outcome.broken = true;
                            self.anomaly(AnomalyKind::Broken, e.pos, e.to_string());
                        }
                        None if quiet_trailing => self.trailing(first_pos, len),
                        None => {
                            self.outcome.broken = true;
                            let at = reader.position();
                            self.anomaly(AnomalyKind::NoStop, at, "the stream ends without a STOP opcode".into());
                        }
                    }
                    break;
                }
            }
        }
        self.outcome.end = reader.position();
        self.outcome.frame_divergence = reader.divergence();
        self.break_cycles();
        self.stack.clear();
        self.memo = Memo::new();
        self.nested.clear();
        std::mem::take(&mut self.outcome)
    }

    fn trailing(&mut self, from: u64, len: u64) {
        let n = len.saturating_sub(from);
        if n > 0 {
            self.outcome.trailing = Some(from);
            self.anomaly(
                AnomalyKind::TrailingData,
                from,
                format!("{n} bytes follow the last STOP and are not a pickle that pickle.load would read next"),
            );
        }
    }

    fn anomaly(&mut self, kind: AnomalyKind, offset: u64, detail: String) {
        let a = Anomaly { kind, offset, detail };
        self.sink.event(&Event::Anomaly(&a));
    }

    /// Containers can be made to hold themselves (`DUP` + `APPEND`, memo
    /// tricks), which reference counting alone would leak. Every mutable value
    /// the machine creates is registered here, weakly, and emptied when a
    /// pickle ends; dead entries are pruned as the list grows.
    fn track(&mut self, cell: Tracked) {
        if self.tracked.len() >= self.tracked_prune_at {
            self.tracked.retain(Tracked::alive);
            self.tracked_prune_at = (self.tracked.len() * 2).max(1024);
        }
        self.tracked.push(cell);
    }

    fn new_seq(&mut self, seq: Seq) -> Rc<RefCell<Seq>> {
        let rc = Rc::new(RefCell::new(seq));
        self.track(Tracked::Seq(Rc::downgrade(&rc)));
        rc
    }

    fn new_map(&mut self) -> Rc<RefCell<Map>> {
        let rc = Rc::new(RefCell::new(Map::default()));
        self.track(Tracked::Map(Rc::downgrade(&rc)));
        rc
    }

    fn break_cycles(&mut self) {
        for t in self.tracked.drain(..) {
            match t {
                Tracked::Seq(w) => {
                    if let Some(rc) = w.upgrade() {
                        let items = std::mem::take(&mut rc.borrow_mut().items);
                        drop(items);
                    }
                }
                Tracked::Map(w) => {
                    if let Some(rc) = w.upgrade() {
                        let items = std::mem::take(&mut rc.borrow_mut().items);
                        drop(items);
                    }
                }
                Tracked::Call(w) => {
                    if let Some(rc) = w.upgrade() {
                        let attrs = std::mem::take(&mut *rc.attrs.borrow_mut());
                        drop(attrs);
                    }
                }
            }
        }
        self.tracked_prune_at = 1024;
    }

    fn reset(&mut self) {
        self.break_cycles();
        self.stack.clear();
        self.meta.clear();
        self.memo = Memo::new();
        self.proto = 0;
        self.degraded = false;
        self.nested.clear();
    }

    /// Reads one pickle to its STOP. `Err(Some)` is a read error, `Err(None)` a
    /// clean end of stream before STOP.
    fn run_one(&mut self, reader: &mut Reader<'_>) -> Result<Value, Option<ReadError>> {
        self.reset();
        loop {
            let op = match reader.next_op() {
                Ok(Some(op)) => op,
                Ok(None) => return Err(None),
                Err(e) => return Err(Some(e)),
            };
            self.outcome.ops += 1;
            if op.info.code == op::STOP {
                // After a bound the stack is no longer followed: nothing to pop.
                let v = if self.degraded { Value::None } else { self.pop(op.pos, "STOP") };
                if let Some(frame) = self.nested.pop() {
                    // An inline pickle (joblib object array) ended: resume the outer one.
                    self.stack = frame.stack;
                    self.meta = frame.meta;
                    self.memo = frame.memo;
                    self.proto = frame.proto;
                    if let Some(top) = self.stack.last_mut() {
                        *top = v;
                    }
                    continue;
                }
                return Ok(v);
            }
            if self.degraded {
                self.step_degraded(&op);
            } else {
                let pos = op.pos;
                self.step(op, reader);
                if self.stack.len() > self.limits.max_container_items.max(1 << 20)
                    || self.meta.len() > 1 << 16
                    || self.memo.len() > self.limits.max_memo_entries
                {
                    self.degrade(pos, BOUNDS_REACHED);
                }
            }
        }
    }

    fn degrade(&mut self, at: u64, why: &str) {
        self.degraded = true;
        self.stack.clear();
        self.meta.clear();
        self.memo = Memo::new();
        self.anomaly(AnomalyKind::LimitReached, at, degraded_detail(why));
    }

    /// Degraded mode: imports from GLOBAL/INST, and STACK_GLOBAL from the last two strings.
    fn step_degraded(&mut self, op: &Op) {
        match (&op.arg, op.info.code) {
            (Arg::Pair(m, n), _) => {
                let (m, n) = (lossy(m), lossy(n));
                self.import(&m, &n, if op.info.code == op::INST { Via::Inst } else { Via::Global }, op.pos);
            }
            (Arg::Str(b) | Arg::Bytes(b), _) => {
                self.recent_strings[0] = self.recent_strings[1].take();
                // Module and attribute names are short; data is not worth converting.
                self.recent_strings[1] = (b.data.len() <= 1024).then(|| lossy(&b.data).into());
            }
            (Arg::Text { s, .. }, _) => {
                self.recent_strings[0] = self.recent_strings[1].take();
                self.recent_strings[1] = Some(s.as_str().into());
            }
            (_, op::STACK_GLOBAL) => {
                if let [Some(m), Some(n)] = &self.recent_strings {
                    let (m, n) = (m.clone(), n.clone());
                    self.import(&m, &n, Via::StackGlobal, op.pos);
                } else {
                    self.anomaly(AnomalyKind::UnresolvedImport, op.pos, "STACK_GLOBAL operands unknown".into());
                }
            }
            _ => {}
        }
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn pop(&mut self, at: u64, what: &str) -> Value {
        match self.stack.pop() {
            Some(v) => v,
            None => {
                self.anomaly(AnomalyKind::StackUnderflow, at, format!("{what} on an empty stack"));
                Value::Unknown("stack underflow".into())
            }
        }
    }

    fn pop_mark(&mut self, at: u64, what: &str) -> Vec<Value> {
        match self.meta.pop() {
            Some(prev) => std::mem::replace(&mut self.stack, prev),
            None => {
                self.anomaly(AnomalyKind::StackUnderflow, at, format!("{what} without a MARK"));
                std::mem::take(&mut self.stack)
            }
        }
    }

    fn top(&mut self, at: u64, what: &str) -> Value {
        match self.stack.last() {
            Some(v) => v.clone(),
            None => {
                self.anomaly(AnomalyKind::StackUnderflow, at, format!("{what} on an empty stack"));
                Value::Unknown("stack underflow".into())
            }
        }
    }

    fn step(&mut self, o: Op, reader: &mut Reader<'_>) {
        let at = o.pos;
        let name = o.info.name;
        match o.info.code {
            op::PROTO => {
                let p = match o.arg {
                    Arg::Int(p) => p,
                    _ => 0,
                };
                if !(0..=5).contains(&p) {
                    self.anomaly(AnomalyKind::UnknownProtocol, at, format!("unsupported pickle protocol {p}"));
                }
                self.proto = p.clamp(0, 255) as u8;
            }
            op::FRAME => {}
            op::NONE => self.push(Value::None),
            op::NEWTRUE => self.push(Value::Bool(true)),
            op::NEWFALSE => self.push(Value::Bool(false)),
            op::INT | op::BININT | op::BININT1 | op::BININT2 | op::LONG | op::LONG1 | op::LONG4 => {
                let v = match &o.arg {
                    Arg::Int(i) => Value::Int(*i),
                    Arg::Bool(b) => Value::Bool(*b),
                    Arg::BigInt(s) => Value::BigInt(s.as_str().into()),
                    _ => Value::Unknown("integer".into()),
                };
                self.push(v);
            }
            op::FLOAT | op::BINFLOAT => {
                let v = match o.arg {
                    Arg::Float(f) => Value::Float(f),
                    _ => Value::Unknown("float".into()),
                };
                self.push(v);
            }
            op::STRING | op::BINSTRING | op::SHORT_BINSTRING => {
                // Decoded to `str` by Python 3's unpickler (encoding="ASCII" by default; NumPy
                // and gensim load with "latin1" or "bytes"). Text stays text; binary data (a
                // Python 2 pickle's array buffers, megabytes of them) stays bytes, as lossy
                // UTF-8 of it would cost a third of a folder scan and name nothing.
                if let Arg::Bytes(b) = o.arg {
                    let Blob { data, len, offset } = b;
                    let v = match String::from_utf8(data) {
                        Ok(s) => str_value(s, len, offset),
                        Err(e) => Value::Bytes(Rc::new(Blob { data: e.into_bytes(), len, offset })),
                    };
                    self.push(v);
                }
            }
            op::UNICODE | op::BINUNICODE | op::SHORT_BINUNICODE | op::BINUNICODE8 => match o.arg {
                Arg::Str(b) => {
                    let v = text(b);
                    self.push(v);
                }
                Arg::Text { s, offset } => {
                    let len = s.len() as u64;
                    self.push(str_value(s, len, offset));
                }
                _ => {}
            },
            op::BINBYTES | op::SHORT_BINBYTES | op::BINBYTES8 | op::BYTEARRAY8 => {
                if let Arg::Bytes(b) = o.arg {
                    self.push(Value::Bytes(Rc::new(b)));
                }
            }
            op::NEXT_BUFFER => self.push(Value::Buffer),
            op::READONLY_BUFFER => {
                let _ = self.top(at, name);
            }
            // Tuples are immutable: every `()` can share one allocation.
            op::EMPTY_TUPLE => self.push(Value::Tuple(self.empty_tuple.clone())),
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let n = usize::from(o.info.code - op::TUPLE1 + 1);
                let items: Rc<[Value]> = if let Some(from) = self.stack.len().checked_sub(n) {
                    // Drained straight into the tuple's one allocation.
                    self.stack.drain(from..).collect()
                } else {
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop(at, name));
                    }
                    items.reverse();
                    items.into()
                };
                self.push(Value::Tuple(items));
            }
            op::TUPLE => {
                let items = self.pop_mark(at, name);
                self.push(Value::Tuple(items.into()));
            }
            op::EMPTY_LIST => {
                let l = self.new_seq(Seq::default());
                self.push(Value::List(l));
            }
            op::LIST => {
                let items = self.pop_mark(at, name);
                let seq = self.bounded_seq(items);
                let l = self.new_seq(seq);
                self.push(Value::List(l));
            }
            op::APPEND => {
                let v = self.pop(at, name);
                let target = self.top(at, name);
                self.extend(&target, std::iter::once(v));
            }
            op::APPENDS => {
                let items = self.pop_mark(at, name);
                let target = self.top(at, name);
                self.extend(&target, items);
            }
            op::EMPTY_DICT => {
                let d = self.new_map();
                self.push(Value::Dict(d));
            }
            op::DICT => {
                let items = self.pop_mark(at, name);
                let map = self.new_map();
                self.set_items(&map, items);
                self.push(Value::Dict(map));
            }
            op::SETITEM => {
                let v = self.pop(at, name);
                let k = self.pop(at, name);
                let target = self.top(at, name);
                if let Value::Dict(d) = &target {
                    self.set_items(d, [k, v]);
                }
            }
            op::SETITEMS => {
                let items = self.pop_mark(at, name);
                let target = self.top(at, name);
                if let Value::Dict(d) = &target {
                    self.set_items(d, items);
                }
            }
            op::EMPTY_SET => {
                let set = self.new_seq(Seq::default());
                self.push(Value::Set(set));
            }
            op::ADDITEMS => {
                let items = self.pop_mark(at, name);
                let target = self.top(at, name);
                self.extend(&target, items);
            }
            op::FROZENSET => {
                let items = self.pop_mark(at, name);
                let seq = self.bounded_seq(items);
                self.push(Value::FrozenSet(Rc::new(seq.items)));
            }
            op::POP => {
                if self.stack.is_empty() && !self.meta.is_empty() {
                    let _ = self.pop_mark(at, name);
                } else {
                    let _ = self.pop(at, name);
                }
            }
            op::POP_MARK => {
                let _ = self.pop_mark(at, name);
            }
            op::DUP => {
                let v = self.top(at, name);
                self.push(v);
            }
            op::MARK => {
                // Room for a typical call's arguments, so they do not grow the new stack twice.
                let prev = std::mem::replace(&mut self.stack, Vec::with_capacity(8));
                self.meta.push(prev);
            }
            op::GET | op::BINGET | op::LONG_BINGET => {
                let key = arg_index(&o.arg);
                let v = match key.and_then(|k| self.memo.get(k)) {
                    Some(v) => v.clone(),
                    None => {
                        self.anomaly(
                            AnomalyKind::MemoMiss,
                            at,
                            format!(
                                "{name} of memo key {} that was never stored",
                                key.map_or("?".into(), |k| k.to_string())
                            ),
                        );
                        Value::Unknown("missing memo entry".into())
                    }
                };
                self.push(v);
            }
            op::PUT | op::BINPUT | op::LONG_BINPUT => {
                let v = self.top(at, name);
                match o.arg {
                    Arg::Int(i) if i < 0 => {
                        self.anomaly(AnomalyKind::BadOperand, at, "negative PUT argument".into());
                    }
                    _ => {
                        if let Some(k) = arg_index(&o.arg) {
                            self.memo.put(k, v);
                        }
                    }
                }
            }
            op::MEMOIZE => {
                let v = self.top(at, name);
                let k = self.memo.len() as u64;
                self.memo.put(k, v);
            }
            op::GLOBAL | op::INST => {
                let Arg::Pair(m, n) = &o.arg else { return };
                let (m, n) = (lossy(m), lossy(n));
                let via = if o.info.code == op::INST { Via::Inst } else { Via::Global };
                let g = self.import(&m, &n, via, at);
                if o.info.code == op::INST {
                    let args = self.pop_mark(at, name);
                    let v = self.call(g, Value::Tuple(args.into()), None, name, at);
                    self.push(v);
                } else {
                    self.push(g);
                }
            }
            op::STACK_GLOBAL => {
                let n = self.pop(at, name);
                let m = self.pop(at, name);
                let v = match (m.resolved(), n.resolved()) {
                    (Value::Str(_) | Value::StrPart(_), Value::Str(_) | Value::StrPart(_)) => {
                        let text = |v: &Value| match v {
                            Value::Str(t) => t.to_string(),
                            Value::StrPart(t) => t.s.clone(),
                            _ => String::new(),
                        };
                        let (m, n) = (text(m.resolved()), text(n.resolved()));
                        self.import(&m, &n, Via::StackGlobal, at)
                    }
                    (Value::Unknown(_), _) | (_, Value::Unknown(_)) => {
                        self.anomaly(
                            AnomalyKind::UnresolvedImport,
                            at,
                            format!(
                                "STACK_GLOBAL of {} . {} cannot be resolved statically",
                                m.render(80),
                                n.render(80)
                            ),
                        );
                        Value::Unknown("unresolved import".into())
                    }
                    _ => {
                        self.anomaly(
                            AnomalyKind::BadOperand,
                            at,
                            format!(
                                "STACK_GLOBAL requires two str operands, got {} and {}",
                                m.render(80),
                                n.render(80)
                            ),
                        );
                        Value::Unknown("bad STACK_GLOBAL".into())
                    }
                };
                self.push(v);
            }
            op::EXT1 | op::EXT2 | op::EXT4 => {
                let code = match o.arg {
                    Arg::Int(c) => c,
                    _ => 0,
                };
                let v = match self.ext.get(&code).cloned() {
                    Some(g) => {
                        let (m, n) = (g.module.to_string(), g.name.to_string());
                        self.import(&m, &n, Via::Ext, at)
                    }
                    None => {
                        self.anomaly(
                            AnomalyKind::UnregisteredExtension,
                            at,
                            format!("{name} code {code} is not registered in this stream; it resolves to whatever the loading process registered"),
                        );
                        Value::Unknown(format!("extension code {code}").into())
                    }
                };
                self.push(v);
            }
            op::REDUCE => {
                let args = self.pop(at, name);
                let func = self.pop(at, name);
                if !matches!(args.resolved(), Value::Tuple(_) | Value::Unknown(_)) {
                    self.anomaly(
                        AnomalyKind::BadOperand,
                        at,
                        format!("REDUCE arguments must be a tuple, got {}", args.render(80)),
                    );
                }
                let v = self.call(func, args, None, name, at);
                self.push(v);
            }
            op::OBJ => {
                let mut items = self.pop_mark(at, name);
                if items.is_empty() {
                    self.anomaly(AnomalyKind::StackUnderflow, at, "OBJ without a class".into());
                    self.push(Value::Unknown("OBJ".into()));
                } else {
                    let cls = items.remove(0);
                    let v = self.call(cls, Value::Tuple(items.into()), None, name, at);
                    self.push(v);
                }
            }
            op::NEWOBJ => {
                let args = self.pop(at, name);
                let cls = self.pop(at, name);
                let v = self.call(cls, args, None, name, at);
                self.push(v);
            }
            op::NEWOBJ_EX => {
                let kwargs = self.pop(at, name);
                let args = self.pop(at, name);
                let cls = self.pop(at, name);
                let v = self.call(cls, args, Some(kwargs), name, at);
                self.push(v);
            }
            op::BUILD => {
                let state = self.pop(at, name);
                let target = self.top(at, name);
                self.build(&target, state, at, reader);
            }
            op::PERSID => {
                if let Arg::Str(b) = o.arg {
                    let v = text(b);
                    self.push(Value::PersId(Rc::new(v)));
                }
            }
            op::BINPERSID => {
                let pid = self.pop(at, name);
                self.push(Value::PersId(Rc::new(pid)));
            }
            _ => {}
        }
    }

    fn bounded_seq(&self, mut items: Vec<Value>) -> Seq {
        let keep = self.limits.max_container_items;
        let mut dropped = 0;
        if items.len() > keep {
            dropped = (items.len() - keep) as u64;
            items.truncate(keep);
        }
        Seq { items, dropped }
    }

    fn extend(&self, target: &Value, items: impl IntoIterator<Item = Value>) {
        let keep = self.limits.max_container_items;
        if let Value::List(l) | Value::Set(l) = target {
            let mut l = l.borrow_mut();
            for v in items {
                if l.items.len() < keep {
                    l.items.push(v);
                } else {
                    l.dropped += 1;
                }
            }
        }
    }

    fn set_items(&self, map: &Rc<RefCell<Map>>, items: impl IntoIterator<Item = Value>) {
        let keep = self.limits.max_container_items;
        let mut m = map.borrow_mut();
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            // Dunder keys are always kept: they are how state hijacks work.
            let dunder = k.as_str().is_some_and(|s| s.starts_with("__"));
            if m.items.len() < keep || (dunder && m.items.len() < keep * 4) {
                m.items.push((k, v));
            } else {
                m.dropped += 1;
            }
        }
    }

    /// Resolves `module`/`name` as the unpickler would, reports it, and returns the global.
    fn import(&mut self, module: &str, name: &str, via: Via, at: u64) -> Value {
        if !is_dotted_identifier(module) || !is_dotted_identifier(name) {
            self.outcome.invalid_names += 1;
        }
        let (m, n) = compat::remap(self.proto, module, name);
        let g = Global::new(m, n);
        let written = (m != module || n != name).then(|| Global::new(module, name));
        self.outcome.imports += 1;
        self.sink.event(&Event::Import { global: &g, written: written.as_ref(), via, offset: at, origin: None });
        Value::Global(Rc::new(g))
    }

    fn dynamic_import(&mut self, g: &Global, origin: &Value, at: u64) {
        self.outcome.imports += 1;
        self.sink.event(&Event::Import {
            global: g,
            written: None,
            via: Via::Dynamic,
            offset: at,
            origin: Some(origin),
        });
    }

    /// Records a call of `func` and returns its symbolic result.
    fn call(&mut self, func: Value, args: Value, kwargs: Option<Value>, opcode: &'static str, at: u64) -> Value {
        self.call_depth(func, args, kwargs, opcode, at, 0)
    }

    fn call_depth(
        &mut self,
        func: Value,
        args: Value,
        kwargs: Option<Value>,
        opcode: &'static str,
        at: u64,
        depth: u32,
    ) -> Value {
        self.outcome.calls += 1;
        // Arguments are nearly always a tuple: borrow its items instead of copying them.
        let argv_owned;
        let argv: &[Value] = match args.resolved() {
            Value::Tuple(t) => t,
            _ => {
                argv_owned = args.items();
                &argv_owned
            }
        };
        // Calls of callables built by earlier calls: partial, attrgetter, methodcaller, …
        if depth < 16
            && let Value::Call(inner) = func.resolved()
            && inner.value.is_none()
            && let Some(kind) = inner.func.as_global().map(Global::dotted)
        {
            let inner_args = inner.args.items();
            match kind.as_str() {
                // `partial(f, *a)(*b)` calls `f(*a, *b)`; so does a bound method as
                // cloudpickle writes it, `types.MethodType(f, obj)(*b)`: `f(obj, *b)`.
                "functools.partial" | "_functools.partial" | "types.MethodType"
                    if !inner_args.is_empty() && (kind != "types.MethodType" || inner_args.len() == 2) =>
                {
                    let mut all: Vec<Value> = inner_args[1..].to_vec();
                    all.extend(argv.iter().cloned());
                    let f = inner_args[0].clone();
                    let rec = self.call_depth(f, Value::Tuple(all.into()), kwargs.clone(), opcode, at, depth + 1);
                    return self.record(func, args, kwargs, opcode, at, rec.resolved_value());
                }
                "operator.methodcaller" | "_operator.methodcaller" if !argv.is_empty() => {
                    if let Some(meth) = inner_args.first().and_then(Value::as_str) {
                        let target = Self::attr(&argv[0], meth);
                        let rest = Value::Tuple(inner_args[1..].into());
                        let bound = target.unwrap_or_else(|| Value::Unknown(format!("method {meth}").into()));
                        let rec = self.call_depth(bound, rest, None, opcode, at, depth + 1);
                        return self.record(func, args, kwargs, opcode, at, rec.resolved_value());
                    }
                }
                _ => {}
            }
        }
        let value = self.evaluate(&func, argv);
        self.record(func, args, kwargs, opcode, at, value)
    }

    fn record(
        &mut self,
        func: Value,
        args: Value,
        kwargs: Option<Value>,
        opcode: &'static str,
        at: u64,
        value: Option<Value>,
    ) -> Value {
        let call = Rc::new(Call { func, args, kwargs, opcode, offset: at, value, attrs: RefCell::new(Vec::new()) });
        let target = call.func.as_global().cloned();
        self.sink.event(&Event::Call { call: &call, target: target.as_ref() });
        if let Some(Value::Code(code)) = &call.value
            && let Some(by) = &target
        {
            let code = code.clone();
            self.sink.event(&Event::Code { code: &code, offset: at, by });
        }
        if let Some(g) = call.value.as_ref().and_then(Value::as_global) {
            let g = g.clone();
            let origin = Value::Call(call.clone());
            self.dynamic_import(&g, &origin, at);
        }
        if let Some(Value::Module(m)) = &call.value {
            let g = Global::new(m, "");
            let origin = Value::Call(call.clone());
            self.dynamic_import(&g, &origin, at);
        }
        Value::Call(call)
    }

    /// `getattr(obj, name)` when the answer is a name.
    fn attr(obj: &Value, name: &str) -> Option<Value> {
        match obj.resolved() {
            Value::Module(m) => Some(Value::Global(Rc::new(Global::new(m, name)))),
            Value::Global(g) => Some(Value::Global(Rc::new(Global::new(&g.module, &format!("{}.{}", g.name, name))))),
            _ => None,
        }
    }

    /// The result of calling `func` with `args`, when it can be known statically.
    fn evaluate(&mut self, func: &Value, argv: &[Value]) -> Option<Value> {
        let callee = func.resolved();
        if let Value::Call(inner) = callee {
            // attrgetter('a.b')(obj), itemgetter('k')(vars(module))
            let kind = inner.func.as_global().map(Global::dotted)?;
            let inner_args = inner.args.items();
            let first = inner_args.first().and_then(Value::as_str)?.to_string();
            let obj = argv.first()?;
            return match kind.as_str() {
                "operator.attrgetter" | "_operator.attrgetter" | "operator.itemgetter" | "_operator.itemgetter" => {
                    let mut cur = obj.clone();
                    for part in first.split('.') {
                        cur = Self::attr(&cur, part)?;
                    }
                    Some(cur)
                }
                _ => None,
            };
        }
        let g = callee.as_global()?;
        // The canonical name is built in a reused buffer: this runs for every call.
        let mut key = std::mem::take(&mut self.key_buf);
        canonical_into(&g.module, &g.name, &mut key);
        let out = self.evaluate_named(&key, argv);
        self.key_buf = key;
        out
    }

    /// [`Machine::evaluate`] for a callee that is a global, by its canonical name.
    fn evaluate_named(&mut self, key: &str, argv: &[Value]) -> Option<Value> {
        let arg_str = |i: usize| argv.get(i).and_then(Value::as_str);
        let arg_bytes = |i: usize| argv.get(i).and_then(Value::as_bytes);
        match key {
            "builtins.getattr" | "dill._dill._get_attr" => {
                let name = arg_str(1)?.to_string();
                let obj = argv.first()?.clone();
                let mut cur = obj;
                for part in name.split('.') {
                    cur = Self::attr(&cur, part)?;
                }
                Some(cur)
            }
            "builtins.__import__"
            | "importlib.import_module"
            | "importlib.__import__"
            | "dill._dill._import_module"
            | "cloudpickle.cloudpickle.subimport"
            | "cloudpickle.cloudpickle_fast.subimport"
            | "cloudpickle.cloudpickle.dynamic_subimport" => Some(Value::Module(arg_str(0)?.into())),
            "builtins.vars" => match argv.first()?.resolved() {
                m @ Value::Module(_) => Some(m.clone()),
                Value::Global(g) => Some(Value::Module(g.dotted().into())),
                _ => None,
            },
            "pkgutil.resolve_name" => {
                let s = arg_str(0)?;
                let (m, n) = match s.split_once(':') {
                    Some((m, n)) => (m.to_string(), n.to_string()),
                    None => {
                        let (m, n) = s.rsplit_once('.')?;
                        (m.to_string(), n.to_string())
                    }
                };
                Some(Value::Global(Rc::new(Global::new(&m, &n))))
            }
            "numpy.core._ufunc_reconstruct"
            | "numpy._core._ufunc_reconstruct"
            | "numpy.core.multiarray._ufunc_reconstruct" => {
                Some(Value::Global(Rc::new(Global::new(arg_str(0)?, arg_str(1)?))))
            }
            "pydoc.locate" => {
                let s = arg_str(0)?;
                let (m, n) = s.rsplit_once('.')?;
                Some(Value::Global(Rc::new(Global::new(m, n))))
            }
            "cloudpickle.cloudpickle._builtin_type" | "cloudpickle.cloudpickle_fast._builtin_type" => {
                Some(Value::Global(Rc::new(Global::new("types", arg_str(0)?))))
            }
            "copyreg.add_extension" => {
                let (m, n) = (arg_str(0)?.to_string(), arg_str(1)?.to_string());
                let code = argv.get(2)?.as_int()?;
                self.ext.insert(code, Global::new(&m, &n));
                None
            }
            "_codecs.encode" | "codecs.encode" => {
                let s = arg_str(0)?;
                let enc = arg_str(1).unwrap_or("utf-8").to_ascii_lowercase().replace(['-', '_'], "");
                let data: Vec<u8> = match enc.as_str() {
                    "latin1" | "iso88591" | "l1" => latin1_bytes(s)?,
                    "utf8" | "ascii" => s.as_bytes().to_vec(),
                    _ => return None,
                };
                Some(bytes_value(data))
            }
            "base64.b64decode"
            | "base64.standard_b64decode"
            | "base64.decodebytes"
            | "base64.decodestring"
            | "binascii.a2b_base64" => decode_base64(arg_bytes(0)?, false).map(bytes_value),
            "base64.urlsafe_b64decode" => decode_base64(arg_bytes(0)?, true).map(bytes_value),
            "base64.b16decode"
            | "binascii.unhexlify"
            | "binascii.a2b_hex"
            | "builtins.bytes.fromhex"
            | "builtins.bytearray.fromhex" => decode_hex(arg_bytes(0)?).map(bytes_value),
            "codecs.decode" | "_codecs.decode" => {
                let data = arg_bytes(0)?;
                let enc = arg_str(1)?.to_ascii_lowercase().replace(['-', '_'], "");
                match enc.as_str() {
                    "base64" | "base64codec" => decode_base64(data, false).map(bytes_value),
                    "hex" | "hexcodec" => decode_hex(data).map(bytes_value),
                    "zlib" | "zip" | "zlibcodec" => self.inflate(data, Compression::Zlib).map(bytes_value),
                    "bz2" | "bz2codec" => self.inflate(data, Compression::Bz2).map(bytes_value),
                    _ => None,
                }
            }
            "zlib.decompress" => self.inflate(arg_bytes(0)?, Compression::Zlib).map(bytes_value),
            "gzip.decompress" => self.inflate(arg_bytes(0)?, Compression::Gzip).map(bytes_value),
            "bz2.decompress" => self.inflate(arg_bytes(0)?, Compression::Bz2).map(bytes_value),
            "lzma.decompress" => self.inflate(arg_bytes(0)?, Compression::Xz).map(bytes_value),
            "dill._dill._create_code" | "types.CodeType" => Some(Value::Code(Rc::new(code_info(argv)))),
            "marshal.loads" => {
                let data = arg_bytes(0)?;
                Some(Value::Code(Rc::new(CodeInfo { name: None, strings: printable_runs(data) })))
            }
            "dill._dill._create_function"
            | "types.FunctionType"
            | "cloudpickle.cloudpickle._make_function"
            | "cloudpickle.cloudpickle_fast._make_function"
            | "cloudpickle.cloudpickle._make_skel_func"
            | "cloudpickle.cloudpickle_fast._make_skel_func" => {
                let code = match argv.first().map(Value::resolved) {
                    Some(Value::Code(c)) => Some(c.clone()),
                    _ => None,
                };
                let name = argv
                    .get(2)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| code.as_ref().and_then(|c| c.name.clone()));
                Some(Value::Function(Rc::new(Function { name, code })))
            }
            _ => None,
        }
    }

    fn inflate(&self, data: &[u8], kind: Compression) -> Option<Vec<u8>> {
        let cap = self.limits.max_inline_bytes as u64;
        let mut out = Vec::new();
        let res = match kind {
            Compression::Zlib => flate2::read::ZlibDecoder::new(data).take(cap).read_to_end(&mut out),
            Compression::Gzip => flate2::read::MultiGzDecoder::new(data).take(cap).read_to_end(&mut out),
            Compression::Bz2 => bzip2::read::BzDecoder::new(data).take(cap).read_to_end(&mut out),
            Compression::Xz => match lzma_rust2::XzReader::new(data, true).take(cap).read_to_end(&mut out) {
                Ok(n) => Ok(n),
                Err(_) => {
                    out.clear();
                    lzma_rust2::LzmaReader::new_mem_limit(data, u32::MAX, None).ok()?.take(cap).read_to_end(&mut out)
                }
            },
        };
        match res {
            Ok(_) => Some(out),
            Err(_) if !out.is_empty() => Some(out),
            Err(_) => None,
        }
    }

    fn build(&mut self, target: &Value, state: Value, at: u64, reader: &mut Reader<'_>) {
        self.sink.event(&Event::Build { target, state: &state, offset: at });
        if let Value::Call(obj) = target {
            // An instance whose __setstate__ was set by an earlier BUILD: this BUILD calls it.
            let hook = obj.attrs.borrow().iter().rev().find(|(k, _)| &**k == "__setstate__").map(|(_, v)| v.clone());
            if let Some(hook) = hook {
                let _ = self.call(hook, Value::Tuple(Rc::new([state])), None, "BUILD", at);
                return;
            }
            let (dict, slots) = match state.resolved() {
                Value::Tuple(t) if t.len() == 2 => (Some(t[0].clone()), Some(t[1].clone())),
                _ => (Some(state.clone()), None),
            };
            self.track(Tracked::Call(Rc::downgrade(obj)));
            for part in [dict, slots].into_iter().flatten() {
                if let Value::Dict(d) = part.resolved() {
                    let mut attrs = obj.attrs.borrow_mut();
                    for (k, v) in &d.borrow().items {
                        // A complete `str` key (what `as_str` accepts), shared rather than copied.
                        if let Value::Str(k) = k.resolved()
                            && attrs.len() < self.limits.max_container_items
                        {
                            attrs.push((k.clone(), v.clone()));
                        }
                    }
                }
            }
            if let Some(payload) = crate::joblib::inline_array(obj) {
                self.joblib_inline(payload, at, reader);
            }
        }
    }

    /// Steps over (or into) the array data joblib writes right after a
    /// `NumpyArrayWrapper`'s BUILD.
    fn joblib_inline(&mut self, payload: Result<crate::joblib::InlineArray, String>, at: u64, reader: &mut Reader<'_>) {
        use crate::joblib::InlineArray;
        match payload {
            Ok(InlineArray::Raw { bytes, aligned }) => {
                let mut skip = || -> Result<(), ReadErrorKind> {
                    if aligned {
                        let pad = reader.peek(1).first().copied().ok_or(ReadErrorKind::Truncated)?;
                        reader.skip(1 + u64::from(pad))?;
                    }
                    reader.skip(bytes)
                };
                if skip().is_err() {
                    self.anomaly(
                        AnomalyKind::Broken,
                        at,
                        format!("joblib array of {bytes} bytes runs past the end of the stream"),
                    );
                } else {
                    self.outcome.joblib_arrays += 1;
                }
            }
            Ok(InlineArray::Pickle) => {
                // joblib calls pickle.load on the same stream for object arrays.
                self.outcome.joblib_arrays += 1;
                let frame = Frame {
                    stack: std::mem::take(&mut self.stack),
                    meta: std::mem::take(&mut self.meta),
                    memo: std::mem::replace(&mut self.memo, Memo::new()),
                    proto: self.proto,
                };
                if self.nested.len() as u32 >= self.limits.max_depth {
                    self.degrade(at, "joblib object arrays nested too deeply");
                    return;
                }
                self.nested.push(frame);
                self.proto = 0;
            }
            Err(why) => {
                self.anomaly(
                    AnomalyKind::BadOperand,
                    at,
                    format!("joblib array wrapper whose size cannot be computed: {why}"),
                );
                self.degrade(at, "joblib array data could not be stepped over");
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Compression {
    Zlib,
    Gzip,
    Bz2,
    Xz,
}

trait ResolvedValue {
    fn resolved_value(&self) -> Option<Value>;
}

impl ResolvedValue for Value {
    fn resolved_value(&self) -> Option<Value> {
        match self {
            Value::Call(c) => c.value.clone(),
            _ => None,
        }
    }
}

/// `a.b.c` where each part is a Python identifier (ASCII letters, digits,
/// underscores, or any non-ASCII character, not starting with a digit).
pub fn is_dotted_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            let mut chars = p.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

fn arg_index(a: &Arg) -> Option<u64> {
    match a {
        Arg::Int(i) => u64::try_from(*i).ok(),
        Arg::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `s` encoded as Latin-1 (`None` if a character is above U+00FF). NumPy's
/// protocol-2 pickles carry array data this way, so this runs over every byte of it.
fn latin1_bytes(s: &str) -> Option<Vec<u8>> {
    // Branch-free over valid UTF-8: a byte below 0x80 is itself, a lead byte
    // 0xC2/0xC3 combines with its continuation byte (U+0080..U+00FF), a
    // continuation byte adds nothing, and any lead byte from 0xC4 up starts a
    // character above U+00FF.
    let b = s.as_bytes();
    let mut out = vec![0u8; b.len()];
    let mut k = 0;
    let mut above = false;
    for (i, &c) in b.iter().enumerate() {
        let next = b.get(i + 1).copied().unwrap_or(0);
        let v = if c < 0x80 { c } else { 0x80 | ((c & 1) << 6) | (next & 0x3f) };
        above |= c >= 0xc4;
        if let Some(slot) = out.get_mut(k) {
            *slot = v;
        }
        k += usize::from(c & 0xc0 != 0x80);
    }
    if above {
        return None;
    }
    out.truncate(k);
    Some(out)
}

/// [`lossy`] of an owned buffer, reusing it when it is valid UTF-8.
fn owned_lossy(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| lossy(e.as_bytes()))
}

/// A `str` value from an operand, reusing its buffer when it is valid UTF-8
/// (the same text [`lossy`] would give, without a copy).
fn text(b: Blob) -> Value {
    let s = owned_lossy(b.data);
    str_value(s, b.len, b.offset)
}

/// A `str` value: complete text in one allocation, a prefix with its real length otherwise.
fn str_value(s: String, len: u64, offset: u64) -> Value {
    if s.len() as u64 == len { Value::Str(s.into()) } else { Value::StrPart(Rc::new(Text { s, len, offset })) }
}

fn bytes_value(data: Vec<u8>) -> Value {
    let len = data.len() as u64;
    Value::Bytes(Rc::new(Blob { data, len, offset: 0 }))
}

/// The spelling used to match known functions: Python 2 and C-accelerator
/// module names folded onto the public ones.
pub fn canonical(dotted: &str) -> String {
    let (m, rest) = dotted.split_once('.').unwrap_or((dotted, ""));
    let m = canonical_head(m).unwrap_or(m);
    if rest.is_empty() { m.to_string() } else { format!("{m}.{rest}") }
}

fn canonical_head(m: &str) -> Option<&'static str> {
    Some(match m {
        "__builtin__" | "__builtins__" => "builtins",
        "_operator" => "operator",
        "_functools" => "functools",
        "_pickle" | "cPickle" => "pickle",
        "posix" | "nt" => "os",
        _ => return None,
    })
}

/// Writes `canonical(&format!("{module}.{name}"))` into `out`, without allocating
/// once `out` has grown.
fn canonical_into(module: &str, name: &str, out: &mut String) {
    out.clear();
    out.push_str(module);
    out.push('.');
    out.push_str(name);
    let i = out.find('.').unwrap_or(out.len());
    if out.len() == i + 1 {
        out.truncate(i);
    }
    if let Some(m) = canonical_head(&out[..i]) {
        out.replace_range(..i, m);
    }
}

fn decode_base64(data: &[u8], urlsafe: bool) -> Option<Vec<u8>> {
    use base64::Engine as _;
    // Python's default b64decode discards characters outside the alphabet.
    let clean: Vec<u8> = data
        .iter()
        .copied()
        .map(|c| {
            if urlsafe {
                match c {
                    b'-' => b'+',
                    b'_' => b'/',
                    c => c,
                }
            } else {
                c
            }
        })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
        .collect();
    let trimmed: Vec<u8> = clean.iter().copied().filter(|&c| c != b'=').collect();
    base64::engine::general_purpose::STANDARD_NO_PAD.decode(&trimmed).ok()
}

fn decode_hex(data: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = data.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(2) {
        return None;
    }
    clean.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok()).collect()
}

fn code_info(argv: &[Value]) -> CodeInfo {
    let mut strings = Vec::new();
    let mut budget = 10_000usize;
    for a in argv {
        a.walk(&mut budget, &mut |v| {
            if strings.len() < 512 {
                match v {
                    Value::Str(t) => strings.push(t.to_string()),
                    Value::StrPart(t) => strings.push(t.s.clone()),
                    _ => {}
                }
            }
            true
        });
    }
    // CPython's code constructors take (…, filename, name, qualname, …): the
    // name is the string right after the first string that looks like a path.
    let name = strings
        .iter()
        .position(|s| s.ends_with(".py") || s.starts_with('<') || s.contains('/'))
        .and_then(|i| strings.get(i + 1).cloned());
    CodeInfo { name, strings }
}

/// Runs of printable ASCII of at least three characters (names and constants
/// inside marshalled code).
pub fn printable_runs(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for &b in data {
        if (0x20..0x7f).contains(&b) {
            cur.push(b as char);
        } else {
            if cur.len() >= 3 && out.len() < 512 {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    if cur.len() >= 3 && out.len() < 512 {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_matches_char_by_char() {
        let old = |s: &str| s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect::<Option<Vec<u8>>>();
        let all: String = (0u32..=0xff).filter_map(char::from_u32).collect();
        for s in ["", "abc", "\u{e9}t\u{e9}", "\u{80}\u{ff}\u{0}", "x\u{100}", "\u{20ac}", "\u{1f600}", all.as_str()] {
            assert_eq!(latin1_bytes(s), old(s), "{s:?}");
        }
    }

    #[test]
    fn memo_chunks_keep_every_entry() {
        // Values memoized in order across chunk boundaries, one PUT far ahead
        // (sparse), then every key read back.
        let mut m = Memo::new();
        for k in 0..(MEMO_CHUNK as u64 * 2 + 7) {
            m.put(k, Value::Int(k as i64));
        }
        m.put(1 << 40, Value::Int(-1));
        m.put(5, Value::Int(-5));
        assert_eq!(m.len(), MEMO_CHUNK * 2 + 8);
        for k in 0..(MEMO_CHUNK as u64 * 2 + 7) {
            let want = if k == 5 { -5 } else { k as i64 };
            assert_eq!(m.get(k).and_then(Value::as_int), Some(want), "key {k}");
        }
        assert_eq!(m.get(1 << 40).and_then(Value::as_int), Some(-1));
        assert!(m.get(MEMO_CHUNK as u64 * 2 + 7).is_none());
        // Memoized in order, then a gap: the skipped key stays empty until stored.
        let mut m = Memo::new();
        m.put(0, Value::Int(0));
        m.put(2, Value::Int(2));
        assert!(m.get(1).is_none());
        assert_eq!(m.len(), 2);
        m.put(1, Value::Int(1));
        assert_eq!((m.get(1).and_then(Value::as_int), m.get(2).and_then(Value::as_int)), (Some(1), Some(2)));
        assert_eq!((m.len(), m.sparse.len()), (3, 0));
    }

    #[test]
    fn memo_numbered_from_one_stays_dense_and_skips_are_bounded() {
        // Python 2's numbering: 1, 2, 3, ... across chunk boundaries.
        let mut m = Memo::new();
        for k in 1..=(MEMO_CHUNK as u64 * 2) {
            m.put(k, Value::Int(k as i64));
        }
        assert_eq!((m.len(), m.sparse.len()), (MEMO_CHUNK * 2, 0));
        assert!(m.get(0).is_none());
        assert_eq!(m.get(MEMO_CHUNK as u64).and_then(Value::as_int), Some(MEMO_CHUNK as i64));
        // Keys that keep skipping ahead: the empty slots never outnumber the
        // entries by more than one skip, and the rest goes to the map.
        let mut m = Memo::new();
        let mut k = 0u64;
        for _ in 0..10_000 {
            m.put(k, Value::None);
            k += MEMO_GAP as u64;
        }
        assert_eq!(m.len(), 10_000);
        assert!(m.dense_len <= 2 * m.len() + MEMO_GAP, "{} slots for {} entries", m.dense_len, m.len());
        assert!(!m.sparse.is_empty());
        for j in 0..10_000u64 {
            assert!(m.get(j * MEMO_GAP as u64).is_some(), "key {}", j * MEMO_GAP as u64);
            assert!(m.get(j * MEMO_GAP as u64 + 1).is_none());
        }
        // A key far ahead, or beyond usize, is never dense.
        let mut m = Memo::new();
        m.put(MEMO_GAP as u64 + 1, Value::None);
        m.put(u64::MAX, Value::None);
        assert_eq!((m.dense_len, m.len()), (0, 2));
    }

    #[test]
    fn canonical_into_matches_canonical() {
        let mut buf = String::new();
        for (m, n) in [
            ("os", "system"),
            ("posix", "system"),
            ("__builtin__", "getattr"),
            ("_operator.x", "attrgetter"),
            ("a", ""),
            ("a.b", ""),
            ("", "x"),
            ("", ""),
            ("nt", ""),
            ("cPickle", "loads.x"),
        ] {
            canonical_into(m, n, &mut buf);
            assert_eq!(buf, canonical(&format!("{m}.{n}")), "{m:?} {n:?}");
        }
    }
}
