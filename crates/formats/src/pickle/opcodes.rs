//! The pickle opcode table, protocols 0 to 5, as CPython's `pickletools`
//! documents it. One row per opcode: byte, name, argument encoding, protocol.

/// How an opcode's argument is encoded in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    /// Text up to a newline: a decimal int, or `00`/`01` for False/True.
    DecimalNlShort,
    /// Text up to a newline: a decimal int with an optional trailing `L`.
    DecimalNlLong,
    /// Text up to a newline: a float literal.
    FloatNl,
    /// A quoted, escaped string up to a newline (protocol 0 `STRING`).
    StringNl,
    /// Unescaped text up to a newline (`PERSID`).
    StringNlNoEscape,
    /// Two unescaped lines: module, then name (`GLOBAL`, `INST`).
    StringNlPair,
    /// Raw-unicode-escape text up to a newline (`UNICODE`).
    UnicodeNl,
    U1,
    U2,
    I4,
    U4,
    U8,
    /// Big-endian IEEE 754 double.
    Float8,
    /// Little-endian two's-complement integer with a 1-byte length.
    Long1,
    /// Little-endian two's-complement integer with a signed 4-byte length.
    Long4,
    /// Bytes decoded as `str` by the unpickler, 1-byte length (`SHORT_BINSTRING`).
    String1,
    /// Same with a signed 4-byte length (`BINSTRING`).
    String4,
    Bytes1,
    Bytes4,
    Bytes8,
    ByteArray8,
    Unicode1,
    Unicode4,
    Unicode8,
}

/// One opcode's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    pub code: u8,
    pub name: &'static str,
    pub arg: ArgKind,
    pub proto: u8,
}

macro_rules! ops {
    ($($code:expr, $name:ident, $arg:ident, $proto:expr;)*) => {
        /// Every opcode, in `pickletools` order.
        pub const OPCODES: &[OpInfo] = &[
            $(OpInfo { code: $code, name: stringify!($name), arg: ArgKind::$arg, proto: $proto },)*
        ];
        /// Opcode byte constants.
        #[allow(dead_code)]
        pub mod op {
            $(pub const $name: u8 = $code;)*
        }
    };
}

ops! {
    b'I', INT, DecimalNlShort, 0;
    b'J', BININT, I4, 1;
    b'K', BININT1, U1, 1;
    b'M', BININT2, U2, 1;
    b'L', LONG, DecimalNlLong, 0;
    0x8a, LONG1, Long1, 2;
    0x8b, LONG4, Long4, 2;
    b'S', STRING, StringNl, 0;
    b'T', BINSTRING, String4, 1;
    b'U', SHORT_BINSTRING, String1, 1;
    b'B', BINBYTES, Bytes4, 3;
    b'C', SHORT_BINBYTES, Bytes1, 3;
    0x8e, BINBYTES8, Bytes8, 4;
    0x96, BYTEARRAY8, ByteArray8, 5;
    0x97, NEXT_BUFFER, None, 5;
    0x98, READONLY_BUFFER, None, 5;
    b'N', NONE, None, 0;
    0x88, NEWTRUE, None, 2;
    0x89, NEWFALSE, None, 2;
    b'V', UNICODE, UnicodeNl, 0;
    0x8c, SHORT_BINUNICODE, Unicode1, 4;
    b'X', BINUNICODE, Unicode4, 1;
    0x8d, BINUNICODE8, Unicode8, 4;
    b'F', FLOAT, FloatNl, 0;
    b'G', BINFLOAT, Float8, 1;
    b']', EMPTY_LIST, None, 1;
    b'a', APPEND, None, 0;
    b'e', APPENDS, None, 1;
    b'l', LIST, None, 0;
    b')', EMPTY_TUPLE, None, 1;
    b't', TUPLE, None, 0;
    0x85, TUPLE1, None, 2;
    0x86, TUPLE2, None, 2;
    0x87, TUPLE3, None, 2;
    b'}', EMPTY_DICT, None, 1;
    b'd', DICT, None, 0;
    b's', SETITEM, None, 0;
    b'u', SETITEMS, None, 1;
    0x8f, EMPTY_SET, None, 4;
    0x90, ADDITEMS, None, 4;
    0x91, FROZENSET, None, 4;
    b'0', POP, None, 0;
    b'2', DUP, None, 0;
    b'(', MARK, None, 0;
    b'1', POP_MARK, None, 1;
    b'g', GET, DecimalNlShort, 0;
    b'h', BINGET, U1, 1;
    b'j', LONG_BINGET, U4, 1;
    b'p', PUT, DecimalNlShort, 0;
    b'q', BINPUT, U1, 1;
    b'r', LONG_BINPUT, U4, 1;
    0x94, MEMOIZE, None, 4;
    0x82, EXT1, U1, 2;
    0x83, EXT2, U2, 2;
    0x84, EXT4, I4, 2;
    b'c', GLOBAL, StringNlPair, 0;
    0x93, STACK_GLOBAL, None, 4;
    b'R', REDUCE, None, 0;
    b'b', BUILD, None, 0;
    b'i', INST, StringNlPair, 0;
    b'o', OBJ, None, 1;
    0x81, NEWOBJ, None, 2;
    0x92, NEWOBJ_EX, None, 4;
    0x80, PROTO, U1, 2;
    0x95, FRAME, U8, 4;
    b'.', STOP, None, 0;
    b'P', PERSID, StringNlNoEscape, 0;
    b'Q', BINPERSID, None, 1;
}

const fn build_table() -> [Option<OpInfo>; 256] {
    let mut table = [None; 256];
    let mut i = 0;
    while i < OPCODES.len() {
        table[OPCODES[i].code as usize] = Some(OPCODES[i]);
        i += 1;
    }
    table
}

static TABLE: [Option<OpInfo>; 256] = build_table();

/// Looks up an opcode byte.
#[inline]
pub fn info(code: u8) -> Option<&'static OpInfo> {
    TABLE[code as usize].as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_opcode_once() {
        assert_eq!(OPCODES.len(), 68);
        let mut seen = std::collections::HashSet::new();
        for o in OPCODES {
            assert!(seen.insert(o.code), "duplicate {}", o.name);
            assert_eq!(info(o.code).map(|i| i.name), Some(o.name));
        }
    }
}
