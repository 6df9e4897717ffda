//! JSON files: Hugging Face configs (config.json auto_map, tokenizer_config.json chat templates, model_index.json), Keras config.json, chat_template.json

use std::collections::BTreeMap;
use std::io::{Read, SeekFrom};

use modelvet_formats::container::ReadSeek;
use serde_json::Value;

use super::{Ctx, Hint};
use crate::finding::Finding;
use crate::rules::hf as rh;

/// Largest JSON file parsed; bigger ones are left to the other scanners.
const MAX_JSON: u64 = 64 << 20;
/// Largest chat template file (`.jinja`) read.
const MAX_TEMPLATE: u64 = 8 << 20;

/// Libraries whose classes a diffusers `model_index.json` normally names.
const DIFFUSERS_LIBRARIES: &[&str] = &["diffusers", "transformers", "onnxruntime", "onnxruntime.training", "flax"];

/// Whether the bytes start like JSON: optional BOM and whitespace, then `{` or `[`.
fn looks_like_json(head: &[u8]) -> bool {
    let h = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    matches!(h.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

fn find_offset(bytes: &[u8], needle: &str) -> Option<u64> {
    bytes.windows(needle.len()).position(|w| w == needle.as_bytes()).map(|p| p as u64)
}

/// Whether a JSON object is a diffusers pipeline index, whose `[library, Class]`
/// pairs name the components to import. diffusers reads them from the file
/// named `model_index.json` only; a component's `config.json` (a UNet's
/// `down_block_types`, a scheduler's settings) holds lists of names that are
/// settings. Under another name (a stream without one, a renamed copy), the
/// content decides: a `_diffusers_version` and a pipeline `_class_name`
/// (`...Pipeline`, or a `[module, Class]` pair), never a file named
/// `config.json` or `*_config.json`.
fn is_model_index(obj: &serde_json::Map<String, Value>, name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if base.eq_ignore_ascii_case("model_index.json") {
        return true;
    }
    if modelvet_formats::ends_with_ignore_ascii_case(base, "config.json") || !obj.contains_key("_diffusers_version") {
        return false;
    }
    match obj.get("_class_name") {
        Some(Value::String(c)) => c.ends_with("Pipeline"),
        Some(Value::Array(pair)) => pair.len() == 2,
        _ => false,
    }
}

/// A diffusers pipeline module: one of the libraries, or a module inside
/// `diffusers.pipelines` (`stable_diffusion`), which the loader looks up there.
fn is_library_module(m: &str) -> bool {
    DIFFUSERS_LIBRARIES.contains(&m)
        || m.starts_with("diffusers.")
        || m.starts_with("transformers.")
        || m.starts_with("stable_diffusion")
        || m.starts_with("pipeline_")
}

impl Ctx<'_> {
    /// Scans the stream if it is JSON files: Hugging Face configs (config.json auto_map, tokenizer_config.json chat templates, model_index.json), Keras config.json, chat_template.json; `None` lets the caller try other formats.
    pub(super) fn try_json(
        &mut self,
        head: &[u8],
        src: &mut dyn ReadSeek,
        len: u64,
        _depth: u32,
        hint: Hint<'_>,
    ) -> Option<&'static str> {
        let name = hint.name.unwrap_or("");
        if name.ends_with(".jinja") && !head.contains(&0) && len <= MAX_TEMPLATE {
            let bytes = read_all(src, len)?;
            let text = String::from_utf8_lossy(&bytes);
            let short = name.rsplit(['/', '\\']).next().unwrap_or(name);
            self.check_chat_template(short, &text, Some(0));
            return Some("chat-template");
        }
        if !looks_like_json(head) || len > MAX_JSON {
            return None;
        }
        let bytes = read_all(src, len)?;
        let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        let parsed = serde_json::from_slice(body)
            .or_else(|e| without_python_constants(body).ok_or(e).and_then(|b| serde_json::from_slice(&b)));
        let value: Value = match parsed {
            Ok(v) => v,
            Err(e) => {
                if !name.ends_with(".json") {
                    return None;
                }
                let f = Finding::new(
                    &rh::malformed_json::RULE,
                    format!("line {}, column {}: malformed JSON: {e}", e.line(), e.column()),
                    self.loc(None),
                );
                self.finding(f);
                return Some("json");
            }
        };
        Some(self.check_json(&value, &bytes, name))
    }

    /// Applies the Hugging Face and Keras checks to a parsed JSON document; returns the format's name.
    fn check_json(&mut self, value: &Value, bytes: &[u8], name: &str) -> &'static str {
        let Some(obj) = value.as_object() else { return "json" };
        let mut format = "json";
        if let Some(map) = obj.get("auto_map").and_then(Value::as_object) {
            format = "hf-config";
            self.check_auto_map(map, find_offset(bytes, "\"auto_map\""));
        }
        if let Some(t) = obj.get("chat_template") {
            format = "hf-config";
            let off = find_offset(bytes, "\"chat_template\"");
            match t {
                Value::String(s) => self.check_chat_template("chat_template", s, off),
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let tname =
                            item.get("name").and_then(Value::as_str).map_or_else(|| i.to_string(), str::to_string);
                        if let Some(s) = item.get("template").and_then(Value::as_str) {
                            self.check_chat_template(&format!("chat_template[{tname}]"), s, off);
                        }
                    }
                }
                Value::Object(named) => {
                    for (k, v) in named {
                        if let Some(s) = v.as_str() {
                            self.check_chat_template(&format!("chat_template[{k}]"), s, off);
                        }
                    }
                }
                _ => {}
            }
        }
        if is_model_index(obj, name) {
            self.check_model_index(obj, bytes);
            format = "hf-config";
        } else if obj.contains_key("_diffusers_version") {
            // A component's own config (UNet, VAE, scheduler): its lists are settings, not components.
            format = "hf-config";
        }
        let keras_keys = ["module", "keras_version", "registered_name", "backend"];
        if obj.get("class_name").is_some_and(Value::is_string)
            && obj.contains_key("config")
            && keras_keys.iter().any(|k| obj.contains_key(*k))
        {
            self.check_keras_config(value, None);
            format = "keras-config";
        }
        format
    }

    /// `auto_map`: `"AutoModel": "modeling_x.Model"` or `["tokenization_x.Tok", null]`,
    /// possibly `"org/repo--module.Class"`.
    fn check_auto_map(&mut self, map: &serde_json::Map<String, Value>, offset: Option<u64>) {
        // module -> the Auto classes that import it
        let mut local: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut remote: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (auto, v) in map.iter().take(1000) {
            let refs: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for r in refs {
                if let Some((repo, rest)) = r.split_once("--") {
                    remote.entry(format!("{repo}: {rest}")).or_default().push(auto.clone());
                } else {
                    let module = r.rsplit_once('.').map_or(r, |(m, _)| m);
                    local.entry(module.to_string()).or_default().push(auto.clone());
                }
            }
        }
        for (target, autos) in remote {
            let f = Finding::new(
                &rh::cross_repository_code::RULE,
                format!(
                    "auto_map {} loads code from another repository ({target}); trust_remote_code imports it",
                    autos.join(", ")
                ),
                self.loc(offset),
            );
            self.finding(f);
        }
        for (module, autos) in local {
            let file = module.replace('.', "/");
            let f = Finding::new(
                &rh::remote_code_reference::RULE,
                format!(
                    "remote code: auto_map {} -> loading with trust_remote_code imports {file}.py (the Python rules judge that file)",
                    autos.join(", ")
                ),
                self.loc(offset),
            );
            self.finding(f);
        }
    }

    /// diffusers `model_index.json`: components given as `[library, Class]`.
    fn check_model_index(&mut self, obj: &serde_json::Map<String, Value>, bytes: &[u8]) {
        for (key, v) in obj.iter().take(1000) {
            let Some([lib, class]) = v.as_array().map(Vec::as_slice) else { continue };
            let (Some(lib), Some(class)) = (lib.as_str(), class.as_str()) else { continue };
            if is_library_module(lib) {
                continue;
            }
            let f = Finding::new(
                &rh::custom_pipeline_component::RULE,
                format!(
                    "pipeline component {key:?} is {class} from module {lib:?}, outside diffusers/transformers: custom code"
                ),
                self.loc(find_offset(bytes, &format!("\"{key}\""))),
            );
            self.finding(f);
        }
    }
}

/// Python's `json` writes (and reads) `NaN`, `Infinity` and `-Infinity`, which
/// are not JSON: diffusers' `DPMSolverMultistepScheduler` saves
/// `"lambda_min_clipped": -Infinity`. The bytes with those constants (outside
/// strings) replaced by `null`, or `None` when there are none.
fn without_python_constants(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let rest = &body[i..];
        if let Some(token) = [&b"-Infinity"[..], b"Infinity", b"NaN"].into_iter().find(|t| rest.starts_with(t)) {
            out.extend_from_slice(b"null");
            i += token.len();
            changed = true;
            continue;
        }
        in_string = b == b'"';
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

fn read_all(src: &mut dyn ReadSeek, len: u64) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
    src.seek(SeekFrom::Start(0)).ok()?;
    Read::take(&mut *src, len).read_to_end(&mut buf).ok()?;
    Some(buf)
}
