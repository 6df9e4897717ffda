//! `modelvet policy show`: the effective policy as commented TOML that could
//! be saved as a policy file again.

use crate::licence::{LicenceClass, Selector, Verdict, default_verdict};
use std::fmt::Write as _;

use super::Policy;

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    format!("[{}]", items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", "))
}

pub fn render(p: &Policy) -> String {
    let mut o = String::new();
    match &p.source {
        Some(s) => {
            let _ = writeln!(o, "# Effective policy from {} (sha256 {})", s.path.display(), s.sha256);
        }
        None => o.push_str("# Effective policy: modelvet's defaults (no policy file found)\n"),
    }
    match p.fail_on {
        Some(s) => {
            let _ = writeln!(o, "fail-on = {}", q(s.as_str()));
        }
        None => o.push_str("fail-on = \"medium\"  # default\n"),
    }

    o.push_str("\n[rules]\n");
    if p.rules.is_empty() {
        o.push_str("# no overrides: every rule at its default severity (see `modelvet rules`)\n");
    }
    for (r, s) in &p.rules {
        let _ = writeln!(o, "{} = {}  # {} (default: {})", r.code, q(s.as_str()), r.name, r.severity);
    }

    let g = &p.globals;
    o.push_str("\n[globals]\n");
    let texts = |v: &[super::NamePattern]| v.iter().map(|p| p.text.clone()).collect::<Vec<_>>();
    let _ = writeln!(o, "allow = {}", list(&texts(&g.allow)));
    let _ = writeln!(o, "deny = {}", list(&texts(&g.deny)));
    let eff: Vec<String> = g.effective_profiles().iter().map(|s| s.to_string()).collect();
    let _ = writeln!(
        o,
        "profiles = {}  # {}",
        list(&eff),
        if g.profiles.is_some() { "as set (core is always on)" } else { "default: every profile" }
    );

    o.push_str("\n[paths]\n");
    let _ = writeln!(o, "include = {}", list(&p.paths.include));
    let _ = writeln!(o, "exclude = {}", list(&p.paths.exclude));

    let today = super::Date::today();
    for w in &p.waivers {
        o.push_str("\n[[waivers]]\n");
        if let Some(path) = &w.path {
            let _ = writeln!(o, "path = {}", q(path));
        }
        if let Some(h) = &w.sha256 {
            let _ = writeln!(o, "sha256 = {}", q(h));
        }
        let _ = writeln!(o, "rule = {}  # {}", q(w.rule.code), w.rule.name);
        let _ = writeln!(o, "reason = {}", q(&w.reason));
        if let Some(d) = w.expires {
            let _ =
                writeln!(o, "expires = {d}{}", if d < today { "  # EXPIRED: its findings count again" } else { "" });
        }
    }
    o.push_str("\n[signing]\n");
    let _ = writeln!(o, "keys = {}", list(&p.signing.key_files));
    let _ = writeln!(o, "certificate-chains = {}", list(&p.signing.root_files));
    if let Some(f) = &p.signing.trust_root_file {
        let _ = writeln!(o, "trust-root = {}", q(f));
    }
    if !p.signing.identities.is_empty() {
        let ids: Vec<String> = p
            .signing
            .identities
            .iter()
            .map(|i| format!("{{ identity = {}, issuer = {} }}", q(&i.identity), q(&i.issuer)))
            .collect();
        let _ = writeln!(o, "identities = [{}]", ids.join(", "));
    }
    let _ = writeln!(o, "require = {}", p.signing.require);
    o.push_str("\n[licences]  # entries naming an id win over classes; classes not listed take the default\n");
    for v in [Verdict::Allow, Verdict::Review, Verdict::Deny] {
        let listed: Vec<String> = p.licences.rules.iter().filter(|(_, x)| *x == v).map(|(s, _)| q(&s.text())).collect();
        let defaults: Vec<&str> = LicenceClass::ALL
            .iter()
            .filter(|c| default_verdict(**c) == v && !p.licences.rules.iter().any(|(s, _)| *s == Selector::Class(**c)))
            .map(|c| c.as_str())
            .collect();
        let _ = writeln!(o, "{} = [{}]  # by default: {}", v.as_str(), listed.join(", "), defaults.join(", "));
    }
    let _ = writeln!(o, "check-loose-files = {}", p.licences.check_loose_files);
    o
}
