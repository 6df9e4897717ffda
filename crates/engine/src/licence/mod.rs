//! Model licences: where each model's licence is declared, what its licence
//! texts are, which policy class that puts it in, and what the policy says.
//!
//! [`assess`] walks folders (or takes single files), finds the models in them
//! (see [`walk`] for what a model is), and for each one collects
//! - **declarations**: the model card's front matter (`license`,
//!   `license_name`, `license_link`, `base_model`, `datasets`), GGUF
//!   `general.license*`, safetensors `__metadata__` (`license`,
//!   `modelspec.license`), ONNX `metadata_props` (`license`), and PEFT
//!   `adapter_config.json` (`base_model_name_or_path`);
//! - **detections**: licence files identified by modelvet's key phrases for
//!   model licences and by the SPDX licence-list texts ([`text`]);
//! - **inherited** terms: a base model's own licence, when its card is in the
//!   scanned tree (a fine-tune or adapter is used under its base's terms).
//!
//! Each licence gets a class from the curated table ([`table`]) and a verdict
//! from the policy ([`LicencePolicy`]); the model's verdict and class are
//! those of its strictest licence. [`findings`] turns assessments into
//! [`Finding`]s (rules `LIC001`–`LIC007`), one verdict finding per model at
//! the file and line where its licence was declared.
//!
//! ```no_run
//! use modelvet_engine::licence::{assess, LicencePolicy};
//! for m in assess(&[std::path::PathBuf::from("models/")], &LicencePolicy::default()) {
//!     println!("{} {} {}", m.model.display(), m.class, m.verdict);
//! }
//! ```

mod card;
mod policy;
pub mod table;
pub mod text;
pub mod walk;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use policy::{LicencePolicy, Selector, Verdict, default_verdict};
pub use table::LicenceClass;

use crate::finding::{Action, Finding, Location};
use crate::rules::licence as rl;
use crate::scan::TargetReport;

/// Most bytes of a licence file or model card read.
pub const MAX_LICENCE_FILE: u64 = 1 << 20;

/// Where a declaration or licence was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub file: PathBuf,
    /// 1-based line (model cards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Byte offset of that line, or of the metadata value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The key (`license`, `general.license`, `base_model_name_or_path`), or
    /// `text` for a licence file.
    pub key: String,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name =
            self.file.file_name().map_or_else(|| self.file.display().to_string(), |n| n.to_string_lossy().into());
        match self.line {
            Some(l) => write!(f, "{name}:{l} {}", self.key),
            None if self.key == "text" => write!(f, "{name}"),
            None => write!(f, "{name} {}", self.key),
        }
    }
}

/// A licence as written somewhere (an id, a name, a link or an expression).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub value: String,
    pub source: Source,
}

/// A licence text identified in a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// The licence id (from the table), or `None` when the text was not recognised.
    pub id: Option<String>,
    pub confidence: f32,
    /// How it was identified (`phrase "…"`, `SPDX 3.29.0 text MIT`).
    pub method: String,
    pub file: PathBuf,
}

/// How a licence applies to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Origin {
    /// Written in the card or the model files' metadata.
    Declared,
    /// A licence file's text.
    Detected,
    /// The base model's own licence.
    Inherited { base_model: String },
}

/// One licence that applies to a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    /// The id as the table spells it (`llama3.1`), or as declared when unknown.
    pub id: String,
    /// The SPDX id or `LicenseRef-…`, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spdx: Option<String>,
    pub class: LicenceClass,
    /// In modelvet's table.
    pub known: bool,
    pub origin: Origin,
    pub source: Source,
    pub verdict: Verdict,
}

/// A model or dataset this model derives from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub id: String,
    pub source: Source,
    /// Its folder, when it is in the scanned tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<PathBuf>,
}

/// Why a model's licence needs attention besides its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Issue {
    /// Two sources name different licences.
    Conflict { first: String, first_source: Source, second: String, second_source: Source },
    /// The model declares a looser licence than its base model's.
    LooserThanBase { own: String, base: String, base_model: String, source: Source },
    /// A dataset in the tree is non-commercial or research-only.
    NonCommercialDataset { dataset: String, licence: String, source: Source },
    /// The model card is malformed (oversized, bad YAML, …).
    Card { message: String, source: Source },
}

/// Everything known about one model's licence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelLicence {
    /// The repository folder, or the loose model file.
    pub model: PathBuf,
    /// A repository folder (card, `config.json`, …) rather than a loose file.
    pub repo: bool,
    /// A dataset's folder (named under another model's `datasets`, or in the
    /// Hugging Face cache's `datasets--…`): its licence is read, not judged.
    pub dataset: bool,
    pub declared: Vec<Declaration>,
    pub detected: Vec<Detection>,
    /// Every licence that applies, own and inherited.
    pub terms: Vec<Term>,
    /// The class of the strictest licence (or `missing`).
    pub class: LicenceClass,
    /// The strictest licence's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    pub verdict: Verdict,
    pub base_models: Vec<Reference>,
    pub datasets: Vec<Reference>,
    pub issues: Vec<Issue>,
}

impl ModelLicence {
    /// The term that decides the verdict (strictest verdict, then most restrictive class; first wins).
    pub fn deciding(&self) -> Option<&Term> {
        let mut best: Option<&Term> = None;
        for t in &self.terms {
            let key = (t.verdict, t.class.restrictiveness());
            if best.is_none_or(|b| key > (b.verdict, b.class.restrictiveness())) {
                best = Some(t);
            }
        }
        best
    }
}

/// Assesses every model under the roots (folders or files).
pub fn assess(roots: &[PathBuf], policy: &LicencePolicy) -> Vec<ModelLicence> {
    assess_listed(roots, Vec::new(), &KnownMeta::new(), policy)
}

/// [`assess`] with the folders some of `roots` hold already listed: `listed[i]`
/// (when present and not `None`) is the listing of `roots[i]`, a folder, as
/// [`crate::Scanner::walk_listing`] gives it. The others are walked here.
/// Weight files in `known` are not opened: their metadata is taken from it.
pub fn assess_listed(
    roots: &[PathBuf],
    mut listed: Vec<Option<Vec<walk::Dir>>>,
    known: &KnownMeta,
    policy: &LicencePolicy,
) -> Vec<ModelLicence> {
    let mut found: Vec<walk::Found> = Vec::new();
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    listed.resize_with(roots.len(), || None);
    for (r, listing) in roots.iter().zip(listed) {
        let models = match listing {
            Some(dirs) => walk::models_listed(dirs),
            None => walk::models(r),
        };
        for f in models {
            // Targets may overlap (a folder and a file in it, two files of one folder).
            if seen.insert(f.path.clone()) {
                found.push(f);
            }
        }
    }
    let mut models: Vec<ModelLicence> = found.iter().map(|f| own(f, known, policy)).collect();
    resolve_references(&mut models);
    inherit(&mut models, policy);
    for m in &mut models {
        conclude(m, policy);
    }
    models
}

fn source(file: &Path, key: &str) -> Source {
    Source { file: file.to_path_buf(), line: None, offset: None, key: key.to_string() }
}

fn term(id: &str, origin: Origin, source: Source, policy: &LicencePolicy) -> Term {
    match table::lookup(id) {
        Some(k) => Term {
            id: k.id.to_string(),
            spdx: k.spdx.map(str::to_string),
            class: k.class,
            known: true,
            origin,
            source,
            verdict: policy.verdict(Some(k.id), k.class),
        },
        None => Term {
            id: id.trim().to_string(),
            spdx: None,
            class: LicenceClass::Unknown,
            known: false,
            origin,
            source,
            verdict: policy.verdict(Some(id.trim()), LicenceClass::Unknown),
        },
    }
}

/// The ids in an SPDX-style expression (`Apache-2.0 OR MIT`,
/// `(LicenseRef-llama3.1 AND Apache-2.0)`); a plain id is one term.
fn expression_ids(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == '(' || c == ')' || c == ',' || c.is_whitespace())
        // Operators, and what a prose value adds around an id: the word
        // "License" and a link (Ultralytics writes "AGPL-3.0 License (https://...)").
        .filter(|w| {
            !w.is_empty()
                && !matches!(w.to_ascii_uppercase().as_str(), "AND" | "OR" | "WITH" | "LICENSE" | "LICENCE")
                && !w.starts_with("http://")
                && !w.starts_with("https://")
        })
        .map(|w| w.strip_prefix("LicenseRef-hf-").or_else(|| w.strip_prefix("LicenseRef-")).unwrap_or(w).to_string())
        .collect()
}

/// A metadata value: an id, an expression, a link, or a whole licence text.
fn metadata_value(m: &mut ModelLicence, key: &str, value: &str, src: Source, policy: &LicencePolicy) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    m.declared.push(Declaration { value: value.chars().take(200).collect(), source: src.clone() });
    if key.ends_with(".link") || key.ends_with("_link") || value.starts_with("http://") || value.starts_with("https://")
    {
        return;
    }
    if value.len() > 200 || value.contains('\n') {
        // A licence text stored in the metadata.
        if let Some(i) = text::identify(value) {
            m.detected.push(Detection {
                id: Some(i.licence.id.to_string()),
                confidence: i.confidence,
                method: i.method,
                file: src.file.clone(),
            });
            m.terms.push(term(i.licence.id, Origin::Declared, src, policy));
        }
        return;
    }
    let ids = expression_ids(value);
    if ids.len() > 1 && value.to_ascii_uppercase().contains(" OR ") {
        // A choice: the most favourable alternative applies.
        let best = ids.iter().map(|i| term(i, Origin::Declared, src.clone(), policy)).min_by_key(|t| t.verdict);
        m.terms.extend(best);
    } else {
        for id in ids.iter().take(8) {
            m.terms.push(term(id, Origin::Declared, src.clone(), policy));
        }
    }
}

/// One licence-related key of a weight file's own metadata (GGUF,
/// safetensors, ONNX), as [`file_meta`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaEntry {
    /// The key as the licence rules read it (lower case for safetensors and ONNX).
    pub key: String,
    pub value: String,
    pub source: Source,
}

/// Weight files whose metadata is already read, by path (as the scanner's
/// walk spells it): [`assess_listed`] takes their entries from here instead
/// of opening the files again. A file not in the map is read.
pub type KnownMeta = std::collections::HashMap<PathBuf, Vec<MetaEntry>>;

/// Reads the licence metadata a model file declares in its own header
/// (GGUF, safetensors, ONNX; recognised by content, ONNX also by its `.onnx`
/// name), from `src`, `len` bytes of the file at `path`. Nothing for other
/// formats. The scanner calls this on the bytes it has read, so that the
/// licence assessment after a scan opens no weight file twice.
pub fn file_meta(src: &mut dyn modelvet_formats::container::ReadSeek, len: u64, path: &Path) -> Vec<MetaEntry> {
    use modelvet_formats::{gguf, onnx, safetensors};
    let mut out = Vec::new();
    let mut head = [0u8; 16];
    if src.rewind().is_err() {
        return out;
    }
    let mut n = 0;
    while n < head.len() {
        match src.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let head = &head[..n];
    if src.rewind().is_err() {
        return out;
    }
    let limits = modelvet_formats::Limits::default();
    if gguf::sniff(head) {
        let h = gguf::parse(src, len, &limits);
        for kv in h.licence {
            let source = Source { file: path.to_path_buf(), line: None, offset: Some(kv.offset), key: kv.key.clone() };
            out.push(MetaEntry { key: kv.key, value: kv.text, source });
        }
    } else if safetensors::sniff(head) {
        let h = safetensors::parse(src, len);
        for (k, v) in h.metadata {
            let lk = k.to_ascii_lowercase();
            if matches!(lk.as_str(), "license" | "licence" | "modelspec.license" | "license_name" | "license_link") {
                out.push(MetaEntry { key: lk, value: v, source: source(path, &format!("__metadata__.{k}")) });
            }
        }
    } else if onnx::sniff(head) && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("onnx")) {
        for (k, v) in onnx::metadata(src, len) {
            let lk = k.to_ascii_lowercase();
            if matches!(lk.as_str(), "license" | "licence" | "license_name" | "license_link") {
                out.push(MetaEntry { key: lk, value: v, source: source(path, &format!("metadata_props.{k}")) });
            }
        }
    }
    out
}

/// Applies a model file's licence metadata: from `known` when the scan read
/// it already, else from the file.
fn file_metadata(m: &mut ModelLicence, path: &Path, known: &KnownMeta, policy: &LicencePolicy) {
    let read;
    let entries = match known.get(path) {
        Some(e) => e,
        None => {
            let Ok(file) = std::fs::File::open(path) else { return };
            let Ok(len) = file.metadata().map(|md| md.len()) else { return };
            let mut src = modelvet_formats::seekbuf::SeekBuf::new(file, len);
            read = file_meta(&mut src, len, path);
            &read
        }
    };
    for e in entries {
        metadata_value(m, &e.key, &e.value, e.source.clone(), policy);
    }
}

/// A model's own declarations and licence files (nothing inherited yet).
fn own(f: &walk::Found, known: &KnownMeta, policy: &LicencePolicy) -> ModelLicence {
    let mut m = ModelLicence {
        model: f.path.clone(),
        repo: f.repo,
        dataset: f.path.components().any(|c| c.as_os_str().to_string_lossy().starts_with("datasets--")),
        declared: Vec::new(),
        detected: Vec::new(),
        terms: Vec::new(),
        class: LicenceClass::Missing,
        licence: None,
        verdict: Verdict::Allow,
        base_models: Vec::new(),
        datasets: Vec::new(),
        issues: Vec::new(),
    };
    let mut licence_files = f.licence_files.clone();
    let mut other_without_name = None;
    if let Some(card_path) = &f.card {
        let c = card::read(card_path);
        for p in c.problems {
            m.issues.push(Issue::Card { message: p, source: source(card_path, "front matter") });
        }
        let name = c.license_name.clone();
        for (value, src) in c.license {
            m.declared.push(Declaration { value: value.clone(), source: src.clone() });
            if value.eq_ignore_ascii_case("other") {
                match &name {
                    Some((n, nsrc)) => m.terms.push(term(n, Origin::Declared, nsrc.clone(), policy)),
                    None => other_without_name = Some(src),
                }
            } else {
                m.terms.push(term(&value, Origin::Declared, src, policy));
            }
        }
        if let Some((n, src)) = name {
            m.declared.push(Declaration { value: n, source: src });
        }
        if let Some((link, src)) = c.license_link {
            // A link to a file of the repository is read as a licence file.
            let local = link.trim().trim_start_matches("./");
            if !local.contains("://") && !local.contains("..") && !local.starts_with('/') {
                let p = f.path.join(local);
                if p.is_file() && !licence_files.contains(&p) {
                    licence_files.push(p);
                }
            }
            m.declared.push(Declaration { value: link, source: src });
        }
        for (id, src) in c.base_model {
            m.base_models.push(Reference { id, source: src, found: None });
        }
        for (id, src) in c.datasets {
            m.datasets.push(Reference { id, source: src, found: None });
        }
    }
    if let Some(ac) = &f.adapter_config
        && let Ok((bytes, _)) = walk::read_capped(ac, MAX_LICENCE_FILE)
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        && let Some(base) = v.get("base_model_name_or_path").and_then(|b| b.as_str())
        && !base.trim().is_empty()
        && !m.base_models.iter().any(|b| b.id == base)
    {
        m.base_models.push(Reference {
            id: base.trim().to_string(),
            source: source(ac, "base_model_name_or_path"),
            found: None,
        });
    }
    let mut unrecognised = None;
    for lf in &licence_files {
        let Ok((bytes, _)) = walk::read_capped(lf, MAX_LICENCE_FILE) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        match text::identify(&text) {
            Some(i) => {
                m.detected.push(Detection {
                    id: Some(i.licence.id.to_string()),
                    confidence: i.confidence,
                    method: i.method,
                    file: lf.clone(),
                });
                if !m.terms.iter().any(|t| t.origin == Origin::Detected && t.id == i.licence.id) {
                    m.terms.push(term(i.licence.id, Origin::Detected, source(lf, "text"), policy));
                }
            }
            None => {
                m.detected.push(Detection {
                    id: None,
                    confidence: 0.0,
                    method: "not recognised".into(),
                    file: lf.clone(),
                });
                let name = lf.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                if !text.trim().is_empty() && !name.starts_with("notice") && !name.starts_with("use") {
                    unrecognised.get_or_insert_with(|| lf.clone());
                }
            }
        }
    }
    for w in &f.weights {
        file_metadata(&mut m, w, known, policy);
    }
    if m.terms.is_empty() {
        // A licence text nobody recognised, or `license: other` without a name:
        // there are terms, but which ones needs a person.
        let src = match (unrecognised, other_without_name) {
            (Some(lf), _) => Some(source(&lf, "text")),
            (None, Some(src)) => Some(src),
            (None, None) => None,
        };
        if let Some(src) = src {
            let verdict = policy.verdict(Some("other"), LicenceClass::Other);
            m.terms.push(Term {
                id: "other".into(),
                spdx: None,
                class: LicenceClass::Other,
                known: true,
                origin: if src.key == "text" { Origin::Detected } else { Origin::Declared },
                source: src,
                verdict,
            });
        }
    }
    m
}

/// Folder name forms of a Hub repo id `org/name`.
fn matches_repo_id(dir: &Path, id: &str) -> bool {
    let id = id.trim().trim_end_matches('/');
    if id.is_empty() || id.contains("..") {
        return false;
    }
    let dashed = id.replace('/', "--");
    let comps: Vec<String> = dir.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let n = comps.len();
    let tail2 = if n >= 2 { format!("{}/{}", comps[n - 2], comps[n - 1]) } else { String::new() };
    let last = comps.last().cloned().unwrap_or_default();
    let id_last = id.rsplit('/').next().unwrap_or(id);
    // `org/name`, `…/name`, and the Hugging Face cache's `models--org--name/snapshots/<rev>`.
    tail2.eq_ignore_ascii_case(id)
        || last.eq_ignore_ascii_case(id_last)
        || comps.iter().any(|c| {
            c.strip_prefix("models--")
                .or_else(|| c.strip_prefix("datasets--"))
                .is_some_and(|x| x.eq_ignore_ascii_case(&dashed))
        })
}

fn resolve_references(models: &mut [ModelLicence]) {
    let dirs: Vec<(PathBuf, bool)> = models.iter().map(|m| (m.model.clone(), m.repo)).collect();
    let mut datasets = HashSet::new();
    for m in models.iter_mut() {
        let me = m.model.clone();
        let find = |id: &str| {
            dirs.iter().find(|(d, repo)| *repo && *d != me && matches_repo_id(d, id)).map(|(d, _)| d.clone())
        };
        for r in &mut m.base_models {
            r.found = find(&r.id);
        }
        for r in &mut m.datasets {
            r.found = find(&r.id);
            datasets.extend(r.found.clone());
        }
    }
    for m in models.iter_mut() {
        m.dataset |= datasets.contains(&m.model);
    }
}

/// The own (declared or detected) terms of a model.
fn own_terms(m: &ModelLicence) -> impl Iterator<Item = &Term> {
    m.terms.iter().filter(|t| !matches!(t.origin, Origin::Inherited { .. }))
}

/// Adds base models' own terms (following chains of bases, without cycles),
/// and notes datasets in the tree that are non-commercial.
fn inherit(models: &mut [ModelLicence], policy: &LicencePolicy) {
    let mut additions: Vec<(Vec<Term>, Vec<Issue>)> = Vec::with_capacity(models.len());
    for m in models.iter() {
        let mut terms = Vec::new();
        let mut seen: HashSet<PathBuf> = HashSet::from([m.model.clone()]);
        let mut queue: Vec<(String, Source, PathBuf)> =
            m.base_models.iter().filter_map(|b| Some((b.id.clone(), b.source.clone(), b.found.clone()?))).collect();
        while let Some((id, src, dir)) = queue.pop() {
            if seen.len() > 16 || !seen.insert(dir.clone()) {
                continue;
            }
            let Some(base) = models.iter().find(|x| x.model == dir) else { continue };
            for t in own_terms(base) {
                let mut t = t.clone();
                t.origin = Origin::Inherited { base_model: id.clone() };
                t.source = src.clone();
                t.verdict = policy.verdict(Some(&t.id), t.class);
                terms.push(t);
            }
            queue.extend(base.base_models.iter().filter_map(|b| Some((id.clone(), src.clone(), b.found.clone()?))));
        }
        // Datasets' licences are reported (LIC007), not inherited.
        let mut issues = Vec::new();
        for d in &m.datasets {
            let Some(ds) = d.found.as_ref().and_then(|dir| models.iter().find(|x| &x.model == dir)) else { continue };
            if let Some(t) =
                own_terms(ds).find(|t| matches!(t.class, LicenceClass::NonCommercial | LicenceClass::ResearchOnly))
            {
                issues.push(Issue::NonCommercialDataset {
                    dataset: d.id.clone(),
                    licence: t.id.clone(),
                    source: d.source.clone(),
                });
            }
        }
        additions.push((terms, issues));
    }
    for (m, (terms, issues)) in models.iter_mut().zip(additions) {
        m.terms.extend(terms);
        m.issues.extend(issues);
    }
}

/// Two ids name the same terms: equal, or one is a family (`llama`,
/// `openrail`, `other`) of the other's class.
fn equivalent(a: &Term, b: &Term) -> bool {
    let family = |t: &Term| matches!(t.id.as_str(), "llama" | "openrail" | "other");
    a.id.eq_ignore_ascii_case(&b.id) || ((family(a) || family(b)) && a.class == b.class)
}

/// Verdict, class, conflicts and looser-than-base, once terms are complete.
fn conclude(m: &mut ModelLicence, policy: &LicencePolicy) {
    match m.deciding().map(|t| (t.class, t.id.clone(), t.verdict)) {
        Some((class, id, verdict)) => {
            m.class = class;
            m.licence = Some(id);
            m.verdict = verdict;
        }
        None => {
            m.class = LicenceClass::Missing;
            m.licence = None;
            m.verdict = policy.verdict(None, LicenceClass::Missing);
        }
    }
    // Conflicts: a licence file or metadata value that names other terms than the card.
    let card: Vec<&Term> = m
        .terms
        .iter()
        .filter(|t| t.origin == Origin::Declared && t.source.line.is_some() && t.class != LicenceClass::Unknown)
        .collect();
    let rest: Vec<&Term> = m
        .terms
        .iter()
        .filter(|t| !matches!(t.origin, Origin::Inherited { .. }) && t.source.line.is_none() && t.id != "other")
        .collect();
    let reference: Vec<&Term> = if card.is_empty() { rest.iter().take(1).copied().collect() } else { card };
    let mut conflicts = Vec::new();
    for t in &rest {
        if let Some(r) = reference.first()
            && !reference.iter().any(|r| equivalent(r, t))
        {
            conflicts.push(Issue::Conflict {
                first: r.id.clone(),
                first_source: r.source.clone(),
                second: t.id.clone(),
                second_source: t.source.clone(),
            });
        }
    }
    m.issues.extend(conflicts);
    // A derivative that declares a looser licence than its base.
    let own_max = own_terms(m).filter(|t| t.class != LicenceClass::Unknown).max_by_key(|t| t.class.restrictiveness());
    let base_max = m
        .terms
        .iter()
        .filter(|t| matches!(t.origin, Origin::Inherited { .. }))
        .max_by_key(|t| t.class.restrictiveness());
    if let (Some(o), Some(b)) = (own_max, base_max)
        && o.class.restrictiveness() < b.class.restrictiveness()
        && let Origin::Inherited { base_model } = &b.origin
    {
        m.issues.push(Issue::LooserThanBase {
            own: o.id.clone(),
            base: b.id.clone(),
            base_model: base_model.clone(),
            source: o.source.clone(),
        });
    }
}

/// Which models `findings` reports a missing licence for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `modelvet scan`: repository folders; loose files only with `check-loose-files`.
    Scan { check_loose_files: bool },
    /// `modelvet licence`: every model.
    All,
}

fn location(s: &Source) -> Location {
    Location { path: s.file.display().to_string(), members: Vec::new(), offset: s.offset }
}

fn with_action(mut f: Finding, v: Verdict) -> Finding {
    f.action = if v == Verdict::Deny { Action::Deny } else { Action::Warn };
    f
}

/// The findings for assessed models: one verdict finding per model that is
/// not allowed (`LIC001`–`LIC004`), plus conflicts, looser-than-base and
/// non-commercial datasets (`LIC005`–`LIC007`).
pub fn findings(models: &[ModelLicence], scope: Scope) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in models {
        if m.dataset {
            continue;
        }
        match m.deciding() {
            None if m.verdict != Verdict::Allow => {
                let report = match scope {
                    Scope::All => true,
                    Scope::Scan { check_loose_files } => m.repo || check_loose_files,
                };
                if report {
                    let bases: Vec<&str> = m.base_models.iter().map(|b| b.id.as_str()).collect();
                    let also = if bases.is_empty() {
                        String::new()
                    } else {
                        format!(" (base model {} is not in the scanned tree)", bases.join(", "))
                    };
                    let f = Finding::new(
                        &rl::licence_missing::RULE,
                        format!("no licence declared in a model card, licence file or model metadata{also}"),
                        Location { path: m.model.display().to_string(), ..Location::default() },
                    );
                    out.push(with_action(f, m.verdict));
                }
            }
            None => {}
            Some(t) if t.verdict != Verdict::Allow => {
                let inherited = match &t.origin {
                    Origin::Inherited { base_model } => format!(", inherited from base model {base_model}"),
                    _ => String::new(),
                };
                let (rule, what) = if !t.known && t.origin == Origin::Declared {
                    (&rl::unknown_licence_id::RULE, format!("licence id `{}` is not one modelvet knows", t.id))
                } else if t.verdict == Verdict::Deny {
                    (&rl::licence_denied::RULE, format!("licence {} ({}) is denied by the policy", t.id, t.class))
                } else if t.id == "other" {
                    (
                        &rl::licence_needs_review::RULE,
                        "licence terms that are not a known licence need review".to_string(),
                    )
                } else {
                    (&rl::licence_needs_review::RULE, format!("licence {} ({}) needs review", t.id, t.class))
                };
                let f = Finding::new(rule, format!("{}{what}{inherited}", at_line(&t.source)), location(&t.source))
                    .evidence(evidence(m, t));
                out.push(with_action(f, t.verdict));
            }
            Some(_) => {}
        }
        for issue in &m.issues {
            let f = match issue {
                Issue::Conflict { first, first_source, second, second_source } => Finding::new(
                    &rl::conflicting_licences::RULE,
                    format!("{first_source} says {first}, {second_source} says {second}"),
                    location(second_source),
                ),
                Issue::LooserThanBase { own, base, base_model, source } => Finding::new(
                    &rl::looser_than_base_model::RULE,
                    format!("{}declares {own}, looser than {base} of its base model {base_model}", at_line(source)),
                    location(source),
                ),
                Issue::NonCommercialDataset { dataset, licence, source } => Finding::new(
                    &rl::non_commercial_dataset::RULE,
                    format!("{}trained on dataset {dataset}, whose licence is {licence}", at_line(source)),
                    location(source),
                ),
                Issue::Card { message, source } => Finding::new(
                    &rl::licence_needs_review::RULE,
                    format!("model card front matter: {message}"),
                    location(source),
                ),
            };
            out.push(with_action(f, Verdict::Review));
        }
    }
    out
}

/// `line 3: ` for a declaration in a card (as the Python rules say where they are).
fn at_line(s: &Source) -> String {
    s.line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

fn evidence(m: &ModelLicence, t: &Term) -> String {
    let first = match &t.origin {
        Origin::Inherited { base_model } => {
            let base = m.base_models.iter().find(|b| &b.id == base_model).and_then(|b| b.found.as_ref());
            let from = base.map(|b| format!(" (the card in {})", b.display())).unwrap_or_default();
            format!("{}: {base_model} -> {}{from}", t.source, t.id)
        }
        Origin::Detected => {
            let how = m.detected.iter().find(|d| d.file == t.source.file && d.id.as_deref() == Some(t.id.as_str()));
            let how = how.map(|d| format!(" ({}, confidence {:.2})", d.method, d.confidence)).unwrap_or_default();
            format!("{}: {}{how}", t.source, t.id)
        }
        Origin::Declared => format!("{}: {}", t.source, t.id),
    };
    let mut parts = vec![first];
    for d in &m.detected {
        if let Some(id) = &d.id
            && id != &t.id
        {
            let n = d.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            parts.push(format!("{n}: {id}"));
        }
    }
    parts.join("; ")
}

/// Adds licence findings to the reports of the files they are located in,
/// and a report of format `model` for a folder that has none (a missing
/// licence is located at the model's folder).
pub fn attach(reports: &mut Vec<TargetReport>, findings: Vec<Finding>) {
    for f in findings {
        if let Some(r) = reports.iter_mut().find(|r| r.path == f.location.path) {
            r.findings.push(f);
        } else {
            reports.push(TargetReport {
                path: f.location.path.clone(),
                format: "model".into(),
                size: 0,
                sha256: None,
                findings: vec![f],
                duration_ms: 0.0,
            });
        }
    }
}

#[cfg(test)]
mod tests;
