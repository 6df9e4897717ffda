//! The policy's `[globals]`: extra allowed and denied Python names, and which
//! allowlist profiles are on. Consulted wherever the engine judges an imported
//! name (pickle imports, Keras `module` references).

use crate::knowledge::{self, Category, Class};

/// A name pattern: `package.module.Name` (exact) or `package.module.*`
/// (everything under that module, submodules included). Module aliases are
/// folded the way the engine folds imports (`posix.system` is `os.system`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern {
    /// The pattern as written.
    pub text: String,
    folded: String,
    prefix: bool,
}

impl NamePattern {
    /// Parses a pattern; `Err` says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty name".into());
        }
        let (body, prefix) = match t.strip_suffix(".*") {
            Some(b) => (b, true),
            None => (t, false),
        };
        let ok_segment = |s: &str| {
            !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_') && !s.starts_with(char::is_numeric)
        };
        if body.split('.').any(|s| !ok_segment(s)) {
            return Err(format!(
                "`{t}` is not a dotted Python name (write `package.module.Name` or `package.module.*`)"
            ));
        }
        if !prefix && !body.contains('.') {
            return Err(format!("`{t}` has no module: write `module.Name`, or `{t}.*` for a whole module"));
        }
        Ok(Self { text: t.to_string(), folded: knowledge::fold_module(body), prefix })
    }

    /// Whether the pattern covers `module.name` (name may be empty or dotted).
    pub fn matches(&self, module: &str, name: &str) -> bool {
        let module = knowledge::fold_module(module);
        let full = if name.is_empty() { module } else { format!("{module}.{name}") };
        if self.prefix {
            full == self.folded
                || (full.starts_with(&self.folded) && full.as_bytes().get(self.folded.len()) == Some(&b'.'))
        } else {
            full == self.folded
        }
    }
}

/// Extra allowed/denied names and the allowlist profiles in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalPolicy {
    pub allow: Vec<NamePattern>,
    pub deny: Vec<NamePattern>,
    /// Profiles kept (`core` is always kept); `None` keeps every profile.
    pub profiles: Option<Vec<String>>,
}

impl GlobalPolicy {
    /// Whether the policy changes nothing (the engine's own judgement stands).
    pub fn is_default(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty() && self.profiles.is_none()
    }

    /// Judges `module.name` with the policy: `deny` first, then `allow`, then
    /// the engine's knowledge with the allowlist narrowed to the profiles kept.
    pub fn classify(&self, module: &str, name: &str) -> Class {
        if self.is_default() {
            return knowledge::classify(module, name);
        }
        if self.deny.iter().any(|p| p.matches(module, name)) {
            return Class::Dangerous(Category::PolicyDenied);
        }
        if !name.is_empty() && self.allow.iter().any(|p| p.matches(module, name)) {
            return Class::Safe;
        }
        let class = knowledge::classify(module, name);
        if matches!(class, Class::Safe | Class::Rebuildable)
            && let Some(kept) = &self.profiles
            && let Some(profile) = knowledge::safe_profile(module, name)
            && profile != "core"
            && !kept.iter().any(|k| k == profile)
        {
            return Class::Unknown;
        }
        class
    }

    /// Whether `allow` names `module.name` explicitly.
    pub fn allows(&self, module: &str, name: &str) -> bool {
        self.allow.iter().any(|p| p.matches(module, name))
    }

    /// The profiles in force, `core` first.
    pub fn effective_profiles(&self) -> Vec<&'static str> {
        knowledge::PROFILES
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| *n == "core" || self.profiles.as_ref().is_none_or(|k| k.iter().any(|x| x == n)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pol(allow: &[&str], deny: &[&str], profiles: Option<&[&str]>) -> GlobalPolicy {
        GlobalPolicy {
            allow: allow.iter().map(|s| NamePattern::parse(s).unwrap()).collect(),
            deny: deny.iter().map(|s| NamePattern::parse(s).unwrap()).collect(),
            profiles: profiles.map(|p| p.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn patterns() {
        let p = NamePattern::parse("mycorp.models.*").unwrap();
        assert!(p.matches("mycorp.models", "Net"));
        assert!(p.matches("mycorp.models.vision", "ResNet"));
        assert!(!p.matches("mycorp.modelsx", "Net"));
        assert!(!p.matches("mycorp", "models_extra"));
        let e = NamePattern::parse("posix.system").unwrap();
        assert!(e.matches("os", "system"));
        assert!(e.matches("nt", "system"));
        for bad in ["", "os", "os.", "os..x", "1os.x", "os.sys tem", "os.*.x"] {
            assert!(NamePattern::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn deny_beats_allow_and_knowledge() {
        let g = pol(&["mycorp.*"], &["mycorp.danger.run", "torch._utils.*"], None);
        assert_eq!(g.classify("mycorp.layers", "Block"), Class::Safe);
        assert_eq!(g.classify("mycorp.danger", "run"), Class::Dangerous(Category::PolicyDenied));
        assert_eq!(g.classify("torch._utils", "_rebuild_tensor_v2"), Class::Dangerous(Category::PolicyDenied));
        assert_eq!(g.classify("somewhere", "Else"), Class::Unknown);
        assert!(matches!(g.classify("os", "system"), Class::Dangerous(Category::Process)));
    }

    #[test]
    fn allow_overrides_built_in_danger() {
        let g = pol(&["builtins.getattr"], &[], None);
        assert_eq!(g.classify("__builtin__", "getattr"), Class::Safe);
        assert!(matches!(GlobalPolicy::default().classify("builtins", "getattr"), Class::Dangerous(_)));
    }

    #[test]
    fn profiles_narrow_the_allowlist() {
        let g = pol(&[], &[], Some(&["torch"]));
        assert_eq!(g.classify("torch._utils", "_rebuild_tensor_v2"), Class::Safe);
        assert_eq!(g.classify("collections", "OrderedDict"), Class::Safe, "core is always on");
        assert_eq!(g.classify("sklearn.linear_model", "Ridge"), Class::Unknown);
        assert_eq!(g.effective_profiles(), vec!["core", "torch"]);
        assert_eq!(GlobalPolicy::default().effective_profiles().len(), knowledge::PROFILES.len());
    }
}
