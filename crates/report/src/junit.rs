//! JUnit XML, for CI systems that show test results (GitLab, Jenkins, Azure
//! Pipelines, CircleCI): one test case per scanned file, failed when the file
//! is blocked, in error when it could not be scanned. Non-blocking findings
//! are listed in the case's `system-out`.

use std::fmt::Write as _;
use std::io::{self, Write};

use modelvet_engine::{Finding, TargetReport};

use crate::{Emitter, Report, Verdict};

pub struct Junit;

/// Escapes text for XML 1.0 attributes and content, dropping characters XML
/// cannot hold at all (most C0 controls).
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

fn describe(f: &Finding) -> String {
    let mut s = format!("{} {} {}: {}", f.severity, f.rule.code, f.rule.name, f.message);
    let mut at = f.location.members.clone();
    if let Some(o) = f.location.offset {
        at.push(format!("byte {o}"));
    }
    if !at.is_empty() {
        let _ = write!(s, "\n  at: {}", at.join(" > "));
    }
    if let Some(e) = &f.evidence {
        let _ = write!(s, "\n  evidence: {e}");
    }
    if let Some(w) = &f.waiver {
        let state = if w.expired { "expired waiver" } else { "waived" };
        let _ = write!(s, "\n  {state}: {}", w.reason);
    }
    s
}

fn case(report: &Report<'_>, t: &TargetReport, out: &mut String) {
    let class = format!("modelvet.{}", t.format);
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
        xml_escape(&t.path),
        xml_escape(&class),
        xml_escape(&t.path),
        t.duration_ms / 1000.0
    );
    let blocking: Vec<&Finding> = t.findings.iter().filter(|f| f.blocks(report.fail_on)).collect();
    let other: Vec<&Finding> = t.findings.iter().filter(|f| !f.blocks(report.fail_on)).collect();
    if blocking.is_empty() && other.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    if report.verdict(t) == Verdict::Blocked {
        let first = blocking[0];
        let msg = format!(
            "{} blocking finding{}: {} {} {}",
            blocking.len(),
            if blocking.len() == 1 { "" } else { "s" },
            first.severity,
            first.rule.code,
            first.message
        );
        let body: Vec<String> = blocking.iter().map(|f| describe(f)).collect();
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            xml_escape(&msg),
            first.rule.code,
            xml_escape(&body.join("\n"))
        );
    }
    if !other.is_empty() {
        let body: Vec<String> = other.iter().map(|f| describe(f)).collect();
        let _ = writeln!(out, "      <system-out>{}</system-out>", xml_escape(&body.join("\n")));
    }
    out.push_str("    </testcase>\n");
}

impl Emitter for Junit {
    fn emit(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let s = report.summary();
        let tests = s.targets + s.errors;
        let time = report.elapsed_ms / 1000.0;
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuites name=\"modelvet\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" time=\"{time:.3}\">",
            s.blocked, s.errors
        );
        let _ = writeln!(
            x,
            "  <testsuite name=\"modelvet scan\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{time:.3}\">",
            s.blocked, s.errors
        );
        x.push_str("    <properties>\n");
        let _ = writeln!(x, "      <property name=\"modelvet.version\" value=\"{}\"/>", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(x, "      <property name=\"modelvet.fail-on\" value=\"{}\"/>", report.fail_on);
        if let Some(p) = &report.run.policy {
            let _ = writeln!(x, "      <property name=\"modelvet.policy\" value=\"{}\"/>", xml_escape(&p.path));
            let _ = writeln!(x, "      <property name=\"modelvet.policy.sha256\" value=\"{}\"/>", p.sha256);
        }
        for (i, w) in report.run.warnings.iter().enumerate() {
            let _ = writeln!(x, "      <property name=\"modelvet.warning.{}\" value=\"{}\"/>", i + 1, xml_escape(w));
        }
        x.push_str("    </properties>\n");
        for t in report.targets {
            case(report, t, &mut x);
        }
        for e in report.failures {
            let _ = writeln!(
                x,
                "    <testcase name=\"{}\" classname=\"modelvet\">\n      <error message=\"{}\" type=\"scan-error\"/>\n    </testcase>",
                xml_escape(&e.path),
                xml_escape(&e.message)
            );
        }
        x.push_str("  </testsuite>\n</testsuites>\n");
        out.write_all(x.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::xml_escape;

    #[test]
    fn escaping() {
        assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml_escape("x\u{1}y\tz"), "x\u{FFFD}y\tz");
    }
}
