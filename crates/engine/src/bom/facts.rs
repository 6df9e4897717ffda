//! Facts about a model read from its small metadata files: `config.json`,
//! `adapter_config.json`, diffusers' `model_index.json`, a GGUF header. Each
//! read is bounded; a file that is missing, too large or malformed gives no
//! facts and a note, never an error.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use modelvet_formats::{Limits, gguf};
use serde_json::Value;

/// Largest metadata file read for facts (configs and cards are kilobytes).
pub const MAX_METADATA_BYTES: u64 = 4 << 20;

/// What the metadata files say about a model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// `config.json` `architectures[0]`, diffusers `_class_name`, or a GGUF `general.architecture`.
    pub architecture: Option<String>,
    /// `config.json` `model_type` (`llama`, `bert`).
    pub family: Option<String>,
    /// `config.json` `_name_or_path`, as written.
    pub name_or_path: Option<String>,
    /// `config.json` has an `auto_map`: loading runs the repository's own Python.
    pub remote_code: bool,
    /// `adapter_config.json` `base_model_name_or_path`.
    pub adapter_base: Option<String>,
    /// `adapter_config.json` `peft_type` (`LORA`).
    pub peft_type: Option<String>,
    /// `adapter_config.json` `task_type` (`CAUSAL_LM`).
    pub peft_task: Option<String>,
    /// Why a metadata file gave nothing.
    pub notes: Vec<String>,
}

/// Reads a whole small file, or says why not.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
    if buf.len() as u64 > max {
        return Err(format!("{}: larger than {max} bytes; not read for the BOM", path.display()));
    }
    Ok(buf)
}

/// Reads at most `max` bytes from the start of a file.
pub fn read_prefix(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = Vec::new();
    f.take(max).read_to_end(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(buf)
}

fn read_json(path: &Path, notes: &mut Vec<String>) -> Option<serde_json::Map<String, Value>> {
    if !path.is_file() {
        return None;
    }
    let bytes = read_bounded(path, MAX_METADATA_BYTES).map_err(|e| notes.push(e)).ok()?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Some(m),
        Ok(_) => {
            notes.push(format!("{}: not a JSON object", path.display()));
            None
        }
        Err(e) => {
            notes.push(format!("{}: not JSON ({e})", path.display()));
            None
        }
    }
}

/// A non-empty string value, trimmed, at most 256 characters.
fn text(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?.trim();
    (!s.is_empty() && s.chars().count() <= 256).then(|| s.to_string())
}

impl Facts {
    /// Facts from a model folder's `config.json`, `adapter_config.json` and `model_index.json`.
    pub fn of_folder(dir: &Path) -> Facts {
        let mut f = Facts::default();
        if let Some(c) = read_json(&dir.join("config.json"), &mut f.notes) {
            f.architecture = c.get("architectures").and_then(|a| a.as_array()).and_then(|a| text(a.first()));
            f.family = text(c.get("model_type"));
            f.name_or_path = text(c.get("_name_or_path"));
            f.remote_code = c.get("auto_map").is_some_and(|m| m.as_object().is_some_and(|m| !m.is_empty()));
        }
        if let Some(c) = read_json(&dir.join("adapter_config.json"), &mut f.notes) {
            f.adapter_base = text(c.get("base_model_name_or_path"));
            f.peft_type = text(c.get("peft_type"));
            f.peft_task = text(c.get("task_type"));
        }
        if f.architecture.is_none()
            && let Some(c) = read_json(&dir.join("model_index.json"), &mut f.notes)
        {
            f.architecture = text(c.get("_class_name"));
        }
        f
    }

    /// Facts from a loose model file: a GGUF header's `general.architecture`.
    pub fn of_file(path: &Path, format: &str, limits: &Limits) -> Facts {
        let mut f = Facts::default();
        if format == "gguf" {
            match File::open(path).and_then(|file| Ok((file.metadata()?.len(), file))) {
                Ok((len, file)) => {
                    let mut src = std::io::BufReader::new(file);
                    let h = gguf::parse(&mut src, len, limits);
                    f.family = h.architecture.filter(|a| !a.is_empty() && a.len() <= 256);
                }
                Err(e) => f.notes.push(format!("{}: {e}", path.display())),
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_config_adapter_and_pipeline_facts() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("config.json"),
            r#"{"architectures":["LlamaForCausalLM"],"model_type":"llama","_name_or_path":"meta-llama/Llama-3.2-1B","auto_map":{"AutoModel":"m.M"}}"#,
        )
        .unwrap();
        std::fs::write(
            d.path().join("adapter_config.json"),
            r#"{"base_model_name_or_path":"org/base","peft_type":"LORA","task_type":"CAUSAL_LM"}"#,
        )
        .unwrap();
        let f = Facts::of_folder(d.path());
        assert_eq!(f.architecture.as_deref(), Some("LlamaForCausalLM"));
        assert_eq!(f.family.as_deref(), Some("llama"));
        assert_eq!(f.name_or_path.as_deref(), Some("meta-llama/Llama-3.2-1B"));
        assert!(f.remote_code);
        assert_eq!(f.adapter_base.as_deref(), Some("org/base"));
        assert_eq!(f.peft_type.as_deref(), Some("LORA"));
        assert!(f.notes.is_empty(), "{:?}", f.notes);
    }

    #[test]
    fn malformed_or_huge_metadata_is_a_note() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("config.json"), b"[1,2").unwrap();
        std::fs::write(d.path().join("model_index.json"), vec![b' '; (MAX_METADATA_BYTES + 1) as usize]).unwrap();
        let f = Facts::of_folder(d.path());
        assert_eq!(f.architecture, None);
        assert_eq!(f.notes.len(), 2, "{:?}", f.notes);
        assert!(f.notes[1].contains("larger than"), "{:?}", f.notes);
    }
}
