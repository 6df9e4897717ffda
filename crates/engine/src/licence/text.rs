//! Identifies a licence *text* (a `LICENSE` file, a metadata value that holds
//! a whole licence): first the phrase rules for model licences that the SPDX
//! list does not hold (Llama, Gemma, RAIL, …), then askalono's n-gram matcher
//! (in the `spdx` crate) against the SPDX licence-list texts of every SPDX id
//! in the licence table, as shipped by the pinned `spdx` crate.

use std::sync::LazyLock;

use spdx::detection::{Store, TextData};

use super::table::{self, Known};

/// Only this much of a text is compared with the SPDX texts: the longest
/// licences in the table (AGPL-3.0, GPL-3.0) are about 35 KB, and n-gram
/// matching time grows with the text.
const MAX_MATCHED: usize = 128 << 10;
/// Lowest askalono score accepted as an identification.
pub const MIN_SCORE: f32 = 0.80;

/// A licence identified in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    pub licence: &'static Known,
    /// 1.0 for a phrase rule; askalono's similarity score otherwise.
    pub confidence: f32,
    /// How: `phrase "…"` or `SPDX text <id>`.
    pub method: String,
}

/// The SPDX version of the texts compared.
pub fn spdx_list_version() -> &'static str {
    spdx::identifiers::VERSION
}

static STORE: LazyLock<Store> = LazyLock::new(|| {
    let mut store = Store::new();
    for k in table::LICENCES.iter() {
        let Some(id) = k.spdx.filter(|s| !s.starts_with("LicenseRef-")) else { continue };
        if let Some((_, text)) = spdx::text::LICENSE_TEXTS.iter().find(|(n, _)| *n == id)
            && store.get_original(id).is_none()
        {
            store.add_license(id.to_string(), TextData::new(text));
        }
    }
    store
});

/// Identifies the licence in `text`, if any.
pub fn identify(text: &str) -> Option<Identified> {
    let norm = table::normalise(text);
    for p in table::PHRASES.iter() {
        if norm.contains(&p.phrase) {
            let licence = table::lookup(p.id)?;
            return Some(Identified { licence, confidence: 1.0, method: format!("phrase \"{}\"", p.phrase) });
        }
    }
    spdx_match(text)
}

/// The closest SPDX licence text, when it is close enough.
pub fn spdx_match(text: &str) -> Option<Identified> {
    let cut = &text[..text.floor_char_boundary(MAX_MATCHED.min(text.len()))];
    // Short notices ("Licensed under MIT") carry too few n-grams to compare.
    cut.split_whitespace().nth(20)?;
    let data = TextData::new(cut);
    let m = STORE.analyze(&data);
    let (name, score) = if m.score >= MIN_SCORE {
        (m.name, m.score)
    } else {
        // A licence with a preamble or a copyright block around it: find the
        // best-matching window within the text.
        let (_, s) = data.optimize_bounds(m.data);
        if s < MIN_SCORE {
            return None;
        }
        (m.name, s)
    };
    let licence = table::by_spdx(name)?;
    Some(Identified { licence, confidence: score, method: format!("SPDX {} text {name}", spdx_list_version()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spdx_text(id: &str) -> &'static str {
        spdx::text::LICENSE_TEXTS.iter().find(|(n, _)| *n == id).map(|(_, t)| *t).unwrap()
    }

    #[test]
    fn spdx_texts_are_identified() {
        for (id, want) in [("Apache-2.0", "apache-2.0"), ("MIT", "mit"), ("CC-BY-NC-4.0", "cc-by-nc-4.0")] {
            let got = identify(spdx_text(id)).unwrap_or_else(|| panic!("{id} not identified"));
            assert_eq!(got.licence.id, want, "{id}: {}", got.method);
        }
        // The MIT text with a real copyright line and a preamble.
        let mit = format!(
            "Model weights for example-org/tiny.\n\n{}",
            spdx_text("MIT").replace("<year> <copyright holders>", "2024 Example Org")
        );
        assert_eq!(identify(&mit).map(|i| i.licence.id), Some("mit"));
    }

    #[test]
    fn phrases_identify_model_licences() {
        let cases = [
            ("LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024", "llama3.1"),
            ("META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date", "llama3"),
            ("# Gemma Terms of Use\n\nLast modified: February 21, 2024", "gemma"),
            ("CreativeML Open RAIL-M\ndated August 22, 2022", "creativeml-openrail-m"),
            ("**Qwen RESEARCH LICENSE AGREEMENT**", "qwen-research"),
        ];
        for (text, want) in cases {
            assert_eq!(identify(text).map(|i| i.licence.id), Some(want), "{text}");
        }
    }

    #[test]
    fn unrelated_text_is_not_identified() {
        assert!(identify("This repository holds the weights of a small model. Enjoy.").is_none());
        let prose = "lorem ipsum dolor sit amet ".repeat(200);
        assert!(identify(&prose).is_none());
    }
}
