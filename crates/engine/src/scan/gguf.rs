//! GGUF files: recognised by content, parsed by `modelvet_formats::gguf`, judged by `rules::gguf`.

use modelvet_formats::container::ReadSeek;

use super::{Ctx, Hint};

impl Ctx<'_> {
    /// Scans the stream if it is GGUF; `None` lets the caller try other formats.
    pub(super) fn try_gguf(
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
