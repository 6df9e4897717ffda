//! TensorFlow protobufs: SavedModel (`saved_model.pb`), frozen `GraphDef`
//! files and Keras' `keras_metadata.pb`, read with a minimal protobuf wire
//! reader that keeps only what a scanner needs (node names, ops, inputs,
//! string attributes and constants; function library bodies).
//!
//! Field numbers follow `tensorflow/core/protobuf/saved_model.proto`,
//! `meta_graph.proto`, `framework/graph.proto`, `node_def.proto`,
//! `function.proto`, `attr_value.proto`, `tensor.proto` and Keras'
//! `saved_metadata.proto`.

/// Most strings kept per node.
pub const MAX_NODE_STRINGS: usize = 64;
/// Longest string kept (characters).
pub const MAX_STRING: usize = 512;
/// Deepest nesting of attribute values followed.
const MAX_ATTR_DEPTH: u32 = 8;
/// Most nodes kept per graph or function (more are counted, not kept).
pub const MAX_NODES: usize = 1_000_000;

/// One graph node.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub op: String,
    pub inputs: Vec<String>,
    /// String attribute values and string tensor constants (bounded).
    pub strings: Vec<String>,
    /// Functions named by attributes (`f`, `then_branch`, ...).
    pub funcs: Vec<String>,
}

/// A function of a graph's function library.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub nodes: Vec<Node>,
}

/// A graph and its function library.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub functions: Vec<Function>,
}

/// A parsed SavedModel.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SavedModel {
    pub schema_version: i64,
    /// One graph per MetaGraphDef.
    pub graphs: Vec<Graph>,
    /// Tags of each MetaGraphDef (`serve`, `train`, ...).
    pub tags: Vec<Vec<String>>,
}

/// One entry of `keras_metadata.pb`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KerasNode {
    pub node_path: String,
    pub identifier: String,
    /// JSON text.
    pub metadata: String,
}

#[derive(Debug, Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32,
}

struct Rd<'a> {
    d: &'a [u8],
    p: usize,
}

type R<T> = Result<T, String>;

impl<'a> Rd<'a> {
    fn new(d: &'a [u8]) -> Self {
        Self { d, p: 0 }
    }

    fn varint(&mut self) -> R<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = *self.d.get(self.p).ok_or_else(|| format!("truncated varint at byte {}", self.p))?;
            self.p += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("varint longer than 10 bytes at byte {}", self.p))
    }

    fn skip(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.p.checked_add(n).filter(|&e| e <= self.d.len());
        let end = end.ok_or_else(|| format!("field of {n} bytes at byte {} runs past the end", self.p))?;
        let s = &self.d[self.p..end];
        self.p = end;
        Ok(s)
    }

    fn next(&mut self) -> R<Option<(u32, Wire<'a>)>> {
        if self.p >= self.d.len() {
            return Ok(None);
        }
        let at = self.p;
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| format!("field number too large at byte {at}"))?;
        if field == 0 {
            return Err(format!("field number 0 at byte {at}"));
        }
        let w = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Wire::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| "length too large".to_string())?;
                Wire::Bytes(self.skip(n)?)
            }
            5 => {
                self.skip(4)?;
                Wire::Fixed32
            }
            t => return Err(format!("unsupported wire type {t} at byte {at}")),
        };
        Ok(Some((field, w)))
    }
}

fn text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.chars().count() > MAX_STRING { s.chars().take(MAX_STRING).collect::<String>() + "…" } else { s.into_owned() }
}

fn strict_text(b: &[u8], what: &str) -> R<String> {
    std::str::from_utf8(b).map(str::to_string).map_err(|_| format!("{what} is not UTF-8"))
}

/// Whether a name looks like an op type (`SaveV2`, `_Send`, `Foo>Bar`).
pub fn is_op_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'>' || b == b'.')
}

fn parse_node(d: &[u8]) -> R<Node> {
    let mut n = Node::default();
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(b)) => n.name = strict_text(b, "node name")?,
            (2, Wire::Bytes(b)) => n.op = strict_text(b, "op name")?,
            (3, Wire::Bytes(b)) if n.inputs.len() < 4096 => n.inputs.push(text(b)),
            (3, Wire::Bytes(_)) => {}
            (4, Wire::Bytes(_)) => {}
            (5, Wire::Bytes(b)) => {
                // map<string, AttrValue> entry: key = 1, value = 2
                let mut e = Rd::new(b);
                while let Some((k, w)) = e.next()? {
                    if let (2, Wire::Bytes(v)) = (k, w) {
                        attr_value(v, &mut n, 0)?;
                    }
                }
            }
            (1..=5, _) => return Err(format!("NodeDef field {f} has the wrong wire type")),
            _ => {}
        }
    }
    Ok(n)
}

fn keep(n: &mut Node, s: String) {
    if n.strings.len() < MAX_NODE_STRINGS && !n.strings.contains(&s) {
        n.strings.push(s);
    }
}

fn attr_value(d: &[u8], n: &mut Node, depth: u32) -> R<()> {
    if depth > MAX_ATTR_DEPTH {
        return Ok(());
    }
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(b)) => list_value(b, n, depth)?,
            (2, Wire::Bytes(b)) => keep(n, text(b)),
            (8, Wire::Bytes(b)) => tensor(b, n)?,
            (10, Wire::Bytes(b)) => name_attr_list(b, n, depth)?,
            _ => {}
        }
    }
    Ok(())
}

fn list_value(d: &[u8], n: &mut Node, depth: u32) -> R<()> {
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (2, Wire::Bytes(b)) => keep(n, text(b)),
            (8, Wire::Bytes(b)) => tensor(b, n)?,
            (9, Wire::Bytes(b)) => name_attr_list(b, n, depth)?,
            _ => {}
        }
    }
    Ok(())
}

fn name_attr_list(d: &[u8], n: &mut Node, depth: u32) -> R<()> {
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(b)) if n.funcs.len() < MAX_NODE_STRINGS => n.funcs.push(text(b)),
            (1, Wire::Bytes(_)) => {}
            (2, Wire::Bytes(b)) => {
                let mut e = Rd::new(b);
                while let Some((k, w)) = e.next()? {
                    if let (2, Wire::Bytes(v)) = (k, w) {
                        attr_value(v, n, depth + 1)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn tensor(d: &[u8], n: &mut Node) -> R<()> {
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        if let (8, Wire::Bytes(b)) = (f, w) {
            keep(n, text(b));
        }
    }
    Ok(())
}

fn parse_function(d: &[u8]) -> R<Function> {
    let mut func = Function::default();
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(sig)) => {
                // OpDef: name = 1
                let mut s = Rd::new(sig);
                while let Some((k, w)) = s.next()? {
                    if let (1, Wire::Bytes(b)) = (k, w) {
                        func.name = text(b);
                    }
                }
            }
            (3, Wire::Bytes(b)) => {
                let node = parse_node(b)?;
                if func.nodes.len() < MAX_NODES {
                    func.nodes.push(node);
                }
            }
            _ => {}
        }
    }
    Ok(func)
}

/// Parses a `GraphDef` message.
pub fn parse_graph_def(d: &[u8]) -> R<Graph> {
    let mut g = Graph::default();
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(b)) => {
                let node = parse_node(b)?;
                if g.nodes.len() < MAX_NODES {
                    g.nodes.push(node);
                }
            }
            (2, Wire::Bytes(b)) => {
                let mut lib = Rd::new(b);
                while let Some((k, w)) = lib.next()? {
                    if let (1, Wire::Bytes(fb)) = (k, w) {
                        let func = parse_function(fb)?;
                        if g.functions.len() < MAX_NODES {
                            g.functions.push(func);
                        }
                    }
                }
            }
            (3, Wire::Varint(_)) | (4, Wire::Bytes(_)) => {}
            _ => return Err(format!("GraphDef has an unexpected field {f}")),
        }
    }
    Ok(g)
}

/// Parses a `SavedModel` message (`saved_model.pb`).
pub fn parse_saved_model(d: &[u8]) -> R<SavedModel> {
    let mut sm = SavedModel::default();
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Varint(v)) => sm.schema_version = v as i64,
            (2, Wire::Bytes(b)) => {
                let mut graph = Graph::default();
                let mut tags = Vec::new();
                let mut m = Rd::new(b);
                while let Some((k, w)) = m.next()? {
                    match (k, w) {
                        (1, Wire::Bytes(info)) => {
                            // MetaInfoDef: tags = 4
                            let mut i = Rd::new(info);
                            while let Some((t, w)) = i.next()? {
                                if let (4, Wire::Bytes(tag)) = (t, w) {
                                    tags.push(text(tag));
                                }
                            }
                        }
                        (2, Wire::Bytes(gb)) => {
                            let g = parse_graph_def(gb)?;
                            graph.nodes.extend(g.nodes);
                            graph.functions.extend(g.functions);
                        }
                        _ => {}
                    }
                }
                sm.graphs.push(graph);
                sm.tags.push(tags);
            }
            _ => return Err(format!("SavedModel has an unexpected field {f}")),
        }
    }
    Ok(sm)
}

/// Parses Keras' `keras_metadata.pb` (`SavedMetadata`).
pub fn parse_keras_metadata(d: &[u8]) -> R<Vec<KerasNode>> {
    let mut out = Vec::new();
    let mut r = Rd::new(d);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(b)) => {
                let mut node = KerasNode::default();
                let mut n = Rd::new(b);
                while let Some((k, w)) = n.next()? {
                    match (k, w) {
                        (3, Wire::Bytes(s)) => node.node_path = text(s),
                        (4, Wire::Bytes(s)) => node.identifier = text(s),
                        (5, Wire::Bytes(s)) => node.metadata = strict_text(s, "metadata")?,
                        (2, Wire::Varint(_)) | (6, Wire::Bytes(_)) => {}
                        _ => return Err(format!("SavedObject has an unexpected field {k}")),
                    }
                }
                out.push(node);
            }
            _ => return Err(format!("SavedMetadata has an unexpected field {f}")),
        }
    }
    Ok(out)
}

/// What a protobuf looks like, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SavedModel,
    GraphDef,
    KerasMetadata,
}

/// Recognises a TensorFlow protobuf by its first fields (and, for the
/// ambiguous cases, the file name). Strict: `None` unless the first fields
/// have the expected numbers, wire types and contents.
///
/// A SavedModel is `saved_model_schema_version = 1` (varint) and
/// `meta_graphs = 2` (messages); every field is optional on the wire, so
/// neither the version nor a `meta_info_def` is required, and nothing depends
/// on the file's size. A file named `saved_model.pb` that starts with either
/// field is a SavedModel (TensorFlow loads it by that name); under another
/// name, the first meta graph must read as one: only MetaGraphDef fields, and a
/// graph whose nodes have op names or a `meta_info_def`.
pub fn sniff(head: &[u8], name: Option<&str>) -> Option<Kind> {
    // The base name, compared case-insensitively (without a lowercased copy).
    let base = name.map_or("", |n| n.rsplit(['/', '\\']).next().unwrap_or(n));
    let ends = |s| crate::ends_with_ignore_ascii_case(base, s);
    let pb_name = ends(".pb") || ends(".pbtxt") || ends(".graphdef");
    let saved_model_name = base.eq_ignore_ascii_case("saved_model.pb");
    if base.eq_ignore_ascii_case("keras_metadata.pb") && head.first() == Some(&0x0a) {
        return Some(Kind::KerasMetadata);
    }
    let mut r = Rd::new(head);
    match r.next() {
        Ok(Some((1, Wire::Varint(v)))) if v <= 16 => {
            // saved_model_schema_version, then meta_graphs (or nothing more).
            if r.p == head.len() {
                return saved_model_name.then_some(Kind::SavedModel);
            }
            let at = r.p;
            if head.get(at) != Some(&0x12) {
                return None;
            }
            // A meta graph that opens with its meta_info_def, or a .pb name, is enough.
            let mut r2 = Rd::new(&head[at + 1..]);
            if saved_model_name || (r2.varint().is_ok() && (pb_name || head.get(at + 1 + r2.p) == Some(&0x0a))) {
                return Some(Kind::SavedModel);
            }
            match r.next() {
                Ok(Some((2, Wire::Bytes(mg)))) if is_meta_graph(mg) => Some(Kind::SavedModel),
                _ => None,
            }
        }
        // meta_graphs without a schema version.
        Ok(Some((2, Wire::Bytes(mg)))) if saved_model_name || (is_meta_graph(mg) && rest_is_saved_model(&mut r)) => {
            Some(Kind::SavedModel)
        }
        Err(_) if saved_model_name && head.first() == Some(&0x12) => Some(Kind::SavedModel),
        Ok(Some((1, Wire::Bytes(node)))) => {
            let n = parse_node(node).ok()?;
            if !is_op_name(&n.op) || n.name.is_empty() || n.name.len() > 1024 {
                return None;
            }
            // A second node, or the name hint, confirms it.
            match r.next() {
                Ok(Some((1, Wire::Bytes(b)))) => {
                    parse_node(b).ok().filter(|m| is_op_name(&m.op)).map(|_| Kind::GraphDef)
                }
                _ if pb_name => Some(Kind::GraphDef),
                _ => None,
            }
        }
        // The first node is longer than the head: rely on the name.
        Err(_) if pb_name && head.first() == Some(&0x0a) => Some(Kind::GraphDef),
        _ => None,
    }
}

/// Whether the rest of the head holds only SavedModel fields (a GraphDef that
/// opens with its function library goes on with `versions`, field 4).
fn rest_is_saved_model(r: &mut Rd<'_>) -> bool {
    loop {
        match r.next() {
            // The head ends inside a field: what was read agreed.
            Ok(None) | Err(_) => return true,
            Ok(Some((1, Wire::Varint(_)))) => {}
            Ok(Some((2, Wire::Bytes(mg)))) if is_meta_graph(mg) => {}
            Ok(Some(_)) => return false,
        }
    }
}

/// Whether bytes read as a `MetaGraphDef`: only its fields (1 to 7, all
/// messages), and a `graph_def` whose nodes all have op names, or a
/// `meta_info_def` with a tag or version strings.
fn is_meta_graph(d: &[u8]) -> bool {
    let mut r = Rd::new(d);
    let mut evidence = false;
    loop {
        match r.next() {
            Ok(None) => return evidence,
            Ok(Some((1, Wire::Bytes(info)))) => {
                let mut i = Rd::new(info);
                while let Ok(Some((t, w))) = i.next() {
                    // meta_graph_version = 1, tags = 4, tensorflow_version = 5, tensorflow_git_version = 6
                    if matches!((t, w), (1 | 4 | 5 | 6, Wire::Bytes(b)) if std::str::from_utf8(b).is_ok()) {
                        evidence = true;
                    }
                }
            }
            Ok(Some((2, Wire::Bytes(g)))) => match parse_graph_def(g) {
                Ok(graph) if !graph.nodes.is_empty() || !graph.functions.is_empty() => {
                    if !graph.nodes.iter().all(|n| is_op_name(&n.op)) {
                        return false;
                    }
                    evidence = true;
                }
                _ => return false,
            },
            Ok(Some((3..=7, Wire::Bytes(_)))) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u32, b: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        let mut key = u64::from(n) << 3 | 2;
        loop {
            let byte = (key & 0x7f) as u8;
            key >>= 7;
            if key == 0 {
                v.push(byte);
                break;
            }
            v.push(byte | 0x80);
        }
        let mut len = b.len() as u64;
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                v.push(byte);
                break;
            }
            v.push(byte | 0x80);
        }
        v.extend_from_slice(b);
        v
    }

    fn node(name: &str, op: &str, inputs: &[&str], s: Option<&str>) -> Vec<u8> {
        let mut v = field(1, name.as_bytes());
        v.extend(field(2, op.as_bytes()));
        for i in inputs {
            v.extend(field(3, i.as_bytes()));
        }
        if let Some(s) = s {
            // attr { key: "value" value { tensor { string_val: s } } }
            let tensor = field(8, s.as_bytes());
            let value = field(8, &tensor);
            let mut entry = field(1, b"value");
            entry.extend(field(2, &value));
            v.extend(field(5, &entry));
        }
        v
    }

    #[test]
    fn graph_def_nodes_and_library() {
        let mut g = field(1, &node("path", "Const", &[], Some("/etc/passwd")));
        g.extend(field(1, &node("read", "ReadFile", &["path"], None)));
        let mut sig = field(1, b"my_fn");
        sig = field(1, &sig);
        sig.extend(field(3, &node("cb", "PyFunc", &[], Some("pyfunc_0"))));
        g.extend(field(2, &field(1, &sig)));
        let parsed = parse_graph_def(&g).expect("parse");
        assert_eq!(parsed.nodes.len(), 2);
        assert_eq!(parsed.nodes[0].strings, vec!["/etc/passwd".to_string()]);
        assert_eq!(parsed.nodes[1].inputs, vec!["path".to_string()]);
        assert_eq!(parsed.functions[0].name, "my_fn");
        assert_eq!(parsed.functions[0].nodes[0].op, "PyFunc");
        assert_eq!(sniff(&g, Some("frozen.pb")), Some(Kind::GraphDef));
        assert_eq!(sniff(&g, None), Some(Kind::GraphDef));
    }

    #[test]
    fn saved_model() {
        let g = field(1, &node("x", "Placeholder", &[], None));
        let mut info = field(4, b"serve");
        info = field(1, &info);
        info.extend(field(2, &g));
        let mut sm = vec![0x08, 0x01];
        sm.extend(field(2, &info));
        assert_eq!(sniff(&sm, Some("saved_model.pb")), Some(Kind::SavedModel));
        let p = parse_saved_model(&sm).expect("parse");
        assert_eq!(p.schema_version, 1);
        assert_eq!(p.tags, vec![vec!["serve".to_string()]]);
        assert_eq!(p.graphs[0].nodes[0].op, "Placeholder");
    }

    #[test]
    fn keras_metadata() {
        let mut obj = field(3, b"root");
        obj.extend(field(4, b"_tf_keras_sequential"));
        obj.extend(field(5, br#"{"class_name": "Sequential"}"#));
        let d = field(1, &obj);
        assert_eq!(sniff(&d, Some("x/keras_metadata.pb")), Some(Kind::KerasMetadata));
        let p = parse_keras_metadata(&d).expect("parse");
        assert_eq!(p[0].identifier, "_tf_keras_sequential");
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert!(parse_graph_def(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(parse_graph_def(&[0x0a, 0x05, 0x0a]).is_err());
        assert!(parse_graph_def(&[0x0b]).is_err());
        assert!(parse_saved_model(&[0x08]).is_err());
        assert!(parse_saved_model(&[0xff; 11]).is_err());
        assert!(parse_keras_metadata(&[0x0a, 0x02, 0x2a, 0x05]).is_err());
        assert_eq!(sniff(b"hello world", None), None);
        assert_eq!(sniff(b"", Some("a.pb")), None);
        assert_eq!(sniff(&[0x08, 0x07, 0x12, 0x02, 0x0a, 0x00], None), Some(Kind::SavedModel));
    }

    /// Issue 8: a SavedModel of a few dozen bytes, with no schema version and no
    /// meta_info_def, only a graph with one PyFunc node.
    #[test]
    fn tiny_saved_model_without_optional_fields() {
        let graph = field(1, &node("cb", "PyFunc", &[], Some("pyfunc_0")));
        let meta = field(2, &graph);
        let sm = field(2, &meta);
        assert!(sm.len() < 64, "{} bytes", sm.len());
        assert_eq!(sniff(&sm, Some("model/saved_model.pb")), Some(Kind::SavedModel));
        assert_eq!(sniff(&sm, Some("x.bin")), Some(Kind::SavedModel));
        assert_eq!(sniff(&sm, None), Some(Kind::SavedModel));
        let p = parse_saved_model(&sm).expect("parse");
        assert_eq!(p.schema_version, 0);
        assert_eq!(p.graphs[0].nodes[0].op, "PyFunc");
        // With the version but nothing else, and with only the version.
        let mut with_version = vec![0x08, 0x01];
        with_version.extend(field(2, &graph));
        assert_eq!(sniff(&with_version, None), Some(Kind::SavedModel));
        assert_eq!(sniff(&[0x08, 0x01], Some("saved_model.pb")), Some(Kind::SavedModel));
        assert_eq!(sniff(&[0x08, 0x01], None), None);
        // A GraphDef that opens with its function library (field 2) then versions (field 4) stays a GraphDef.
        let mut sig = field(1, b"my_fn");
        sig = field(1, &sig);
        sig.extend(field(3, &node("n", "Identity", &[], None)));
        let mut g = field(2, &field(1, &sig));
        g.extend(field(4, &[0x08, 0x01]));
        assert_ne!(sniff(&g, None), Some(Kind::SavedModel));
        // Text that happens to start with 0x12 is not a SavedModel.
        assert_eq!(sniff(b"\x12\x03abc", None), None);
    }
}
