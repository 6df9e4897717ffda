//! Hugging Face Hub repository names: validation, and the look-alike checks
//! that catch a poisoned model published under a name made to be mistaken for
//! a well-known one (`rneta-llama/…`, `meta_llama/…`, `Meta-Llama-3-8B` under
//! an unknown publisher).
//!
//! Used by the gate before it fetches anything and by `scan hf://`; the
//! findings are ordinary [`Finding`]s of the `HUB*` rules, so policy, waivers
//! and every report format apply to them.
//!
//! ```
//! use modelvet_engine::hub::{KnownNames, RepoId, check_repo};
//! let known = KnownNames::builtin();
//! let repo = RepoId::parse("rneta-llama/Llama-3.1-8B-Instruct").unwrap();
//! let findings = check_repo(&repo, &known);
//! assert_eq!(findings[0].rule.code, "HUB001");
//! assert!(check_repo(&RepoId::parse("meta-llama/Llama-3.1-8B-Instruct").unwrap(), &known).is_empty());
//! ```

use std::fmt;

use crate::finding::{Finding, Location};
use crate::rules::hub::{impersonated_model_name, lookalike_publisher, unlisted_publisher};

/// `publisher/name` as the Hub writes it. Parts follow the Hub's own rules:
/// 1–96 characters of ASCII letters, digits, `-`, `_` and `.`; not starting
/// or ending with `-` or `.`; no `--` or `..` (the Hub's cache layout and
/// URLs rely on both).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId {
    pub publisher: String,
    pub name: String,
}

impl RepoId {
    /// Parses `publisher/name`; the error says what is wrong.
    pub fn parse(s: &str) -> Result<RepoId, String> {
        let Some((publisher, name)) = s.split_once('/') else {
            return Err(format!("`{}` is not `publisher/name`", escape(s)));
        };
        check_part(publisher, "publisher")?;
        check_part(name, "repository name")?;
        Ok(RepoId { publisher: publisher.to_string(), name: name.to_string() })
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.publisher, self.name)
    }
}

fn check_part(p: &str, what: &str) -> Result<(), String> {
    if p.is_empty() || p.len() > 96 {
        return Err(format!("{what} `{}` must be 1 to 96 characters", escape(p)));
    }
    if let Some(c) = p.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Err(format!(
            "{what} `{}` has the character {c:?}; only letters, digits, `-`, `_` and `.` are allowed",
            escape(p)
        ));
    }
    if p.starts_with(['-', '.']) || p.ends_with(['-', '.']) || p.contains("--") || p.contains("..") {
        return Err(format!("{what} `{}` starts or ends with `-`/`.` or has `--`/`..`", escape(p)));
    }
    Ok(())
}

/// Printable form of untrusted text for messages: control characters escaped, cut at 120 characters.
fn escape(s: &str) -> String {
    let mut out: String = s.chars().take(120).flat_map(char::escape_debug).collect();
    if s.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// A well-known model: its name and the publisher that owns it.
#[derive(Debug, Clone)]
pub struct KnownModel {
    pub name: String,
    pub publisher: String,
}

/// The names look-alikes are measured against.
#[derive(Debug, Clone, Default)]
pub struct KnownNames {
    /// Publishers that are what they say (built-in list plus the policy's).
    pub publishers: Vec<String>,
    pub models: Vec<KnownModel>,
    /// When not empty, only these publishers are allowed (`HUB003`).
    pub allowed_publishers: Vec<String>,
}

const BUILTIN: &str = include_str!("../data/hub/well-known.tsv");

impl KnownNames {
    /// The list shipped with modelvet (`crates/engine/data/hub/well-known.tsv`, sources in it).
    pub fn builtin() -> KnownNames {
        let mut k = KnownNames::default();
        for line in BUILTIN.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            match cols.as_slice() {
                ["publisher", name, ..] => k.publishers.push((*name).to_string()),
                ["model", name, publisher, ..] => {
                    k.models.push(KnownModel { name: (*name).to_string(), publisher: (*publisher).to_string() })
                }
                _ => {}
            }
        }
        k
    }

    fn is_publisher(&self, p: &str) -> bool {
        self.publishers.iter().any(|k| k.eq_ignore_ascii_case(p))
    }
}

/// The look-alike and publisher findings for one repository.
pub fn check_repo(repo: &RepoId, known: &KnownNames) -> Vec<Finding> {
    let at = Location { path: format!("hf://{repo}"), members: Vec::new(), offset: None };
    let mut out = Vec::new();
    let publisher_known = known.is_publisher(&repo.publisher);
    if !publisher_known {
        if let Some((target, how)) = lookalike_of(&repo.publisher, &known.publishers) {
            let mut f = Finding::new(
                &lookalike_publisher::RULE,
                format!("publisher `{}` looks like the well-known `{target}` ({how})", repo.publisher),
                at.clone(),
            );
            f.evidence = Some(format!("{repo} — compare https://huggingface.co/{target}"));
            out.push(f);
        }
        if let Some(m) = impersonated_model(&repo.name, &known.models) {
            let mut f = Finding::new(
                &impersonated_model_name::RULE,
                format!(
                    "`{}` is the name of a well-known model published by `{}`, here under the unknown publisher `{}`",
                    repo.name, m.publisher, repo.publisher
                ),
                at.clone(),
            );
            f.evidence = Some(format!("the original is {}/{}", m.publisher, m.name));
            out.push(f);
        }
    }
    if !known.allowed_publishers.is_empty()
        && !known.allowed_publishers.iter().any(|a| a.eq_ignore_ascii_case(&repo.publisher))
    {
        out.push(Finding::new(
            &unlisted_publisher::RULE,
            format!("publisher `{}` is not in the policy's allowed publishers", repo.publisher),
            at,
        ));
    }
    out
}

/// The well-known model whose name `name` is, compared after folding case,
/// separators and look-alike characters (`llama_3.1_8b_instruct` is
/// `Llama-3.1-8B-Instruct`). Whether the publisher is the owner is the
/// caller's question.
pub fn impersonated_model<'k>(name: &str, models: &'k [KnownModel]) -> Option<&'k KnownModel> {
    let skel = skeleton(name);
    models.iter().find(|m| skeleton(&m.name) == skel)
}

/// Which of the `known` publishers `p` imitates, and how (`None` when `p`
/// is one of them, compared without regard to case, or imitates none).
pub fn lookalike_of<'k>(p: &str, known: &'k [String]) -> Option<(&'k str, &'static str)> {
    if known.iter().any(|k| k.eq_ignore_ascii_case(p)) {
        return None;
    }
    let lower = p.to_ascii_lowercase();
    let skel = skeleton(p);
    let tokens = sorted_tokens(&lower);
    for k in known {
        let kl = k.to_ascii_lowercase();
        if skeleton(k) == skel {
            return Some((k, "same letters after folding look-alike characters and separators"));
        }
        if tokens.len() > 1 && sorted_tokens(&kl) == tokens {
            return Some((k, "same words in another order"));
        }
        let limit = match kl.chars().count() {
            0..=5 => 0,
            6..=9 => 1,
            _ => 2,
        };
        if limit > 0 && edit_distance(&lower, &kl) <= limit {
            return Some((k, "one or two characters apart"));
        }
    }
    None
}

fn sorted_tokens(s: &str) -> Vec<&str> {
    let mut t: Vec<&str> = s.split(['-', '_', '.']).filter(|t| !t.is_empty()).collect();
    t.sort_unstable();
    t
}

/// A name reduced to what a reader sees: lower case, look-alike characters
/// folded (`rn`→`m`, `0`→`o`, `1`/`i`→`l`, Cyrillic and Greek homoglyphs to
/// Latin), separators dropped.
pub fn skeleton(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            '-' | '_' | '.' | ' ' => continue,
            '0' | 'о' | 'ο' | 'օ' => 'o',
            '1' | 'i' | 'ı' | 'і' | 'ι' | '|' | 'ӏ' => 'l',
            '3' | 'е' | 'ε' => 'e',
            '5' | 'ѕ' => 's',
            'а' | 'α' => 'a',
            'с' | 'ϲ' => 'c',
            'р' | 'ρ' => 'p',
            'х' | 'χ' => 'x',
            'у' | 'γ' => 'y',
            'ԁ' => 'd',
            'ɡ' => 'g',
            'ј' => 'j',
            'к' | 'κ' => 'k',
            'м' => 'm',
            'н' | 'η' => 'n',
            'т' | 'τ' => 't',
            'ν' => 'v',
            'ԝ' | 'ω' => 'w',
            c => c,
        };
        out.push(c);
    }
    out.replace("rn", "m").replace("vv", "w").replace("cl", "d")
}

/// Optimal-string-alignment distance (Damerau–Levenshtein with adjacent
/// swaps), on names of at most 96 characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(96).collect();
    let b: Vec<char> = b.chars().take(96).collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1).min(d[i * w + j - 1] + 1).min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(repo: &str, known: &KnownNames) -> Vec<&'static str> {
        check_repo(&RepoId::parse(repo).unwrap(), known).iter().map(|f| f.rule.code).collect()
    }

    #[test]
    fn repo_ids_are_validated() {
        assert!(RepoId::parse("meta-llama/Llama-3.1-8B").is_ok());
        assert!(RepoId::parse("gpt2").is_err());
        for bad in ["a/../b", "../x/y", "a/b/c", "a/.b", "a/b-", "a--b/c", "a/b\r\nX-Injected: 1", "a/b c", "/b", "a/"]
        {
            assert!(RepoId::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("a/{}", "x".repeat(97));
        assert!(RepoId::parse(&long).is_err());
        let e = RepoId::parse("a/b\nc").unwrap_err();
        assert!(e.contains("\\n"), "control characters are escaped in messages: {e}");
    }

    #[test]
    fn the_builtin_list_loads_with_sources() {
        let k = KnownNames::builtin();
        assert!(k.publishers.len() > 50 && k.models.len() > 30);
        for line in BUILTIN.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "{line}");
            assert!(cols[3].starts_with("https://huggingface.co/"), "{line}");
            if cols[0] == "model" {
                assert!(k.is_publisher(cols[2]), "{line}: owner not in the publisher list");
            }
        }
    }

    #[test]
    fn look_alike_publishers_are_caught() {
        let k = KnownNames::builtin();
        for repo in [
            "rneta-llama/Llama-3.1-8B-Instruct", // rn for m
            "meta_llama/Llama-3.1-8B-Instruct",  // separator
            "meta-lIama/x",                      // capital I for l
            "llama-meta/x",                      // token swap
            "mistral-ai/x",                      // separator added
            "mistraiai/x",                       // one letter
            "deepseek-al/x",                     // l for i
            "stabilltyai/x",                     // one letter
            "microsfot/x",                       // swap
            "0penai/whisper",                    // zero for o
        ] {
            assert!(codes(repo, &k).contains(&"HUB001"), "{repo} not caught");
        }
    }

    #[test]
    fn real_publishers_and_ordinary_names_pass() {
        let k = KnownNames::builtin();
        for repo in [
            "meta-llama/Llama-3.1-8B-Instruct",
            "Meta-Llama/Llama-3.1-8B-Instruct", // the Hub is case-insensitive
            "unsloth/Llama-3.2-1B-Instruct",    // a known re-uploader
            "openai-community/gpt2",
            "FacebookAI/roberta-base",
            "google/gemma-2b",
            "acme-corp/sentiment-classifier",
            "alice/my-finetune",
            "ibm/x",  // short names are not edit-distance matched
            "lion/x", // one letter from `laion`, but short
        ] {
            assert!(codes(repo, &k).is_empty(), "{repo}: {:?}", codes(repo, &k));
        }
    }

    #[test]
    fn well_known_model_names_under_unknown_publishers_are_caught() {
        let k = KnownNames::builtin();
        assert_eq!(codes("someone/Llama-3-8B-Instruct", &k), ["HUB002"]);
        assert_eq!(codes("someone/llama_3.1_8b_instruct", &k), ["HUB002"]);
        assert_eq!(codes("someone/bert-base-uncased", &k), ["HUB002"]);
        assert!(codes("someone/bert-base-uncased-finetuned-sst2", &k).is_empty());
    }

    #[test]
    fn allowed_publishers_restrict_when_set() {
        let mut k = KnownNames::builtin();
        assert!(codes("acme-corp/x", &k).is_empty());
        k.allowed_publishers = vec!["acme-corp".into(), "meta-llama".into()];
        assert!(codes("acme-corp/x", &k).is_empty());
        assert!(codes("ACME-CORP/x", &k).is_empty());
        assert_eq!(codes("google/gemma-2b", &k), ["HUB003"]);
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("microsoft", "microsfot"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
