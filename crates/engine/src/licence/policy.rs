//! The policy's `[licences]` table: allow, review or deny licences by id or
//! by class, with defaults a commercial user would expect.

use serde::Serialize;

use super::table::{self, LicenceClass};

/// What the policy says about a licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Fine to use (keep the notices).
    Allow,
    /// A person must read the terms: reported, never blocks by default.
    Review,
    /// Blocks.
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Review => "review",
            Verdict::Deny => "deny",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an entry of `allow`/`review`/`deny` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Class(LicenceClass),
    /// A licence id (Hub id, SPDX id, `license_name`), compared case-insensitively.
    Id(String),
}

impl Selector {
    /// A class name is a class; anything else is an id.
    pub fn parse(s: &str) -> Selector {
        match LicenceClass::parse(s) {
            // `other` and `unknown` are Hub ids as well as classes: a class covers the id.
            Some(c) => Selector::Class(c),
            None => Selector::Id(s.trim().to_ascii_lowercase()),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Selector::Class(c) => c.as_str().to_string(),
            Selector::Id(s) => s.clone(),
        }
    }
}

/// The `[licences]` table, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicencePolicy {
    /// `allow`/`review`/`deny` entries, in file order.
    pub rules: Vec<(Selector, Verdict)>,
    /// `check-loose-files`: also report a missing licence for model files that
    /// are not in a Hugging Face repository folder (`modelvet scan` only;
    /// `modelvet licence` always does).
    pub check_loose_files: bool,
}

/// The verdict for a class when the policy says nothing about it.
pub fn default_verdict(class: LicenceClass) -> Verdict {
    match class {
        LicenceClass::Permissive | LicenceClass::Attribution => Verdict::Allow,
        LicenceClass::NonCommercial | LicenceClass::ResearchOnly => Verdict::Deny,
        LicenceClass::Copyleft
        | LicenceClass::NoDerivatives
        | LicenceClass::Rail
        | LicenceClass::Llama
        | LicenceClass::Gemma
        | LicenceClass::Other
        | LicenceClass::Unknown
        | LicenceClass::Missing => Verdict::Review,
    }
}

impl LicencePolicy {
    /// The verdict for a licence: an entry naming its id (or its SPDX id) wins
    /// over one naming its class, which wins over the default.
    pub fn verdict(&self, id: Option<&str>, class: LicenceClass) -> Verdict {
        if let Some(id) = id {
            let spdx = table::lookup(id).and_then(|k| k.spdx);
            let hub = table::lookup(id).map(|k| k.id);
            for (sel, v) in &self.rules {
                if let Selector::Id(s) = sel
                    && (s.eq_ignore_ascii_case(id)
                        || spdx.is_some_and(|x| x.eq_ignore_ascii_case(s))
                        || hub.is_some_and(|x| x.eq_ignore_ascii_case(s)))
                {
                    return *v;
                }
            }
        }
        for (sel, v) in &self.rules {
            if *sel == Selector::Class(class) {
                return *v;
            }
        }
        default_verdict(class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_suit_a_commercial_user() {
        let p = LicencePolicy::default();
        assert_eq!(p.verdict(Some("apache-2.0"), LicenceClass::Permissive), Verdict::Allow);
        assert_eq!(p.verdict(Some("cc-by-4.0"), LicenceClass::Attribution), Verdict::Allow);
        assert_eq!(p.verdict(Some("cc-by-nc-4.0"), LicenceClass::NonCommercial), Verdict::Deny);
        assert_eq!(p.verdict(Some("deepfloyd-if-license"), LicenceClass::ResearchOnly), Verdict::Deny);
        assert_eq!(p.verdict(Some("llama3"), LicenceClass::Llama), Verdict::Review);
        assert_eq!(p.verdict(None, LicenceClass::Missing), Verdict::Review);
    }

    #[test]
    fn an_id_wins_over_its_class() {
        let p = LicencePolicy {
            rules: vec![
                (Selector::parse("llama"), Verdict::Deny),
                (Selector::parse("llama3.1"), Verdict::Allow),
                (Selector::parse("Apache-2.0"), Verdict::Deny),
            ],
            check_loose_files: false,
        };
        assert_eq!(p.verdict(Some("llama3.1"), LicenceClass::Llama), Verdict::Allow);
        assert_eq!(p.verdict(Some("llama2"), LicenceClass::Llama), Verdict::Deny);
        // An SPDX id in the policy covers the Hub id, and the other way round.
        assert_eq!(p.verdict(Some("apache-2.0"), LicenceClass::Permissive), Verdict::Deny);
    }
}
