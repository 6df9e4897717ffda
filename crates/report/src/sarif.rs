//! SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
//!
//! One `reportingDescriptor` per modelvet rule (help from the rule's
//! documentation, `security-severity` for GitHub), one `result` per finding.
//! Files are artifact locations relative to the repository root
//! (`%SRCROOT%`); archive members and nested payloads are logical locations;
//! each result carries its modelvet fingerprint in `partialFingerprints`.
//! Model files are binary, so every result points at line 1 and, where known,
//! at the byte offset. Waived findings are kept, with an accepted suppression.

use std::io::{self, Write};
use std::path::Path;

use modelvet_engine::policy::absolute;
use modelvet_engine::{Finding, RULES, Rule, Severity};
use serde_json::{Value, json};

use crate::{Emitter, Report};

pub struct Sarif;

const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const DOCS: &str = "https://github.com/modelvet/modelvet/blob/main/docs/rules";

/// GitHub's `security-severity` (0.0–10.0; ≥ 9 critical, ≥ 7 high, ≥ 4 medium).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The first paragraph under "## What it does", else the summary.
fn full_description(rule: &Rule) -> String {
    let doc = rule.doc();
    doc.split("## What it does")
        .nth(1)
        .and_then(|rest| rest.trim_start().split("\n\n").next())
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or_else(|| rule.summary.to_string())
}

/// `dangerous-import` → `DangerousImport` (SARIF's friendly-name convention).
fn pascal(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn descriptor(rule: &Rule) -> Value {
    let area = rule.path.split('/').next().unwrap_or("");
    json!({
        "id": rule.code,
        "name": pascal(rule.name),
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": full_description(rule) },
        "help": { "text": rule.doc(), "markdown": rule.doc() },
        "helpUri": format!("{DOCS}/{}.md", rule.code),
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": ["security", "supply-chain", area],
            "modelvet/name": rule.name,
            "precision": if rule.severity >= Severity::High { "high" } else { "medium" },
            "problem.severity": if rule.severity >= Severity::High { "error" } else if rule.severity == Severity::Medium { "warning" } else { "recommendation" },
            "security-severity": security_severity(rule.severity),
        }
    })
}

/// Percent-encodes what a URI path may not hold (RFC 3986 `pchar` plus `/`).
fn uri_path(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// The artifact location of a scanned path: relative to the root when under it.
fn artifact(path: &str, root: Option<&Path>) -> Value {
    if let Some(root) = root {
        let abs = absolute(Path::new(path));
        if let Ok(rel) = abs.strip_prefix(absolute(root)) {
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            return json!({ "uri": uri_path(&rel), "uriBaseId": "%SRCROOT%" });
        }
    }
    let abs = absolute(Path::new(path));
    let s = abs.to_string_lossy().replace('\\', "/");
    let s = if s.starts_with('/') { s } else { format!("/{s}") };
    json!({ "uri": format!("file://{}", uri_path(&s)) })
}

fn result(f: &Finding, path: &str, root: Option<&Path>, rule_index: usize) -> Value {
    let mut text = f.message.clone();
    if !text.ends_with('.') {
        text.push('.');
    }
    if !f.location.members.is_empty() {
        text.push_str(&format!(" In {}", f.location.members.join(" > ")));
        if let Some(o) = f.location.offset {
            text.push_str(&format!(" at byte {o}"));
        }
        text.push('.');
    } else if let Some(o) = f.location.offset {
        text.push_str(&format!(" At byte {o}."));
    }
    if let Some(e) = &f.evidence {
        text.push_str(&format!(" Evidence: {e}"));
    }
    let mut region = json!({ "startLine": 1 });
    if f.location.members.is_empty()
        && let Some(o) = f.location.offset
    {
        region["byteOffset"] = json!(o);
    }
    let mut location = json!({
        "physicalLocation": { "artifactLocation": artifact(path, root), "region": region }
    });
    if !f.location.members.is_empty() {
        let mut fqn = path.to_string();
        let logical: Vec<Value> = f
            .location
            .members
            .iter()
            .map(|m| {
                fqn.push_str(" > ");
                fqn.push_str(m);
                json!({ "name": m, "fullyQualifiedName": fqn.clone() })
            })
            .collect();
        location["logicalLocations"] = Value::Array(logical);
    }
    let mut props = json!({ "modelvet/severity": f.severity.as_str(), "modelvet/occurrences": f.occurrences });
    if let Some(o) = f.location.offset {
        props["modelvet/offset"] = json!(o);
    }
    if !f.location.members.is_empty() {
        props["modelvet/members"] = json!(f.location.members);
    }
    if !f.action.is_default() {
        props["modelvet/action"] = json!(f.action);
    }
    let mut r = json!({
        "ruleId": f.rule.code,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [location],
        "partialFingerprints": { "modelvet/v1": f.fingerprint },
        "properties": props,
    });
    if let Some(w) = &f.waiver {
        if w.expired {
            r["properties"]["modelvet/waiverExpired"] = json!(w.expires);
        } else {
            let mut s = json!({ "kind": "external", "status": "accepted", "justification": w.reason });
            if let Some(d) = &w.expires {
                s["properties"] = json!({ "expires": d });
            }
            r["suppressions"] = json!([s]);
        }
    }
    r
}

impl Emitter for Sarif {
    fn emit(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let root = report.run.root.as_deref();
        let rules: Vec<Value> = RULES.iter().map(|r| descriptor(r)).collect();
        let index = |code: &str| RULES.iter().position(|r| r.code == code).unwrap_or(0);
        let mut results = Vec::new();
        for t in report.targets {
            for f in &t.findings {
                results.push(result(f, &t.path, root, index(f.rule.code)));
            }
        }
        let mut notes: Vec<Value> = report
            .failures
            .iter()
            .map(|e| {
                json!({
                    "level": "error",
                    "message": { "text": format!("{}: {}", e.path, e.message) },
                    "locations": [{ "physicalLocation": { "artifactLocation": artifact(&e.path, root) } }],
                })
            })
            .collect();
        notes.extend(report.run.warnings.iter().map(|w| json!({ "level": "warning", "message": { "text": w } })));
        let mut invocation = json!({ "executionSuccessful": report.failures.is_empty() });
        if !notes.is_empty() {
            invocation["toolExecutionNotifications"] = Value::Array(notes);
        }
        let mut run = json!({
            "tool": { "driver": {
                "name": "modelvet",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/modelvet/modelvet",
                "rules": rules,
            }},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": { "modelvet/failOn": report.fail_on.as_str() },
        });
        if let Some(root) = root {
            let mut uri = absolute(root).to_string_lossy().replace('\\', "/");
            if !uri.ends_with('/') {
                uri.push('/');
            }
            run["originalUriBaseIds"] = json!({ "%SRCROOT%": { "uri": format!("file://{}", uri_path(&uri)) } });
        }
        if let Some(p) = &report.run.policy {
            run["properties"]["modelvet/policy"] = json!({ "path": p.path, "sha256": p.sha256 });
        }
        if let Some(b) = &report.run.baseline {
            run["properties"]["modelvet/baseline"] = json!({ "path": b.path, "suppressed": b.suppressed });
        }
        let doc = json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": [run] });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal("dangerous-import"), "DangerousImport");
        assert_eq!(pascal("tf-python-callback-op"), "TfPythonCallbackOp");
    }

    #[test]
    fn uris() {
        assert_eq!(uri_path("a b/c#d.pt"), "a%20b/c%23d.pt");
        assert_eq!(uri_path("mödel.pt"), "m%C3%B6del.pt");
        let root = absolute(Path::new("."));
        let a = artifact("models/x y.pt", Some(&root));
        assert_eq!(a["uri"], "models/x%20y.pt");
        assert_eq!(a["uriBaseId"], "%SRCROOT%");
        let outside = artifact("/elsewhere/m.pt", Some(Path::new("/work/repo")));
        assert_eq!(outside["uri"], "file:///elsewhere/m.pt");
    }

    #[test]
    fn every_rule_has_a_first_paragraph() {
        for r in RULES.iter() {
            let d = full_description(r);
            assert!(d.len() > 20 && !d.contains('\n'), "{}: {d:?}", r.code);
        }
    }
}
