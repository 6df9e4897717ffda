//! safetensors files: recognised by content, parsed by `modelvet_formats::safetensors`, judged by `rules::safetensors`.
//! Only the header is read; bytes no tensor covers (gaps, trailing data) and
//! `__metadata__` values that carry encoded binary data are scanned as nested
//! streams, so a pickle or an archive hidden there is reported by its own scanner.

use std::io::Cursor;

use modelvet_formats::container::{ReadSeek, Window};
use modelvet_formats::safetensors::{self as st, AnomalyKind as K};

use super::{Ctx, Hint};
use crate::finding::Finding;
use crate::rules::safetensors as rs;

/// Most holes and metadata values scanned as nested streams.
const MAX_NESTED_SCANS: usize = 32;

impl Ctx<'_> {
    /// Scans the stream if it is safetensors; `None` lets the caller try other formats.
    pub(super) fn try_safetensors(
        &mut self,
        head: &[u8],
        src: &mut dyn ReadSeek,
        len: u64,
        depth: u32,
        hint: Hint<'_>,
    ) -> Option<&'static str> {
        if !st::sniff(head) {
            return None;
        }
        // Text that happens to have `{"` at byte 8 (indented JSON) is not claimed
        // unless its length prefix fits or the name says safetensors.
        let named = hint.name.is_some_and(|n| modelvet_formats::ends_with_ignore_ascii_case(n, ".safetensors"));
        let n = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
        if !named
            && n > len.saturating_sub(8)
            && head[..8].iter().all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\t' || *b == b'\n' || *b == b'\r')
        {
            return None;
        }
        let h = st::parse(src, len);
        for a in &h.anomalies {
            let rule = match a.kind {
                K::HeaderLength => &rs::header_length::RULE,
                K::MalformedHeader => &rs::malformed_header::RULE,
                K::DuplicateKey => &rs::duplicate_key::RULE,
                K::UnknownDtype => &rs::unknown_dtype::RULE,
                K::MetadataNotString => &rs::metadata_not_string::RULE,
                K::InvalidShape => &rs::invalid_shape::RULE,
                K::InvalidOffsets => &rs::invalid_offsets::RULE,
                K::HiddenData => &rs::hidden_data::RULE,
            };
            let f = Finding::new(rule, a.detail.clone(), self.loc(a.offset));
            self.finding(f);
        }
        let mut scans = 0;
        for &(start, end) in &h.holes {
            if scans >= MAX_NESTED_SCANS {
                break;
            }
            scans += 1;
            let mut window = Window::new(&mut *src, start, end - start);
            let n = window.len();
            self.members.push(format!("<unindexed bytes {start}..{end}>"));
            self.scan(&mut window, n, depth + 1, Hint::default());
            self.members.pop();
        }
        for (k, v) in &h.metadata {
            if scans >= MAX_NESTED_SCANS {
                break;
            }
            if self.scan_embedded(&format!("__metadata__[{k:?}]"), v, depth) {
                scans += 1;
            }
        }
        Some("safetensors")
    }

    /// Scans a string from a model's metadata that carries binary data (base64
    /// or hex, e.g. a pickle for a companion loader) as a nested stream.
    /// Returns true if it did.
    pub(super) fn scan_embedded(&mut self, label: &str, value: &str, depth: u32) -> bool {
        let Some(bytes) = st::decode_embedded(value) else { return false };
        let n = bytes.len() as u64;
        self.members.push(format!("<{label} decoded>"));
        self.scan(&mut Cursor::new(bytes), n, depth + 1, Hint::default());
        self.members.pop();
        true
    }
}
