//! ONNX files: recognised by content, parsed by `modelvet_formats::onnx`, judged by `rules::onnx`.
//!
//! Protobuf has no magic number, so a stream only counts as ONNX if it starts
//! like an exported `ModelProto` (`ir_version` first) and parses with a graph,
//! or if its name ends in `.onnx` and it parses.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Component, Path};

use modelvet_formats::container::ReadSeek;
use modelvet_formats::onnx::{self, Model, Tensor};
use modelvet_formats::pickle::Sniff;

use super::{Ctx, Hint};
use crate::finding::{Finding, Severity};
use crate::rules::onnx as ro;

/// The ONNX standard's own operator domains: their operators are implemented
/// by every runtime and take no code from the model.
const STANDARD_DOMAINS: &[&str] =
    &["", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training", "ai.onnx.preview"];
/// Operator domains that ship with ONNX, ONNX Runtime (including the layouts
/// its optimizer writes into saved models) or onnxruntime-extensions.
const KNOWN_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "ai.onnx.preview",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.microsoft.mlfeaturizers",
    "com.microsoft.dml",
    "com.ms.internal.nhwc",
    "org.pytorch.aten",
    "ai.onnx.contrib",
    "com.microsoft.extensions",
];
/// Operator types that call back into Python whatever their domain:
/// onnxruntime-extensions' `PyOp`, ONNX Runtime training's `PythonOp`
/// (torch.autograd.Function), TensorFlow's `PyFunc` family.
const PYTHON_OPS: &[&str] = &["PyOp", "PythonOp", "PythonOpGrad", "PyFunc", "PyFuncStateless", "EagerPyFunc"];
/// Most attribute strings analysed as Python per model.
const MAX_PYTHON_CHECKS: usize = 32;
/// Keys an ExternalDataInfo may have.
const EXTERNAL_KEYS: &[&str] = &["location", "offset", "length", "checksum", "basepath"];
/// Largest plausible external-data offset or length (256 TB).
const MAX_EXTERNAL: u64 = 1 << 48;
/// Most nested payloads scanned per model.
const MAX_NESTED_SCANS: usize = 32;

impl Ctx<'_> {
    /// Scans the stream if it is ONNX; `None` lets the caller try other formats.
    pub(super) fn try_onnx(
        &mut self,
        head: &[u8],
        src: &mut dyn ReadSeek,
        len: u64,
        depth: u32,
        hint: Hint<'_>,
    ) -> Option<&'static str> {
        let named = hint.name.is_some_and(|n| modelvet_formats::ends_with_ignore_ascii_case(n, ".onnx"));
        if !onnx::sniff(head) && !named {
            return self.onnx_external_file(len, depth, hint);
        }
        let model = match onnx::parse(src, len) {
            Ok(m) if m.has_graph && (m.ir_version.is_some() || named) => m,
            Ok(m) if named && m.errors.is_empty() && len > 0 => m,
            Ok(m) if named && !m.errors.is_empty() => {
                let f = Finding::new(
                    &ro::malformed_onnx::RULE,
                    format!("not a readable ONNX model: {}", m.errors[0]),
                    self.loc(Some(0)),
                );
                self.finding(f);
                return Some("onnx");
            }
            Err(e) if named => {
                let f = Finding::new(
                    &ro::malformed_onnx::RULE,
                    format!("not a readable ONNX model: {}", e.0),
                    self.loc(Some(0)),
                );
                self.finding(f);
                return Some("onnx");
            }
            _ => return self.onnx_external_file(len, depth, hint),
        };
        self.onnx_findings(&model, depth, hint);
        Some("onnx")
    }

    /// A file on disk that an ONNX model in the same folder names as its
    /// external data: checked against the byte ranges the model reads from it
    /// (a file that is too short is not what the model was saved with, e.g. a
    /// dereferenced symbolic link to a system file).
    fn onnx_external_file(&mut self, len: u64, depth: u32, hint: Hint<'_>) -> Option<&'static str> {
        const MAX_SIBLINGS: usize = 8;
        if depth != 0 || !self.members.is_empty() {
            return None;
        }
        let path = Path::new(hint.name?);
        let name = path.file_name()?.to_str()?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let rd = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }).ok()?;
        let mut models: Vec<_> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("onnx")) && p.is_file())
            .collect();
        models.sort();
        let mut referenced = false;
        for m in models.into_iter().take(MAX_SIBLINGS) {
            let Ok(f) = std::fs::File::open(&m) else { continue };
            let mlen = f.metadata().map(|x| x.len()).unwrap_or(0);
            let mut r = std::io::BufReader::new(f);
            let Ok(model) = onnx::parse(&mut r, mlen) else { continue };
            for t in &model.tensors {
                let get = |k: &str| t.external.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
                if get("location").map(|l| l.trim_start_matches("./")) != Some(name) {
                    continue;
                }
                referenced = true;
                let num = |k: &str| get(k).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
                let need = num("offset").saturating_add(num("length"));
                if need > len {
                    let model_name = m.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let f = Finding::new(
                        &ro::external_data_range::RULE,
                        format!(
                            "{model_name} reads tensor {:?} from bytes [{}, {need}) of this file, which holds {len} bytes",
                            t.name,
                            num("offset")
                        ),
                        self.loc(None),
                    )
                    .evidence("not the external data the model was saved with (a substituted or dereferenced link?)");
                    self.finding(f);
                    return Some("onnx-external-data");
                }
            }
        }
        referenced.then_some("onnx-external-data")
    }

    fn onnx_findings(&mut self, m: &Model, depth: u32, hint: Hint<'_>) {
        for e in m.errors.iter().take(8) {
            let f = Finding::new(&ro::malformed_onnx::RULE, format!("malformed protobuf: {e}"), self.loc(None));
            self.finding(f);
        }
        if m.depth_limit_hit {
            let f = Finding::new(
                &ro::malformed_onnx::RULE,
                format!("subgraphs nested deeper than {} levels; the rest was not checked", onnx::MAX_GRAPH_DEPTH),
                self.loc(None),
            );
            self.finding(f);
        }
        self.onnx_ops(m, depth);
        // The model's folder, when scanning a real file (not an archive member or payload).
        let dir = if self.members.is_empty() && depth == 0 {
            hint.name.map(|n| Path::new(n).parent().unwrap_or(Path::new("")).to_path_buf())
        } else {
            None
        };
        let mut scans = 0;
        for t in &m.tensors {
            if !t.external.is_empty() || t.location_external {
                self.onnx_external(t, dir.as_deref());
            }
            for (i, s) in t.strings.iter().enumerate() {
                if scans >= MAX_NESTED_SCANS {
                    break;
                }
                scans += 1;
                let label = format!("string tensor {:?}[{i}]", t.name);
                if !self.scan_embedded(&label, &String::from_utf8_lossy(s), depth) && looks_binary(s) {
                    // Raw bytes (a pickle stored directly in a string tensor).
                    let n = s.len() as u64;
                    self.members.push(format!("<{label}>"));
                    self.scan(&mut Cursor::new(s.clone()), n, depth + 1, Hint::default());
                    self.members.pop();
                }
            }
        }
        for (k, v) in &m.metadata {
            if scans >= MAX_NESTED_SCANS {
                break;
            }
            if self.scan_embedded(&format!("metadata_props[{k:?}]"), v, depth) {
                scans += 1;
            }
        }
    }

    fn onnx_ops(&mut self, m: &Model, depth: u32) {
        let local: Vec<&str> = m.functions.iter().map(|(d, _)| d.as_str()).collect();
        let mut custom: BTreeMap<&str, Vec<&onnx::Node>> = BTreeMap::new();
        let (mut scans, mut checks) = (0usize, 0usize);
        for n in &m.nodes {
            let op = n.op_type.as_str();
            let d = n.domain.as_str();
            // A node outside the standard domains runs code registered by
            // whoever runs the model: an onnxruntime-extensions Python op
            // (`@onnx_op`, any name, domain ai.onnx.contrib) receives its
            // attributes as arguments.
            let python_capable = !STANDARD_DOMAINS.contains(&d);
            let named_python = PYTHON_OPS.contains(&op) || (d == "ai.onnx.contrib" && op.starts_with("Py"));
            let mut evidence = Vec::new();
            for a in &n.attrs {
                let label = format!("node {:?} attribute {:?}", n.name, a.name);
                let strong_pickle = modelvet_formats::pickle::sniff(&a.value) == Some(Sniff::Strong);
                if python_capable && strong_pickle {
                    evidence.push(format!(
                        "attribute {:?} holds a pickled Python object ({} bytes)",
                        a.name,
                        a.value.len()
                    ));
                }
                let mut quoted = false;
                if python_capable && checks < MAX_PYTHON_CHECKS && prefilter_python(&a.value) {
                    checks += 1;
                    if let Some(ev) = python_code(&String::from_utf8_lossy(&a.value)) {
                        evidence.push(format!("attribute {:?} holds Python source: {ev}", a.name));
                        quoted = true;
                    }
                }
                if named_python && !quoted && !strong_pickle {
                    // What a Python operator is given to run, whatever it looks like.
                    evidence.push(format!("attribute {:?} = {}", a.name, quote(&a.value)));
                }
                // Tensor strings are scanned with the model's tensors.
                if a.in_tensor || scans >= MAX_NESTED_SCANS {
                    continue;
                }
                if strong_pickle
                    || looks_binary(&a.value)
                    || (python_capable && modelvet_formats::pickle::sniff(&a.value).is_some())
                {
                    scans += 1;
                    let n = a.value.len() as u64;
                    self.members.push(format!("<{label}>"));
                    self.scan(&mut Cursor::new(a.value.clone()), n, depth + 1, Hint::default());
                    self.members.pop();
                } else if let Ok(text) = std::str::from_utf8(&a.value)
                    && self.scan_embedded(&label, text, depth)
                {
                    scans += 1;
                }
            }
            if named_python || !evidence.is_empty() {
                let what = if named_python {
                    format!("node {:?} calls Python operator {op} (domain {d:?})", n.name)
                } else {
                    format!("node {:?} ({op}, custom domain {d:?}) carries Python code in its attributes", n.name)
                };
                evidence.truncate(4);
                evidence.insert(0, format!("graph {}", n.graph));
                let f = Finding::new(&ro::python_op::RULE, what, self.loc(None)).evidence(evidence.join("; "));
                self.finding(f);
                continue;
            }
            if !KNOWN_DOMAINS.contains(&d) && !local.contains(&d) {
                custom.entry(d).or_default().push(n);
            }
        }
        for (d, nodes) in custom {
            let mut ops: Vec<&str> = nodes.iter().map(|n| n.op_type.as_str()).collect();
            ops.sort_unstable();
            ops.dedup();
            let f = Finding::new(
                &ro::unknown_op_domain::RULE,
                format!(
                    "{} node(s) use custom operator domain {d:?} (ops: {}); running the model needs its custom-op library",
                    nodes.len(),
                    ops.iter().take(8).copied().collect::<Vec<_>>().join(", ")
                ),
                self.loc(None),
            )
            .evidence(format!("first node {:?} in {}", nodes[0].name, nodes[0].graph));
            self.finding(f);
        }
    }

    fn onnx_external(&mut self, t: &Tensor, dir: Option<&Path>) {
        let loc = self.loc(Some(t.offset));
        let mut location = None;
        let (mut offset, mut length) = (0u64, None);
        for (k, v) in &t.external {
            match k.as_str() {
                "location" => location = Some(v.as_str()),
                "offset" | "length" => match v.trim().parse::<u64>() {
                    Ok(x) if x <= MAX_EXTERNAL => {
                        if k == "offset" {
                            offset = x;
                        } else {
                            length = Some(x);
                        }
                    }
                    _ => {
                        let f = Finding::new(
                            &ro::external_data_injection::RULE,
                            format!("tensor {:?}: external-data {k} {v:?} is not a plausible byte count", t.name),
                            loc.clone(),
                        );
                        self.finding(f);
                    }
                },
                _ if EXTERNAL_KEYS.contains(&k.as_str()) => {}
                _ => {
                    let f = Finding::new(
                        &ro::external_data_injection::RULE,
                        format!("tensor {:?}: unexpected external-data key {k:?} = {v:?}", t.name),
                        loc.clone(),
                    )
                    .evidence("ExternalDataInfo sets every key as an attribute (CVE-2026-34445)");
                    self.finding(f);
                }
            }
        }
        let Some(location) = location else {
            let f = Finding::new(
                &ro::malformed_onnx::RULE,
                format!("tensor {:?}: external data without a location", t.name),
                loc,
            );
            self.finding(f);
            return;
        };
        if let Some(why) = unsafe_location(location) {
            let f = Finding::new(
                &ro::external_data_traversal::RULE,
                format!("tensor {:?}: external-data location {location:?} {why}", t.name),
                loc,
            );
            self.finding(f);
            return;
        }
        let Some(dir) = dir else { return };
        let path = dir.join(location);
        let Ok(meta) = std::fs::symlink_metadata(&path) else { return };
        if meta.file_type().is_symlink() {
            let to = std::fs::read_link(&path).map(|p| p.display().to_string()).unwrap_or_default();
            let f = Finding::new(
                &ro::external_data_symlink::RULE,
                format!("tensor {:?}: external-data file {location:?} is a symbolic link to {to:?}", t.name),
                loc,
            );
            self.finding(f);
            return;
        }
        if !meta.is_file() {
            let f = Finding::new(
                &ro::external_data_symlink::RULE,
                format!("tensor {:?}: external-data path {location:?} is not a regular file", t.name),
                loc,
            );
            self.finding(f);
            return;
        }
        // A folder on the way may itself be a link out of the model's folder.
        if let (Ok(base), Ok(real)) = (dir.canonicalize(), path.canonicalize())
            && !real.starts_with(&base)
        {
            let f = Finding::new(
                &ro::external_data_traversal::RULE,
                format!("tensor {:?}: external-data location {location:?} resolves to {}", t.name, real.display()),
                loc,
            );
            self.finding(f);
            return;
        }
        let size = meta.len();
        let need = offset.saturating_add(length.unwrap_or(0));
        if need > size || offset > size {
            let f = Finding::new(
                &ro::external_data_range::RULE,
                format!(
                    "tensor {:?}: external data [{offset}, {need}) lies beyond the end of {location:?} ({size} bytes)",
                    t.name
                ),
                loc,
            )
            .severity(Severity::High);
            self.finding(f);
        }
    }
}

/// Cheap test before parsing an attribute string as Python: text with a
/// keyword or name that code (and hardly any vocabulary, regex or label) has.
fn prefilter_python(b: &[u8]) -> bool {
    const WORDS: &[&str] = &[
        "def ",
        "import ",
        "lambda",
        "class ",
        "exec",
        "eval",
        "__",
        "system",
        "popen",
        "subprocess",
        "compile",
        "open(",
    ];
    b.len() >= 6 && !b.contains(&0) && std::str::from_utf8(b).is_ok_and(|t| WORDS.iter().any(|w| t.contains(w)))
}

/// If `text` is a Python program (it parses, and it defines, imports or runs
/// something dangerous), a short description of it for the evidence. A JSON
/// vocabulary parses as a Python expression too: words in it (`"lambda"`,
/// `"import"`) are not statements, and the analyser reports calls, not strings.
fn python_code(text: &str) -> Option<String> {
    let a = modelvet_formats::python::analyze(text);
    if a.syntax_error.is_some() || a.limited.is_some() {
        return None;
    }
    let statement = text.lines().map(str::trim_start).any(|l| {
        l.starts_with("def ")
            || l.starts_with("async def ")
            || l.starts_with("class ")
            || l.starts_with("import ")
            || (l.starts_with("from ") && l.contains(" import "))
    });
    if a.hits.is_empty() && !statement {
        return None;
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut ev: String = first.chars().take(100).collect();
    if first.chars().count() > 100 {
        ev.push('…');
    }
    ev = format!("{ev:?}");
    if let Some(h) = a.hits.first() {
        ev.push_str(&format!(" (line {}: {})", h.line, h.detail));
    }
    Some(ev)
}

/// The start of an attribute value, quoted, for the evidence.
fn quote(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(&b[..b.len().min(120)]);
    let more = if b.len() > 120 { format!("… ({} bytes)", b.len()) } else { String::new() };
    format!("{text:?}{more}")
}

/// True if raw bytes start like a pickle, an archive or a compressed stream.
fn looks_binary(s: &[u8]) -> bool {
    s.len() >= 8
        && (s[0] == 0x80
            || modelvet_formats::zip::sniff(s)
            || modelvet_formats::compress::sniff(s).is_some()
            || modelvet_formats::sevenz::sniff(s))
}

/// Why an external-data location is unsafe, if it is.
fn unsafe_location(loc: &str) -> Option<&'static str> {
    if loc.is_empty() {
        return Some("is empty");
    }
    if loc.contains('\0') {
        return Some("contains a NUL byte");
    }
    if loc.starts_with('/') || loc.starts_with('\\') {
        return Some("is an absolute path");
    }
    let b = loc.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Some("starts with a drive letter");
    }
    if loc.contains('\\') {
        return Some("contains a backslash");
    }
    if loc.contains("://") {
        return Some("is a URL");
    }
    if loc.split('/').any(|c| c == "..") || Path::new(loc).components().any(|c| matches!(c, Component::ParentDir)) {
        return Some("climbs out of the model's folder with ..");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::unsafe_location;

    #[test]
    fn locations() {
        for bad in ["/etc/passwd", "../x", "a/../../x", "a\\b", "C:x", "\\\\srv\\share", "", "file:///x"] {
            assert!(unsafe_location(bad).is_some(), "{bad}");
        }
        for ok in ["weights.bin", "model.onnx.data", "sub/dir/w.bin", "a..b"] {
            assert!(unsafe_location(ok).is_none(), "{ok}");
        }
    }
}
