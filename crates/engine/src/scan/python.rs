//! Python source files (trust_remote_code modules), parsed to an AST

use std::io::{Read, SeekFrom};

use modelvet_formats::container::ReadSeek;
use modelvet_formats::python::{self, HitKind, MAX_SOURCE};

use super::{Ctx, Hint};
use crate::finding::{Finding, Severity};
use crate::rules::python as rp;

/// The rule and severity for a hit.
fn rule_of(kind: HitKind, import_time: bool) -> (&'static crate::rules::Rule, Severity) {
    let at_import = |base: Severity, raised: Severity| if import_time { raised } else { base };
    match kind {
        HitKind::ProcessExec => (&rp::process_execution::RULE, at_import(Severity::High, Severity::Critical)),
        HitKind::DynamicCode => (&rp::dynamic_code_execution::RULE, Severity::Critical),
        HitKind::EncodedExec => (&rp::encoded_payload_execution::RULE, Severity::Critical),
        HitKind::Obfuscated => (&rp::obfuscated_call::RULE, Severity::Critical),
        HitKind::RemotePayload => (&rp::remote_payload::RULE, Severity::Critical),
        HitKind::UnsafeDeserialize => (&rp::unsafe_deserialization::RULE, at_import(Severity::Medium, Severity::High)),
        HitKind::NativeCode => (&rp::native_code_access::RULE, Severity::High),
        HitKind::RuntimeTamper => (&rp::runtime_tampering::RULE, Severity::High),
        HitKind::PersistenceWrite => (&rp::persistence_write::RULE, Severity::Critical),
        HitKind::Socket => (&rp::network_socket::RULE, at_import(Severity::High, Severity::Critical)),
        HitKind::BackgroundTask => (&rp::import_time_background_task::RULE, Severity::High),
        HitKind::NetworkFetch => (&rp::network_download::RULE, at_import(Severity::Low, Severity::Medium)),
        HitKind::SecretExfiltration { flow: true } => (&rp::secret_exfiltration::RULE, Severity::Critical),
        HitKind::SecretExfiltration { flow: false } => (&rp::secret_exfiltration::RULE, Severity::High),
    }
}

impl Ctx<'_> {
    /// Scans the stream if it is Python source files (trust_remote_code modules), parsed to an AST; `None` lets the caller try other formats.
    pub(super) fn try_python(
        &mut self,
        head: &[u8],
        src: &mut dyn ReadSeek,
        len: u64,
        _depth: u32,
        hint: Hint<'_>,
    ) -> Option<&'static str> {
        let name = hint.name?;
        // Source code has no magic number: the name decides, and binary content is left to the other scanners.
        if !(name.ends_with(".py") || name.ends_with(".pyw")) || head.contains(&0) {
            return None;
        }
        if len > MAX_SOURCE as u64 {
            let f = Finding::new(
                &rp::python_analysis_limit::RULE,
                format!("{len} bytes of Python source is above the {MAX_SOURCE}-byte limit; not analysed"),
                self.loc(None),
            );
            self.finding(f);
            return Some("python");
        }
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        if src.seek(SeekFrom::Start(0)).is_err() || Read::take(&mut *src, len).read_to_end(&mut buf).is_err() {
            return None;
        }
        let text = String::from_utf8_lossy(&buf);
        self.check_python_source(&text, None);
        Some("python")
    }

    /// Analyses Python source and reports what it finds; `base` is the
    /// source's offset in the stream when it is embedded in something else.
    pub(super) fn check_python_source(&mut self, text: &str, base: Option<u64>) {
        let a = python::analyze(text);
        let at = |off: u32| Some(base.unwrap_or(0) + u64::from(off));
        if let Some((off, line, col, msg)) = &a.syntax_error {
            let f = Finding::new(
                &rp::python_syntax_error::RULE,
                format!("line {line}, column {col}: Python syntax error: {msg}"),
                self.loc(at(*off)),
            );
            self.finding(f);
        }
        if let Some(why) = &a.limited {
            let f = Finding::new(
                &rp::python_analysis_limit::RULE,
                format!("{why}; part of the file was not analysed"),
                self.loc(None),
            );
            self.finding(f);
        }
        for h in a.hits {
            let (rule, severity) = rule_of(h.kind, h.import_time);
            let when = if h.import_time { " (runs at import time)" } else { "" };
            let mut f = Finding::new(
                rule,
                format!("line {}, column {}: {}{when}", h.line, h.col, h.detail),
                self.loc(at(h.offset)),
            )
            .severity(severity);
            if let Some(ev) = h.evidence {
                f = f.evidence(ev);
            }
            self.finding(f);
        }
    }
}
