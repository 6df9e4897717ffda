//! Chat templates (Jinja) from GGUF metadata and Hugging Face tokenizer files:
//! parsed, never rendered, and checked for template injection.

use super::Ctx;

impl Ctx<'_> {
    /// Checks one chat template. `name` says where it came from (the GGUF key
    /// or JSON field); `offset` is the template's byte offset, if known.
    #[allow(dead_code)] // called once GGUF and JSON scanning land
    pub(super) fn check_chat_template(&mut self, _name: &str, _text: &str, _offset: Option<u64>) {}
}
