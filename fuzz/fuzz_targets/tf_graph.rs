#![no_main]
//! TensorFlow protobufs: SavedModel, GraphDef and keras_metadata.pb.
use libfuzzer_sys::fuzz_target;
use modelvet_engine::{Options, Scanner};
use modelvet_formats::tf;

fuzz_target!(|data: &[u8]| {
    let _ = tf::sniff(data, Some("saved_model.pb"));
    let _ = tf::sniff(data, None);
    let _ = tf::parse_saved_model(data);
    let _ = tf::parse_graph_def(data);
    let _ = tf::parse_keras_metadata(data);
    let scanner = Scanner::new(Options::default());
    let _ = scanner.scan_bytes("saved_model.pb", data);
    let _ = scanner.scan_bytes("keras_metadata.pb", data);
});
