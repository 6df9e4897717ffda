//! The text report, for people: a verdict per target, each finding with its
//! rule, severity, place, evidence and why it matters, then a summary.

use std::io::{self, Write};

use modelvet_engine::{Action, Severity, TargetReport};

use crate::{Emitter, Report, Verdict};

pub struct Text {
    pub color: bool,
    /// Only targets with findings are listed.
    pub quiet: bool,
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn sev_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
    }
}

impl Text {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color { format!("{code}{s}{RESET}") } else { s.to_string() }
    }

    fn target(&self, report: &Report<'_>, t: &TargetReport, out: &mut dyn Write) -> io::Result<()> {
        let verdict = report.verdict(t);
        if self.quiet && verdict == Verdict::Pass {
            return Ok(());
        }
        let label = match verdict {
            Verdict::Blocked => self.paint("\x1b[1;31m", "BLOCKED"),
            Verdict::Warn => self.paint("\x1b[1;33m", "WARN   "),
            Verdict::Pass => self.paint("\x1b[1;32m", "PASS   "),
        };
        writeln!(
            out,
            "{label} {} {}",
            self.paint(BOLD, &t.path),
            self.paint(DIM, &format!("({}, {})", t.format, human_bytes(t.size)))
        )?;
        for f in &t.findings {
            let sev = self.paint(sev_color(f.severity), &format!("{:<8}", f.severity.as_str()));
            if self.quiet && f.is_waived() {
                continue;
            }
            let times = if f.occurrences > 1 { format!(" (×{})", f.occurrences) } else { String::new() };
            let policy = match (f.is_waived(), f.action) {
                (true, _) => " [waived]",
                (false, Action::Warn) => " [policy: warn]",
                (false, Action::Deny) => " [policy: deny]",
                (false, Action::Default) => "",
            };
            writeln!(
                out,
                "  {sev} {} {}{times}{}",
                self.paint(BOLD, f.rule.code),
                f.rule.name,
                self.paint(DIM, policy)
            )?;
            let mut at: Vec<String> = f.location.members.clone();
            if let Some(o) = f.location.offset {
                at.push(format!("byte {o}"));
            }
            if !at.is_empty() {
                writeln!(out, "           {} {}", self.paint(DIM, "at:"), at.join(" > "))?;
            }
            writeln!(out, "           {}", f.message)?;
            if let Some(e) = &f.evidence {
                writeln!(out, "           {} {}", self.paint(DIM, "evidence:"), e)?;
            }
            writeln!(out, "           {} {}", self.paint(DIM, "why:"), f.rule.summary)?;
            if let Some(w) = &f.waiver {
                let until = w.expires.as_deref().map(|d| format!(" (until {d})")).unwrap_or_default();
                if w.expired {
                    let d = w.expires.as_deref().unwrap_or("?");
                    writeln!(out, "           {} expired on {d}: {}", self.paint("\x1b[1;33m", "waiver:"), w.reason)?;
                } else {
                    writeln!(out, "           {} {}{until}", self.paint(DIM, "waived:"), w.reason)?;
                }
            }
        }
        Ok(())
    }
}

/// `1.5 MiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

impl Emitter for Text {
    fn emit(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        for t in report.targets {
            self.target(report, t, out)?;
        }
        for e in report.failures {
            writeln!(out, "{} {}: {}", self.paint("\x1b[1;35m", "ERROR  "), e.path, e.message)?;
        }
        for w in &report.run.warnings {
            writeln!(out, "{} {w}", self.paint("\x1b[1;33m", "warning:"))?;
        }
        let s = report.summary();
        let files = if s.targets == 1 { "file" } else { "files" };
        let mut extra = String::new();
        if s.waived > 0 {
            extra.push_str(&format!(", {} waived", s.waived));
        }
        if let Some(b) = &report.run.baseline {
            extra.push_str(&format!(", {} in baseline", b.suppressed));
        }
        writeln!(
            out,
            "\n{} {files} scanned in {:.2} s: {} blocked, {} warned, {} passed{} · findings: {} critical, {} high, {} medium, {} low{extra} (fail level: {})",
            s.targets,
            report.elapsed_ms / 1000.0,
            s.blocked,
            s.warned,
            s.passed,
            if s.errors > 0 { format!(", {} errors", s.errors) } else { String::new() },
            s.critical,
            s.high,
            s.medium,
            s.low,
            report.fail_on
        )?;
        for r in &report.run.remote {
            let pct =
                if r.repository_bytes == 0 { 100.0 } else { r.bytes_read as f64 * 100.0 / r.repository_bytes as f64 };
            let ranged = match r.range_read.len() {
                0 => String::new(),
                1 => "; 1 file by ranges (headers only)".to_string(),
                n => format!("; {n} files by ranges (headers only)"),
            };
            let pct = if pct > 0.0 && pct < 0.01 { "<0.01".to_string() } else { format!("{pct:.2}") };
            let line = format!(
                "{}: read {} of {} ({pct}%, {} files){ranged}",
                r.repository,
                human_bytes(r.bytes_read),
                human_bytes(r.repository_bytes),
                r.files
            );
            writeln!(out, "{}", self.paint(DIM, &line))?;
        }
        if let Some(p) = &report.run.policy {
            writeln!(
                out,
                "{}",
                self.paint(DIM, &format!("policy: {} (sha256 {})", p.path, &p.sha256[..12.min(p.sha256.len())]))
            )?;
        }
        Ok(())
    }
}
