//! JSON files: Hugging Face configs (config.json auto_map, tokenizer_config.json chat templates, model_index.json), Keras config.json, chat_template.json

use modelvet_formats::container::ReadSeek;

use super::{Ctx, Hint};

impl Ctx<'_> {
    /// Scans the stream if it is JSON files: Hugging Face configs (config.json auto_map, tokenizer_config.json chat templates, model_index.json), Keras config.json, chat_template.json; `None` lets the caller try other formats.
    pub(super) fn try_json(
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
