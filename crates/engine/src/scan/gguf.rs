//! GGUF files: recognised by content, parsed by `modelvet_formats::gguf`, judged by `rules::gguf`.
//! Only the header, metadata and tensor descriptions are read; chat templates go to
//! [`Ctx::check_chat_template`].

use modelvet_formats::container::ReadSeek;
use modelvet_formats::gguf::{self, AnomalyKind as K};

use super::{Ctx, Hint};
use crate::finding::{Finding, Severity};
use crate::rules::gguf as rg;

impl Ctx<'_> {
    /// Scans the stream if it is GGUF; `None` lets the caller try other formats.
    pub(super) fn try_gguf(
        &mut self,
        head: &[u8],
        src: &mut dyn ReadSeek,
        len: u64,
        _depth: u32,
        _hint: Hint<'_>,
    ) -> Option<&'static str> {
        if !gguf::sniff(head) {
            return None;
        }
        let header = gguf::parse(src, len, self.limits);
        for a in header.anomalies {
            let (rule, severity) = match a.kind {
                K::Truncated | K::AbsurdLength | K::Malformed | K::Limit => {
                    (&rg::malformed_gguf::RULE, rg::malformed_gguf::RULE.severity)
                }
                K::UnknownVersion => (&rg::unknown_gguf_version::RULE, rg::unknown_gguf_version::RULE.severity),
                K::BadAlignment => (&rg::invalid_alignment::RULE, rg::invalid_alignment::RULE.severity),
                K::TypeMismatch => (&rg::metadata_type_confusion::RULE, rg::metadata_type_confusion::RULE.severity),
                K::TensorOutOfBounds => (&rg::tensor_out_of_bounds::RULE, rg::tensor_out_of_bounds::RULE.severity),
                K::Misaligned => (&rg::tensor_out_of_bounds::RULE, Severity::Medium),
                K::UnknownTensorType => (&rg::unknown_tensor_type::RULE, rg::unknown_tensor_type::RULE.severity),
            };
            let f = Finding::new(rule, a.message, self.loc(a.offset)).severity(severity);
            self.finding(f);
        }
        for t in &header.templates {
            self.check_chat_template(&t.key, &t.text, Some(t.offset));
        }
        Some("gguf")
    }
}
