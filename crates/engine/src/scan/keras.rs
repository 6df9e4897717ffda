//! Keras models: HDF5 files (.h5) with a `model_config` attribute, and the
//! layer-tree analysis shared by `.keras` `config.json`, HDF5 and SavedModel
//! `keras_metadata.pb`.

use std::collections::BTreeSet;

use modelvet_formats::container::ReadSeek;
use modelvet_formats::keras as fk;
use serde_json::Value;

use super::{Ctx, Hint};
use crate::finding::{Finding, Severity};
use crate::knowledge::Class;
use crate::rules::keras as rk;

/// Namespaces whose classes and functions Keras models normally name.
const KERAS_NAMESPACES: &[&str] = &["keras", "tensorflow", "tf_keras", "keras_hub", "keras_nlp", "keras_cv", "tf"];
/// Deepest configuration nesting walked.
const MAX_CONFIG_DEPTH: u32 = 200;
/// Most JSON values visited per configuration.
const MAX_CONFIG_VALUES: usize = 2_000_000;
/// Layers whose settings name vocabulary files.
const VOCAB_KEYS: &[&str] = &["vocabulary", "vocabulary_file", "vocab_file", "vocabulary_path", "idf_weights"];

fn in_keras_namespace(module: &str) -> bool {
    let first = module.split(['.', '>']).next().unwrap_or(module);
    KERAS_NAMESPACES.contains(&first)
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() > n { s.chars().take(n).collect::<String>() + "…" } else { s.to_string() }
}

fn looks_like_path_or_url(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && (s.contains("://")
            || s.starts_with('/')
            || s.starts_with('~')
            || s.starts_with("..")
            || s.starts_with("./")
            || s.contains('\\')
            || s.contains('/')
            || s.as_bytes().get(1) == Some(&b':')
            || [".txt", ".csv", ".vocab", ".json", ".tsv"].iter().any(|e| s.ends_with(e)))
}

/// Whether an entry outside the Keras namespaces is a custom object of the
/// user's own code, as Keras writes one: a `registered_name` that matches the
/// class (`"Package>MyLayer"` or `"MyLayer"` for `MyLayer`; for a registered
/// function, the function's name), from a module that is not the Python
/// standard library (`__main__` is the user's script); or a registered
/// function, named `Package>name`.
fn is_users_own(module: &str, class_name: &str, callee: Option<&str>, registered: Option<&str>) -> bool {
    // A registered function: Keras 3 writes `{"module": "builtins", "class_name": "function",
    // "config": "MyPackage>my_act"}`; a name with `>` is looked up in the registry only (no
    // module has an attribute of that name).
    if let Some(name) = callee
        && let Some((pkg, n)) = name.split_once('>')
    {
        return !pkg.is_empty() && !n.is_empty();
    }
    let Some(reg) = registered else { return false };
    let own_module = module == "__main__" || !modelvet_formats::python::is_stdlib_module(module);
    let wanted = callee.unwrap_or(class_name);
    let reg_name = reg.rsplit_once('>').map_or(reg, |(_, n)| n);
    let matches = if callee.is_some() {
        // A function: `registered_name` is "function", the name is in `config`.
        reg == "function" || reg_name == wanted
    } else {
        reg_name == wanted
    };
    own_module && matches && !wanted.contains('.') && !module.is_empty()
}

/// What a `Lambda`'s `function` (or `output_shape`) field holds.
struct FnInfo {
    /// `<lambda>`, `module.name`, ...
    label: String,
    /// Names, constants and function names found.
    strings: Vec<String>,
    evidence: String,
}

fn describe_code(b64: &str) -> Option<FnInfo> {
    let data = fk::decode_b64(b64)?;
    let s = fk::summarize_code(&data);
    let label = s.functions.first().cloned().unwrap_or_else(|| "<code>".into());
    let q = |v: &[String]| v.iter().take(40).map(|x| format!("{:?}", short(x, 80))).collect::<Vec<_>>().join(", ");
    let evidence = if s.parsed {
        format!(
            "marshalled code: functions [{}]; names [{}]; constants [{}]",
            q(&s.functions),
            q(&s.names),
            q(&s.constants)
        )
    } else {
        format!("undecodable code ({} bytes); printable strings [{}]", data.len(), q(&s.constants))
    };
    let strings = s.functions.into_iter().chain(s.names).chain(s.constants).collect();
    Some(FnInfo { label, strings, evidence })
}

fn describe_function(v: &Value, outer_module: Option<&str>) -> Option<FnInfo> {
    match v {
        Value::String(s) => {
            if let Some(info) = describe_code(s).filter(|_| s.len() > 16) {
                return Some(info);
            }
            let m = outer_module.unwrap_or("?");
            Some(FnInfo { label: format!("{m}.{s}"), strings: vec![s.clone(), m.to_string()], evidence: String::new() })
        }
        Value::Array(a) => a.first().and_then(Value::as_str).and_then(describe_code),
        Value::Object(o) => {
            let cn = o.get("class_name").and_then(Value::as_str).unwrap_or("");
            let cfg = o.get("config");
            if cn == "__lambda__" {
                let code = cfg.and_then(|c| c.get("code")).and_then(Value::as_str)?;
                return describe_code(code);
            }
            if cn == "function" || o.get("registered_name").and_then(Value::as_str) == Some("function") {
                let name = cfg.and_then(Value::as_str).unwrap_or("?");
                let m = o.get("module").and_then(Value::as_str).or(outer_module).unwrap_or("?");
                return Some(FnInfo {
                    label: format!("{m}.{name}"),
                    strings: vec![name.to_string(), m.to_string()],
                    evidence: String::new(),
                });
            }
            None
        }
        _ => None,
    }
}

struct Walk {
    seen: BTreeSet<String>,
    values: usize,
    too_deep: bool,
}

impl Ctx<'_> {
    /// Scans the stream if it is a Keras/TensorFlow HDF5 file; `None` lets the caller try other formats.
    pub(super) fn try_keras_h5(
        &mut self,
        head: &[u8],
        src: &mut dyn ReadSeek,
        len: u64,
        _depth: u32,
        _hint: Hint<'_>,
    ) -> Option<&'static str> {
        fk::h5_signature_offset(head)?;
        let root = match fk::read_h5_root(src, len) {
            Ok(r) => r,
            Err(why) => {
                let f = Finding::new(
                    &rk::malformed_keras::RULE,
                    format!("unreadable HDF5 file: {why}; its Keras configuration (if any) was not checked"),
                    self.loc(Some(0)),
                );
                self.finding(f);
                return Some("hdf5");
            }
        };
        let mut format = "hdf5";
        for key in ["model_config", "training_config"] {
            let Some(text) = root.attr(key) else { continue };
            format = "keras-h5";
            match serde_json::from_str::<Value>(text) {
                Ok(v) => {
                    self.members.push(format!("<attribute {key}>"));
                    self.check_keras_config(&v, None);
                    self.members.pop();
                }
                Err(e) => {
                    let f = Finding::new(
                        &rk::malformed_keras::RULE,
                        format!(
                            "HDF5 attribute {key} is not valid JSON ({e}); Keras would fail or read it differently"
                        ),
                        self.loc(None),
                    )
                    .evidence(short(text, 200));
                    self.finding(f);
                }
            }
        }
        Some(format)
    }

    /// Checks a Keras model configuration (from `.keras` `config.json`, an HDF5
    /// `model_config` attribute or SavedModel `keras_metadata.pb`).
    pub(super) fn check_keras_config(&mut self, config: &Value, offset: Option<u64>) {
        let mut w = Walk { seen: BTreeSet::new(), values: 0, too_deep: false };
        self.keras_walk(config, "", offset, 0, &mut w);
        if w.too_deep || w.values > MAX_CONFIG_VALUES {
            let why = if w.too_deep {
                format!("nested deeper than {MAX_CONFIG_DEPTH} levels")
            } else {
                format!("more than {MAX_CONFIG_VALUES} values")
            };
            let f = Finding::new(
                &rk::malformed_keras::RULE,
                format!("Keras configuration {why}; the rest was not checked"),
                self.loc(offset),
            );
            self.finding(f);
        }
    }

    fn keras_once(&mut self, w: &mut Walk, key: String, f: Finding) {
        if w.seen.len() < 10_000 && w.seen.insert(key) {
            self.finding(f);
        }
    }

    fn keras_walk(&mut self, v: &Value, path: &str, offset: Option<u64>, depth: u32, w: &mut Walk) {
        w.values += 1;
        if w.values > MAX_CONFIG_VALUES {
            return;
        }
        if depth > MAX_CONFIG_DEPTH {
            w.too_deep = true;
            return;
        }
        match v {
            Value::Array(items) => {
                for item in items {
                    self.keras_walk(item, path, offset, depth + 1, w);
                }
            }
            Value::Object(o) => {
                let mut path = path.to_string();
                if let Some(cn) = o.get("class_name").and_then(Value::as_str) {
                    let name = o
                        .get("config")
                        .and_then(|c| c.get("name"))
                        .or_else(|| o.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or(cn);
                    // Functions and serialised values belong to the layer around them.
                    if cn != "function" && !cn.starts_with("__") {
                        path = if path.is_empty() { name.to_string() } else { format!("{path}/{name}") };
                    }
                    self.keras_object(o, cn, &path, offset, w);
                }
                for (k, val) in o {
                    if k == "safe_mode" && val == &Value::Bool(false) {
                        let f = Finding::new(
                            &rk::unsafe_deserialization::RULE,
                            format!(
                                "`{path}` sets safe_mode to false: later code objects load without Keras' protection"
                            ),
                            self.loc(offset),
                        );
                        self.keras_once(w, format!("safe_mode:{path}"), f);
                    }
                    self.keras_walk(val, &path, offset, depth + 1, w);
                }
            }
            _ => {}
        }
    }

    fn keras_object(
        &mut self,
        o: &serde_json::Map<String, Value>,
        cn: &str,
        path: &str,
        offset: Option<u64>,
        w: &mut Walk,
    ) {
        let module = o.get("module").and_then(Value::as_str);
        let cfg = o.get("config");
        // `{"class_name": "function", "config": "get_file", "module": "keras.utils"}`
        let callee = if cn == "function" { cfg.and_then(Value::as_str) } else { None };
        let target = callee.unwrap_or(cn);
        let registered = o.get("registered_name").and_then(Value::as_str);
        if let Some(m) = module {
            // The team's own layers, allowed by name in the policy, pass.
            let class = self.globals.classify(m, target);
            let allowed = class == Class::Safe && self.globals.allows(m, target);
            if !in_keras_namespace(m) && !allowed {
                match class {
                    Class::Dangerous(cat) => {
                        let f = Finding::new(
                            &rk::foreign_module::RULE,
                            format!(
                                "`{path}` names {m}.{target} ({}), outside Keras and TensorFlow: loading imports the module and calls it",
                                cat.describe()
                            ),
                            self.loc(offset),
                        )
                        .severity(Severity::Critical)
                        .evidence(short(&serde_json::to_string(o).unwrap_or_default(), 300));
                        self.keras_once(w, format!("foreign:{m}.{target}"), f);
                    }
                    Class::Safe | Class::Unknown if is_users_own(m, cn, callee, registered) => {
                        // A registered function is named by its config (`MyPackage>my_act`); the
                        // module Keras writes beside it (`builtins`) says nothing.
                        match callee {
                            Some(f) if f.contains('>') => self.keras_registered(w, path, f, None, offset),
                            _ => self.keras_registered(w, path, registered.unwrap_or(target), Some(m), offset),
                        }
                    }
                    _ => {
                        let f = Finding::new(
                            &rk::foreign_module::RULE,
                            format!(
                                "`{path}` names {m}.{target}, outside Keras and TensorFlow: loading imports the module and calls it"
                            ),
                            self.loc(offset),
                        )
                        .evidence(short(&serde_json::to_string(o).unwrap_or_default(), 300));
                        self.keras_once(w, format!("foreign:{m}.{target}"), f);
                    }
                }
            }
        } else if let Some((m, n)) = cn.rsplit_once('.') {
            // tf.keras 2 never writes dotted class names; a dotted one is resolved as a path.
            if let Class::Dangerous(cat) = self.globals.classify(m, n) {
                let f = Finding::new(
                    &rk::foreign_module::RULE,
                    format!("`{path}` has class_name {cn}, which {}", cat.describe()),
                    self.loc(offset),
                )
                .severity(Severity::Critical);
                self.keras_once(w, format!("foreign:{cn}"), f);
            }
        } else if let Some((pkg, _)) = cn.split_once('>')
            && !in_keras_namespace(pkg)
        {
            // tf.keras 2 writes a registered class as `"class_name": "Package>Class"` and only
            // looks it up in the registry and `custom_objects`.
            self.keras_registered(w, path, cn, None, offset);
        }
        if let Some(reg) = registered
            && o.get("module") == Some(&Value::Null)
            && !reg.contains('>')
        {
            // Keras 3 writes an unregistered custom class with `"module": null` and its bare
            // name: it loads only from `custom_objects`.
            self.keras_registered(w, path, reg, None, offset);
        }
        if let Some(reg) = registered
            && let Some((pkg, _)) = reg.split_once('>')
            && !in_keras_namespace(pkg)
            && module.is_none_or(in_keras_namespace)
        {
            // Keras looks the name up in the registry filled by the user's code, then falls
            // back to the Keras module: nothing outside Keras is imported.
            self.keras_registered(w, path, reg, module, offset);
        }
        if let Some(name) = callee {
            self.keras_callee(name, module.unwrap_or("?"), path, None, offset, w);
        }
        let base = cn.rsplit(['>', '.']).next().unwrap_or(cn);
        let cfg_obj = cfg.and_then(Value::as_object);
        match base {
            "Lambda" => self.keras_lambda(cfg_obj, path, offset, w),
            "TFSMLayer" => {
                let fp = cfg_obj.and_then(|c| c.get("filepath")).and_then(Value::as_str).unwrap_or("?");
                let f = Finding::new(
                    &rk::external_savedmodel::RULE,
                    format!(
                        "`{path}` is a TFSMLayer that loads the SavedModel at {fp:?}: its graph is not in this file"
                    ),
                    self.loc(offset),
                );
                self.keras_once(w, format!("tfsm:{path}"), f);
            }
            _ => {}
        }
        if let Some(c) = cfg_obj {
            for key in VOCAB_KEYS {
                if let Some(s) = c.get(*key).and_then(Value::as_str)
                    && looks_like_path_or_url(s)
                {
                    let f = Finding::new(
                        &rk::lookup_vocabulary_path::RULE,
                        format!("`{path}` ({cn}) reads its {key} from {:?} when the model is built", short(s, 200)),
                        self.loc(offset),
                    );
                    self.keras_once(w, format!("vocab:{path}:{key}"), f);
                }
            }
        }
    }

    /// A custom object registered by the user's code: a note of what the model needs.
    fn keras_registered(&mut self, w: &mut Walk, path: &str, reg: &str, module: Option<&str>, offset: Option<u64>) {
        let from = module.map(|m| format!(" (module {m})")).unwrap_or_default();
        let f = Finding::new(
            &rk::registered_custom_object::RULE,
            format!(
                "`{path}` needs the user's code {reg}{from} to load: Keras finds it in its registry or in custom_objects, and the file cannot carry it"
            ),
            self.loc(offset),
        );
        self.keras_once(w, format!("registered:{reg}"), f);
    }

    /// A function a configuration calls: downloads and safe-mode switches are flagged.
    fn keras_callee(
        &mut self,
        name: &str,
        module: &str,
        path: &str,
        args: Option<&Value>,
        offset: Option<u64>,
        w: &mut Walk,
    ) {
        let last = name.rsplit('.').next().unwrap_or(name);
        if last == "get_file" {
            let arg = |k: &str| args.and_then(|a| a.get(k)).and_then(Value::as_str).map(|s| short(s, 200));
            let origin = arg("origin").map(|o| format!(" from {o:?}")).unwrap_or_default();
            let fname = arg("fname").map(|o| format!(" to {o:?}")).unwrap_or_default();
            let f = Finding::new(
                &rk::remote_download::RULE,
                format!("`{path}` calls {module}.get_file{origin}{fname}: loading the model downloads a file"),
                self.loc(offset),
            )
            .evidence(args.map(|a| short(&a.to_string(), 300)).unwrap_or_default());
            self.keras_once(w, format!("get_file:{path}"), f);
        }
        if last == "enable_unsafe_deserialization" {
            let f = Finding::new(
                &rk::unsafe_deserialization::RULE,
                format!("`{path}` calls {module}.enable_unsafe_deserialization: later layers' bytecode loads and runs"),
                self.loc(offset),
            );
            self.keras_once(w, format!("unsafe:{path}"), f);
        }
    }

    fn keras_lambda(
        &mut self,
        cfg: Option<&serde_json::Map<String, Value>>,
        path: &str,
        offset: Option<u64>,
        w: &mut Walk,
    ) {
        let outer_module = cfg.and_then(|c| c.get("module")).and_then(Value::as_str);
        let args = cfg.and_then(|c| c.get("arguments"));
        let mut infos = Vec::new();
        for key in ["function", "output_shape", "mask"] {
            if let Some(v) = cfg.and_then(|c| c.get(key))
                && (key == "function" || !v.is_null())
                && let Some(info) = describe_function(v, outer_module)
            {
                // output_shape given as a plain tuple is not code.
                if key != "function" && info.evidence.is_empty() {
                    continue;
                }
                infos.push((key, info));
            }
        }
        let (label, mut strings, mut evidence) = match infos.first() {
            Some((_, i)) => (i.label.clone(), Vec::new(), Vec::new()),
            None => ("<unknown function>".to_string(), Vec::new(), Vec::new()),
        };
        for (key, i) in &infos {
            strings.extend(i.strings.iter().cloned());
            if !i.evidence.is_empty() {
                evidence.push(format!("{key}: {}", i.evidence));
            }
        }
        let dangerous = crate::rules::pickle::code_by_value::dangerous_names(&strings);
        let refers = if dangerous.is_empty() {
            String::new()
        } else {
            format!(" referring to {}", dangerous.iter().take(12).copied().collect::<Vec<_>>().join(", "))
        };
        let mut f = Finding::new(
            &rk::lambda_layer::RULE,
            format!("Lambda layer `{path}` runs Python function {label}{refers} when the model is called"),
            self.loc(offset),
        );
        if let Some(a) = args {
            evidence.push(format!("arguments: {}", short(&a.to_string(), 300)));
        }
        if !evidence.is_empty() {
            f = f.evidence(evidence.join("; "));
        }
        self.keras_once(w, format!("lambda:{path}"), f);
        for s in &strings {
            let last = s.rsplit('.').next().unwrap_or(s);
            if last == "get_file" || last == "enable_unsafe_deserialization" {
                let m = if label.contains('.') {
                    label.rsplit_once('.').map_or("keras", |(m, _)| m)
                } else {
                    "keras.utils"
                };
                self.keras_callee(last, m, path, args, offset, w);
            }
        }
    }
}
