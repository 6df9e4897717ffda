//! Pickle: the opcode table, a streaming opcode reader, and a symbolic machine
//! that follows the unpickler without importing or calling anything.

pub mod compat;
pub mod machine;
pub mod opcodes;
pub mod reader;
mod shape;
pub mod value;

pub use machine::{Anomaly, AnomalyKind, Event, Machine, Outcome, Sink, Via};
pub use reader::{Divergence, Framing};
pub use value::{Global, Value};

/// Whether `head` (the first bytes of a stream) starts like a pickle:
/// `Strong` for a `PROTO` opcode with a known protocol, `Weak` for any other
/// opcode that can start a protocol 0/1 pickle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    Strong,
    Weak,
}

pub fn sniff(head: &[u8]) -> Option<Sniff> {
    match head {
        [0x80, p, next, ..] if *p <= 5 && opcodes::info(*next).is_some() => Some(Sniff::Strong),
        [0x80, p] if *p <= 5 => Some(Sniff::Strong),
        // Protocol 0/1 pickles start with one of these in practice.
        [
            b'(' | b'c' | b'}' | b']' | b')' | b'N' | b'I' | b'S' | b'V' | b'X' | b'U' | b'K' | b'J' | b'M' | b'F'
            | b'G' | b'L' | b'l' | b'd' | b'T' | b'q',
            ..,
        ] => Some(Sniff::Weak),
        _ => None,
    }
}
