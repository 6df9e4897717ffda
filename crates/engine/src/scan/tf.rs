//! TensorFlow SavedModel (saved_model.pb, keras_metadata.pb) and frozen GraphDef protobufs

use modelvet_formats::container::ReadSeek;

use super::{Ctx, Hint};

impl Ctx<'_> {
    /// Scans the stream if it is TensorFlow SavedModel (saved_model.pb, keras_metadata.pb) and frozen GraphDef protobufs; `None` lets the caller try other formats.
    pub(super) fn try_tf_graph(
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
