//! Where a model comes from: a Hugging Face repository id and revision, and
//! the evidence it was read from. Gives the model its `pkg:huggingface` purl.

use std::path::{Component, Path};

/// What told us a model's origin, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginSource {
    /// `modelvet bom --name ORG/NAME[@REV]`.
    Flag,
    /// A Hugging Face cache folder: `models--ORG--NAME/snapshots/REV/`.
    CacheLayout,
    /// The model card's `model_name`.
    CardModelName,
    /// `config.json`'s `_name_or_path` (the id the model was loaded from when saved).
    ConfigNameOrPath,
}

impl OriginSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginSource::Flag => "flag",
            OriginSource::CacheLayout => "hf-cache-layout",
            OriginSource::CardModelName => "card-model-name",
            OriginSource::ConfigNameOrPath => "config-name-or-path",
        }
    }
}

/// A Hugging Face repository: `namespace/name@revision`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub namespace: Option<String>,
    pub name: String,
    /// A commit hash (lower-cased) or, from `--name`, whatever revision was given.
    pub revision: Option<String>,
    pub source: OriginSource,
}

impl Origin {
    /// Parses `NAME`, `ORG/NAME`, either with `@REV`; `None` unless it is
    /// shaped like a Hub repository id (so local paths are never taken for one).
    pub fn parse(id: &str, source: OriginSource) -> Option<Origin> {
        let (repo, revision) = match id.split_once('@') {
            Some((r, v)) if is_revision(v) => (r, Some(normalise_revision(v))),
            Some(_) => return None,
            None => (id, None),
        };
        let mut parts = repo.split('/');
        let (namespace, name) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), None, None) => (None, n),
            (Some(ns), Some(n), None) => (Some(ns), n),
            _ => return None,
        };
        if !namespace.is_none_or(is_id_part) || !is_id_part(name) {
            return None;
        }
        Some(Origin { namespace: namespace.map(str::to_string), name: name.to_string(), revision, source })
    }

    /// The repository id, `ORG/NAME` or `NAME`.
    pub fn repo_id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `pkg:huggingface/ORG/NAME@REV` (the purl-spec `huggingface` type). Every
    /// part is restricted to `[A-Za-z0-9._-]` by [`Origin::parse`], so nothing
    /// needs percent-encoding.
    pub fn purl(&self) -> String {
        let mut p = format!("pkg:huggingface/{}", self.repo_id());
        if let Some(r) = &self.revision {
            p.push('@');
            p.push_str(r);
        }
        p
    }

    /// The origin a Hugging Face cache path shows: the folder is (or is under)
    /// `…/models--ORG--NAME/snapshots/REV`.
    pub fn from_cache_path(path: &Path) -> Option<Origin> {
        let parts: Vec<&str> = path
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect();
        parts.windows(3).find_map(|w| {
            let repo = w[0].strip_prefix("models--")?;
            if w[1] != "snapshots" || !is_commit(w[2]) {
                return None;
            }
            // `--` separates the namespace; a name itself cannot contain `--` on the Hub.
            let id = match repo.split_once("--") {
                Some((ns, name)) => format!("{ns}/{name}"),
                None => repo.to_string(),
            };
            Origin::parse(&format!("{id}@{}", w[2]), OriginSource::CacheLayout)
        })
    }
}

/// A part of a Hub id: letters, digits, `.`, `_`, `-`; not empty, no `..`, at most 96 characters.
fn is_id_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 96
        && !s.contains("..")
        && !s.starts_with(['.', '-'])
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn is_commit(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_revision(s: &str) -> bool {
    is_id_part(s)
}

/// Commit hashes are lower-cased, as the purl type requires; branch or tag names are kept.
fn normalise_revision(s: &str) -> String {
    if is_commit(s) { s.to_ascii_lowercase() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repo_ids_and_rejects_paths() {
        let o = Origin::parse("google-bert/bert-base-uncased", OriginSource::Flag).unwrap();
        assert_eq!(o.purl(), "pkg:huggingface/google-bert/bert-base-uncased");
        let o = Origin::parse("gpt2@ABCDEF0123456789abcdef0123456789ABCDEF01", OriginSource::Flag).unwrap();
        assert_eq!(o.purl(), "pkg:huggingface/gpt2@abcdef0123456789abcdef0123456789abcdef01");
        for bad in ["/tmp/out", "./model", "../x/y", "a/b/c", "", "org/", "a b/c", "org/name@", "C:\\models\\x"] {
            assert!(Origin::parse(bad, OriginSource::Flag).is_none(), "{bad}");
        }
    }

    #[test]
    fn reads_the_cache_layout() {
        let rev = "0123456789abcdef0123456789abcdef01234567";
        let p = format!("/home/u/.cache/huggingface/hub/models--meta-llama--Llama-3.2-1B/snapshots/{rev}");
        let o = Origin::from_cache_path(Path::new(&p)).unwrap();
        assert_eq!(o.purl(), format!("pkg:huggingface/meta-llama/Llama-3.2-1B@{rev}"));
        assert_eq!(o.source, OriginSource::CacheLayout);
        let o = Origin::from_cache_path(Path::new(&format!("hub/models--gpt2/snapshots/{rev}/x"))).unwrap();
        assert_eq!(o.repo_id(), "gpt2");
        assert!(Origin::from_cache_path(Path::new("hub/models--gpt2/snapshots/main")).is_none());
        assert!(Origin::from_cache_path(Path::new("models/gpt2")).is_none());
    }
}
