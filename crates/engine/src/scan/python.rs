//! Python source files (trust_remote_code modules), parsed to an AST

use modelvet_formats::container::ReadSeek;

use super::{Ctx, Hint};

impl Ctx<'_> {
    /// Scans the stream if it is Python source files (trust_remote_code modules), parsed to an AST; `None` lets the caller try other formats.
    pub(super) fn try_python(
        &mut self,
        _head: &[u8],
        _src: &mut dyn ReadSeek,
        _len: u64,
        _depth: u32,
        _hint: Hint<'_>,
    ) -> Option<&'static str> {
        None
    }
}
