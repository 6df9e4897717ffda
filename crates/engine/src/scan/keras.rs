//! Keras/TensorFlow HDF5 files (.h5) with a model_config attribute

use modelvet_formats::container::ReadSeek;

use super::{Ctx, Hint};

impl Ctx<'_> {
    /// Scans the stream if it is Keras/TensorFlow HDF5 files (.h5) with a model_config attribute; `None` lets the caller try other formats.
    pub(super) fn try_keras_h5(
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

impl Ctx<'_> {
    /// Checks a Keras model configuration (from `.keras` `config.json`, an HDF5
    /// `model_config` attribute or SavedModel `keras_metadata.pb`).
    #[allow(dead_code)] // called once JSON and HDF5 scanning land
    pub(super) fn check_keras_config(&mut self, _config: &serde_json::Value, _offset: Option<u64>) {}
}
