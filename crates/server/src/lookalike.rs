//! Look-alike repository names: a namespace that is not a well-known
//! publisher but reads like one (`meta_llama`, `rneta-llama`, `llama-meta`,
//! `meta-lllama` for `meta-llama`) is held until an administrator releases
//! it. Optionally, only an allowlist of publishers is served at all.
//!
//! The matching is the engine's (`modelvet_engine::hub`, the same as `scan
//! hf://` and rule HUB001); the default list is the engine's well-known
//! publishers (`crates/engine/data/hub/well-known.tsv`, with sources), which
//! `--publishers FILE` (`NAMESPACE<TAB>SOURCE` lines) replaces.

use std::collections::HashSet;

/// Why a repository is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The namespace imitates a well-known publisher.
    LookAlike { publisher: String, how: &'static str },
    /// A well-known model's name under a publisher that is not well known
    /// (`original` is `publisher/name` of the real one).
    Impersonation { original: String },
    /// An allowlist is configured and the namespace is not on it.
    NotAllowed,
}

/// Well-known publishers and the optional allowlist.
#[derive(Debug, Clone, Default)]
pub struct Publishers {
    known: Vec<String>,
    known_lower: HashSet<String>,
    allow: Option<HashSet<String>>,
    /// Well-known models (the engine's list), for names reused by others.
    models: Vec<modelvet_engine::hub::KnownModel>,
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
        Ok(Self { known, known_lower, allow: None, models: modelvet_engine::hub::KnownNames::builtin().models })
    }

    /// The list shipped with modelvet (the engine's well-known publishers,
    /// `crates/engine/data/hub/well-known.tsv`, each with its source).
    pub fn builtin() -> Self {
        let names = modelvet_engine::hub::KnownNames::builtin();
        let known = names.publishers;
        let known_lower = known.iter().map(|k| k.to_ascii_lowercase()).collect();
        Self { known, known_lower, allow: None, models: names.models }
    }

    /// Serves only these namespaces (compared without case).
    pub fn with_allowlist(mut self, orgs: &[String]) -> Self {
        self.allow = (!orgs.is_empty()).then(|| orgs.iter().map(|o| o.to_ascii_lowercase()).collect());
        self
    }

    /// Whether a repository is held, and why: its namespace (see
    /// [`Publishers::check`]), or a well-known model's name under a namespace
    /// that is neither well known nor on the allowlist (rule HUB002).
    pub fn check_repo(&self, namespace: &str, name: &str) -> Option<Hold> {
        if let Some(hold) = self.check(namespace) {
            return Some(hold);
        }
        let lower = namespace.to_ascii_lowercase();
        if self.allow.is_some() || self.known_lower.contains(&lower) {
            return None;
        }
        modelvet_engine::hub::impersonated_model(name, &self.models)
            .filter(|m| !m.publisher.eq_ignore_ascii_case(namespace))
            .map(|m| Hold::Impersonation { original: format!("{}/{}", m.publisher, m.name) })
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
        modelvet_engine::hub::lookalike_of(namespace, &self.known)
            .map(|(publisher, how)| Hold::LookAlike { publisher: publisher.to_string(), how })
    }
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
    fn well_known_model_names_under_unknown_publishers_are_held() {
        let p = Publishers::builtin();
        assert_eq!(
            p.check_repo("someone", "Llama-3-8B-Instruct"),
            Some(Hold::Impersonation { original: "meta-llama/Llama-3-8B-Instruct".into() })
        );
        assert_eq!(p.check_repo("someone", "llama_3.1_8b_instruct").map(|_| ()), Some(()));
        assert_eq!(p.check_repo("meta-llama", "Llama-3.1-8B-Instruct"), None);
        assert_eq!(p.check_repo("unsloth", "Llama-3.2-1B-Instruct"), None, "a known re-uploader");
        assert_eq!(p.check_repo("someone", "my-llama-finetune"), None);
        let listed = Publishers::builtin().with_allowlist(&["someone".into()]);
        assert_eq!(listed.check_repo("someone", "Llama-3-8B-Instruct"), None, "the allowlist decides");
    }

    #[test]
    fn lists_are_validated() {
        assert!(Publishers::parse("good\tsource\n# comment\n\nbad name\tx\n").is_err());
    }
}
