//! ## What it does
//! Flags a pickle whose opcodes disagree with its `FRAME`s: an operand or a
//! line that starts inside a frame and runs past its end, or a frame that
//! starts before the previous one is used up.
//!
//! ## Why is this bad?
//! Protocol 4 writes a pickle in frames, and a writer never lets an opcode
//! straddle a frame's end. CPython's C unpickler reads such a stream in two
//! ways: from memory (`pickle.loads`, or a file that can `peek`) the bytes run
//! on past the frame's end; from a stream that cannot `peek` (an `io.BytesIO`,
//! which is how `torch.load` reads `data.pkl` from a checkpoint) it drops the
//! rest of the frame and reads the operand from the bytes after it. A payload
//! can be placed so that one reading is harmless and the other imports and
//! calls something; a scanner that ignores frames sees only the first.
//!
//! modelvet reads such a pickle both ways, reports what either reading would
//! import and call, and reports the divergence itself with this rule.
//!
//! ## Example
//! ```text
//! FRAME 12                  frame ends at offset 23
//! ...
//! BINUNICODE len=20 @ 18    runs past offset 23: a non-peeking reader takes
//!                           its 20 bytes from offset 23 instead, and the
//!                           opcodes after it differ
//! ```
//!
//! ## References
//! - PEP 3154 (pickle protocol 4): framing
//! - CPython `Modules/_pickle.c`: `load_frame`, `_Unpickler_ReadImpl`, `_Unpickler_ReadFromFile`
//! - fickling test suite: frame-boundary divergence
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL011",
    name: "frame-divergence",
    severity: Severity::High,
    summary: "an opcode runs past the end of its pickle frame, so unpicklers read the stream differently",
    path: "pickle/frame_divergence",
};
