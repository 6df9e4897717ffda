//! Look-alike repository names: a namespace that is not a well-known
//! publisher but reads like one (`meta_llama`, `rneta-llama`, `llama-meta`,
//! `meta-lllama` for `meta-llama`) is held until an administrator releases
//! it. Optionally, only an allowlist of publishers is served at all.
//!
//! The well-known list ships as data (`data/publishers.tsv`, with sources)
//! and can be replaced by a file of the same format.

use std::collections::HashSet;

/// The shipped list of well-known publishers.
pub const BUILTIN: &str = include_str!("../data/publishers.tsv");

/// Why a repository is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The namespace imitates a well-known publisher.
    LookAlike { publisher: String, how: &'static str },
    /// An allowlist is configured and the namespace is not on it.
    NotAllowed,
}

/// Well-known publishers and the optional allowlist.
#[derive(Debug, Clone, Default)]
pub struct Publishers {
    known: Vec<String>,
    known_lower: HashSet<String>,
    allow: Option<HashSet<String>>,
}

impl Publishers {
    /// Parses the TSV format: `namespace<TAB>source`, `#` comments.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut known = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let org = line.split('\t').next().unwrap_or_default().trim();
            crate::names::RepoId::new(org, "x").map_err(|e| format!("line {}: {e}", i + 1))?;
            known.push(org.to_string());
        }
        let known_lower = known.iter().map(|k| k.to_ascii_lowercase()).collect();
        Ok(Self { known, known_lower, allow: None })
    }

    /// The shipped list.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).unwrap_or_default()
    }

    /// Serves only these namespaces (compared without case).
    pub fn with_allowlist(mut self, orgs: &[String]) -> Self {
        self.allow = (!orgs.is_empty()).then(|| orgs.iter().map(|o| o.to_ascii_lowercase()).collect());
        self
    }

    /// Whether a namespace is held, and why.
    pub fn check(&self, namespace: &str) -> Option<Hold> {
        let lower = namespace.to_ascii_lowercase();
        if let Some(allow) = &self.allow {
            return (!allow.contains(&lower)).then_some(Hold::NotAllowed);
        }
        if self.known_lower.contains(&lower) {
            return None;
        }
        let skel = skeleton(&lower);
        let tokens = sorted_tokens(&lower);
        for k in &self.known {
            let kl = k.to_ascii_lowercase();
            let how = if skeleton(&kl) == skel {
                "same name once look-alike characters and separators are read alike"
            } else if tokens.len() > 1 && sorted_tokens(&kl) == tokens {
                "the same words in another order"
            } else if kl.len() >= 5 && edit_distance(&kl, &lower) <= if kl.len() >= 10 { 2 } else { 1 } {
                "a name one or two typing mistakes away"
            } else {
                continue;
            };
            return Some(Hold::LookAlike { publisher: k.clone(), how });
        }
        None
    }
}

/// Lower-case name with look-alike characters mapped to one form and
/// separators removed: `rneta_llama` → `metallama`.
fn skeleton(lower: &str) -> String {
    let mut s: String = lower.chars().filter(|c| !matches!(c, '-' | '_' | '.')).collect();
    for (from, to) in [("rn", "m"), ("vv", "w"), ("cl", "d")] {
        s = s.replace(from, to);
    }
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' => 'l',
            '3' => 'e',
            '5' => 's',
            _ => c,
        })
        .collect()
}

fn sorted_tokens(lower: &str) -> Vec<&str> {
    let mut t: Vec<&str> = lower.split(['-', '_', '.']).filter(|t| !t.is_empty()).collect();
    t.sort_unstable();
    t
}

/// Levenshtein distance over bytes (names are ASCII), bounded input sizes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_of_well_known_publishers_are_held() {
        let p = Publishers::builtin();
        assert!(p.known.len() > 30);
        for ok in ["meta-llama", "Meta-Llama", "google", "acme", "my-team", "Qwen", "qwen"] {
            assert_eq!(p.check(ok), None, "{ok}");
        }
        for (bad, publisher) in [
            ("meta_llama", "meta-llama"),
            ("rneta-llama", "meta-llama"),
            ("llama-meta", "meta-llama"),
            ("meta-lllama", "meta-llama"),
            ("meta.llama", "meta-llama"),
            ("micros0ft", "microsoft"),
            ("mistral-ai", "mistralai"),
            ("deepseek_ai", "deepseek-ai"),
            ("stabilityal", "stabilityai"),
        ] {
            match p.check(bad) {
                Some(Hold::LookAlike { publisher: got, .. }) => assert_eq!(got, publisher, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_allowlist_serves_only_its_publishers() {
        let p = Publishers::builtin().with_allowlist(&["acme".into(), "meta-llama".into()]);
        assert_eq!(p.check("ACME"), None);
        assert_eq!(p.check("meta-llama"), None);
        assert_eq!(p.check("google"), Some(Hold::NotAllowed));
    }

    #[test]
    fn lists_are_validated() {
        assert!(Publishers::parse("good\tsource\n# comment\n\nbad name\tx\n").is_err());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
