//! The CycloneDX AI-BOM (JSON, spec 1.6 or 1.7): one `machine-learning-model`
//! component per model with the SHA-256 of every file, licences, a
//! `pkg:huggingface` purl where the origin is known, a `modelCard`, dataset and
//! base-model components with dependency edges, the scan verdict as properties
//! and every finding as a `vulnerability` that names its modelvet rule.
//!
//! The data comes from [`modelvet_engine::bom::assemble`]; this file only
//! writes it. Every object the schema closes (`additionalProperties: false`)
//! gets only the keys the schema lists.

use std::collections::HashMap;
use std::io::{self, Write};

use modelvet_engine::bom::{BaseRelation, Bom, BomLicence, Model, ModelKind, Origin, OriginSource};
use modelvet_engine::policy::Date;
use modelvet_engine::{Severity, TargetReport};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::{Emitter, Report, Verdict};

const DOCS: &str = "https://github.com/modelvet/modelvet/blob/main/docs/rules";
const HUB: &str = "https://huggingface.co";

/// The CycloneDX specification version written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpecVersion {
    /// 1.6 (ECMA-424): the widest consumer support.
    #[default]
    V1_6,
    /// 1.7: also allows licence ids and an expression side by side.
    V1_7,
}

impl SpecVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_6 => "1.6",
            SpecVersion::V1_7 => "1.7",
        }
    }
}

/// Writes a CycloneDX BOM of `bom`, whose file indices point into the report's targets.
pub struct CycloneDx<'b> {
    pub bom: &'b Bom,
    pub spec: SpecVersion,
    /// `urn:uuid:…`, from [`random_serial_number`] or [`content_serial_number`].
    pub serial_number: String,
    /// Seconds since 1970 for `metadata.timestamp`.
    pub timestamp: u64,
}

/// A fresh random `urn:uuid:` (version 4), as the specification asks of each new BOM.
pub fn random_serial_number() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// A `urn:uuid:` derived from what the BOM describes (every file's name and
/// SHA-256) and `epoch`: the same inputs give the same BOM, byte for byte,
/// for reproducible builds (`SOURCE_DATE_EPOCH`).
pub fn content_serial_number(bom: &Bom, targets: &[TargetReport], epoch: u64) -> String {
    let mut h = Sha256::new();
    h.update(b"modelvet-bom-v1\0");
    h.update(epoch.to_string().as_bytes());
    for m in &bom.models {
        h.update(b"\0m");
        h.update(m.name.as_bytes());
        for f in &m.files {
            h.update(b"\0f");
            h.update(f.name.as_bytes());
            h.update(b"\0");
            h.update(targets.get(f.report).and_then(|t| t.sha256.as_deref()).unwrap_or("").as_bytes());
        }
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap_or_default();
    // RFC 9562 version 8 (custom), variant 10.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!("urn:uuid:{}", uuid::Uuid::from_bytes(b))
}

/// `YYYY-MM-DDThh:mm:ssZ`.
pub fn rfc3339(secs: u64) -> String {
    let d = Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let s = secs % 86_400;
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", d.year, d.month, d.day, s / 3600, s / 60 % 60, s % 60)
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({"name": name, "value": value.into()})
}

fn severity(s: Severity) -> &'static str {
    s.as_str()
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Blocked => "blocked",
        Verdict::Warn => "warn",
        Verdict::Pass => "pass",
    }
}

/// Hands out unique `bom-ref`s.
#[derive(Default)]
struct Refs(HashMap<String, u32>);

impl Refs {
    fn unique(&mut self, want: String) -> String {
        let n = self.0.entry(want.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { want } else { format!("{want}#{n}") }
    }
}

fn licences(ls: &[BomLicence], spec: SpecVersion) -> Option<Value> {
    if ls.is_empty() {
        return None;
    }
    let license = |l: &BomLicence| match l {
        BomLicence::Spdx(id) => json!({"license": {"id": id, "acknowledgement": "declared"}}),
        BomLicence::Named { name, url: Some(u) } => {
            json!({"license": {"name": name, "url": u, "acknowledgement": "declared"}})
        }
        BomLicence::Named { name, url: None } => json!({"license": {"name": name, "acknowledgement": "declared"}}),
        BomLicence::Expression(e) => json!({"expression": e, "acknowledgement": "declared"}),
    };
    let exprs = ls.iter().filter(|l| matches!(l, BomLicence::Expression(_))).count();
    if exprs == 0 || spec == SpecVersion::V1_7 || ls.len() == 1 {
        return Some(Value::Array(ls.iter().map(license).collect()));
    }
    // 1.6 allows licences or exactly one expression, not both: ids and
    // expressions join into one expression; with a named licence (which has
    // no expression form) the expressions are kept as names.
    if ls.iter().all(|l| !matches!(l, BomLicence::Named { .. })) {
        let parts: Vec<String> = ls
            .iter()
            .map(|l| match l {
                BomLicence::Spdx(id) => id.clone(),
                BomLicence::Expression(e) => format!("({e})"),
                BomLicence::Named { name, .. } => name.clone(),
            })
            .collect();
        return Some(json!([{"expression": parts.join(" AND "), "acknowledgement": "declared"}]));
    }
    Some(Value::Array(
        ls.iter()
            .map(|l| match l {
                BomLicence::Expression(e) => json!({"license": {"name": e, "acknowledgement": "declared"}}),
                other => license(other),
            })
            .collect(),
    ))
}

/// `group`, `name`, `version`, `purl` of a Hub repository.
fn identity(obj: &mut Map<String, Value>, o: &Origin) {
    if let Some(ns) = &o.namespace {
        obj.insert("group".into(), json!(ns));
    }
    obj.insert("name".into(), json!(o.name));
    if let Some(r) = &o.revision {
        obj.insert("version".into(), json!(r));
    }
    obj.insert("purl".into(), json!(o.purl()));
}

fn model_card(m: &Model, dataset_refs: &[String]) -> Option<Value> {
    let mut params = Map::new();
    if let Some(t) = m.card.task.as_ref().or(m.facts.peft_task.as_ref()) {
        params.insert("task".into(), json!(t));
    }
    if let Some(f) = &m.facts.family {
        params.insert("architectureFamily".into(), json!(f));
    }
    if let Some(a) = &m.facts.architecture {
        params.insert("modelArchitecture".into(), json!(a));
    }
    if !dataset_refs.is_empty() {
        params.insert("datasets".into(), dataset_refs.iter().map(|r| json!({"ref": r})).collect());
    }
    let mut card = Map::new();
    if !params.is_empty() {
        card.insert("modelParameters".into(), Value::Object(params));
    }
    if !m.card.metrics.is_empty() {
        let metrics: Vec<Value> = m
            .card
            .metrics
            .iter()
            .map(|x| {
                let mut o = json!({"type": x.kind, "value": x.value});
                if let Some(s) = &x.slice {
                    o["slice"] = json!(s);
                }
                o
            })
            .collect();
        card.insert("quantitativeAnalysis".into(), json!({"performanceMetrics": metrics}));
    }
    (!card.is_empty()).then_some(Value::Object(card))
}

impl Emitter for CycloneDx<'_> {
    fn emit(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let doc = self.document(report);
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

impl CycloneDx<'_> {
    /// The whole BOM as JSON.
    pub fn document(&self, report: &Report<'_>) -> Value {
        let mut refs = Refs::default();
        let targets = report.targets;
        // bom-refs of the models first: base models may point at one another.
        let model_refs: Vec<String> = self
            .bom
            .models
            .iter()
            .map(|m| refs.unique(m.origin.as_ref().map_or_else(|| format!("model/{}", m.name), Origin::purl)))
            .collect();
        let mut extra = Vec::new(); // base-model and dataset components
        let mut extra_refs: HashMap<String, String> = HashMap::new(); // key -> bom-ref
        let mut dependencies = Vec::new();
        let mut vulnerabilities = Vec::new();
        let mut models = Vec::new();

        for (i, m) in self.bom.models.iter().enumerate() {
            let mref = &model_refs[i];
            let mut depends = Vec::new();
            // Base models: the BOM's own model, or a component of their own.
            for b in &m.bases {
                let r = match b.in_bom {
                    Some(j) => model_refs[j].clone(),
                    None => {
                        let key = format!("base\0{}", b.id);
                        extra_refs
                            .entry(key)
                            .or_insert_with(|| {
                                let r = refs.unique(
                                    b.origin.as_ref().map_or_else(|| format!("base-model/{}", b.id), Origin::purl),
                                );
                                let mut c = Map::new();
                                c.insert("type".into(), json!("machine-learning-model"));
                                c.insert("bom-ref".into(), json!(r));
                                match &b.origin {
                                    Some(o) => identity(&mut c, o),
                                    None => {
                                        c.insert("name".into(), json!(b.id));
                                    }
                                }
                                c.insert("properties".into(), json!([prop("modelvet:declared-as", b.id.clone())]));
                                extra.push(Value::Object(c));
                                dependencies.push(json!({"ref": r, "dependsOn": []}));
                                r
                            })
                            .clone()
                    }
                };
                if !depends.contains(&r) {
                    depends.push(r);
                }
            }
            let mut dataset_refs = Vec::new();
            for d in &m.card.datasets {
                let key = format!("data\0{d}");
                let r = extra_refs
                    .entry(key)
                    .or_insert_with(|| {
                        let r = refs.unique(format!("dataset/{d}"));
                        let mut data = json!({"type": "dataset", "name": d});
                        let mut c = json!({"type": "data", "bom-ref": r, "name": d});
                        if let Some(o) = Origin::parse(d, OriginSource::CardModelName).filter(|o| o.revision.is_none())
                        {
                            data["contents"] = json!({"url": format!("{HUB}/datasets/{}", o.repo_id())});
                            if let Some(ns) = &o.namespace {
                                c["group"] = json!(ns);
                            }
                            c["name"] = json!(o.name);
                        }
                        c["data"] = json!([data]);
                        extra.push(c);
                        dependencies.push(json!({"ref": r, "dependsOn": []}));
                        r
                    })
                    .clone();
                dataset_refs.push(r.clone());
                depends.push(r);
            }
            dependencies.push(json!({"ref": mref, "dependsOn": depends}));

            let mut c = Map::new();
            c.insert("type".into(), json!("machine-learning-model"));
            c.insert("bom-ref".into(), json!(mref));
            match &m.origin {
                Some(o) => identity(&mut c, o),
                None => {
                    c.insert("name".into(), json!(m.name));
                }
            }
            // A loose file is the model: its hash is the model's.
            let single = (m.kind == ModelKind::File).then(|| m.files.first()).flatten();
            if let Some(h) = single.and_then(|f| f.sha256.as_ref()) {
                c.insert("hashes".into(), json!([{"alg": "SHA-256", "content": h}]));
            }
            if let Some(l) = licences(&m.licences, self.spec) {
                c.insert("licenses".into(), l);
            }
            if let Some(o) = &m.origin {
                let repo = format!("{HUB}/{}", o.repo_id());
                let mut ext = vec![json!({"type": "distribution", "url": repo})];
                if m.files.iter().any(|f| f.name == "README.md") {
                    let rev = o.revision.as_deref().unwrap_or("main");
                    ext.push(json!({"type": "model-card", "url": format!("{repo}/blob/{rev}/README.md")}));
                }
                c.insert("externalReferences".into(), Value::Array(ext));
            }
            if let Some(card) = model_card(m, &dataset_refs) {
                c.insert("modelCard".into(), card);
            }

            // Files, findings and the model's verdict.
            let mut files = Vec::new();
            let mut verdict = Verdict::Pass;
            let mut counts = [0usize; 4];
            for f in &m.files {
                let Some(t) = targets.get(f.report) else { continue };
                let v = report.verdict(t);
                verdict = match (verdict, v) {
                    (Verdict::Blocked, _) | (_, Verdict::Blocked) => Verdict::Blocked,
                    (Verdict::Warn, _) | (_, Verdict::Warn) => Verdict::Warn,
                    _ => Verdict::Pass,
                };
                let fref = if single.is_some() {
                    mref.clone()
                } else {
                    let fref = refs.unique(format!("{mref}#{}", f.name));
                    let mut fc = json!({"type": "file", "bom-ref": fref, "name": f.name});
                    if let Some(h) = &f.sha256 {
                        fc["hashes"] = json!([{"alg": "SHA-256", "content": h}]);
                    }
                    fc["properties"] = json!([
                        prop("modelvet:format", f.format.clone()),
                        prop("modelvet:size", f.size.to_string()),
                        prop("modelvet:verdict", verdict_str(v)),
                    ]);
                    files.push(fc);
                    fref
                };
                for fd in &t.findings {
                    if !fd.is_waived() {
                        counts[3 - fd.severity as usize] += 1;
                    }
                    let vref = refs.unique(format!("finding/{}", fd.fingerprint));
                    let mut detail = format!("{}\nat: {}", fd.message, fd.location);
                    if let Some(e) = &fd.evidence {
                        detail.push_str("\nevidence: ");
                        detail.push_str(e);
                    }
                    let mut props = vec![
                        prop("modelvet:rule-name", fd.rule.name),
                        prop("modelvet:location", fd.location.to_string()),
                        prop("modelvet:blocks", fd.blocks(report.fail_on).to_string()),
                    ];
                    if !fd.fingerprint.is_empty() {
                        props.push(prop("modelvet:fingerprint", fd.fingerprint.clone()));
                    }
                    if let Some(w) = &fd.waiver {
                        props.push(prop("modelvet:waiver", w.reason.clone()));
                        if w.expired {
                            props.push(prop("modelvet:waiver-expired", "true"));
                        }
                    }
                    vulnerabilities.push(json!({
                        "bom-ref": vref,
                        "id": fd.rule.code,
                        "source": {"name": "modelvet", "url": format!("{DOCS}/{}.md", fd.rule.code)},
                        "ratings": [{"source": {"name": "modelvet"}, "severity": severity(fd.severity), "method": "other"}],
                        "description": fd.rule.summary,
                        "detail": detail,
                        "affects": [{"ref": fref}],
                        "properties": props,
                    }));
                }
            }
            if !files.is_empty() {
                c.insert("components".into(), Value::Array(files));
            }
            let mut props = vec![prop("modelvet:verdict", verdict_str(verdict))];
            for (s, n) in Severity::ALL.iter().zip(counts) {
                props.push(prop(&format!("modelvet:findings:{}", s.as_str()), n.to_string()));
            }
            props.push(prop("modelvet:files", m.files.len().to_string()));
            if let Some(o) = &m.origin {
                props.push(prop("modelvet:origin-source", o.source.as_str()));
            }
            for b in &m.bases {
                let rel = match b.relation {
                    BaseRelation::AdapterOf => "adapter-of",
                    BaseRelation::Base => b.relation_name.as_deref().unwrap_or("base"),
                };
                props.push(prop(&format!("modelvet:base-model:{rel}"), b.id.clone()));
            }
            if let Some(sig) = &m.signature {
                props.push(prop("modelvet:signature", sig.status));
                if let Some(d) = &sig.detail {
                    props.push(prop("modelvet:signature:detail", d.clone()));
                }
            }
            if let Some(l) = &m.licence {
                props.push(prop("modelvet:licence:class", l.class));
                props.push(prop("modelvet:licence:verdict", l.verdict));
                if let Some(id) = &l.licence {
                    props.push(prop("modelvet:licence:deciding", id.clone()));
                }
                for i in &l.inherited {
                    props.push(prop("modelvet:licence:inherited", i.clone()));
                }
            }
            if m.facts.remote_code {
                props.push(prop("modelvet:remote-code", "true"));
            }
            if let Some(p) = &m.facts.peft_type {
                props.push(prop("modelvet:peft-type", p.clone()));
            }
            if let Some(l) = &m.card.library {
                props.push(prop("modelvet:library", l.clone()));
            }
            for t in &m.card.tags {
                props.push(prop("modelvet:tag", t.clone()));
            }
            for l in &m.card.languages {
                props.push(prop("modelvet:language", l.clone()));
            }
            for n in m.facts.notes.iter().chain(&m.card.problems) {
                props.push(prop("modelvet:note", n.clone()));
            }
            c.insert("properties".into(), Value::Array(props));
            models.push(Value::Object(c));
        }

        let mut metadata = json!({
            "timestamp": rfc3339(self.timestamp),
            "tools": {"components": [{
                "type": "application",
                "name": "modelvet",
                "version": env!("CARGO_PKG_VERSION"),
                "externalReferences": [{"type": "website", "url": "https://github.com/modelvet/modelvet"}],
            }]},
        });
        let mut meta_props = vec![prop("modelvet:fail-on", report.fail_on.as_str())];
        if let Some(p) = &report.run.policy {
            meta_props.push(prop("modelvet:policy-sha256", p.sha256.clone()));
        }
        meta_props.push(prop("modelvet:files-outside-models", self.bom.unassigned.to_string()));
        metadata["properties"] = Value::Array(meta_props);
        // One model is what the BOM describes; several are listed side by side.
        let mut components = Vec::new();
        if models.len() == 1 {
            metadata["component"] = models.remove(0);
        } else {
            components.extend(models);
        }
        components.extend(extra);

        let mut doc = json!({
            "$schema": format!("http://cyclonedx.org/schema/bom-{}.schema.json", self.spec.as_str()),
            "bomFormat": "CycloneDX",
            "specVersion": self.spec.as_str(),
            "serialNumber": self.serial_number,
            "version": 1,
            "metadata": metadata,
        });
        if !components.is_empty() {
            doc["components"] = Value::Array(components);
        }
        doc["dependencies"] = Value::Array(dependencies);
        if !vulnerabilities.is_empty() {
            doc["vulnerabilities"] = Value::Array(vulnerabilities);
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_serials_are_well_formed() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_599), "2025-12-31T23:59:59Z");
        let re = |s: &str| {
            let hex = s.strip_prefix("urn:uuid:").unwrap();
            hex.len() == 36
                && hex.chars().enumerate().all(|(i, c)| {
                    if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_digit() || ('a'..='f').contains(&c) }
                })
        };
        assert!(re(&random_serial_number()));
        let bom = Bom::default();
        let a = content_serial_number(&bom, &[], 5);
        assert!(re(&a), "{a}");
        assert_eq!(a, content_serial_number(&bom, &[], 5));
        assert_ne!(a, content_serial_number(&bom, &[], 6));
    }

    #[test]
    fn licences_fit_each_spec_version() {
        let ls = vec![BomLicence::Spdx("MIT".into()), BomLicence::Expression("Apache-2.0 OR BSD-3-Clause".into())];
        assert_eq!(
            licences(&ls, SpecVersion::V1_6).unwrap(),
            json!([{"expression": "MIT AND (Apache-2.0 OR BSD-3-Clause)", "acknowledgement": "declared"}])
        );
        assert_eq!(licences(&ls, SpecVersion::V1_7).unwrap().as_array().unwrap().len(), 2);
        let named = vec![BomLicence::Named { name: "llama3.1".into(), url: None }, ls[1].clone()];
        let v = licences(&named, SpecVersion::V1_6).unwrap();
        assert!(v.as_array().unwrap().iter().all(|l| l.get("license").is_some()), "{v}");
    }
}
