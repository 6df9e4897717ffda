//! `modelvet.toml` → [`Policy`], collecting every problem with its position
//! instead of stopping at the first (in the manner of cargo-deny).

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use globset::{Glob, GlobBuilder, GlobSetBuilder};
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Date, GlobalPolicy, NamePattern, PathFilter, Policy, RuleSetting, Source, Waiver};
use crate::finding::Severity;
use crate::knowledge::{self, Class};
use crate::licence::{self, LicenceClass, LicencePolicy, Selector, Verdict};

/// How serious a policy problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The policy cannot be used.
    Error,
    /// The policy works, but probably not as meant.
    Warning,
}

/// A problem in a policy file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub message: String,
    /// Byte range in the policy text.
    pub span: Range<usize>,
    /// 1-based line and column (in characters) of the span's start.
    pub line: usize,
    pub column: usize,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// The diagnostic with the offending line and a caret under the span:
    ///
    /// ```text
    /// error: unknown severity "hgh" (expected critical, high, medium, low, allow, warn or deny)
    ///   --> modelvet.toml:5:10
    ///    |
    ///  5 | PKL002 = "hgh"
    ///    |          ^^^^^
    /// ```
    pub fn render(&self, file: &str, text: &str) -> String {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let mut out = format!("{level}: {}\n", self.message);
        let line_text = text.lines().nth(self.line.saturating_sub(1)).unwrap_or("");
        let num = self.line.to_string();
        let pad = " ".repeat(num.len());
        let _ = writeln!(out, "{pad}--> {file}:{}:{}", self.line, self.column);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{num} | {line_text}");
        let width = text
            .get(self.span.clone())
            .map_or(1, |s| s.lines().next().map_or(1, |l| l.chars().count().max(1)))
            .min(line_text.chars().count().saturating_sub(self.column - 1).max(1));
        let _ = writeln!(out, "{pad} | {}{}", " ".repeat(self.column - 1), "^".repeat(width));
        out
    }
}

struct Ctx<'t> {
    text: &'t str,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn push(&mut self, level: Level, span: Range<usize>, message: impl Into<String>) {
        let start = span.start.min(self.text.len());
        let before = &self.text[..self.text.floor_char_boundary(start)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.diags.push(Diagnostic { level, message: message.into(), span, line, column });
    }
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Level::Error, span, message);
    }
    fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Level::Warning, span, message);
    }

    fn string<'v>(&mut self, v: &'v Spanned<DeValue<'_>>, what: &str) -> Option<&'v str> {
        let s = v.get_ref().as_str();
        if s.is_none() {
            self.error(v.span(), format!("{what} must be a string, not {}", v.get_ref().type_str()));
        }
        s
    }

    fn strings(&mut self, v: &Spanned<DeValue<'_>>, what: &str) -> Vec<(String, Range<usize>)> {
        let Some(arr) = v.get_ref().as_array() else {
            self.error(v.span(), format!("{what} must be an array of strings, not {}", v.get_ref().type_str()));
            return Vec::new();
        };
        arr.iter()
            .filter_map(|item| {
                self.string(item, &format!("each entry of {what}")).map(|s| (s.to_string(), item.span()))
            })
            .collect()
    }

    fn table<'v, 'i>(&mut self, v: &'v Spanned<DeValue<'i>>, what: &str) -> Option<&'v DeTable<'i>> {
        let t = v.get_ref().as_table();
        if t.is_none() {
            self.error(v.span(), format!("{what} must be a table, not {}", v.get_ref().type_str()));
        }
        t
    }

    fn unknown_key(&mut self, key: &Spanned<std::borrow::Cow<'_, str>>, within: &str, expected: &[&str]) {
        let list = expected.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ");
        self.error(key.span(), format!("unknown key `{}` in {within} (expected one of {list})", key.get_ref()));
    }
}

const TOP: &[&str] = &["fail-on", "rules", "globals", "paths", "waivers", "licences", "licenses", "signing"];
const SIGNING: &[&str] = &["keys", "certificate-chains", "trust-root", "identities", "require"];
const IDENTITY: &[&str] = &["identity", "issuer"];
const GLOBALS: &[&str] = &["allow", "deny", "profiles"];
const PATHS: &[&str] = &["include", "exclude"];
const WAIVER: &[&str] = &["path", "sha256", "rule", "reason", "expires"];
const LICENCES: &[&str] = &["allow", "review", "deny", "check-loose-files"];

pub fn parse(text: &str, path: Option<&Path>) -> (Policy, Vec<Diagnostic>) {
    let mut cx = Ctx { text, diags: Vec::new() };
    let (doc, errors) = DeTable::parse_recoverable(text);
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        cx.error(span, e.message().trim().to_string());
    }
    let mut policy = Policy {
        source: path.map(|p| Source { path: p.to_path_buf(), sha256: hex::encode(Sha256::digest(text.as_bytes())) }),
        ..Policy::default()
    };
    for (key, value) in doc.get_ref() {
        match key.get_ref().as_ref() {
            "fail-on" => {
                if let Some(s) = cx.string(value, "`fail-on`") {
                    match s.parse::<Severity>() {
                        Ok(sev) => policy.fail_on = Some(sev),
                        Err(e) => cx.error(value.span(), e),
                    }
                }
            }
            "rules" => {
                if let Some(t) = cx.table(value, "`[rules]`") {
                    parse_rules(&mut cx, t, &mut policy);
                }
            }
            "globals" => {
                if let Some(t) = cx.table(value, "`[globals]`") {
                    policy.globals = parse_globals(&mut cx, t);
                }
            }
            "paths" => {
                if let Some(t) = cx.table(value, "`[paths]`") {
                    policy.paths = parse_paths(&mut cx, t);
                }
            }
            "waivers" => match value.get_ref().as_array() {
                Some(arr) => {
                    for w in arr.iter() {
                        if let Some(t) = cx.table(w, "each `[[waivers]]` entry")
                            && let Some(w) = parse_waiver(&mut cx, t, w.span())
                        {
                            policy.waivers.push(w);
                        }
                    }
                }
                None => cx.error(value.span(), "`waivers` must be an array of tables (`[[waivers]]`)"),
            },
            "signing" => {
                if let Some(t) = cx.table(value, "`[signing]`") {
                    policy.signing = parse_signing(&mut cx, t, path);
                }
            }
            "licences" | "licenses" => {
                if let Some(t) = cx.table(value, "`[licences]`") {
                    policy.licences = parse_licences(&mut cx, t);
                }
            }
            _ => cx.unknown_key(key, "the policy", TOP),
        }
    }
    let today = Date::today();
    for w in &policy.waivers {
        if let Some(d) = w.expires
            && d < today
        {
            let span = line_span(text, w.line);
            cx.warn(span, format!("{} expired on {d}: its findings count again", w.describe()));
        }
    }
    cx.diags.sort_by_key(|d| (d.span.start, d.level == Level::Warning));
    (policy, cx.diags)
}

fn line_span(text: &str, line: usize) -> Range<usize> {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let len = text[start.min(text.len())..].lines().next().map_or(0, str::len);
    start..start + len
}

fn find_rule(cx: &mut Ctx<'_>, key: &str, span: Range<usize>) -> Option<&'static crate::rules::Rule> {
    let r = crate::rules::find(key);
    if r.is_none() {
        cx.error(span, format!("unknown rule `{key}` (see `modelvet rules` for codes and names)"));
    }
    r
}

fn parse_rules(cx: &mut Ctx<'_>, t: &DeTable<'_>, policy: &mut Policy) {
    for (k, v) in t {
        let rule = find_rule(cx, k.get_ref(), k.span());
        let Some(s) = cx.string(v, &format!("the setting for `{}`", k.get_ref())) else { continue };
        let setting = match s.to_ascii_lowercase().as_str() {
            "allow" => Some(RuleSetting::Allow),
            "warn" => Some(RuleSetting::Warn),
            "deny" => Some(RuleSetting::Deny),
            other => other.parse::<Severity>().ok().map(RuleSetting::Severity),
        };
        match (rule, setting) {
            (Some(r), Some(st)) => policy.rules.push((r, st)),
            (_, None) => cx.error(
                v.span(),
                format!("unknown setting {s:?} (expected critical, high, medium, low, allow, warn or deny)"),
            ),
            (None, Some(_)) => {}
        }
    }
}

fn parse_globals(cx: &mut Ctx<'_>, t: &DeTable<'_>) -> GlobalPolicy {
    let mut g = GlobalPolicy::default();
    for (k, v) in t {
        match k.get_ref().as_ref() {
            key @ ("allow" | "deny") => {
                for (s, span) in cx.strings(v, &format!("`globals.{key}`")) {
                    match NamePattern::parse(&s) {
                        Ok(p) => {
                            if key == "allow" {
                                if let Some(why) = dangerous_in(&p) {
                                    cx.warn(
                                        span.clone(),
                                        format!("`{s}` is allowed, but modelvet judges it dangerous ({why}); a pickle importing it will pass"),
                                    );
                                }
                                g.allow.push(p);
                            } else {
                                g.deny.push(p);
                            }
                        }
                        Err(e) => cx.error(span, e),
                    }
                }
            }
            "profiles" => {
                let mut kept = Vec::new();
                for (s, span) in cx.strings(v, "`globals.profiles`") {
                    if knowledge::PROFILES.iter().any(|(n, _)| *n == s) {
                        kept.push(s);
                    } else {
                        let names: Vec<&str> = knowledge::PROFILES.iter().map(|(n, _)| *n).collect();
                        cx.error(span, format!("unknown profile `{s}` (expected one of {})", names.join(", ")));
                    }
                }
                g.profiles = Some(kept);
            }
            _ => cx.unknown_key(k, "`[globals]`", GLOBALS),
        }
    }
    g
}

/// Why an allowed pattern covers something the engine calls dangerous.
fn dangerous_in(p: &NamePattern) -> Option<&'static str> {
    let body = p.text.strip_suffix(".*").unwrap_or(&p.text);
    let (m, n) = if p.text.ends_with(".*") { (body, "") } else { body.rsplit_once('.')? };
    match knowledge::classify(m, n) {
        Class::Dangerous(cat) => Some(cat.describe()),
        _ => None,
    }
}

/// A path pattern, as globs: `/`-separated, relative to the policy's folder;
/// `*` stays within one folder and `**` crosses folders; a pattern without
/// `/` matches at any depth (like `.gitignore`), and a pattern also matches
/// everything below the folder it names.
pub(super) fn globs(pattern: &str) -> Result<Vec<Glob>, String> {
    let p = pattern.trim();
    let p = p.strip_prefix("./").unwrap_or(p).trim_start_matches('/');
    let p = p.trim_end_matches('/');
    if p.is_empty() {
        return Err("empty path pattern".into());
    }
    let full = if p.contains('/') { p.to_string() } else { format!("**/{p}") };
    [full.clone(), format!("{full}/**")]
        .iter()
        .map(|g| {
            GlobBuilder::new(g)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("bad path pattern `{pattern}`: {e}"))
        })
        .collect()
}

fn parse_paths(cx: &mut Ctx<'_>, t: &DeTable<'_>) -> PathFilter {
    let mut f = PathFilter::default();
    for (k, v) in t {
        let key = k.get_ref().as_ref();
        if !PATHS.contains(&key) {
            cx.unknown_key(k, "`[paths]`", PATHS);
            continue;
        }
        let mut set = GlobSetBuilder::new();
        let mut kept = Vec::new();
        for (s, span) in cx.strings(v, &format!("`paths.{key}`")) {
            match globs(&s) {
                Ok(gs) => {
                    for g in gs {
                        set.add(g);
                    }
                    kept.push(s);
                }
                Err(e) => cx.error(span, e),
            }
        }
        let built = match set.build() {
            Ok(s) => Some(s),
            Err(e) => {
                cx.error(v.span(), format!("path patterns: {e}"));
                None
            }
        };
        if key == "include" {
            f.include_set = if kept.is_empty() { None } else { built };
            f.include = kept;
        } else {
            f.exclude_set = if kept.is_empty() { None } else { built };
            f.exclude = kept;
        }
    }
    f
}

/// `[licences]`: `allow`/`review`/`deny` lists of classes or licence ids, and
/// `check-loose-files`. An entry in two lists is an error; an id modelvet does
/// not know is a warning (it still matches a card that declares exactly it).
fn parse_licences(cx: &mut Ctx<'_>, t: &DeTable<'_>) -> LicencePolicy {
    let mut lp = LicencePolicy::default();
    for (k, v) in t {
        let key = k.get_ref().as_ref();
        let verdict = match key {
            "allow" => Verdict::Allow,
            "review" => Verdict::Review,
            "deny" => Verdict::Deny,
            "check-loose-files" => {
                match v.get_ref() {
                    DeValue::Boolean(b) => lp.check_loose_files = *b,
                    other => cx.error(
                        v.span(),
                        format!("`check-loose-files` must be true or false, not {}", other.type_str()),
                    ),
                }
                continue;
            }
            _ => {
                cx.unknown_key(k, "`[licences]`", LICENCES);
                continue;
            }
        };
        for (s, span) in cx.strings(v, &format!("`licences.{key}`")) {
            if s.trim().is_empty() {
                cx.error(span, "empty licence id or class");
                continue;
            }
            let sel = Selector::parse(&s);
            if let Some((_, earlier)) = lp.rules.iter().find(|(x, _)| *x == sel) {
                cx.error(span, format!("`{s}` is already in `{earlier}`; a licence or class goes in one list"));
                continue;
            }
            if let Selector::Id(id) = &sel
                && licence::table::lookup(id).is_none()
                && !id.starts_with("licenseref-")
            {
                let classes: Vec<&str> = LicenceClass::ALL.iter().map(|c| c.as_str()).collect();
                cx.warn(
                    span,
                    format!(
                        "`{s}` is neither a class ({}) nor a licence id modelvet knows; it matches only a model that declares exactly `{s}`",
                        classes.join(", ")
                    ),
                );
            }
            lp.rules.push((sel, verdict));
        }
    }
    lp
}

/// `[signing]`: trusted public keys and certificate roots (PEM files, relative
/// to the policy file's folder), a Sigstore trusted root and the keyless
/// identities it vouches for, each read and checked now so that
/// `policy check` reports a bad key where it is named.
fn parse_signing(cx: &mut Ctx<'_>, t: &DeTable<'_>, policy_path: Option<&Path>) -> super::SigningPolicy {
    use crate::signing::{certs, keys::PublicKey};
    let base = policy_path.and_then(Path::parent).unwrap_or(Path::new("."));
    let mut out = super::SigningPolicy::default();
    let mut require_span = None;
    let mut trust_root_span = None;
    let mut identities_span = None;
    for (k, v) in t {
        match k.get_ref().as_ref() {
            "keys" => {
                for (s, span) in cx.strings(v, "`signing.keys`") {
                    let file = base.join(&s);
                    match std::fs::read_to_string(&file) {
                        Err(e) => cx.error(span, format!("cannot read public key {}: {e}", file.display())),
                        Ok(pem) => match PublicKey::from_pem(&pem) {
                            Ok(key) => {
                                out.keys.push(key);
                                out.key_files.push(s);
                            }
                            Err(e) => cx.error(span, format!("{}: {e}", file.display())),
                        },
                    }
                }
            }
            "certificate-chains" => {
                for (s, span) in cx.strings(v, "`signing.certificate-chains`") {
                    let file = base.join(&s);
                    match std::fs::read(&file) {
                        Err(e) => cx.error(span, format!("cannot read certificates {}: {e}", file.display())),
                        Ok(pem) => match certs::parse_pem_chain(&pem) {
                            Ok(c) => {
                                out.roots.extend(c);
                                out.root_files.push(s);
                            }
                            Err(e) => cx.error(span, format!("{}: {e}", file.display())),
                        },
                    }
                }
            }
            "trust-root" => match v.get_ref().as_str() {
                Some(s) => {
                    let file = base.join(s);
                    match crate::signing::keyless::TrustRoot::from_file(&file) {
                        Ok(root) => {
                            out.trust_root = Some(root);
                            out.trust_root_file = Some(s.to_owned());
                        }
                        Err(e) => cx.error(v.span(), e.to_string()),
                    }
                    trust_root_span = Some(v.span());
                }
                None => cx.error(
                    v.span(),
                    format!(
                        "`signing.trust-root` must be the path of a Sigstore trusted_root.json, not {}",
                        v.get_ref().type_str()
                    ),
                ),
            },
            "identities" => {
                identities_span = Some(v.span());
                out.identities = parse_identities(cx, v);
            }
            "require" => match v.get_ref().as_bool() {
                Some(b) => {
                    out.require = b;
                    require_span = Some(v.span());
                }
                None => cx.error(
                    v.span(),
                    format!("`signing.require` must be true or false, not {}", v.get_ref().type_str()),
                ),
            },
            _ => cx.unknown_key(k, "`[signing]`", SIGNING),
        }
    }
    match (&trust_root_span, &identities_span) {
        (Some(span), None) => cx.error(
            span.clone(),
            "`signing.trust-root` needs `identities = [{ identity = \"...\", issuer = \"...\" }]`: whom the keyless signatures may come from",
        ),
        (None, Some(span)) => cx.error(
            span.clone(),
            "`signing.identities` needs `trust-root = \"trusted_root.json\"`: the Sigstore trusted root to verify them against",
        ),
        _ => {}
    }
    if out.require && out.key_files.is_empty() && out.root_files.is_empty() && out.identities.is_empty() {
        cx.error(
            require_span.unwrap_or(0..0),
            "`signing.require = true` needs trusted `keys`, `certificate-chains` or keyless `identities` to verify signatures against",
        );
    }
    out
}

/// `signing.identities`: `[{ identity = "alice@example.com", issuer = "https://accounts.google.com" }]`.
fn parse_identities(cx: &mut Ctx<'_>, v: &Spanned<DeValue<'_>>) -> Vec<crate::signing::keyless::Identity> {
    let Some(arr) = v.get_ref().as_array() else {
        cx.error(
            v.span(),
            format!(
                "`signing.identities` must be an array of {{ identity = \"...\", issuer = \"...\" }} tables, not {}",
                v.get_ref().type_str()
            ),
        );
        return Vec::new();
    };
    if arr.is_empty() {
        cx.error(v.span(), "`signing.identities` is empty: name at least one identity");
    }
    let mut out = Vec::new();
    for item in arr.iter() {
        let Some(t) = cx.table(item, "a `signing.identities` entry") else { continue };
        let mut identity = None;
        let mut issuer = None;
        for (k, v) in t {
            let slot = match k.get_ref().as_ref() {
                "identity" => &mut identity,
                "issuer" => &mut issuer,
                _ => {
                    cx.unknown_key(k, "a `signing.identities` entry", IDENTITY);
                    continue;
                }
            };
            match v.get_ref().as_str() {
                Some(s) if !s.trim().is_empty() => *slot = Some(s.to_owned()),
                _ => cx.error(v.span(), format!("`{}` must be a non-empty string", k.get_ref())),
            }
        }
        match (identity, issuer) {
            (Some(identity), Some(issuer)) => {
                if !issuer.starts_with("https://") && !issuer.starts_with("http://") {
                    cx.warn(
                        item.span(),
                        format!("issuer `{issuer}` is not a URL; OIDC issuers are, e.g. https://accounts.google.com"),
                    );
                }
                out.push(crate::signing::keyless::Identity { identity, issuer });
            }
            (None, _) => cx.error(item.span(), "this `signing.identities` entry has no `identity` (an email or URI)"),
            (_, None) => cx.error(item.span(), "this `signing.identities` entry has no `issuer` (the OIDC issuer URL)"),
        }
    }
    out
}

fn parse_waiver(cx: &mut Ctx<'_>, t: &DeTable<'_>, span: Range<usize>) -> Option<Waiver> {
    let line = cx.text[..span.start.min(cx.text.len())].matches('\n').count() + 1;
    let mut path = None;
    let mut path_glob = None;
    let mut sha256 = None;
    let mut rule = None;
    let mut reason = None;
    let mut expires = None;
    let mut ok = true;
    for (k, v) in t {
        match k.get_ref().as_ref() {
            "path" => {
                if let Some(s) = cx.string(v, "`path`") {
                    let set = globs(s).and_then(|gs| {
                        let mut b = GlobSetBuilder::new();
                        for g in gs {
                            b.add(g);
                        }
                        b.build().map_err(|e| e.to_string())
                    });
                    match set {
                        Ok(set) => {
                            path_glob = Some(set);
                            path = Some(s.to_string());
                        }
                        Err(e) => {
                            cx.error(v.span(), e);
                            ok = false;
                        }
                    }
                }
            }
            "sha256" => {
                if let Some(s) = cx.string(v, "`sha256`") {
                    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                        sha256 = Some(s.to_ascii_lowercase());
                    } else {
                        cx.error(v.span(), "`sha256` must be 64 hexadecimal digits");
                        ok = false;
                    }
                }
            }
            "rule" => {
                if let Some(s) = cx.string(v, "`rule`") {
                    rule = find_rule(cx, s, v.span());
                    ok &= rule.is_some();
                }
            }
            "reason" => {
                if let Some(s) = cx.string(v, "`reason`") {
                    if s.trim().is_empty() {
                        cx.error(v.span(), "`reason` must say why the finding is accepted");
                        ok = false;
                    } else {
                        reason = Some(s.trim().to_string());
                    }
                }
            }
            "expires" => {
                let d = match v.get_ref() {
                    DeValue::Datetime(dt) if dt.time.is_none() => {
                        dt.date.and_then(|d| Date::new(i32::from(d.year), d.month, d.day))
                    }
                    DeValue::String(s) => Date::parse(s),
                    _ => None,
                };
                match d {
                    Some(d) => expires = Some(d),
                    None => {
                        cx.error(v.span(), "`expires` must be a date, e.g. 2027-01-31");
                        ok = false;
                    }
                }
            }
            _ => cx.unknown_key(k, "a waiver", WAIVER),
        }
    }
    let head = line_span(cx.text, line);
    if path.is_none() && sha256.is_none() && ok {
        cx.error(head.clone(), "a waiver needs `path` or `sha256` (which file it accepts findings in)");
        ok = false;
    }
    if path.is_some() && sha256.is_some() {
        cx.error(head.clone(), "a waiver takes `path` or `sha256`, not both (write two waivers)");
        ok = false;
    }
    if rule.is_none() && !t.iter().any(|(k, _)| k.get_ref() == "rule") {
        cx.error(head.clone(), "a waiver needs `rule` (the code or name of the rule it accepts)");
        ok = false;
    }
    if reason.is_none() && !t.iter().any(|(k, _)| k.get_ref() == "reason") {
        cx.error(head, "a waiver needs a `reason`");
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(Waiver { line, path, path_glob, sha256, rule: rule?, reason: reason?, expires })
}
