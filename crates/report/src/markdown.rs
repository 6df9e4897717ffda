//! Markdown, for pull-request comments and CI job summaries (GitHub's
//! `$GITHUB_STEP_SUMMARY`, GitLab merge-request notes): a headline, a table
//! of the files that need attention, and each one's findings in a collapsible
//! section. Passed files are counted, not listed, so a summary of a large
//! folder stays small; past [`MAX_FINDINGS`] findings the rest are counted.

use std::fmt::Write as _;
use std::io::{self, Write};

use modelvet_engine::{Finding, Severity, TargetReport};

use crate::{Emitter, Report, Verdict};

pub struct Markdown;

/// Findings written out in full before the rest are only counted.
pub const MAX_FINDINGS: usize = 200;

/// Escapes text for a Markdown table cell or line (no HTML, no table breaks).
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' => {
                o.push('\\');
                o.push(c);
            }
            '\n' | '\r' => o.push(' '),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// Escapes text for HTML (inside `<summary>`, where Markdown escapes do not apply).
fn html(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// A code span that holds any text: fenced with more backticks than it contains.
fn code(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c == '\n' || c == '\r' || c.is_control() { ' ' } else { c }).collect();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", clean.replace('|', "\\|"))
}

fn icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Blocked => "🛑 blocked",
        Verdict::Warn => "⚠️ warn",
        Verdict::Pass => "✅ pass",
    }
}

fn counts(t: &TargetReport) -> String {
    let mut parts = Vec::new();
    for s in Severity::ALL {
        let n = t.findings.iter().filter(|f| !f.is_waived() && f.severity == s).count();
        if n > 0 {
            parts.push(format!("{n} {s}"));
        }
    }
    let waived = t.findings.iter().filter(|f| f.is_waived()).count();
    if waived > 0 {
        parts.push(format!("{waived} waived"));
    }
    parts.join(", ")
}

fn finding(f: &Finding, o: &mut String) {
    let tag = if f.is_waived() { " *(waived)*" } else { "" };
    let _ = writeln!(o, "- **{}** `{}` {}{tag}: {}", f.severity, f.rule.code, f.rule.name, esc(&f.message));
    let mut at = f.location.members.clone();
    if let Some(off) = f.location.offset {
        at.push(format!("byte {off}"));
    }
    if !at.is_empty() {
        let _ = writeln!(o, "  - at: {}", esc(&at.join(" > ")));
    }
    if let Some(e) = &f.evidence {
        let _ = writeln!(o, "  - evidence: {}", code(e));
    }
    if let Some(w) = &f.waiver {
        let label = if w.expired { "waiver expired" } else { "waived" };
        let until = w.expires.as_deref().map(|d| format!(" (until {d})")).unwrap_or_default();
        let _ = writeln!(o, "  - {label}: {}{until}", esc(&w.reason));
    }
}

impl Emitter for Markdown {
    fn emit(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let s = report.summary();
        let mut o = String::new();
        let head = if s.blocked > 0 {
            "🛑 modelvet blocked"
        } else if s.errors > 0 {
            "❌ modelvet could not scan everything"
        } else if s.warned > 0 {
            "⚠️ modelvet passed with warnings"
        } else {
            "✅ modelvet passed"
        };
        let _ = writeln!(o, "## {head}\n");
        let _ = writeln!(
            o,
            "{} file{} scanned in {:.2} s: **{} blocked**, {} warned, {} passed{}. Findings: {} critical, {} high, {} medium, {} low{}. Fail level: {}.\n",
            s.targets,
            if s.targets == 1 { "" } else { "s" },
            report.elapsed_ms / 1000.0,
            s.blocked,
            s.warned,
            s.passed,
            if s.errors > 0 { format!(", {} errors", s.errors) } else { String::new() },
            s.critical,
            s.high,
            s.medium,
            s.low,
            if s.waived > 0 { format!(", {} waived", s.waived) } else { String::new() },
            report.fail_on
        );
        let attention: Vec<&TargetReport> =
            report.targets.iter().filter(|t| report.verdict(t) != Verdict::Pass || !t.findings.is_empty()).collect();
        if !attention.is_empty() || !report.failures.is_empty() {
            o.push_str("| verdict | file | format | findings |\n|---|---|---|---|\n");
            for t in &attention {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    icon(report.verdict(t)),
                    code(&t.path),
                    esc(&t.format),
                    counts(t)
                );
            }
            for e in report.failures {
                let _ = writeln!(o, "| ❌ error | {} | | {} |", code(&e.path), esc(&e.message));
            }
            o.push('\n');
        }
        let mut written = 0usize;
        let mut skipped = 0usize;
        for t in &attention {
            let _ = writeln!(
                o,
                "<details{}><summary>{} {}</summary>\n",
                if report.verdict(t) == Verdict::Blocked { " open" } else { "" },
                icon(report.verdict(t)),
                html(&t.path)
            );
            for f in &t.findings {
                if written >= MAX_FINDINGS {
                    skipped += 1;
                    continue;
                }
                finding(f, &mut o);
                written += 1;
            }
            o.push_str("\n</details>\n\n");
        }
        if skipped > 0 {
            let _ = writeln!(o, "… and {skipped} more findings (see the JSON or SARIF report).\n");
        }
        for w in &report.run.warnings {
            let _ = writeln!(o, "> ⚠️ {}\n", esc(w));
        }
        let mut foot = format!("modelvet {}", env!("CARGO_PKG_VERSION"));
        if let Some(p) = &report.run.policy {
            let _ = write!(foot, " · policy {} (sha256 {})", code(&p.path), &p.sha256[..12.min(p.sha256.len())]);
        }
        if let Some(b) = &report.run.baseline {
            let _ = write!(foot, " · {} findings already in baseline {}", b.suppressed, code(&b.path));
        }
        let _ = writeln!(o, "<sub>{foot}</sub>");
        out.write_all(o.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(esc("a|b\nc_d"), "a\\|b c\\_d");
        assert_eq!(code("x"), "`x`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("p|q"), "`p\\|q`");
    }
}
