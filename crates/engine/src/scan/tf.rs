//! TensorFlow SavedModel (saved_model.pb, keras_metadata.pb) and frozen GraphDef protobufs

use std::collections::HashMap;
use std::io::{Read, SeekFrom};

use modelvet_formats::container::ReadSeek;
use modelvet_formats::tf::{self, Graph, Kind, Node};

use super::{Ctx, Hint};
use crate::finding::{Finding, Severity};
use crate::rules::tf as rt;

/// Largest protobuf parsed (frozen graphs carry their weights as constants).
const MAX_PB: u64 = 1 << 30;

/// Ops that call back into the Python process.
const PYTHON_OPS: &[&str] = &["PyFunc", "PyFuncStateless", "EagerPyFunc"];

/// Ops that touch the host file system (or load code), and what they do.
const FILE_OPS: &[(&str, &str)] = &[
    ("ReadFile", "reads a file"),
    ("WriteFile", "writes a file"),
    ("MatchingFiles", "lists files matching a pattern"),
    ("ImmutableConst", "memory-maps a file"),
    ("TextLineReader", "reads files line by line"),
    ("TextLineReaderV2", "reads files line by line"),
    ("WholeFileReader", "reads whole files"),
    ("WholeFileReaderV2", "reads whole files"),
    ("FixedLengthRecordReader", "reads records from files"),
    ("FixedLengthRecordReaderV2", "reads records from files"),
    ("TFRecordReader", "reads TFRecord files"),
    ("TFRecordReaderV2", "reads TFRecord files"),
    ("LMDBReader", "reads LMDB files"),
    ("TextLineDataset", "reads files line by line"),
    ("TFRecordDataset", "reads TFRecord files"),
    ("TFRecordDatasetV2", "reads TFRecord files"),
    ("FixedLengthRecordDataset", "reads records from files"),
    ("FixedLengthRecordDatasetV2", "reads records from files"),
    ("CSVDataset", "reads CSV files"),
    ("CSVDatasetV2", "reads CSV files"),
    ("ExperimentalCSVDataset", "reads CSV files"),
    ("SqlDataset", "queries a database"),
    ("ExperimentalSqlDataset", "queries a database"),
    ("LMDBDataset", "reads LMDB files"),
    ("ExperimentalLMDBDataset", "reads LMDB files"),
    ("SaveDataset", "writes a dataset to files"),
    ("SaveDatasetV2", "writes a dataset to files"),
    ("LoadDataset", "loads a dataset from files"),
    ("DatasetToTFRecord", "writes a TFRecord file"),
    ("ExperimentalDatasetToTFRecord", "writes a TFRecord file"),
    ("CreateSummaryFileWriter", "writes event files"),
    ("DebugIdentity", "dumps tensors to debug URLs"),
    ("DebugIdentityV2", "dumps tensors to a folder"),
    ("DebugIdentityV3", "dumps tensors to debug URLs"),
    ("DebugNanCount", "dumps tensors to debug URLs"),
    ("DebugNumericSummary", "dumps tensors to debug URLs"),
];

/// Checkpoint ops: fine with the saver's file name, not with a fixed odd path.
const CHECKPOINT_OPS: &[&str] =
    &["Save", "SaveSlices", "Restore", "RestoreSlice", "SaveV2", "RestoreV2", "MergeV2Checkpoints", "SaveV3"];

/// Vocabulary-table initialisers: fine reading an asset, not an absolute path.
const TABLE_FILE_OPS: &[&str] = &["InitializeTableFromTextFile", "InitializeTableFromTextFileV2"];

/// An absolute, parent-relative, home-relative, drive or URL path.
fn unusual_path(s: &str) -> bool {
    let s = s.trim();
    s.starts_with('/')
        || s.starts_with('~')
        || s.contains("..")
        || s.contains("://")
        || s.contains('\\')
        || (s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
}

fn input_node(input: &str) -> &str {
    let i = input.trim_start_matches('^');
    i.split(':').next().unwrap_or(i)
}

fn quote_all(v: &[String]) -> String {
    v.iter().take(8).map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
}

impl Ctx<'_> {
    /// Scans the stream if it is a TensorFlow SavedModel, frozen GraphDef or
    /// `keras_metadata.pb`; `None` lets the caller try other formats.
    pub(super) fn try_tf_graph(
        &mut self,
        head: &[u8],
        src: &mut dyn ReadSeek,
        len: u64,
        _depth: u32,
        hint: Hint<'_>,
    ) -> Option<&'static str> {
        let kind = tf::sniff(head, hint.name)?;
        let named_pb = hint.name.is_some_and(|n| modelvet_formats::ends_with_ignore_ascii_case(n, ".pb"));
        let format = match kind {
            Kind::SavedModel => "tf-savedmodel",
            Kind::GraphDef => "tf-graphdef",
            Kind::KerasMetadata => "keras-metadata",
        };
        if len > MAX_PB {
            let f = Finding::new(
                &rt::malformed_tf_graph::RULE,
                format!(
                    "{len}-byte TensorFlow protobuf is above the {MAX_PB}-byte parsing limit; its graph was not checked"
                ),
                self.loc(None),
            )
            .severity(Severity::Low);
            self.finding(f);
            return Some(format);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(64 << 20));
        if src.seek(SeekFrom::Start(0)).is_err() || Read::take(&mut *src, len).read_to_end(&mut bytes).is_err() {
            return None;
        }
        let parsed = match kind {
            Kind::SavedModel => tf::parse_saved_model(&bytes).map(|sm| {
                for (i, g) in sm.graphs.iter().enumerate() {
                    let tags = sm.tags.get(i).map(|t| t.join(",")).unwrap_or_default();
                    self.members.push(format!("<meta graph {i} [{tags}]>"));
                    self.check_graph(g);
                    self.members.pop();
                }
            }),
            Kind::GraphDef => tf::parse_graph_def(&bytes).map(|g| self.check_graph(&g)),
            Kind::KerasMetadata => tf::parse_keras_metadata(&bytes).map(|nodes| {
                for n in nodes {
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(&n.metadata) else { continue };
                    let label = if n.node_path.is_empty() { n.identifier.clone() } else { n.node_path.clone() };
                    self.members.push(format!("<keras metadata {label}>"));
                    self.check_keras_config(&v, None);
                    self.members.pop();
                }
            }),
        };
        match parsed {
            Ok(()) => Some(format),
            Err(why) if named_pb || kind == Kind::KerasMetadata => {
                let f = Finding::new(
                    &rt::malformed_tf_graph::RULE,
                    format!("malformed TensorFlow protobuf ({format}): {why}"),
                    self.loc(None),
                );
                self.finding(f);
                Some(format)
            }
            Err(_) => None,
        }
    }

    /// Checks the main graph and every function of its library.
    fn check_graph(&mut self, g: &Graph) {
        self.check_nodes(&g.nodes, None);
        for func in &g.functions {
            self.check_nodes(&func.nodes, Some(&func.name));
        }
    }

    fn check_nodes(&mut self, nodes: &[Node], func: Option<&str>) {
        let consts: HashMap<&str, &Node> =
            nodes.iter().filter(|n| n.op == "Const" || n.op == "HostConst").map(|n| (n.name.as_str(), n)).collect();
        let within = func.map(|f| format!(" in function {f}")).unwrap_or_default();
        for n in nodes {
            let op = n.op.as_str();
            // String constants feeding the node (paths, patterns).
            let fed: Vec<String> = n
                .inputs
                .iter()
                .filter_map(|i| consts.get(input_node(i)))
                .flat_map(|c| c.strings.iter().cloned())
                .collect();
            if PYTHON_OPS.contains(&op) {
                let f = Finding::new(
                    &rt::python_callback_op::RULE,
                    format!("node `{}` (op {op}){within} calls back into Python", n.name),
                    self.loc(None),
                )
                .evidence(format!("attributes: [{}]", quote_all(&n.strings)));
                self.finding(f);
            } else if let Some((_, what)) = FILE_OPS.iter().find(|(o, _)| *o == op) {
                let mut paths = fed.clone();
                paths.extend(n.strings.iter().filter(|s| unusual_path(s)).cloned());
                let on = if paths.is_empty() { String::new() } else { format!(": {}", quote_all(&paths)) };
                let f = Finding::new(
                    &rt::file_access_op::RULE,
                    format!("node `{}` (op {op}){within} {what}{on}", n.name),
                    self.loc(None),
                );
                self.finding(f);
            } else if CHECKPOINT_OPS.contains(&op) || TABLE_FILE_OPS.contains(&op) {
                let odd: Vec<String> = fed.iter().filter(|s| unusual_path(s)).cloned().collect();
                if odd.is_empty() {
                    continue;
                }
                let rule = if TABLE_FILE_OPS.contains(&op) {
                    &rt::file_access_op::RULE
                } else {
                    &rt::checkpoint_unusual_path::RULE
                };
                let f = Finding::new(
                    rule,
                    format!("node `{}` (op {op}){within} uses the fixed path {}", n.name, quote_all(&odd)),
                    self.loc(None),
                );
                self.finding(f);
            } else if op == "PrintV2" && n.strings.iter().any(|s| s.starts_with("file://")) {
                let to: Vec<String> = n.strings.iter().filter(|s| s.starts_with("file://")).cloned().collect();
                let f = Finding::new(
                    &rt::file_access_op::RULE,
                    format!("node `{}` (op PrintV2){within} writes to {}", n.name, quote_all(&to)),
                    self.loc(None),
                );
                self.finding(f);
            }
        }
    }
}
