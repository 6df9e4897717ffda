//! A streaming reader of pickle opcodes over untrusted bytes.
//!
//! It decodes exactly what CPython's `pickletools.genops` decodes, reads through
//! a fixed buffer (memory does not grow with the file), never allocates more
//! than [`Limits::max_inline_bytes`] for one operand (longer operands keep a
//! prefix and their offset and are skipped with a seek), and reports a broken
//! stream as a [`ReadError`] carrying the offset where it broke.

use std::io::SeekFrom;

use super::opcodes::{self, ArgKind, OpInfo};
use crate::container::ReadSeek;
use crate::limits::Limits;

const BUF: usize = 256 << 10;

/// A text line of a protocol-0 opcode: the prefix kept, the real length, the last byte.
struct Line {
    data: Vec<u8>,
    len: u64,
    last: Option<u8>,
}

impl Line {
    fn is_complete(&self) -> bool {
        self.data.len() as u64 == self.len
    }
}

/// An operand of bytes or text: the whole value, or a prefix of a long one.
#[derive(Debug, Clone, PartialEq)]
pub struct Blob {
    /// The bytes kept (all of them unless `len` is larger).
    pub data: Vec<u8>,
    /// The operand's real length.
    pub len: u64,
    /// Offset of the operand's first byte in the stream.
    pub offset: u64,
}

impl Blob {
    /// True if `data` holds the whole operand.
    pub fn is_complete(&self) -> bool {
        self.data.len() as u64 == self.len
    }
}

/// A decoded opcode argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    None,
    Int(i64),
    Bool(bool),
    /// An integer too large for `i64`, in decimal (or a description if enormous).
    BigInt(String),
    Float(f64),
    /// Text as stored: UTF-8, possibly with surrogates encoded as with
    /// Python's `surrogatepass` (`UNICODE` escapes are already decoded).
    Str(Blob),
    /// Bytes for `STRING`/`BINSTRING`/`SHORT_BINSTRING` (decoded to `str` by
    /// the unpickler), `BINBYTES*` and `BYTEARRAY8`.
    Bytes(Blob),
    /// `GLOBAL`/`INST`: module and name, raw bytes of each line.
    Pair(Vec<u8>, Vec<u8>),
    /// A complete `BINUNICODE*` operand that is valid UTF-8, already decoded;
    /// only from a reader made with [`Reader::decode_text`] (otherwise such
    /// operands come as [`Arg::Str`]).
    Text {
        s: String,
        offset: u64,
    },
}

/// One opcode with its position and argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub pos: u64,
    pub info: &'static OpInfo,
    pub arg: Arg,
}

/// One opcode as [`Reader::next_shape`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeOp {
    pub pos: u64,
    pub code: u8,
    /// The argument, when it is an integer (`Bool` arguments as 0 or 1).
    pub int: Option<i64>,
    /// The argument is the PyTorch legacy format's magic number.
    pub magic: bool,
}

/// The first pickle of a PyTorch legacy (pre-1.6) file is this number.
pub const TORCH_LEGACY_MAGIC: &str = "119547037146038801333356";

/// Why a stream could not be read further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// The stream ends inside an opcode.
    Truncated,
    /// A byte that is not a pickle opcode.
    UnknownOpcode(u8),
    /// An argument that does not decode (bad digits, bad escape, negative length).
    BadArgument(&'static str),
    /// The underlying reader failed.
    Io(String),
}

/// A broken stream: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub kind: ReadErrorKind,
    /// Offset of the opcode that could not be read.
    pub pos: u64,
    /// Name of that opcode, when known.
    pub opcode: Option<&'static str>,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match &self.kind {
            ReadErrorKind::Truncated => "stream ends inside an opcode".to_string(),
            ReadErrorKind::UnknownOpcode(b) => format!("invalid opcode byte 0x{b:02x}"),
            ReadErrorKind::BadArgument(m) => (*m).to_string(),
            ReadErrorKind::Io(e) => format!("read error: {e}"),
        };
        match self.opcode {
            Some(op) => write!(f, "{what} ({op} at offset {})", self.pos),
            None => write!(f, "{what} (at offset {})", self.pos),
        }
    }
}

/// Streaming opcode reader.
pub struct Reader<'a> {
    src: &'a mut dyn ReadSeek,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    pos: u64,
    /// Offset of the stream's first byte within the underlying source.
    origin: u64,
    max_inline: usize,
    /// The stream's length from `origin` (`u64::MAX` when it cannot be told):
    /// an operand can be no longer than what is left, so its buffer is sized
    /// once from its length field when that fits, and never beyond it.
    len: u64,
    eof: bool,
    /// Hand complete, valid UTF-8 text operands over as [`Arg::Text`].
    text: bool,
    /// Step over valid binary text and bytes operands without copying them
    /// (they come back as [`Arg::None`]); see [`Reader::shape_only`].
    shape: bool,
    framing: Framing,
    /// Where the C unpickler's buffer ends (stream offset): past the bytes of
    /// the current frame, or at the position when no frame is buffered.
    c_end: u64,
    /// False once a contiguous reading has diverged (the accounting stops).
    tracking: bool,
    divergence: Option<Divergence>,
}

/// How a reader treats `FRAME` bounds when an opcode runs past one. Writers
/// never do this; a crafted stream does, and CPython then reads it one of
/// two ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// The bytes run on past the frame's end, as `pickle.loads` and files
    /// that can `peek` read them.
    #[default]
    Contiguous,
    /// The rest of the frame is dropped and the read starts after it, as
    /// CPython's C unpickler reads a stream that cannot `peek` (an
    /// `io.BytesIO`: how `torch.load` reads a checkpoint's `data.pkl`).
    Exact,
}

/// Where an opcode first ran past the end of its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Divergence {
    /// Offset of the read that runs past the frame.
    pub at: u64,
    /// Offset where the frame ends.
    pub frame_end: u64,
}

type R<T> = Result<T, ReadErrorKind>;

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        crate::pool::give(std::mem::take(&mut self.buf));
    }
}

impl<'a> Reader<'a> {
    /// Reads from the current position of `src`; offsets are reported relative to it.
    pub fn new(src: &'a mut dyn ReadSeek, limits: &Limits) -> Self {
        let origin = src.stream_position().unwrap_or(0);
        // Small streams get a small buffer: zeroing 256 KiB per member adds up
        // over a folder of thousands of small files.
        let len = src.seek(SeekFrom::End(0)).map_or(u64::MAX, |end| end.saturating_sub(origin));
        let _ = src.seek(SeekFrom::Start(origin));
        let size = usize::try_from(len.saturating_add(16)).unwrap_or(BUF).clamp(64, BUF);
        Self {
            src,
            // Its contents do not matter: only bytes read into it are used.
            buf: crate::pool::take_len(size),
            start: 0,
            end: 0,
            pos: 0,
            origin,
            max_inline: limits.max_inline_bytes.max(64),
            len,
            eof: false,
            text: false,
            shape: false,
            framing: Framing::Contiguous,
            c_end: 0,
            tracking: true,
            divergence: None,
        }
    }

    /// Reads frames as `framing` says (see [`Framing`]).
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }

    /// Makes the reader return complete, valid UTF-8 `BINUNICODE*` operands
    /// as [`Arg::Text`], validated once here rather than again by the caller.
    pub fn decode_text(mut self) -> Self {
        self.text = true;
        self
    }

    /// Makes the reader step over the operands of the binary string opcodes
    /// (`BINUNICODE*`, `BINSTRING`, `BINBYTES*`, `BYTEARRAY8`) without copying
    /// them, returning [`Arg::None`] for each: for a pass that follows only
    /// the stack's shape. Such an operand is still checked as it would be
    /// otherwise (its length, its framing, its UTF-8); one that fails a check,
    /// or is too long to check in the buffer, is read as usual.
    pub fn shape_only(mut self) -> Self {
        self.shape = true;
        self
    }

    /// Offset of the next byte to be read, relative to where reading began.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// True when no byte remains.
    pub fn at_end(&mut self) -> bool {
        self.start == self.end && self.fill().map(|n| n == 0).unwrap_or(true)
    }

    /// Returns up to `n` upcoming bytes without consuming them.
    pub fn peek(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.buf.len());
        if self.end - self.start < n {
            self.compact();
            while self.end - self.start < n && !self.eof {
                match self.fill_more() {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let have = (self.end - self.start).min(n);
        &self.buf[self.start..self.start + have]
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Reads more bytes into the buffer after `end`; returns how many.
    fn fill_more(&mut self) -> R<usize> {
        if self.end == self.buf.len() {
            self.compact();
            if self.end == self.buf.len() {
                return Ok(0);
            }
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadErrorKind::Io(e.to_string())),
            }
        }
    }

    fn fill(&mut self) -> R<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.eof {
            return Ok(0);
        }
        self.fill_more()
    }

    #[inline]
    fn byte(&mut self) -> R<u8> {
        if self.start == self.end && self.fill()? == 0 {
            return Err(ReadErrorKind::Truncated);
        }
        let b = self.buf[self.start];
        self.start += 1;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let mut out = [0u8; N];
        if self.end - self.start >= N {
            out.copy_from_slice(&self.buf[self.start..self.start + N]);
            self.start += N;
            self.pos += N as u64;
            return Ok(out);
        }
        for b in &mut out {
            *b = self.byte()?;
        }
        Ok(out)
    }

    /// Skips `n` bytes (seeking past whatever is not buffered).
    pub fn skip(&mut self, n: u64) -> R<()> {
        self.c_read_into(n);
        let buffered = (self.end - self.start) as u64;
        if n <= buffered {
            self.start += n as usize;
            self.pos += n;
            return Ok(());
        }
        let rest = n - buffered;
        self.start = 0;
        self.end = 0;
        let here = self.origin + self.pos + buffered;
        let total = self.src.seek(SeekFrom::End(0)).map_err(|e| ReadErrorKind::Io(e.to_string()))?;
        let target = here.saturating_add(rest);
        if target > total {
            self.src.seek(SeekFrom::Start(total)).map_err(|e| ReadErrorKind::Io(e.to_string()))?;
            self.pos = total.saturating_sub(self.origin);
            self.eof = true;
            return Err(ReadErrorKind::Truncated);
        }
        self.src.seek(SeekFrom::Start(target)).map_err(|e| ReadErrorKind::Io(e.to_string()))?;
        self.pos += n;
        self.eof = false;
        Ok(())
    }

    /// Reads `len` bytes, keeping at most the inline limit.
    fn blob(&mut self, len: u64) -> R<Blob> {
        let offset = self.pos;
        let keep = len.min(self.max_inline as u64) as usize;
        // The length field is the file's word: trust it only as far as the
        // stream has bytes left (one allocation, no regrowth and copying for
        // an honest operand), else grow as the bytes really arrive.
        let left = self.len.saturating_sub(self.pos);
        let cap = if (keep as u64) <= left { keep } else { keep.min(self.end - self.start + BUF) };
        let mut data = Vec::with_capacity(cap);
        while data.len() < keep {
            if self.start == self.end && self.fill()? == 0 {
                return Err(ReadErrorKind::Truncated);
            }
            let take = (keep - data.len()).min(self.end - self.start);
            data.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
            self.pos += take as u64;
        }
        if len > keep as u64 {
            self.skip(len - keep as u64)?;
        }
        Ok(Blob { data, len, offset })
    }

    /// Reads a line without its newline, keeping at most the inline limit,
    /// and notes its real length and last byte (a `STRING` operand's closing
    /// quote is there, however long the line).
    fn long_line(&mut self) -> R<Line> {
        let mut out = Vec::new();
        let mut len = 0u64;
        let mut last = None;
        loop {
            if self.start == self.end && self.fill()? == 0 {
                return Err(ReadErrorKind::Truncated);
            }
            let avail = &self.buf[self.start..self.end];
            let (n, found) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = self.max_inline.saturating_sub(out.len());
            out.extend_from_slice(&avail[..n.min(room)]);
            if n > 0 {
                last = Some(avail[n - 1]);
            }
            len += n as u64;
            let consumed = n + usize::from(found);
            self.start += consumed;
            self.pos += consumed as u64;
            if found {
                return Ok(Line { data: out, len, last });
            }
        }
    }

    /// Reads the next opcode. `Ok(None)` means the stream ended cleanly at an
    /// opcode boundary.
    pub fn next_op(&mut self) -> Result<Option<Op>, ReadError> {
        let pos = self.pos;
        if self.start == self.end {
            match self.fill() {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(kind) => return Err(ReadError { kind, pos, opcode: None }),
            }
        }
        let code = self.buf[self.start];
        let Some(info) = opcodes::info(code) else {
            return Err(ReadError { kind: ReadErrorKind::UnknownOpcode(code), pos, opcode: None });
        };
        self.start += 1;
        self.pos += 1;
        let arg = self.arg(info.arg).and_then(|arg| {
            if code == opcodes::op::FRAME
                && let Arg::Int(len) = arg
            {
                self.c_frame(len as u64)?;
            }
            Ok(arg)
        });
        match arg {
            Ok(arg) => Ok(Some(Op { pos, info, arg })),
            Err(kind) => Err(ReadError { kind, pos, opcode: Some(info.name) }),
        }
    }

    /// Reads the next opcode for a pass that follows only the stack's shape
    /// (see [`Reader::shape_only`]): the opcode, its position, and its
    /// argument as an integer when it is one. Opcodes without an argument and
    /// those with a fixed-size one are decoded here, straight from the
    /// buffer; the others go through [`Reader::next_op`].
    #[inline]
    pub fn next_shape(&mut self) -> Result<Option<ShapeOp>, ReadError> {
        let pos = self.pos;
        if self.end - self.start >= 9 {
            let code = self.buf[self.start];
            let width = match opcodes::info(code).map(|i| i.arg) {
                Some(ArgKind::None) => 0,
                Some(ArgKind::U1) => 1,
                Some(ArgKind::U2) => 2,
                Some(ArgKind::I4 | ArgKind::U4) => 4,
                Some(ArgKind::Float8) => 8,
                _ => usize::MAX,
            };
            // The short string opcodes, the bulk of a data pickle: stepped
            // over in place when the operand is buffered and its reads cannot
            // diverge (as `shape_arg` does, without its general path).
            if self.shape
                && matches!(
                    code,
                    opcodes::op::SHORT_BINUNICODE | opcodes::op::SHORT_BINBYTES | opcodes::op::SHORT_BINSTRING
                )
            {
                let n = usize::from(self.buf[self.start + 1]);
                let total = 2 + n as u64;
                let within = !self.tracking || pos + total <= self.c_end || pos + 1 >= self.c_end;
                if within && n <= self.max_inline && self.end - self.start >= 2 + n {
                    let body = &self.buf[self.start + 2..self.start + 2 + n];
                    if code != opcodes::op::SHORT_BINUNICODE || simdutf8::basic::from_utf8(body).is_ok() {
                        if self.tracking && pos + total > self.c_end {
                            self.c_end = pos + total;
                        }
                        self.start += 2 + n;
                        self.pos += total;
                        return Ok(Some(ShapeOp { pos, code, int: None, magic: false }));
                    }
                }
            }
            if width != usize::MAX {
                let p = pos + 1;
                // What `c_read` accounts for such a read; one that would diverge goes the usual way.
                let fits = !self.tracking || p + width as u64 <= self.c_end || p >= self.c_end;
                if fits {
                    if self.tracking && p + width as u64 > self.c_end && width > 0 {
                        self.c_end = p + width as u64;
                    }
                    let b = &self.buf[self.start + 1..self.start + 1 + width];
                    let int = match (width, code) {
                        (1, _) => Some(i64::from(b[0])),
                        (2, _) => Some(i64::from(u16::from_le_bytes([b[0], b[1]]))),
                        (4, opcodes::op::BININT) => Some(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                        (4, _) => Some(i64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                        _ => None,
                    };
                    self.start += 1 + width;
                    self.pos += 1 + width as u64;
                    return Ok(Some(ShapeOp { pos, code, int, magic: false }));
                }
            }
        }
        let Some(op) = self.next_op()? else { return Ok(None) };
        let int = match &op.arg {
            Arg::Int(i) => Some(*i),
            Arg::Bool(b) => Some(i64::from(*b)),
            _ => None,
        };
        let magic = matches!(&op.arg, Arg::BigInt(s) if s == TORCH_LEGACY_MAGIC);
        Ok(Some(ShapeOp { pos: op.pos, code: op.info.code, int, magic }))
    }

    /// The buffered bytes not yet read and the offset of the first, for a pass
    /// that decodes opcodes in place; [`Reader::advance`] then consumes them.
    #[inline]
    pub(super) fn buffered(&self) -> (&[u8], u64) {
        (&self.buf[self.start..self.end], self.pos)
    }

    /// Where the C unpickler's buffered frame ends, when reads are accounted
    /// for: an opcode that starts before it and ends after it diverges.
    #[inline]
    pub(super) fn frame_end(&self) -> Option<u64> {
        self.tracking.then_some(self.c_end)
    }

    /// The longest string operand read inline.
    #[inline]
    pub(super) fn max_inline(&self) -> usize {
        self.max_inline
    }

    /// Consumes `n` buffered bytes decoded in place: whole opcodes, each one
    /// within the buffered frame or after its end (none diverges), so the
    /// accounting moves as their reads would move it.
    #[inline]
    pub(super) fn advance(&mut self, n: usize) {
        self.start += n;
        self.pos += n as u64;
        if self.tracking && self.pos > self.c_end {
            self.c_end = self.pos;
        }
    }

    /// Starts the accounting of a new unpickler (the next pickle of a stream):
    /// its buffer starts empty.
    pub fn new_unpickler(&mut self) {
        self.c_end = self.pos;
    }

    /// Where the stream's frames and opcodes first disagree, if they do.
    pub fn divergence(&self) -> Option<Divergence> {
        self.divergence
    }

    fn diverge(&mut self, at: u64) {
        if self.divergence.is_none() {
            self.divergence = Some(Divergence { at, frame_end: self.c_end });
        }
        if self.framing == Framing::Contiguous {
            // This reading goes on past the frame; the other one is a second run.
            self.tracking = false;
        }
    }

    /// Accounts for a fixed-size read of the C unpickler (`_Unpickler_Read`)
    /// of `n` bytes here. One that starts inside the buffered frame and runs
    /// past its end is a divergence: read [`Framing::Exact`]ly, the bytes come
    /// from after the frame.
    fn c_read(&mut self, n: u64) -> R<()> {
        let p = self.pos;
        if !self.tracking || p.saturating_add(n) <= self.c_end {
            return Ok(());
        }
        if p >= self.c_end {
            self.c_end = p.saturating_add(n);
            return Ok(());
        }
        self.diverge(p);
        if self.framing == Framing::Exact {
            let end = self.c_end;
            self.skip(end - p)?;
            self.c_end = end.saturating_add(n);
        }
        Ok(())
    }

    /// Accounts for a read of `n` bytes straight into an object
    /// (`_Unpickler_ReadInto`, for `BINBYTES*`/`BYTEARRAY8`): what the buffer
    /// holds, then the rest from the stream, contiguously in every reading.
    fn c_read_into(&mut self, n: u64) {
        if self.tracking {
            self.c_end = self.c_end.max(self.pos.saturating_add(n));
        }
    }

    /// Accounts for `FRAME len`: the C unpickler reads the frame (a divergence
    /// if one is still buffered and this one runs past it) and rewinds to its start.
    fn c_frame(&mut self, len: u64) -> R<()> {
        let p = self.pos;
        if !self.tracking || p.saturating_add(len) <= self.c_end {
            return Ok(());
        }
        if p >= self.c_end {
            self.c_end = p.saturating_add(len);
            return Ok(());
        }
        self.diverge(p);
        if self.framing == Framing::Exact {
            let end = self.c_end;
            self.skip(end - p)?;
            self.c_end = end.saturating_add(len);
        }
        Ok(())
    }

    fn c_byte(&mut self) -> R<u8> {
        self.c_read(1)?;
        self.byte()
    }

    fn c_array<const N: usize>(&mut self) -> R<[u8; N]> {
        self.c_read(N as u64)?;
        self.array()
    }

    fn c_blob(&mut self, len: u64) -> R<Blob> {
        self.c_read(len)?;
        self.blob(len)
    }

    fn c_blob_into(&mut self, len: u64) -> R<Blob> {
        self.c_read_into(len);
        self.blob(len)
    }

    fn c_line(&mut self) -> R<Vec<u8>> {
        self.c_long_line().map(|l| l.data)
    }

    /// A line read as the C unpickler reads one (`_Unpickler_Readline`): from
    /// the buffered frame if its newline is there, else from after the frame.
    fn c_long_line(&mut self) -> R<Line> {
        let p = self.pos;
        let line = self.long_line()?;
        if !self.tracking || self.pos <= self.c_end {
            return Ok(line);
        }
        if p >= self.c_end {
            self.c_end = self.pos;
            return Ok(line);
        }
        self.diverge(p);
        if self.framing != Framing::Exact {
            return Ok(line);
        }
        let end = self.c_end;
        self.seek_to(end)?;
        let line = self.long_line()?;
        self.c_end = self.pos;
        Ok(line)
    }

    /// Moves to `pos` (relative to where reading began), dropping the buffer.
    fn seek_to(&mut self, pos: u64) -> R<()> {
        self.start = 0;
        self.end = 0;
        self.eof = false;
        self.src.seek(SeekFrom::Start(self.origin + pos)).map_err(|e| ReadErrorKind::Io(e.to_string()))?;
        self.pos = pos;
        Ok(())
    }

    fn arg(&mut self, kind: ArgKind) -> R<Arg> {
        if self.shape
            && let Some(arg) = self.shape_arg(kind)?
        {
            return Ok(arg);
        }
        Ok(match kind {
            ArgKind::None => Arg::None,
            ArgKind::U1 => Arg::Int(i64::from(self.c_byte()?)),
            ArgKind::U2 => Arg::Int(i64::from(u16::from_le_bytes(self.c_array()?))),
            ArgKind::I4 => Arg::Int(i64::from(i32::from_le_bytes(self.c_array()?))),
            ArgKind::U4 => Arg::Int(i64::from(u32::from_le_bytes(self.c_array()?))),
            ArgKind::U8 => {
                let v = u64::from_le_bytes(self.c_array()?);
                match i64::try_from(v) {
                    Ok(v) => Arg::Int(v),
                    Err(_) => Arg::BigInt(v.to_string()),
                }
            }
            ArgKind::Float8 => Arg::Float(f64::from_be_bytes(self.c_array()?)),
            ArgKind::Long1 => {
                let n = self.c_byte()?;
                let b = self.c_blob(u64::from(n))?;
                long_from_le(&b.data)
            }
            ArgKind::Long4 => {
                let n = i32::from_le_bytes(self.c_array()?);
                if n < 0 {
                    return Err(ReadErrorKind::BadArgument("LONG4 byte count < 0"));
                }
                let b = self.c_blob(n as u64)?;
                if b.is_complete() { long_from_le(&b.data) } else { Arg::BigInt(format!("<{}-byte integer>", b.len)) }
            }
            ArgKind::String1 => {
                let n = self.c_byte()?;
                Arg::Bytes(self.c_blob(u64::from(n))?)
            }
            ArgKind::String4 => {
                let n = i32::from_le_bytes(self.c_array()?);
                if n < 0 {
                    return Err(ReadErrorKind::BadArgument("BINSTRING byte count < 0"));
                }
                Arg::Bytes(self.c_blob(n as u64)?)
            }
            ArgKind::Bytes1 => {
                let n = self.c_byte()?;
                Arg::Bytes(self.c_blob_into(u64::from(n))?)
            }
            ArgKind::Bytes4 => {
                let n = u32::from_le_bytes(self.c_array()?);
                Arg::Bytes(self.c_blob_into(u64::from(n))?)
            }
            ArgKind::Bytes8 | ArgKind::ByteArray8 => {
                let n = u64::from_le_bytes(self.c_array()?);
                if n > i64::MAX as u64 {
                    return Err(ReadErrorKind::BadArgument("byte count exceeds sys.maxsize"));
                }
                Arg::Bytes(self.c_blob_into(n)?)
            }
            ArgKind::Unicode1 => {
                let n = self.c_byte()?;
                let b = self.c_blob(u64::from(n))?;
                self.unicode(b)?
            }
            ArgKind::Unicode4 => {
                let n = u32::from_le_bytes(self.c_array()?);
                let b = self.c_blob(u64::from(n))?;
                self.unicode(b)?
            }
            ArgKind::Unicode8 => {
                let n = u64::from_le_bytes(self.c_array()?);
                if n > i64::MAX as u64 {
                    return Err(ReadErrorKind::BadArgument("byte count exceeds sys.maxsize"));
                }
                let b = self.c_blob(n)?;
                self.unicode(b)?
            }
            ArgKind::DecimalNlShort => {
                let l = self.c_line()?;
                match l.as_slice() {
                    b"00" => Arg::Bool(false),
                    b"01" => Arg::Bool(true),
                    _ => parse_int(&l).ok_or(ReadErrorKind::BadArgument("invalid decimal integer"))?,
                }
            }
            ArgKind::DecimalNlLong => {
                let mut l = self.c_line()?;
                if l.last() == Some(&b'L') {
                    l.pop();
                }
                parse_int(&l).ok_or(ReadErrorKind::BadArgument("invalid decimal integer"))?
            }
            ArgKind::FloatNl => {
                let l = self.c_line()?;
                Arg::Float(parse_float(&l).ok_or(ReadErrorKind::BadArgument("invalid float literal"))?)
            }
            ArgKind::StringNl => {
                let offset = self.pos;
                let l = self.c_long_line()?;
                if l.is_complete() {
                    let inner =
                        strip_quotes(&l.data).ok_or(ReadErrorKind::BadArgument("STRING argument not quoted"))?;
                    let data = escape_decode(inner).ok_or(ReadErrorKind::BadArgument("invalid escape in STRING"))?;
                    let len = data.len() as u64;
                    Arg::Bytes(Blob { data, len, offset })
                } else {
                    // Longer than the inline limit (megabytes of escaped binary are
                    // ordinary): the quotes are checked on the whole line, the escapes
                    // decoded on the prefix kept.
                    let quote = l.data.first().copied().filter(|q| matches!(q, b'"' | b'\''));
                    if quote.is_none() || l.last != quote || l.len < 2 {
                        return Err(ReadErrorKind::BadArgument("STRING argument not quoted"));
                    }
                    let data = decode_prefix(&l.data[1..], 4, escape_decode)
                        .ok_or(ReadErrorKind::BadArgument("invalid escape in STRING"))?;
                    let len = (l.len - 2).max(data.len() as u64 + 1);
                    Arg::Bytes(Blob { data, len, offset })
                }
            }
            ArgKind::StringNlNoEscape => {
                let offset = self.pos;
                let data = self.c_line()?;
                let len = data.len() as u64;
                Arg::Str(Blob { data, len, offset })
            }
            ArgKind::StringNlPair => {
                let module = self.c_line()?;
                let name = self.c_line()?;
                Arg::Pair(module, name)
            }
            ArgKind::UnicodeNl => {
                let offset = self.pos;
                let l = self.c_long_line()?;
                let data = if l.is_complete() {
                    raw_unicode_escape(&l.data)
                } else {
                    decode_prefix(&l.data, 10, raw_unicode_escape)
                }
                .ok_or(ReadErrorKind::BadArgument("invalid \\u escape in UNICODE"))?;
                let len = if l.is_complete() { data.len() as u64 } else { l.len.max(data.len() as u64 + 1) };
                Arg::Str(Blob { data, len, offset })
            }
        })
    }
}

impl Reader<'_> {
    /// The operand of a binary string opcode stepped over in place, if it can
    /// be: `Ok(None)` leaves the reader where it was, for [`Reader::arg`] to
    /// read the operand as usual (its length prefix not yet consumed).
    fn shape_arg(&mut self, kind: ArgKind) -> R<Option<Arg>> {
        let (width, text, into) = match kind {
            ArgKind::Unicode1 => (1, true, false),
            ArgKind::Unicode4 => (4, true, false),
            ArgKind::String1 => (1, false, false),
            ArgKind::String4 => (4, false, false),
            ArgKind::Bytes1 => (1, false, true),
            ArgKind::Bytes4 => (4, false, true),
            _ => return Ok(None),
        };
        // The length prefix and the operand, both buffered, or nothing is consumed.
        if self.peek(width).len() < width {
            return Ok(None);
        }
        let head = &self.buf[self.start..self.start + width];
        let n = match (width, kind) {
            (1, _) => usize::from(head[0]),
            (_, ArgKind::String4) => match usize::try_from(i32::from_le_bytes([head[0], head[1], head[2], head[3]])) {
                Ok(n) => n,
                Err(_) => return Ok(None),
            },
            _ => u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize,
        };
        let total = (width + n) as u64;
        // A read that starts in the buffered frame and runs past it is a
        // divergence; the usual path accounts for it (and, read exactly, moves).
        let crosses_frame = self.tracking && self.pos < self.c_end && self.pos + total > self.c_end;
        if n > self.max_inline || crosses_frame {
            return Ok(None);
        }
        if width + n > self.buf.len() {
            return self.shape_long(width, n, text, into);
        }
        if self.peek(width + n).len() < width + n {
            return Ok(None);
        }
        if text && simdutf8::basic::from_utf8(&self.buf[self.start + width..self.start + width + n]).is_err() {
            return Ok(None);
        }
        self.step_prefix(width, n, into)?;
        self.start += n;
        self.pos += n as u64;
        Ok(Some(Arg::None))
    }

    /// Steps over a `width`-byte length prefix and accounts for the reads the
    /// usual path makes of it and of the `n`-byte operand that follows
    /// (`into`: read straight into an object); the operand is not consumed.
    fn step_prefix(&mut self, width: usize, n: usize, into: bool) -> R<()> {
        self.c_read(width as u64)?;
        self.start += width;
        self.pos += width as u64;
        if into {
            self.c_read_into(n as u64);
        } else {
            self.c_read(n as u64)?;
        }
        Ok(())
    }

    /// [`Reader::shape_arg`] for an operand longer than the buffer: stepped
    /// over, text checked piece by piece; on a check that fails (or a stream
    /// that ends) the reader goes back to the length prefix, for the usual read.
    fn shape_long(&mut self, width: usize, n: usize, text: bool, into: bool) -> R<Option<Arg>> {
        let at = self.pos;
        let saved = self.c_end;
        self.step_prefix(width, n, into)?;
        let stepped = if text { self.skip_utf8(n) } else { self.skip(n as u64).is_ok() };
        if !stepped {
            self.c_end = saved;
            self.seek_to(at)?;
            return Ok(None);
        }
        Ok(Some(Arg::None))
    }

    /// Steps over `n` bytes if they are valid UTF-8, reading them piece by piece.
    fn skip_utf8(&mut self, n: usize) -> bool {
        let mut left = n;
        while left > 0 {
            if self.start == self.end && !matches!(self.fill(), Ok(1..)) {
                return false;
            }
            let take = left.min(self.end - self.start);
            match simdutf8::compat::from_utf8(&self.buf[self.start..self.start + take]) {
                Ok(_) => {
                    self.start += take;
                    self.pos += take as u64;
                    left -= take;
                }
                // A character cut by the buffer's end: the rest of it comes with the next read.
                Err(e) if e.error_len().is_none() && take < left => {
                    let v = e.valid_up_to();
                    self.start += v;
                    self.pos += v as u64;
                    left -= v;
                    self.compact();
                    if !matches!(self.fill_more(), Ok(1..)) {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// A `BINUNICODE*` operand: checked as [`check_utf8`] does, and decoded when asked.
    fn unicode(&self, b: Blob) -> R<Arg> {
        if !self.text || !b.is_complete() {
            return check_utf8(b);
        }
        match String::from_utf8(b.data) {
            Ok(s) => Ok(Arg::Text { s, offset: b.offset }),
            Err(e) => check_utf8(Blob { data: e.into_bytes(), len: b.len, offset: b.offset }),
        }
    }
}

fn check_utf8(b: Blob) -> R<Arg> {
    if b.is_complete() && !is_wtf8(&b.data) {
        return Err(ReadErrorKind::BadArgument("invalid UTF-8 in string"));
    }
    Ok(Arg::Str(b))
}

/// UTF-8 where lone surrogates (ED A0..BF xx) are allowed, as Python's
/// `surrogatepass` decoder allows them.
fn is_wtf8(b: &[u8]) -> bool {
    if simdutf8::basic::from_utf8(b).is_ok() {
        return true;
    }
    let mut i = 0;
    while i < b.len() {
        match std::str::from_utf8(&b[i..]) {
            Ok(_) => return true,
            Err(e) => {
                let bad = i + e.valid_up_to();
                if b.len() >= bad + 3
                    && b[bad] == 0xED
                    && (0xA0..=0xBF).contains(&b[bad + 1])
                    && (0x80..=0xBF).contains(&b[bad + 2])
                {
                    i = bad + 3;
                } else {
                    return false;
                }
            }
        }
    }
    true
}

fn long_from_le(bytes: &[u8]) -> Arg {
    if bytes.is_empty() {
        return Arg::Int(0);
    }
    if bytes.len() <= 8 {
        let neg = bytes[bytes.len() - 1] & 0x80 != 0;
        let mut buf = if neg { [0xffu8; 8] } else { [0u8; 8] };
        buf[..bytes.len()].copy_from_slice(bytes);
        return Arg::Int(i64::from_le_bytes(buf));
    }
    if bytes.len() > 4096 {
        return Arg::BigInt(format!("<{}-byte integer>", bytes.len()));
    }
    Arg::BigInt(twos_complement_to_decimal(bytes))
}

/// Converts a little-endian two's-complement integer to decimal.
fn twos_complement_to_decimal(bytes: &[u8]) -> String {
    let neg = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut mag: Vec<u8> = bytes.to_vec();
    if neg {
        // magnitude = !x + 1
        let mut carry = true;
        for b in &mut mag {
            *b = !*b;
            if carry {
                let (v, c) = b.overflowing_add(1);
                *b = v;
                carry = c;
            }
        }
    }
    // Little-endian bytes -> big-endian u32 limbs for repeated division.
    let mut limbs: Vec<u32> = mag
        .chunks(4)
        .map(|c| {
            let mut a = [0u8; 4];
            a[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(a)
        })
        .rev()
        .collect();
    let mut digits = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem: u64 = 0;
        for l in &mut limbs {
            let cur = (rem << 32) | u64::from(*l);
            *l = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        digits.push(rem as u32);
    }
    if digits.is_empty() {
        return "0".into();
    }
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push_str(&digits.last().map(u32::to_string).unwrap_or_default());
    for d in digits.iter().rev().skip(1) {
        s.push_str(&format!("{d:09}"));
    }
    s
}

fn trim_ascii_ws(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Parses an integer the way Python's `int(bytes)` does in base 10.
fn parse_int(raw: &[u8]) -> Option<Arg> {
    let s = trim_ascii_ws(raw);
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits[0] == b'_' || digits[digits.len() - 1] == b'_' {
        return None;
    }
    let mut clean = String::with_capacity(digits.len());
    let mut prev_us = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                clean.push(c as char);
                prev_us = false;
            }
            b'_' if !prev_us => prev_us = true,
            _ => return None,
        }
    }
    let trimmed = clean.trim_start_matches('0');
    let body = if trimmed.is_empty() { "0" } else { trimmed };
    let text = if neg && body != "0" { format!("-{body}") } else { body.to_string() };
    Some(match text.parse::<i64>() {
        Ok(v) => Arg::Int(v),
        Err(_) => Arg::BigInt(text),
    })
}

fn parse_float(raw: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(trim_ascii_ws(raw)).ok()?;
    if s.contains("__") || s.starts_with('_') || s.ends_with('_') {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if !matches!(body, "inf" | "infinity" | "nan")
        && !body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
    {
        return None;
    }
    clean.parse::<f64>().ok()
}

/// Decodes the prefix of a cut operand: an escape sequence cut in two at the
/// end (at most `longest` bytes) is dropped rather than taken for a bad one.
fn decode_prefix(s: &[u8], longest: usize, decode: fn(&[u8]) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    (0..=longest.min(s.len())).find_map(|cut| decode(&s[..s.len() - cut]))
}

fn strip_quotes(l: &[u8]) -> Option<&[u8]> {
    for q in [b'"', b'\''] {
        if l.first() == Some(&q) {
            if l.last() != Some(&q) {
                return None;
            }
            return Some(if l.len() >= 2 { &l[1..l.len() - 1] } else { &[] });
        }
    }
    None
}

/// Python's `codecs.escape_decode`: undoes backslash escapes in bytes.
pub fn escape_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = *s.get(i)?;
        i += 1;
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b't' => out.push(9),
            b'n' => out.push(10),
            b'r' => out.push(13),
            b'v' => out.push(11),
            b'a' => out.push(7),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let h = s.get(i..i + 2)?;
                let v = u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
                i += 2;
                out.push(v);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// Python's `raw-unicode-escape` decoding, producing UTF-8 with surrogates
/// encoded as `surrogatepass` would.
fn raw_unicode_escape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'\\' {
            let run = s[i..].iter().take_while(|&&b| b == b'\\').count();
            let after = s.get(i + run).copied();
            if run % 2 == 1 && matches!(after, Some(b'u' | b'U')) {
                out.resize(out.len() + run - 1, b'\\');
                let digits = if after == Some(b'u') { 4 } else { 8 };
                let start = i + run + 1;
                let hex = s.get(start..start + digits)?;
                let v = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                if !hex.iter().all(u8::is_ascii_hexdigit) || v > 0x10FFFF {
                    return None;
                }
                push_wtf8(&mut out, v);
                i = start + digits;
            } else {
                out.resize(out.len() + run, b'\\');
                i += run;
            }
            continue;
        }
        push_wtf8(&mut out, u32::from(c));
        i += 1;
    }
    Some(out)
}

fn push_wtf8(out: &mut Vec<u8>, cp: u32) {
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => {
            out.extend_from_slice(&[0xe0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3f) as u8, 0x80 | (cp & 0x3f) as u8])
        }
        _ => out.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn ops(bytes: &[u8]) -> (Vec<Op>, Option<ReadError>) {
        let mut c = Cursor::new(bytes.to_vec());
        let limits = Limits::default();
        let mut r = Reader::new(&mut c, &limits);
        let mut out = Vec::new();
        loop {
            match r.next_op() {
                Ok(Some(op)) => {
                    let stop = op.info.name == "STOP";
                    out.push(op);
                    if stop {
                        return (out, None);
                    }
                }
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn ops_with(bytes: &[u8], max_inline: usize, framing: Framing) -> (Vec<Op>, Option<ReadError>, Option<Divergence>) {
        let mut c = Cursor::new(bytes.to_vec());
        let limits = Limits { max_inline_bytes: max_inline, ..Limits::default() };
        let mut r = Reader::new(&mut c, &limits).framing(framing);
        let mut out = Vec::new();
        let err = loop {
            match r.next_op() {
                Ok(Some(op)) => {
                    let stop = op.info.name == "STOP";
                    out.push(op);
                    if stop {
                        break None;
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let d = r.divergence();
        (out, err, d)
    }

    #[test]
    fn long_protocol_0_strings_are_cut_not_broken() {
        // CPython loads STRING/UNICODE lines of any length; past the inline limit the
        // quotes are checked on the whole line and the escapes decoded on the prefix.
        let mut line = b"S'".to_vec();
        for i in 0..200u8 {
            line.extend_from_slice(format!("\\x{i:02x}").as_bytes());
        }
        line.extend_from_slice(b"'\np0\n.");
        let (ops, err, _) = ops_with(&line, 64, Framing::Contiguous);
        assert!(err.is_none(), "{err:?}");
        let Arg::Bytes(b) = &ops[0].arg else { panic!("{:?}", ops[0]) };
        assert!(!b.is_complete() && b.data.len() <= 64 && b.data.starts_with(&[0, 1, 2]));
        // An unterminated quote is still an error, however long the line.
        let mut bad = line.clone();
        let q = bad.iter().rposition(|&c| c == b'\'').unwrap();
        bad[q] = b'x';
        assert!(ops_with(&bad, 64, Framing::Contiguous).1.is_some());
        let mut uni = b"V".to_vec();
        for _ in 0..100 {
            uni.extend_from_slice(b"\\u00e9");
        }
        uni.extend_from_slice(b"\n.");
        let (ops, err, _) = ops_with(&uni, 64, Framing::Contiguous);
        assert!(err.is_none(), "{err:?}");
        assert!(matches!(&ops[0].arg, Arg::Str(b) if !b.is_complete()));
    }

    #[test]
    fn frames_are_read_both_ways() {
        // FRAME of 10 bytes holding SHORT_BINUNICODE len 20 and 8 of its bytes.
        let mut data = b"\x80\x04\x95".to_vec();
        data.extend_from_slice(&10u64.to_le_bytes());
        data.extend_from_slice(b"\x8c\x14AAAAAAAA");
        data.extend_from_slice(b"BBBBBBBBBBBBC\x06QQQQQQ\x8c\x01Z.");
        let (ops, err, d) = ops_with(&data, 1 << 20, Framing::Contiguous);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(d, Some(Divergence { at: 13, frame_end: 21 }));
        assert!(matches!(&ops[2].arg, Arg::Str(b) if b.data == b"AAAAAAAABBBBBBBBBBBB"));
        assert!(matches!(&ops[3].arg, Arg::Bytes(b) if b.data == b"QQQQQQ"));
        let (ops, err, _) = ops_with(&data, 1 << 20, Framing::Exact);
        assert!(err.is_none(), "{err:?}");
        assert!(matches!(&ops[2].arg, Arg::Str(b) if b.data == b"BBBBBBBBBBBBC\x06QQQQQQ"), "{:?}", ops[2]);
        assert!(matches!(&ops[3].arg, Arg::Str(b) if b.data == b"Z"));
        // Frames as the pickler writes them never diverge.
        let mut ok = b"\x80\x04\x95".to_vec();
        ok.extend_from_slice(&3u64.to_le_bytes());
        ok.extend_from_slice(b"\x8c\x01A\x95");
        ok.extend_from_slice(&2u64.to_le_bytes());
        ok.extend_from_slice(b"\x8c\x01B.");
        assert_eq!(ops_with(&ok, 1 << 20, Framing::Contiguous).2, None);
    }

    #[test]
    fn big_longs_print_in_decimal() {
        assert_eq!(twos_complement_to_decimal(&[0xff; 9]), "-1");
        assert_eq!(twos_complement_to_decimal(&[0, 0, 0, 0, 0, 0, 0, 0, 1]), "18446744073709551616");
        assert_eq!(long_from_le(&[0xff, 0x7f]), Arg::Int(32767));
        assert_eq!(long_from_le(&[0x00, 0x80]), Arg::Int(-32768));
    }

    #[test]
    fn python_int_rules() {
        assert_eq!(parse_int(b" 1_000 "), Some(Arg::Int(1000)));
        assert_eq!(parse_int(b"-007"), Some(Arg::Int(-7)));
        assert_eq!(parse_int(b"1__0"), None);
        assert_eq!(parse_int(b"0x10"), None);
    }

    #[test]
    fn truncated_argument_is_reported_with_offset() {
        let (got, err) = ops(b"\x80\x04\x8c\x05ab");
        assert_eq!(got.len(), 1);
        let err = err.unwrap();
        assert_eq!(err.kind, ReadErrorKind::Truncated);
        assert_eq!(err.pos, 2);
        assert_eq!(err.opcode, Some("SHORT_BINUNICODE"));
    }

    #[test]
    fn long_operands_keep_a_prefix_and_skip_the_rest() {
        let mut p = vec![0x80, 4, 0x8e];
        p.extend_from_slice(&(100u64).to_le_bytes());
        p.extend(std::iter::repeat_n(7u8, 100));
        p.push(b'.');
        let mut c = Cursor::new(p);
        let limits = Limits { max_inline_bytes: 64, ..Limits::default() };
        let mut r = Reader::new(&mut c, &limits);
        r.next_op().unwrap();
        let op = r.next_op().unwrap().unwrap();
        let Arg::Bytes(b) = op.arg else { panic!() };
        assert_eq!((b.data.len(), b.len, b.offset), (64, 100, 11));
        assert_eq!(r.next_op().unwrap().unwrap().info.name, "STOP");
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_decode(br"a\n\\b\x00c\td\101").unwrap(), b"a\n\\b\x00c\tdA");
        assert_eq!(raw_unicode_escape(br"abc\u00e9\\u1234").unwrap(), "abcé\\\\u1234".as_bytes());
    }
}
