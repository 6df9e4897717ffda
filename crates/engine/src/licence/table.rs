//! The curated licence table (`data/licences/licences.tsv`) and the phrase
//! rules (`data/licences/phrases.tsv`): data, read once.

use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;

/// What a licence means for a commercial user, as a policy class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LicenceClass {
    Permissive,
    Attribution,
    Copyleft,
    NoDerivatives,
    NonCommercial,
    ResearchOnly,
    Rail,
    Llama,
    Gemma,
    /// A named licence outside the other classes (vendor terms, `license: other`).
    Other,
    /// An id modelvet does not know, a family that names no single licence, or `unknown`.
    Unknown,
    /// Nothing declared and no licence text found.
    Missing,
}

impl LicenceClass {
    pub const ALL: [LicenceClass; 12] = [
        LicenceClass::Permissive,
        LicenceClass::Attribution,
        LicenceClass::Copyleft,
        LicenceClass::NoDerivatives,
        LicenceClass::NonCommercial,
        LicenceClass::ResearchOnly,
        LicenceClass::Rail,
        LicenceClass::Llama,
        LicenceClass::Gemma,
        LicenceClass::Other,
        LicenceClass::Unknown,
        LicenceClass::Missing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LicenceClass::Permissive => "permissive",
            LicenceClass::Attribution => "attribution",
            LicenceClass::Copyleft => "copyleft",
            LicenceClass::NoDerivatives => "no-derivatives",
            LicenceClass::NonCommercial => "non-commercial",
            LicenceClass::ResearchOnly => "research-only",
            LicenceClass::Rail => "rail",
            LicenceClass::Llama => "llama",
            LicenceClass::Gemma => "gemma",
            LicenceClass::Other => "other",
            LicenceClass::Unknown => "unknown",
            LicenceClass::Missing => "missing",
        }
    }

    /// Parses a class name (case-insensitive; `RAIL` and `noncommercial` spellings accepted).
    pub fn parse(s: &str) -> Option<Self> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        let k = match k.as_str() {
            "noncommercial" | "nc" => "non-commercial",
            "research" => "research-only",
            "nd" | "noderivatives" => "no-derivatives",
            other => other,
        };
        Self::ALL.into_iter().find(|c| c.as_str() == k)
    }

    /// How much a licence restricts reuse, for "a derivative declares a looser
    /// licence than its base": conditional terms (RAIL, Llama, Gemma, vendor
    /// terms) rank above copyleft, and non-commercial/research-only highest.
    pub fn restrictiveness(self) -> u8 {
        match self {
            LicenceClass::Permissive => 0,
            LicenceClass::Attribution => 1,
            LicenceClass::Copyleft => 2,
            LicenceClass::Rail | LicenceClass::Llama | LicenceClass::Gemma | LicenceClass::Other => 3,
            LicenceClass::NoDerivatives => 4,
            LicenceClass::NonCommercial | LicenceClass::ResearchOnly => 5,
            LicenceClass::Unknown | LicenceClass::Missing => 0,
        }
    }
}

impl fmt::Display for LicenceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a row is a Hugging Face Hub id or a name modelvet knows otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One of the Hub's `license:` ids.
    Hub,
    /// A `license_name` seen with `license: other`, or a family found by phrase.
    Name,
}

/// One row of the licence table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: &'static str,
    pub class: LicenceClass,
    /// SPDX id (or `LicenseRef-…`), when there is one.
    pub spdx: Option<&'static str>,
    pub kind: Kind,
}

/// One phrase rule.
#[derive(Debug, Clone)]
pub struct Phrase {
    pub id: &'static str,
    /// Normalised (see [`normalise`]).
    pub phrase: String,
}

const LICENCES_TSV: &str = include_str!("../../data/licences/licences.tsv");
const PHRASES_TSV: &str = include_str!("../../data/licences/phrases.tsv");

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|l| l.split('\t').collect())
}

/// Every known licence, in table order. Rows that do not parse are skipped
/// (a unit test keeps the file clean).
pub static LICENCES: LazyLock<Vec<Known>> = LazyLock::new(|| {
    rows(LICENCES_TSV)
        .filter_map(|c| {
            let class = LicenceClass::parse(c.get(1)?)?;
            let spdx = c.get(2).copied().filter(|s| *s != "-");
            let kind = match *c.get(3)? {
                "hub" => Kind::Hub,
                _ => Kind::Name,
            };
            Some(Known { id: c.first()?, class, spdx, kind })
        })
        .collect()
});

/// The phrase rules, in file order.
pub static PHRASES: LazyLock<Vec<Phrase>> = LazyLock::new(|| {
    rows(PHRASES_TSV).filter_map(|c| Some(Phrase { id: c.first()?, phrase: normalise(c.get(1)?) })).collect()
});

/// Looks a declared id up: a Hub id or known `license_name` (case-insensitive),
/// or an SPDX id from the table's SPDX column (`Apache-2.0`, `GPL-3.0-only`,
/// also the deprecated `GPL-3.0`). Never a fuzzy or prefix match.
pub fn lookup(id: &str) -> Option<&'static Known> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    if let Some(k) = LICENCES.iter().find(|k| k.id.eq_ignore_ascii_case(id)) {
        return Some(k);
    }
    if let Some(k) = LICENCES.iter().find(|k| k.spdx.is_some_and(|s| s.eq_ignore_ascii_case(id))) {
        return Some(k);
    }
    // Deprecated SPDX spellings (`GPL-3.0`, `GPL-3.0+`, `LGPL-2.1-or-later`) of table rows.
    let base = id.trim_end_matches('+');
    let base = base.strip_suffix("-or-later").or_else(|| base.strip_suffix("-only")).unwrap_or(base);
    LICENCES.iter().find(|k| {
        k.spdx.is_some_and(|s| {
            let s = s.strip_suffix("-only").unwrap_or(s);
            s.eq_ignore_ascii_case(base)
        })
    })
}

/// The row for an SPDX id found by text matching.
pub fn by_spdx(spdx: &str) -> Option<&'static Known> {
    LICENCES.iter().find(|k| k.spdx == Some(spdx))
}

/// Lower-cases and collapses whitespace and markdown emphasis, so that a
/// phrase matches across line breaks and `**bold**` titles.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '*' | '_' | '#' | '`' | '\u{a0}') {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            out.extend(c.to_lowercase());
            space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses_and_the_hub_list_is_complete() {
        let data_rows = rows(LICENCES_TSV).count();
        assert_eq!(LICENCES.len(), data_rows, "a row of licences.tsv does not parse");
        for c in rows(LICENCES_TSV) {
            assert_eq!(c.len(), 5, "row {c:?} needs 5 columns");
            assert!(!c[4].is_empty(), "row {c:?} needs a source");
        }
        // hub-docs lists 83 ids (reference snapshot 242f4a1).
        assert_eq!(LICENCES.iter().filter(|k| k.kind == Kind::Hub).count(), 83);
        let mut seen = std::collections::HashSet::new();
        for k in LICENCES.iter() {
            assert!(seen.insert(k.id.to_ascii_lowercase()), "duplicate id {}", k.id);
        }
        for p in PHRASES.iter() {
            assert!(lookup(p.id).is_some(), "phrase for unknown id {}", p.id);
        }
        assert_eq!(PHRASES.len(), rows(PHRASES_TSV).count());
    }

    #[test]
    fn spdx_ids_in_the_table_exist_in_the_pinned_list() {
        for k in LICENCES.iter() {
            if let Some(s) = k.spdx.filter(|s| !s.starts_with("LicenseRef-")) {
                let l =
                    spdx::license_id(s).unwrap_or_else(|| panic!("{s} is not in SPDX {}", spdx::identifiers::VERSION));
                assert!(!l.is_deprecated(), "{s} is deprecated");
            }
        }
    }

    #[test]
    fn lookup_is_exact_not_fuzzy() {
        assert_eq!(lookup("Apache-2.0").map(|k| k.id), Some("apache-2.0"));
        assert_eq!(lookup("bsd-3-clause").map(|k| k.id), Some("bsd-3-clause"));
        assert_eq!(lookup("GPL-3.0").map(|k| k.id), Some("gpl-3.0"));
        assert_eq!(lookup("LGPL-2.1-or-later").map(|k| k.id), Some("lgpl-2.1"));
        assert_eq!(lookup("bsd").map(|k| k.class), Some(LicenceClass::Unknown));
        assert_eq!(lookup("LLAMA3.1").map(|k| k.class), Some(LicenceClass::Llama));
        assert!(lookup("apache").is_none());
        assert!(lookup("").is_none());
    }

    #[test]
    fn normalise_collapses_markdown_and_space() {
        assert_eq!(normalise("**LLAMA 3.1\n  COMMUNITY** License"), "llama 3.1 community license");
    }
}
