//! ONNX models: a protobuf `ModelProto`. A minimal wire-format reader (no
//! generated code, no `protoc`) walks just the fields a scan needs: the
//! graph's nodes (op type, domain and string attributes), initializers and
//! constant tensors (external-data entries and string payloads), subgraphs in
//! node attributes (`g`/`graphs`, bounded depth), tensor-valued attributes
//! (`t`/`tensors`/sparse), local functions (nodes and default attributes),
//! training graphs, `opset_import` and `metadata_props`. Field numbers are
//! those of onnx's `onnx.proto` (checked against onnx 1.23.2); every other
//! field, known or not, is skipped by its wire type (groups included), never
//! interpreted. Tensor bytes (`raw_data`) are skipped with a seek, never
//! read, so time stays flat as weights grow.
//!
//! A hand-written reader was chosen over `prost` + a vendored `onnx.proto`:
//! a dozen field numbers are needed, it streams instead of decoding whole
//! messages (a 2 GB `raw_data` is never allocated), and it adds no build step.

use std::io::SeekFrom;

use crate::container::ReadSeek;

/// Deepest nesting of graphs in attributes (If/Loop/Scan bodies) that is walked.
pub const MAX_GRAPH_DEPTH: u32 = 32;
/// Most nodes or tensors kept per list; the rest are counted.
const MAX_KEPT: usize = 100_000;
/// Longest string kept (metadata values, tensor strings, external-data values).
const MAX_STRING: u64 = 16 << 20;
/// Most bytes of string payloads kept in all.
const MAX_STRING_TOTAL: u64 = 64 << 20;
/// Deepest protobuf message nesting tolerated at all.
const MAX_MESSAGE_DEPTH: u32 = 100;
/// Most attribute strings kept per node.
const MAX_ATTR_STRINGS: usize = 4096;
/// Deepest nesting of (deprecated) protobuf groups skipped in unknown fields.
const MAX_GROUP_DEPTH: u32 = 64;

/// A node: its operator and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub op_type: String,
    pub domain: String,
    /// The graph (or function) holding it, e.g. `main_graph/If_0.then_branch`.
    pub graph: String,
    /// String-valued attribute contents (`s`, `strings`, and the `string_data`
    /// of tensor-valued attributes), kept up to the limits: where a Python
    /// custom op would find the code or pickle it runs.
    pub attrs: Vec<Attr>,
}

/// One string held by a node attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// The attribute's name.
    pub name: String,
    pub value: Vec<u8>,
    /// From a tensor-valued attribute (`t`/`tensors`), whose strings are also
    /// listed in [`Model::tensors`].
    pub in_tensor: bool,
}

/// A tensor with external data or string contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tensor {
    pub name: String,
    pub data_type: i64,
    pub dims: Vec<i64>,
    /// `external_data` key/value pairs, in order.
    pub external: Vec<(String, String)>,
    /// `data_location == EXTERNAL`.
    pub location_external: bool,
    /// `string_data` entries (kept up to the limits).
    pub strings: Vec<Vec<u8>>,
    pub graph: String,
    /// Offset of the tensor message in the file.
    pub offset: u64,
}

/// What was read from a model.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub ir_version: Option<u64>,
    pub producer: String,
    pub has_graph: bool,
    pub opsets: Vec<(String, i64)>,
    pub metadata: Vec<(String, String)>,
    /// Every node (up to the limit), including those in subgraphs and functions.
    pub nodes: Vec<Node>,
    pub node_count: u64,
    /// Tensors with external data or string data.
    pub tensors: Vec<Tensor>,
    /// Local function domains and names.
    pub functions: Vec<(String, String)>,
    /// Wire-format problems (truncation, bad tags) and limits reached.
    pub errors: Vec<String>,
    pub depth_limit_hit: bool,
}

/// Why the top-level message could not be read at all.
#[derive(Debug)]
pub struct Error(pub String);

struct Wire<'a> {
    src: &'a mut dyn ReadSeek,
    pos: u64,
    len: u64,
    strings_kept: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Val {
    Varint(u64),
    Fixed,
    /// Length-delimited: starts at the reader's position, `n` bytes long.
    Len(u64),
}

impl Wire<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let mut b = [0u8; 1];
        self.src.read_exact(&mut b).map_err(|_| format!("truncated at offset {}", self.pos))?;
        self.pos += 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("varint longer than 10 bytes at offset {}", self.pos))
    }

    /// Reads a tag and its value header; `None` at `end`.
    fn field(&mut self, end: u64) -> Result<Option<(u64, Val)>, String> {
        if self.pos >= end {
            return Ok(None);
        }
        let at = self.pos;
        let tag = self.varint()?;
        let (num, wt) = (tag >> 3, tag & 7);
        if num == 0 {
            return Err(format!("field number 0 at offset {at}"));
        }
        let v = match wt {
            0 => Val::Varint(self.varint()?),
            1 => {
                self.skip(8, end)?;
                Val::Fixed
            }
            5 => {
                self.skip(4, end)?;
                Val::Fixed
            }
            // A (deprecated) group in an unknown field: skipped to its end tag, as protobuf does.
            3 => {
                self.skip_group(num, end, 0)?;
                Val::Fixed
            }
            2 => {
                let n = self.varint()?;
                if n > end.saturating_sub(self.pos) {
                    return Err(format!("field {num} at offset {at} claims {n} bytes, beyond its message"));
                }
                Val::Len(n)
            }
            _ => return Err(format!("wire type {wt} (field {num}) at offset {at}")),
        };
        if self.pos > end {
            return Err(format!("field {num} at offset {at} runs past its message"));
        }
        Ok(Some((num, v)))
    }

    /// Skips the fields of a group that started with field `num`, up to its end tag.
    fn skip_group(&mut self, num: u64, end: u64, depth: u32) -> Result<(), String> {
        if depth >= MAX_GROUP_DEPTH {
            return Err(format!("groups nested deeper than {MAX_GROUP_DEPTH} at offset {}", self.pos));
        }
        loop {
            if self.pos >= end {
                return Err(format!("group (field {num}) not closed before its message ends"));
            }
            let at = self.pos;
            let tag = self.varint()?;
            let (n, wt) = (tag >> 3, tag & 7);
            if n == 0 {
                return Err(format!("field number 0 at offset {at}"));
            }
            match wt {
                0 => {
                    self.varint()?;
                }
                1 => self.skip(8, end)?,
                5 => self.skip(4, end)?,
                2 => {
                    let len = self.varint()?;
                    self.skip(len, end)?;
                }
                3 => self.skip_group(n, end, depth + 1)?,
                4 if n == num => return Ok(()),
                _ => return Err(format!("wire type {wt} (field {n}) at offset {at}")),
            }
        }
    }

    fn seek(&mut self, to: u64) -> Result<(), String> {
        self.src.seek(SeekFrom::Start(to)).map_err(|e| e.to_string())?;
        self.pos = to;
        Ok(())
    }

    fn skip(&mut self, n: u64, end: u64) -> Result<(), String> {
        if n > end.saturating_sub(self.pos) || n > self.len.saturating_sub(self.pos) {
            return Err(format!("truncated at offset {}", self.pos));
        }
        if n <= 256 {
            let mut b = [0u8; 256];
            self.src.read_exact(&mut b[..n as usize]).map_err(|_| format!("truncated at offset {}", self.pos))?;
        } else {
            self.src.seek(SeekFrom::Start(self.pos + n)).map_err(|e| e.to_string())?;
        }
        self.pos += n;
        Ok(())
    }

    /// Reads `n` bytes if within the limits, else skips them and returns a marker.
    fn bytes(&mut self, n: u64, end: u64) -> Result<Vec<u8>, String> {
        if n > MAX_STRING || self.strings_kept + n > MAX_STRING_TOTAL {
            self.skip(n, end)?;
            return Ok(format!("<{n} bytes not kept>").into_bytes());
        }
        if n > self.len.saturating_sub(self.pos) {
            return Err(format!("truncated at offset {}", self.pos));
        }
        let mut b = vec![0u8; n as usize];
        self.src.read_exact(&mut b).map_err(|_| format!("truncated at offset {}", self.pos))?;
        self.pos += n;
        self.strings_kept += n;
        Ok(b)
    }

    fn string(&mut self, n: u64, end: u64) -> Result<String, String> {
        let b = self.bytes(n, end)?;
        // Valid UTF-8 (nearly every name) is taken as it is, without a copy.
        Ok(String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn skip_val(&mut self, v: Val, end: u64) -> Result<(), String> {
        if let Val::Len(n) = v { self.skip(n, end) } else { Ok(()) }
    }
}

/// True if the bytes could start a `ModelProto` written by an exporter:
/// `ir_version` (field 1, varint, 1..=20) comes first.
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0x08 && (1..=20).contains(&head[1])
}

/// Parses a `ModelProto` from `len` bytes of `src`. Errors inside nested
/// messages are recorded in [`Model::errors`]; an error in the top-level
/// message before any ONNX field was seen returns `Err`.
pub fn parse(src: &mut dyn ReadSeek, len: u64) -> Result<Model, Error> {
    src.seek(SeekFrom::Start(0)).map_err(|e| Error(e.to_string()))?;
    let mut w = Wire { src, pos: 0, len, strings_kept: 0 };
    let mut m = Model::default();
    let mut p = Parser { m: &mut m };
    let res = p.model(&mut w, len);
    if let Err(e) = res {
        if m.ir_version.is_none() && !m.has_graph {
            return Err(Error(e));
        }
        m.errors.push(e);
    }
    Ok(m)
}

/// Reads only a `ModelProto`'s top-level `metadata_props` (field 14),
/// stepping over the graph, functions and everything else without parsing
/// them: what a caller that wants the model's declared metadata (its licence,
/// say) needs, at the cost of a seek per top-level field. Stops quietly at
/// the first malformed top-level field, keeping what came before it.
pub fn metadata(src: &mut dyn ReadSeek, len: u64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if src.seek(SeekFrom::Start(0)).is_err() {
        return out;
    }
    let mut w = Wire { src, pos: 0, len, strings_kept: 0 };
    let mut m = Model::default();
    let mut p = Parser { m: &mut m };
    while let Ok(Some((num, v))) = w.field(len) {
        let step = match (num, v) {
            (14, Val::Len(n)) => {
                let e = w.pos + n;
                p.entry(&mut w, e).map(|kv| {
                    if out.len() < MAX_KEPT {
                        out.push(kv);
                    }
                })
            }
            _ => w.skip_val(v, len),
        };
        if step.is_err() {
            break;
        }
    }
    out
}

struct Parser<'m> {
    m: &'m mut Model,
}

impl Parser<'_> {
    fn model(&mut self, w: &mut Wire<'_>, end: u64) -> Result<(), String> {
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1, Val::Varint(x)) => self.m.ir_version = Some(x),
                (2, Val::Len(n)) => self.m.producer = w.string(n, end)?,
                (7, Val::Len(n)) => {
                    self.m.has_graph = true;
                    let e = w.pos + n;
                    self.sub(w, e, |p, w, e| p.graph(w, e, "graph".into(), 0))?;
                }
                (8, Val::Len(n)) => {
                    let e = w.pos + n;
                    let (d, ver) = self.opset(w, e)?;
                    self.m.opsets.push((d, ver));
                }
                (14, Val::Len(n)) => {
                    let e = w.pos + n;
                    let kv = self.entry(w, e)?;
                    if self.m.metadata.len() < MAX_KEPT {
                        self.m.metadata.push(kv);
                    }
                }
                (20, Val::Len(n)) => {
                    // TrainingInfoProto: initialization (1) and algorithm (2) graphs.
                    let e = w.pos + n;
                    self.sub(w, e, |p, w, e| {
                        while let Some((num, v)) = w.field(e)? {
                            match (num, v) {
                                (1 | 2, Val::Len(n)) => {
                                    let ge = w.pos + n;
                                    p.sub(w, ge, |p, w, ge| p.graph(w, ge, format!("training_info.{num}"), 1))?;
                                }
                                _ => w.skip_val(v, e)?,
                            }
                        }
                        Ok(())
                    })?;
                }
                (25, Val::Len(n)) => {
                    let e = w.pos + n;
                    self.sub(w, e, |p, w, e| p.function(w, e))?;
                }
                _ => w.skip_val(v, end)?,
            }
        }
        Ok(())
    }

    /// Parses a nested message; an error inside it is recorded and parsing
    /// resumes after it (its length is known).
    fn sub(
        &mut self,
        w: &mut Wire<'_>,
        end: u64,
        f: impl FnOnce(&mut Self, &mut Wire<'_>, u64) -> Result<(), String>,
    ) -> Result<(), String> {
        if let Err(e) = f(self, w, end) {
            if self.m.errors.len() < 64 {
                self.m.errors.push(e);
            }
            w.seek(end)?;
        } else if w.pos != end {
            return Err(format!("message ends at {} but was declared to end at {end}", w.pos));
        }
        Ok(())
    }

    fn opset(&mut self, w: &mut Wire<'_>, end: u64) -> Result<(String, i64), String> {
        let (mut d, mut ver) = (String::new(), 0);
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1, Val::Len(n)) => d = w.string(n, end)?,
                (2, Val::Varint(x)) => ver = x as i64,
                _ => w.skip_val(v, end)?,
            }
        }
        Ok((d, ver))
    }

    /// StringStringEntryProto: key (1), value (2).
    fn entry(&mut self, w: &mut Wire<'_>, end: u64) -> Result<(String, String), String> {
        let (mut k, mut val) = (String::new(), String::new());
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1, Val::Len(n)) => k = w.string(n, end)?,
                (2, Val::Len(n)) => val = w.string(n, end)?,
                _ => w.skip_val(v, end)?,
            }
        }
        Ok((k, val))
    }

    fn depth_ok(&mut self, depth: u32) -> bool {
        if depth > MAX_GRAPH_DEPTH {
            self.m.depth_limit_hit = true;
            return false;
        }
        true
    }

    fn graph(&mut self, w: &mut Wire<'_>, end: u64, path: String, depth: u32) -> Result<(), String> {
        if !self.depth_ok(depth) {
            return w.skip(end - w.pos, end);
        }
        let mut path = path;
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1, Val::Len(n)) => {
                    let e = w.pos + n;
                    let p2 = path.clone();
                    self.sub(w, e, |p, w, e| p.node(w, e, &p2, depth))?;
                }
                (2, Val::Len(n)) => {
                    let name = w.string(n, end)?;
                    if depth == 0 {
                        path = name;
                    }
                }
                (5, Val::Len(n)) => {
                    let e = w.pos + n;
                    let p2 = path.clone();
                    self.sub(w, e, |p, w, e| p.tensor(w, e, &p2, 0, None))?;
                }
                (15, Val::Len(n)) => {
                    let e = w.pos + n;
                    let p2 = path.clone();
                    self.sub(w, e, |p, w, e| p.sparse(w, e, &p2, 0))?;
                }
                _ => w.skip_val(v, end)?,
            }
        }
        Ok(())
    }

    /// SparseTensorProto: values (1) and indices (2) are tensors.
    fn sparse(&mut self, w: &mut Wire<'_>, end: u64, path: &str, mdepth: u32) -> Result<(), String> {
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1 | 2, Val::Len(n)) => {
                    let e = w.pos + n;
                    self.sub(w, e, |p, w, e| p.tensor(w, e, path, mdepth + 1, None))?;
                }
                _ => w.skip_val(v, end)?,
            }
        }
        Ok(())
    }

    /// NodeProto. Attributes (5) are walked where they stand: exporters write
    /// fields in number order, so the node's name (3) and op type (4), used
    /// for the subgraph paths, are usually known by then.
    fn node(&mut self, w: &mut Wire<'_>, end: u64, path: &str, depth: u32) -> Result<(), String> {
        let mut node = Node {
            name: String::new(),
            op_type: String::new(),
            domain: String::new(),
            graph: path.into(),
            attrs: Vec::new(),
        };
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (3, Val::Len(n)) => node.name = w.string(n, end)?,
                (4, Val::Len(n)) => node.op_type = w.string(n, end)?,
                (7, Val::Len(n)) => node.domain = w.string(n, end)?,
                (5, Val::Len(n)) => {
                    let e = w.pos + n;
                    let label = if !node.name.is_empty() {
                        &node.name
                    } else if !node.op_type.is_empty() {
                        &node.op_type
                    } else {
                        "node"
                    };
                    let here = format!("{path}/{label}");
                    let mut attrs = std::mem::take(&mut node.attrs);
                    self.sub(w, e, |p, w, e| p.attribute(w, e, &here, depth, &mut attrs))?;
                    node.attrs = attrs;
                }
                _ => w.skip_val(v, end)?,
            }
        }
        self.m.node_count += 1;
        if self.m.nodes.len() < MAX_KEPT {
            self.m.nodes.push(node);
        }
        Ok(())
    }

    /// AttributeProto: string values are kept in `attrs`; tensors, sparse
    /// tensors and graphs are walked. Type protos and numbers are skipped.
    fn attribute(
        &mut self,
        w: &mut Wire<'_>,
        end: u64,
        path: &str,
        depth: u32,
        attrs: &mut Vec<Attr>,
    ) -> Result<(), String> {
        let mut name = String::new();
        // Strings seen before the name (fields are normally in number order, name first).
        let first = attrs.len();
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1, Val::Len(n)) => {
                    name = w.string(n, end)?;
                    for a in &mut attrs[first..] {
                        a.name.clone_from(&name);
                    }
                }
                // s (4), strings (9)
                (4 | 9, Val::Len(n)) => {
                    let value = w.bytes(n, end)?;
                    if attrs.len() < MAX_ATTR_STRINGS {
                        attrs.push(Attr { name: name.clone(), value, in_tensor: false });
                    }
                }
                // t (5), tensors (10)
                (5 | 10, Val::Len(n)) => {
                    let e = w.pos + n;
                    let here = format!("{path}.{}", if name.is_empty() { "value" } else { &name });
                    let nm = name.clone();
                    self.sub(w, e, |p, w, e| p.tensor(w, e, &here, 0, Some((&nm, &mut *attrs))))?;
                }
                // sparse_tensor (22), sparse_tensors (23)
                (22 | 23, Val::Len(n)) => {
                    let e = w.pos + n;
                    self.sub(w, e, |p, w, e| p.sparse(w, e, path, 0))?;
                }
                // g (6), graphs (11)
                (6 | 11, Val::Len(n)) => {
                    let e = w.pos + n;
                    let here = format!("{path}.{}", if name.is_empty() { "graph" } else { &name });
                    self.sub(w, e, |p, w, e| p.graph(w, e, here, depth + 1))?;
                }
                _ => w.skip_val(v, end)?,
            }
        }
        Ok(())
    }

    /// TensorProto. Kept in [`Model::tensors`] if it has external data or
    /// strings; the strings of an attribute's tensor are also copied to the
    /// node's `attrs` (`attr`).
    fn tensor(
        &mut self,
        w: &mut Wire<'_>,
        end: u64,
        path: &str,
        mdepth: u32,
        attr: Option<(&str, &mut Vec<Attr>)>,
    ) -> Result<(), String> {
        if mdepth > MAX_MESSAGE_DEPTH {
            return w.skip(end - w.pos, end);
        }
        let mut t = Tensor { graph: path.into(), offset: w.pos, ..Tensor::default() };
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1, Val::Varint(x)) => push_bounded(&mut t.dims, x as i64),
                (1, Val::Len(n)) => {
                    let e = w.pos + n;
                    while w.pos < e {
                        let x = w.varint()?;
                        push_bounded(&mut t.dims, x as i64);
                    }
                    if w.pos != e {
                        return Err("packed dims run past their field".into());
                    }
                }
                (2, Val::Varint(x)) => t.data_type = x as i64,
                (8, Val::Len(n)) => t.name = w.string(n, end)?,
                (6, Val::Len(n)) => {
                    let b = w.bytes(n, end)?;
                    if t.strings.len() < 4096 {
                        t.strings.push(b);
                    }
                }
                (13, Val::Len(n)) => {
                    let e = w.pos + n;
                    let kv = self.entry(w, e)?;
                    if t.external.len() < 64 {
                        t.external.push(kv);
                    }
                }
                (14, Val::Varint(x)) => t.location_external = x == 1,
                _ => w.skip_val(v, end)?,
            }
        }
        if let Some((name, attrs)) = attr {
            for s in &t.strings {
                if attrs.len() >= MAX_ATTR_STRINGS {
                    break;
                }
                attrs.push(Attr { name: name.into(), value: s.clone(), in_tensor: true });
            }
        }
        if (!t.external.is_empty() || t.location_external || !t.strings.is_empty()) && self.m.tensors.len() < MAX_KEPT {
            self.m.tensors.push(t);
        }
        Ok(())
    }

    /// FunctionProto. Its nodes (7) are walked once its name (1) and domain
    /// (10) are known, for their paths; default attribute values (11) are
    /// walked like a node's attributes.
    fn function(&mut self, w: &mut Wire<'_>, end: u64) -> Result<(), String> {
        let (mut name, mut domain) = (String::new(), String::new());
        let mut nodes = Vec::new();
        let mut defaults = Vec::new();
        while let Some((num, v)) = w.field(end)? {
            match (num, v) {
                (1, Val::Len(n)) => name = w.string(n, end)?,
                (10, Val::Len(n)) => domain = w.string(n, end)?,
                (7 | 11, Val::Len(n)) => {
                    if nodes.len() + defaults.len() < MAX_KEPT {
                        if num == 7 { &mut nodes } else { &mut defaults }.push((w.pos, w.pos + n));
                    }
                    w.skip(n, end)?;
                }
                (9, Val::Len(n)) => {
                    let e = w.pos + n;
                    let (d, ver) = self.opset(w, e)?;
                    self.m.opsets.push((d, ver));
                }
                (14, Val::Len(n)) => {
                    let e = w.pos + n;
                    let kv = self.entry(w, e)?;
                    if self.m.metadata.len() < MAX_KEPT {
                        self.m.metadata.push(kv);
                    }
                }
                _ => w.skip_val(v, end)?,
            }
        }
        let after = w.pos;
        let path = format!("function {domain}.{name}");
        for (s, e) in nodes {
            w.seek(s)?;
            self.sub(w, e, |p, w, e| p.node(w, e, &path, 1))?;
        }
        if !defaults.is_empty() {
            // Default values are not a node's, but a Python op reading them is
            // as dangerous: they are listed under a pseudo-node of the function.
            let mut node = Node {
                name: format!("{name} (default attributes)"),
                op_type: name.clone(),
                domain: domain.clone(),
                graph: path.clone(),
                attrs: Vec::new(),
            };
            for (s, e) in defaults {
                w.seek(s)?;
                self.sub(w, e, |p, w, e| p.attribute(w, e, &path, 1, &mut node.attrs))?;
            }
            if !node.attrs.is_empty() && self.m.nodes.len() < MAX_KEPT {
                self.m.nodes.push(node);
            }
        }
        w.seek(after)?;
        if self.m.functions.len() < MAX_KEPT {
            self.m.functions.push((domain, name));
        }
        Ok(())
    }
}

fn push_bounded(v: &mut Vec<i64>, x: i64) {
    if v.len() < 64 {
        v.push(x);
    }
}

#[cfg(test)]
pub mod tests {
    //! A tiny protobuf writer to build models in tests.
    use std::io::Cursor;

    use super::*;

    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    pub fn int(num: u64, v: u64) -> Vec<u8> {
        let mut o = Vec::new();
        varint(num << 3, &mut o);
        varint(v, &mut o);
        o
    }
    pub fn bytes(num: u64, b: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        varint((num << 3) | 2, &mut o);
        varint(b.len() as u64, &mut o);
        o.extend_from_slice(b);
        o
    }
    pub fn msg(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }
    fn kv(num: u64, k: &str, v: &str) -> Vec<u8> {
        bytes(num, &msg(&[bytes(1, k.as_bytes()), bytes(2, v.as_bytes())]))
    }

    fn model() -> Vec<u8> {
        let inner_node = msg(&[bytes(4, b"PyOp"), bytes(7, b"ai.onnx.contrib"), bytes(3, b"py")]);
        let body = msg(&[bytes(1, &inner_node), bytes(2, b"body")]);
        let attr = msg(&[bytes(1, b"then_branch"), bytes(6, &body)]);
        let node = msg(&[bytes(3, b"if0"), bytes(4, b"If"), bytes(5, &attr)]);
        let init = msg(&[
            int(1, 4),
            int(2, 1),
            bytes(8, b"w"),
            kv(13, "location", "../x.bin"),
            kv(13, "length", "16"),
            int(14, 1),
            bytes(9, &[0u8; 1000]),
        ]);
        let strt = msg(&[int(2, 8), bytes(8, b"s"), bytes(6, b"hello")]);
        let graph = msg(&[bytes(1, &node), bytes(2, b"main"), bytes(5, &init), bytes(5, &strt)]);
        msg(&[
            int(1, 8),
            bytes(2, b"pytorch"),
            bytes(7, &graph),
            bytes(8, &msg(&[bytes(1, b""), int(2, 17)])),
            kv(14, "k", "v"),
        ])
    }

    #[test]
    fn parses_nodes_subgraphs_tensors_metadata() {
        let b = model();
        assert!(sniff(&b));
        let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert_eq!(m.ir_version, Some(8));
        assert!(m.has_graph);
        assert_eq!(m.node_count, 2);
        let py = m.nodes.iter().find(|n| n.op_type == "PyOp").unwrap();
        assert_eq!(py.domain, "ai.onnx.contrib");
        assert_eq!(py.graph, "graph/if0.then_branch");
        assert_eq!(m.tensors.len(), 2);
        assert_eq!(m.tensors[0].external[0], ("location".into(), "../x.bin".into()));
        assert!(m.tensors[0].location_external);
        assert_eq!(m.tensors[0].dims, vec![4]);
        assert_eq!(m.tensors[1].strings, vec![b"hello".to_vec()]);
        assert_eq!(m.metadata, vec![("k".into(), "v".into())]);
        assert_eq!(m.opsets, vec![(String::new(), 17)]);
        // The metadata-only read finds the same entries without parsing the graph.
        assert_eq!(metadata(&mut Cursor::new(&b), b.len() as u64), m.metadata);
        // A truncated file keeps what came before the cut, and never panics.
        for cut in 0..b.len() {
            let kept = metadata(&mut Cursor::new(&b[..cut]), cut as u64);
            assert!(kept.is_empty() || kept == m.metadata, "cut {cut}: {kept:?}");
        }
    }

    /// A node with a tensor-valued attribute and a Loop body, as onnx writes
    /// them: the attribute's bytes are not node fields (they once were read as
    /// such: "field number 0", nodes of the body as custom domains).
    #[test]
    fn attributes_are_not_read_as_node_fields() {
        // ConstantOfShape value: TensorProto{dims 1, data_type 6, int32_data [0] packed, name}.
        let t = msg(&[int(1, 1), int(2, 6), bytes(5, &[0]), bytes(8, b"value")]);
        let attr = msg(&[bytes(1, b"value"), bytes(5, &t), int(20, 4)]);
        let cos = msg(&[bytes(1, b"x"), bytes(2, b"y"), bytes(4, b"ConstantOfShape"), bytes(5, &attr)]);
        // Loop whose body has a Constant with a tensor attribute holding strings.
        let st = msg(&[int(2, 8), bytes(6, b"import os")]);
        let c = msg(&[bytes(2, b"c"), bytes(4, b"Constant"), bytes(5, &msg(&[bytes(1, b"value"), bytes(5, &st)]))]);
        let body = msg(&[bytes(1, &c), bytes(2, b"body")]);
        let lp = msg(&[bytes(4, b"Loop"), bytes(5, &msg(&[bytes(1, b"body"), bytes(6, &body), int(20, 5)]))]);
        let b = msg(&[int(1, 8), bytes(7, &msg(&[bytes(1, &cos), bytes(1, &lp), bytes(2, b"g")]))]);
        let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        let ops: Vec<(&str, &str)> = m.nodes.iter().map(|n| (n.op_type.as_str(), n.domain.as_str())).collect();
        assert_eq!(ops, vec![("ConstantOfShape", ""), ("Constant", ""), ("Loop", "")]);
        assert_eq!(m.nodes[1].graph, "graph/Loop.body");
        assert_eq!(
            m.nodes[1].attrs,
            vec![Attr { name: "value".into(), value: b"import os".to_vec(), in_tensor: true }]
        );
        assert_eq!(m.tensors.len(), 1);
        assert_eq!(m.tensors[0].graph, "graph/Loop.body/Constant.value");
    }

    #[test]
    fn string_attributes_are_kept_whatever_the_field_order() {
        // name after the value, and a repeated `strings` attribute.
        let a1 = msg(&[bytes(4, b"print(1)"), bytes(1, b"code"), int(20, 3)]);
        let a2 = msg(&[bytes(1, b"names"), bytes(9, b"a"), bytes(9, b"b")]);
        let node = msg(&[bytes(5, &a1), bytes(5, &a2), bytes(4, b"PyOp"), bytes(7, b"ai.onnx.contrib")]);
        let b = msg(&[int(1, 8), bytes(7, &msg(&[bytes(1, &node)]))]);
        let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        let n = &m.nodes[0];
        assert_eq!((n.op_type.as_str(), n.domain.as_str()), ("PyOp", "ai.onnx.contrib"));
        let got: Vec<(&str, &[u8])> = n.attrs.iter().map(|a| (a.name.as_str(), a.value.as_slice())).collect();
        assert_eq!(got, vec![("code", &b"print(1)"[..]), ("names", b"a"), ("names", b"b")]);
    }

    #[test]
    fn functions_nodes_and_default_attributes_are_walked() {
        let inner = msg(&[bytes(4, b"PyOp"), bytes(7, b"ai.onnx.contrib")]);
        let dflt = msg(&[bytes(1, b"mode"), bytes(4, b"lambda: 0")]);
        let f = msg(&[bytes(1, b"F"), bytes(4, b"a"), bytes(7, &inner), bytes(11, &dflt), bytes(10, b"local")]);
        let b = msg(&[int(1, 8), bytes(7, &msg(&[bytes(2, b"g")])), bytes(25, &f)]);
        let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert_eq!(m.functions, vec![("local".into(), "F".into())]);
        assert_eq!(m.nodes.len(), 2);
        assert_eq!((m.nodes[0].op_type.as_str(), m.nodes[0].graph.as_str()), ("PyOp", "function local.F"));
        assert_eq!(m.nodes[1].attrs[0].value, b"lambda: 0");
    }

    #[test]
    fn unknown_fields_of_every_wire_type_are_skipped() {
        let mut unknown = Vec::new();
        unknown.extend(int(90, 300)); // varint
        unknown.extend([0xd1, 0x05, 1, 2, 3, 4, 5, 6, 7, 8]); // field 90, fixed64
        unknown.extend([0xd5, 0x05, 1, 2, 3, 4]); // field 90, fixed32
        // field 91 group holding a varint, a string and a nested group, then its end tag.
        unknown.extend([0xdb, 0x05, 0x08, 0x01, 0x12, 0x01, b'z', 0xe3, 0x05, 0xe4, 0x05, 0xdc, 0x05]);
        let node = msg(&[unknown.clone(), bytes(4, b"Relu")]);
        let b = msg(&[int(1, 8), unknown.clone(), bytes(7, &msg(&[unknown, bytes(1, &node)]))]);
        let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert_eq!(m.nodes[0].op_type, "Relu");
        // An unclosed group or a stray end tag is an error, not a hang.
        for bad in [vec![0x08, 0x08, 0xdb, 0x05, 0x08, 0x01], vec![0x08, 0x08, 0xdc, 0x05]] {
            let m = parse(&mut Cursor::new(&bad), bad.len() as u64).unwrap();
            assert_eq!(m.errors.len(), 1, "{bad:?}");
        }
    }

    #[test]
    fn truncated_and_junk_inputs_do_not_panic() {
        let b = model();
        for cut in 0..b.len() {
            let _ = parse(&mut Cursor::new(&b[..cut]), cut as u64);
        }
        assert!(parse(&mut Cursor::new(b"\xff\xff\xff"), 3).is_err());
        assert!(parse(&mut Cursor::new(b""), 0).unwrap().ir_version.is_none());
        let mut bad = b.clone();
        bad[3] ^= 0xff;
        let _ = parse(&mut Cursor::new(&bad), bad.len() as u64);
    }

    /// The real models among the fixtures, cut at every length and with bytes
    /// flipped at every position: parsing never panics or hangs.
    #[test]
    fn damaged_real_models_do_not_panic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/benign/onnx");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let b = std::fs::read(e.path()).unwrap();
            if b.len() > 4096 {
                continue;
            }
            let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
            assert!(m.errors.is_empty(), "{:?}: {:?}", e.path(), m.errors);
            for cut in 0..b.len() {
                let _ = parse(&mut Cursor::new(&b[..cut]), cut as u64);
            }
            for i in 0..b.len() {
                for x in [0x80u8, 0xff, 0x07] {
                    let mut d = b.clone();
                    d[i] ^= x;
                    let _ = parse(&mut Cursor::new(&d), d.len() as u64);
                }
            }
            n += 1;
        }
        assert!(n >= 10, "{n}");
    }

    #[test]
    fn deep_subgraphs_are_bounded() {
        let mut g = msg(&[bytes(2, b"leaf")]);
        for _ in 0..(MAX_GRAPH_DEPTH + 5) {
            let attr = msg(&[bytes(1, b"body"), bytes(6, &g)]);
            let node = msg(&[bytes(4, b"Loop"), bytes(5, &attr)]);
            g = msg(&[bytes(1, &node)]);
        }
        let b = msg(&[int(1, 8), bytes(7, &g)]);
        let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
        assert!(m.depth_limit_hit);
    }

    #[test]
    fn oversized_length_is_an_error_not_an_allocation() {
        let mut b = int(1, 8);
        b.extend_from_slice(&[0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        let m = parse(&mut Cursor::new(&b), b.len() as u64).unwrap();
        assert_eq!(m.errors.len(), 1);
    }
}
