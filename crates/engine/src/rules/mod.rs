//! Rules: one file per rule, whose `//!` doc comment is the rule's
//! documentation (printed by `modelvet rule CODE` and rendered under
//! `docs/rules/`). The table in [`RULES`] lists every rule, one line each.

pub mod archive;
pub mod file;
pub mod gguf;
pub mod hf;
pub mod hub;
pub mod keras;
pub mod licence;
pub mod numpy;
pub mod onnx;
pub mod pickle;
pub mod python;
pub mod safetensors;
pub mod signing;
pub mod template;
pub mod tf;
pub mod torch;

use serde::Serialize;

use crate::finding::Severity;

mod docs {
    include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));
}

/// A rule's identity and defaults.
#[derive(Debug, Serialize)]
pub struct Rule {
    /// Stable code, e.g. `PKL001`.
    pub code: &'static str,
    /// Kebab-case name that says what it flags.
    pub name: &'static str,
    /// Severity unless the rule (or policy) decides otherwise for a finding.
    pub severity: Severity,
    /// One line: why a finding of this rule matters.
    pub summary: &'static str,
    /// `area/file` of the rule's source, which holds its documentation.
    #[serde(skip)]
    pub path: &'static str,
}

impl Rule {
    /// The rule's full documentation (its source file's doc comment).
    pub fn doc(&self) -> &'static str {
        docs::doc(self.path)
    }
}

/// Every rule: each area's table (`rules/<area>/mod.rs`, one line per rule), in order.
pub static RULES: std::sync::LazyLock<Vec<&'static Rule>> = std::sync::LazyLock::new(|| {
    [
        pickle::RULES,
        archive::RULES,
        numpy::RULES,
        torch::RULES,
        file::RULES,
        gguf::RULES,
        template::RULES,
        safetensors::RULES,
        onnx::RULES,
        keras::RULES,
        tf::RULES,
        hf::RULES,
        hub::RULES,
        python::RULES,
        licence::RULES,
        signing::RULES,
    ]
    .concat()
});

/// Looks a rule up by code (`PKL001`) or name (`dangerous-import`), case-insensitively.
pub fn find(key: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.code.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES.iter() {
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert!(seen.insert(r.name), "duplicate name {}", r.name);
            let doc = r.doc();
            for section in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(doc.contains(section), "{} lacks {section}", r.code);
            }
            assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{} name not kebab-case", r.code);
        }
    }

    /// The list of codes is an interface (policies and waivers name them):
    /// renaming one must be a deliberate change to this test.
    #[test]
    fn rule_codes_are_stable() {
        let codes: Vec<String> = RULES.iter().take(24).map(|r| format!("{} {}", r.code, r.name)).collect();
        assert_eq!(
            codes.join("\n"),
            "PKL001 dangerous-import\nPKL002 unknown-import\nPKL003 code-string-argument\nPKL004 code-by-value\n\
             PKL005 state-hijack\nPKL006 malformed-pickle\nPKL007 unresolved-import\nPKL008 data-after-stop\n\
             PKL009 analysis-limit\nPKL010 uncalled-unknown-import\nPKL011 frame-divergence\nARC001 path-traversal\nARC002 link-member\nARC003 archive-bomb\n\
             ARC004 archive-inconsistency\nARC005 malformed-archive\nARC006 encrypted-member\nARC007 nesting-too-deep\n\
             NPY001 object-array\nNPY002 malformed-npy\nTOR001 legacy-format\nFIL001 symlink-skipped\n\
             FIL002 file-too-large\nFIL003 unreadable-member"
        );
    }
}
