//! The data of an AI-BOM: which models a set of scanned files makes up, and
//! what is known about each (files and their SHA-256, origin, licences, card
//! and config facts, base models, datasets). Serialising it (CycloneDX) is the
//! report crate's job; scanning and hashing are the scanner's (run it with
//! [`Options::hash`](crate::Options)), so every file is read once for both.
//!
//! ## What a model is
//! * A **model folder**: the outermost folder under a target that holds a
//!   `config.json`, an `adapter_config.json`, a diffusers `model_index.json`, or
//!   a `README.md` model card (one that opens with `---` front matter). Every
//!   file below it belongs to that model (a diffusers pipeline's `unet/` is part
//!   of the pipeline, not a model of its own).
//! * A **loose model file**: a file named as a target, or a file outside any
//!   model folder whose content is a model format (anything but JSON, text,
//!   Python, chat templates and unrecognised bytes).
//! * Files of neither kind are left out of the BOM (they are counted).
//! * In a Hugging Face cache (`models--ORG--NAME/`), each `snapshots/REV/` is a
//!   model; `blobs/` (what the snapshots link to) and `refs/` are skipped.
//!
//! ```no_run
//! use modelvet_engine::{Options, Scanner, bom};
//! let scanner = Scanner::new(Options { hash: true, follow_symlinks: true, ..Options::default() });
//! let root = std::path::PathBuf::from("my-model");
//! let reports: Vec<_> = scanner.collect(&root).unwrap().iter().map(|i| scanner.scan_item(i).unwrap()).collect();
//! let bom = bom::assemble(&[root], &reports, &bom::BomOptions::default()).unwrap();
//! for m in &bom.models {
//!     println!("{} ({} files)", m.name, m.files.len());
//! }
//! ```

mod facts;
mod licence;
mod origin;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use facts::{Facts, MAX_METADATA_BYTES, read_bounded, read_prefix};
pub use licence::{BomLicence, CardLicence, from_assessment, is_expression, licences_for, spdx_id};
pub use origin::{Origin, OriginSource};

use modelvet_formats::model_card::{self, ModelCard};

use crate::Limits;
use crate::scan::TargetReport;

/// Why a BOM could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum BomError {
    #[error("--name {0:?} is not a Hugging Face repository id (ORG/NAME or NAME, optionally @REVISION)")]
    BadName(String),
    #[error("--name names one model, but the targets hold {0} models")]
    NameNeedsOneModel(usize),
}

/// What the licence assessment says of a model, for the BOM's properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceSummary {
    /// `permissive`, `non-commercial`, `llama`, … or `missing`.
    pub class: &'static str,
    /// `allow`, `review` or `deny` under the policy's `[licences]`.
    pub verdict: &'static str,
    /// The deciding licence's id, when there is one.
    pub licence: Option<String>,
    /// Licences that apply because the base model's do (`llama3.1 (from meta-llama/…)`).
    pub inherited: Vec<String>,
}

/// What became of a model folder's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureStatus {
    /// `verified`, `invalid`, `missing` (required but absent), `unverified`
    /// (present; the policy names no trusted key) or `unsigned`.
    pub status: &'static str,
    /// The verifier's words (who signed, what differs).
    pub detail: Option<String>,
}

/// Settings for [`assemble`].
#[derive(Debug, Clone, Default)]
pub struct BomOptions {
    /// The policy's `[licences]` table, for each model's licence verdict.
    pub licences: crate::licence::LicencePolicy,
    /// The policy's `[signing]` table, to verify model folders' signatures.
    pub signing: crate::policy::SigningPolicy,
    /// `ORG/NAME[@REV]` of the (single) model, overriding anything read from the files.
    pub name: Option<String>,
    /// Limits for the few headers read for facts (GGUF).
    pub limits: Limits,
}

/// All models found in the targets.
#[derive(Debug, Clone, Default)]
pub struct Bom {
    pub models: Vec<Model>,
    /// Scanned files that belong to no model (not model formats, outside model folders).
    pub unassigned: usize,
}

/// A model folder or a loose model file.
#[derive(Debug, Clone)]
pub struct Model {
    /// The repository name when the origin is known, else the folder's or file's name.
    pub name: String,
    /// The model folder, or the loose file.
    pub root: PathBuf,
    pub kind: ModelKind,
    pub origin: Option<Origin>,
    pub files: Vec<ModelFile>,
    pub facts: Facts,
    pub card: CardFacts,
    pub licences: Vec<BomLicence>,
    /// The licence assessment (`modelvet licence`): class and verdict of the
    /// strictest licence that applies, own or inherited from a base model.
    pub licence: Option<LicenceSummary>,
    /// The model folder's signature (`model.sig`, OpenSSF Model Signing) as
    /// `[signing]` judges it; `None` for loose files.
    pub signature: Option<SignatureStatus>,
    /// Models this one is built on (card `base_model`, an adapter's base).
    pub bases: Vec<BaseModel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Folder,
    File,
}

/// One file of a model.
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// Path relative to the model folder (`/`-separated), or the file name of a loose model.
    pub name: String,
    /// Index of the file's scan result in the reports given to [`assemble`].
    pub report: usize,
    pub size: u64,
    pub sha256: Option<String>,
    pub format: String,
}

/// What the model card says (filled from `README.md` front matter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardFacts {
    /// `pipeline_tag`.
    pub task: Option<String>,
    pub library: Option<String>,
    pub tags: Vec<String>,
    pub languages: Vec<String>,
    /// `datasets`: Hub dataset ids or names.
    pub datasets: Vec<String>,
    /// `model-index` evaluation results.
    pub metrics: Vec<Metric>,
    /// Problems the card parser reported.
    pub problems: Vec<String>,
}

/// One declared evaluation result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metric {
    /// Metric type (`accuracy`) or name.
    pub kind: String,
    pub value: String,
    /// `task / dataset` the value was measured on.
    pub slice: Option<String>,
}

/// How a model relates to one it is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseRelation {
    /// The card's `base_model` (fine-tune, merge, quantisation: `base_model_relation` when given).
    Base,
    /// This model is an adapter (`adapter_config.json`) over the base.
    AdapterOf,
}

/// A model this one is built on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseModel {
    /// As written (a Hub id or a local path).
    pub id: String,
    pub relation: BaseRelation,
    /// The card's `base_model_relation` (`adapter`, `finetune`, `merge`, `quantized`).
    pub relation_name: Option<String>,
    /// The Hub repository, when `id` is shaped like one.
    pub origin: Option<Origin>,
    /// The index of the same model in [`Bom::models`], when the BOM holds it.
    pub in_bom: Option<usize>,
}

/// Scan formats that are not models on their own.
const NOT_MODEL_FORMATS: &[&str] = &[
    "json",
    "hf-config",
    "keras-config",
    "chat-template",
    "python",
    "unrecognized",
    "unreadable",
    "unscanned",
    "symlink",
    "tensor-data",
    "onnx-external-data",
];

fn is_model_format(format: &str) -> bool {
    !NOT_MODEL_FORMATS.contains(&format)
}

/// Whether `dir` holds a marker of a model folder.
fn is_model_dir(dir: &Path) -> bool {
    ["config.json", "adapter_config.json", "model_index.json"].iter().any(|m| dir.join(m).is_file())
        || has_card(&dir.join("README.md"))
}

/// A `README.md` that opens with YAML front matter (`---`, after an optional BOM).
fn has_card(p: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    let Ok(mut f) = std::fs::File::open(p) else { return false };
    let n = f.read(&mut head).unwrap_or(0);
    let head = head[..n].strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head[..n]);
    head.starts_with(b"---\n") || head.starts_with(b"---\r\n")
}

/// A path inside a Hugging Face cache that is not model content (`blobs/`, `refs/`).
fn is_cache_internal(rel: &Path) -> bool {
    let parts: Vec<_> = rel.components().map(|c| c.as_os_str()).collect();
    parts.windows(2).any(|w| {
        w[0].to_str().is_some_and(|s| s.starts_with("models--")) && matches!(w[1].to_str(), Some("blobs" | "refs"))
    })
}

fn display_name(p: &Path) -> String {
    if let Some(n) = p.file_name() {
        return n.to_string_lossy().into_owned();
    }
    std::fs::canonicalize(p)
        .ok()
        .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "model".into())
}

fn rel_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.is_empty() { display_name(path) } else { parts.join("/") }
}

/// Groups scanned files into models and gathers what is known about each.
/// `roots` are the targets as given; `reports` are the scan results of the
/// files found under them (in any order).
pub fn assemble(roots: &[PathBuf], reports: &[TargetReport], opts: &BomOptions) -> Result<Bom, BomError> {
    let flag = match &opts.name {
        Some(n) => Some(Origin::parse(n, OriginSource::Flag).ok_or_else(|| BomError::BadName(n.clone()))?),
        None => None,
    };
    let mut bom = Bom::default();
    let mut by_root: HashMap<PathBuf, usize> = HashMap::new();
    let mut marker_cache: HashMap<PathBuf, bool> = HashMap::new();
    for (i, t) in reports.iter().enumerate() {
        let path = PathBuf::from(&t.path);
        let target = roots.iter().find(|r| path.starts_with(r));
        let rel = target.map_or(path.as_path(), |r| path.strip_prefix(r).unwrap_or(&path));
        if is_cache_internal(rel) || target.is_some_and(|r| is_cache_internal(r)) {
            continue;
        }
        // The outermost model folder from the target down to the file's folder.
        let folder = target.filter(|r| r.as_path() != path).and_then(|r| {
            let mut dir = r.clone();
            let mut dirs = vec![dir.clone()];
            let parent_rel = rel.parent().unwrap_or(Path::new(""));
            for c in parent_rel.components() {
                dir.push(c);
                dirs.push(dir.clone());
            }
            dirs.into_iter().find(|d| *marker_cache.entry(d.clone()).or_insert_with(|| is_model_dir(d)))
        });
        let (root, kind) = match folder {
            Some(dir) => (dir, ModelKind::Folder),
            None if target.is_some_and(|r| *r == path) || is_model_format(&t.format) => (path.clone(), ModelKind::File),
            None => {
                bom.unassigned += 1;
                continue;
            }
        };
        let idx = *by_root.entry(root.clone()).or_insert_with(|| {
            bom.models.push(Model {
                name: display_name(&root),
                root: root.clone(),
                kind,
                origin: None,
                files: Vec::new(),
                facts: Facts::default(),
                card: CardFacts::default(),
                licences: Vec::new(),
                licence: None,
                signature: None,
                bases: Vec::new(),
            });
            bom.models.len() - 1
        });
        let m = &mut bom.models[idx];
        let name = match kind {
            ModelKind::Folder => rel_name(&m.root, &path),
            ModelKind::File => display_name(&path),
        };
        m.files.push(ModelFile { name, report: i, size: t.size, sha256: t.sha256.clone(), format: t.format.clone() });
    }
    if flag.is_some() && bom.models.len() != 1 {
        return Err(BomError::NameNeedsOneModel(bom.models.len()));
    }
    let model_roots: Vec<PathBuf> = bom.models.iter().map(|m| m.root.clone()).collect();
    let assessed = crate::licence::assess(&model_roots, &opts.licences);
    for m in &mut bom.models {
        m.facts = match m.kind {
            ModelKind::Folder => Facts::of_folder(&m.root),
            ModelKind::File => Facts::of_file(&m.root, m.files.first().map_or("", |f| f.format.as_str()), &opts.limits),
        };
        if m.kind == ModelKind::Folder {
            m.signature = Some(signature_status(&m.root, &opts.signing));
        }
        let card = read_card(m);
        m.card = card_facts(&card);
        let card_licence = CardLicence {
            license: &card.license.iter().map(|l| l.value.clone()).collect::<Vec<_>>(),
            license_name: card.license_name.as_ref().map(|l| l.value.as_str()),
            license_link: card.license_link.as_ref().map(|l| l.value.as_str()),
        };
        let assessed = assessed.iter().find(|a| a.model == m.root);
        m.licences = match assessed {
            Some(a) => licence::from_assessment(a, card_licence),
            None => licences_for(card_licence),
        };
        m.licence = assessed.map(|a| {
            let mut inherited: Vec<String> = Vec::new();
            for t in &a.terms {
                if let crate::licence::Origin::Inherited { base_model } = &t.origin {
                    let s = format!("{} (from {base_model})", t.id);
                    if !inherited.contains(&s) {
                        inherited.push(s);
                    }
                }
            }
            LicenceSummary {
                class: a.class.as_str(),
                verdict: a.verdict.as_str(),
                licence: a.licence.clone(),
                inherited,
            }
        });
        let relation_name = card.base_model_relation.as_ref().map(|r| r.value.clone());
        // An adapter's card usually repeats its base: one entry, as the adapter's.
        for b in card.base_model.iter().filter(|b| m.facts.adapter_base.as_ref() != Some(&b.value)) {
            m.bases.push(BaseModel {
                id: b.value.clone(),
                relation: BaseRelation::Base,
                relation_name: relation_name.clone(),
                origin: Origin::parse(&b.value, OriginSource::CardModelName),
                in_bom: None,
            });
        }
        if let Some(base) = &m.facts.adapter_base {
            m.bases.push(BaseModel {
                id: base.clone(),
                relation: BaseRelation::AdapterOf,
                relation_name: Some("adapter".into()),
                origin: Origin::parse(base, OriginSource::ConfigNameOrPath),
                in_bom: None,
            });
        }
        let card_name = card.model_name.as_ref().and_then(|n| Origin::parse(&n.value, OriginSource::CardModelName));
        m.origin = flag.clone().or_else(|| Origin::from_cache_path(&m.root)).or(card_name).or_else(|| {
            // `_name_or_path` names the model it was loaded from when saved: for
            // an adapter or a fine-tune that is the base, so it is only used
            // when nothing says the model has a base.
            let n = m.facts.name_or_path.as_deref().filter(|_| m.bases.is_empty())?;
            Origin::parse(n, OriginSource::ConfigNameOrPath)
        });
        if let Some(o) = &m.origin {
            m.name = o.name.clone();
        }
        m.files.sort_by(|a, b| a.name.cmp(&b.name));
    }
    link_bases(&mut bom);
    Ok(bom)
}

/// The model card of a folder model (`README.md`), or an empty one. Only the
/// start of the file is read: the parser looks no further than its front-matter limit.
fn read_card(m: &mut Model) -> ModelCard {
    let p = m.root.join("README.md");
    if m.kind != ModelKind::Folder || !p.is_file() {
        return ModelCard::default();
    }
    match read_prefix(&p, model_card::MAX_FRONT_MATTER as u64 + 8) {
        Ok(bytes) => model_card::parse(&bytes),
        Err(e) => {
            m.facts.notes.push(e);
            ModelCard::default()
        }
    }
}

fn card_facts(card: &ModelCard) -> CardFacts {
    let values = |v: &[model_card::Located<String>]| v.iter().map(|l| l.value.clone()).collect::<Vec<_>>();
    let metrics = card
        .model_index
        .iter()
        .filter_map(|r| {
            let kind = r.metric_type.clone().or_else(|| r.metric_name.clone())?;
            let value = r.value.clone()?;
            let task = r.task_type.as_deref().or(r.task_name.as_deref());
            let mut data = r.dataset_type.clone().or_else(|| r.dataset_name.clone());
            if let (Some(d), Some(split)) = (&mut data, &r.dataset_split) {
                d.push_str(&format!(" ({split})"));
            }
            let slice = match (task, data) {
                (Some(t), Some(d)) => Some(format!("{t} on {d}")),
                (Some(t), None) => Some(t.to_string()),
                (None, d) => d,
            };
            Some(Metric { kind, value, slice })
        })
        .collect();
    CardFacts {
        task: card.pipeline_tag.as_ref().map(|t| t.value.clone()),
        library: card.library_name.as_ref().map(|t| t.value.clone()),
        tags: values(&card.tags),
        languages: values(&card.language),
        datasets: values(&card.datasets),
        metrics,
        problems: card.problems.clone(),
    }
}

/// Points base models at models of the same BOM: by Hub id, or by a local
/// path that resolves to the other model's folder.
fn link_bases(bom: &mut Bom) {
    let ids: Vec<Option<String>> = bom.models.iter().map(|m| m.origin.as_ref().map(Origin::repo_id)).collect();
    let roots: Vec<Option<PathBuf>> = bom.models.iter().map(|m| std::fs::canonicalize(&m.root).ok()).collect();
    for (i, m) in bom.models.iter_mut().enumerate() {
        let here = m.root.parent().map(Path::to_path_buf).unwrap_or_default();
        for b in &mut m.bases {
            let by_id = b.origin.as_ref().map(Origin::repo_id);
            let local = if m.kind == ModelKind::Folder {
                std::fs::canonicalize(m.root.join(&b.id)).or_else(|_| std::fs::canonicalize(here.join(&b.id))).ok()
            } else {
                None
            };
            b.in_bom = (0..ids.len())
                .find(|&j| j != i && ((by_id.is_some() && ids[j] == by_id) || (local.is_some() && roots[j] == local)));
        }
    }
}

/// Verifies a model folder's signature the way `modelvet scan` does.
fn signature_status(root: &Path, policy: &crate::policy::SigningPolicy) -> SignatureStatus {
    let Some(report) = crate::signing::check::check_folder(root, policy) else {
        return SignatureStatus { status: "unsigned", detail: None };
    };
    let Some(f) = report.findings.first() else {
        return SignatureStatus { status: "unsigned", detail: None };
    };
    let status = match f.rule.code {
        "SIG001" => "verified",
        "SIG002" => "invalid",
        "SIG003" => "missing",
        _ => "unverified",
    };
    let detail = match &f.evidence {
        Some(e) => format!("{}: {}", f.message, e.replace('\n', "; ")),
        None => f.message.clone(),
    };
    SignatureStatus { status, detail: Some(detail) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Scanner};

    fn bom_of(root: &Path, name: Option<&str>) -> Result<Bom, BomError> {
        let scanner = Scanner::new(Options { hash: true, ..Options::default() });
        let reports: Vec<_> = scanner.collect(root).unwrap().iter().map(|i| scanner.scan_item(i).unwrap()).collect();
        assemble(
            &[root.to_path_buf()],
            &reports,
            &BomOptions { name: name.map(str::to_string), ..BomOptions::default() },
        )
    }

    fn put(root: &Path, rel: &str, data: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    #[test]
    fn the_outermost_marked_folder_is_the_model() {
        let d = tempfile::tempdir().unwrap();
        // A diffusers pipeline: the pipeline folder and its unet/ both have markers.
        put(d.path(), "sd/model_index.json", br#"{"_class_name":"StableDiffusionPipeline"}"#);
        put(d.path(), "sd/unet/config.json", br#"{"_class_name":"UNet2DConditionModel"}"#);
        put(d.path(), "sd/unet/diffusion_pytorch_model.safetensors", b"\x02\0\0\0\0\0\0\0{}");
        // A card-only folder counts; JSON and text outside a model folder do not.
        put(d.path(), "carded/README.md", b"---\nlicense: mit\n---\n# x\n");
        put(d.path(), "carded/weights.bin", b"\x80\x02}q\x00.");
        put(d.path(), "loose/notes.json", b"{}");
        put(d.path(), "loose/plain.md", b"# not a card\n");
        let bom = bom_of(d.path(), None).unwrap();
        let names: Vec<(&str, usize)> = bom.models.iter().map(|m| (m.name.as_str(), m.files.len())).collect();
        assert_eq!(names, [("carded", 2), ("sd", 3)]);
        assert_eq!(bom.unassigned, 2);
        let sd = &bom.models[1];
        assert_eq!(sd.facts.architecture.as_deref(), Some("StableDiffusionPipeline"));
        assert_eq!(
            sd.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"]
        );
        assert!(sd.files.iter().all(|f| f.sha256.as_ref().is_some_and(|h| h.len() == 64)));
        assert_eq!(bom.models[0].licences, [BomLicence::Spdx("MIT".into())]);
    }

    #[test]
    fn name_flag_needs_exactly_one_valid_model() {
        let d = tempfile::tempdir().unwrap();
        put(d.path(), "a.pkl", b"\x80\x02}q\x00.");
        assert!(matches!(bom_of(d.path(), Some("not a repo")), Err(BomError::BadName(_))));
        let bom = bom_of(d.path(), Some("acme/a@v1")).unwrap();
        assert_eq!(bom.models[0].origin.as_ref().unwrap().purl(), "pkg:huggingface/acme/a@v1");
        put(d.path(), "b.pkl", b"\x80\x02}q\x00.");
        assert!(matches!(bom_of(d.path(), Some("acme/a")), Err(BomError::NameNeedsOneModel(2))));
    }

    #[test]
    fn config_name_or_path_is_not_taken_when_a_base_is_declared() {
        let d = tempfile::tempdir().unwrap();
        put(d.path(), "ft/config.json", br#"{"_name_or_path":"meta-llama/Llama-3.2-1B","model_type":"llama"}"#);
        put(
            d.path(),
            "ft/README.md",
            b"---\nbase_model: meta-llama/Llama-3.2-1B\nbase_model_relation: finetune\n---\n",
        );
        let bom = bom_of(d.path(), None).unwrap();
        let m = &bom.models[0];
        assert_eq!(m.origin, None);
        assert_eq!(m.bases.len(), 1);
        assert_eq!(m.bases[0].relation_name.as_deref(), Some("finetune"));
        assert_eq!(m.bases[0].origin.as_ref().unwrap().purl(), "pkg:huggingface/meta-llama/Llama-3.2-1B");
    }
}
