//! A model's licences for the BOM: an SPDX id, a name (with a link), or an
//! SPDX expression — taken from the licence assessment ([`from_assessment`]:
//! the card, licence files, GGUF/safetensors/ONNX metadata), or from the card
//! alone ([`licences_for`]) for a model the assessment did not cover.

/// One licence statement, in the three shapes CycloneDX allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BomLicence {
    /// A valid SPDX licence id, in its canonical spelling (`Apache-2.0`).
    Spdx(String),
    /// A licence without an SPDX id (`llama3.1`, `openrail`, a card's `license_name`).
    Named { name: String, url: Option<String> },
    /// A valid SPDX licence expression (`MIT OR Apache-2.0`).
    Expression(String),
}

/// The card's licence fields, as written.
#[derive(Debug, Clone, Copy, Default)]
pub struct CardLicence<'a> {
    /// `license:` (a string or a list of them; Hub ids such as `apache-2.0`, `other`).
    pub license: &'a [String],
    /// `license_name:` (with `license: other`).
    pub license_name: Option<&'a str>,
    /// `license_link:` (a URL or a file in the repository).
    pub license_link: Option<&'a str>,
}

/// The licences of one model. The licence engine (`modelvet_engine::licence`)
/// replaces this body when it lands; until then, the card's front matter:
/// Hub id `other` with a `license_name` → [`BomLicence::Named`]; an SPDX id
/// (matched without regard to case, as the Hub writes them in lower case) →
/// [`BomLicence::Spdx`]; a valid SPDX expression → [`BomLicence::Expression`];
/// anything else → [`BomLicence::Named`], with `license_link` as its URL when
/// it is an http(s) URL.
pub fn licences_for(card: CardLicence<'_>) -> Vec<BomLicence> {
    let url = card.license_link.filter(|l| l.starts_with("https://") || l.starts_with("http://")).map(str::to_string);
    let mut out = Vec::new();
    for raw in card.license {
        let id = raw.trim();
        if id.is_empty() {
            continue;
        }
        let l = if id.eq_ignore_ascii_case("other") {
            match card.license_name.map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) => BomLicence::Named { name: name.to_string(), url: url.clone() },
                None => BomLicence::Named { name: "other".into(), url: url.clone() },
            }
        } else if let Some(spdx) = spdx_id(id) {
            BomLicence::Spdx(spdx.to_string())
        } else if is_expression(id) {
            BomLicence::Expression(id.to_string())
        } else {
            BomLicence::Named { name: id.to_string(), url: url.clone() }
        };
        if !out.contains(&l) {
            out.push(l);
        }
    }
    if out.is_empty()
        && let Some(name) = card.license_name.map(str::trim).filter(|n| !n.is_empty())
    {
        out.push(BomLicence::Named { name: name.to_string(), url });
    }
    out
}

/// The canonical SPDX id for `s`, compared without regard to case. Deprecated
/// ids are not used: the Hub's `gpl-3.0` does not say whether later versions
/// apply, so it stays a name rather than becoming a guess.
pub fn spdx_id(s: &str) -> Option<&'static str> {
    if let Some(l) = spdx::license_id(s).filter(|l| !l.is_deprecated() && s == l.name) {
        return Some(l.name);
    }
    spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(s))
        .and_then(|l| spdx::license_id(l.name))
        .filter(|l| !l.is_deprecated())
        .map(|l| l.name)
}

/// Whether `s` is a strict SPDX expression with an operator (`A OR B`, `A WITH E`).
pub fn is_expression(s: &str) -> bool {
    s.contains(' ') && spdx::Expression::parse_mode(s, spdx::ParseMode::STRICT).is_ok()
}

/// The model's own licences (declared or identified from a licence file; not
/// those inherited from a base model, which are the base model's component's)
/// from the licence assessment. Ids with an SPDX id become [`BomLicence::Spdx`],
/// the rest (`llama3.1`, `LicenseRef-…`, unknown names) [`BomLicence::Named`]
/// with the card's `license_link` when it is a URL. Falls back to the card when
/// the assessment found nothing of the model's own.
pub fn from_assessment(a: &crate::licence::ModelLicence, card: CardLicence<'_>) -> Vec<BomLicence> {
    use crate::licence::Origin;
    let url = card.license_link.filter(|l| l.starts_with("https://") || l.starts_with("http://")).map(str::to_string);
    let mut out = Vec::new();
    for t in a.terms.iter().filter(|t| !matches!(t.origin, Origin::Inherited { .. })) {
        let l = match t.spdx.as_deref().and_then(spdx_id) {
            Some(id) => BomLicence::Spdx(id.to_string()),
            None if is_expression(&t.id) && spdx_id(&t.id).is_none() && t.id.contains(' ') => {
                BomLicence::Expression(t.id.clone())
            }
            None => BomLicence::Named { name: t.id.clone(), url: url.clone() },
        };
        if !out.contains(&l) {
            out.push(l);
        }
    }
    if out.is_empty() {
        return licences_for(card);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card<'a>(license: &'a [String], name: Option<&'a str>, link: Option<&'a str>) -> CardLicence<'a> {
        CardLicence { license, license_name: name, license_link: link }
    }

    #[test]
    fn hub_ids_map_to_spdx_names_or_expressions() {
        let ids = ["apache-2.0", "MIT", "llama3.1", "MIT OR Apache-2.0", "cc-by-4.0"].map(String::from);
        assert_eq!(
            licences_for(card(&ids, None, Some("LICENSE"))),
            vec![
                BomLicence::Spdx("Apache-2.0".into()),
                BomLicence::Spdx("MIT".into()),
                BomLicence::Named { name: "llama3.1".into(), url: None },
                BomLicence::Expression("MIT OR Apache-2.0".into()),
                BomLicence::Spdx("CC-BY-4.0".into()),
            ]
        );
    }

    #[test]
    fn other_takes_the_license_name_and_link() {
        let ids = ["other".to_string()];
        let link = "https://example.com/LICENSE";
        assert_eq!(
            licences_for(card(&ids, Some("gemma-terms"), Some(link))),
            vec![BomLicence::Named { name: "gemma-terms".into(), url: Some(link.into()) }]
        );
        assert_eq!(
            licences_for(card(&[], Some("custom"), None)),
            vec![BomLicence::Named { name: "custom".into(), url: None }]
        );
        assert!(licences_for(card(&[], None, None)).is_empty());
    }

    #[test]
    fn deprecated_and_bogus_ids_stay_names() {
        assert_eq!(spdx_id("gpl-3.0"), None);
        assert_eq!(spdx_id("GPL-3.0-only"), Some("GPL-3.0-only"));
        assert!(!is_expression("MIT OR"));
        assert!(!is_expression("mit or apache-2.0"));
    }
}
