use super::*;
use crate::finding::{Finding, Location};
use crate::rules;

fn ok(text: &str) -> Policy {
    let (p, d) = Policy::parse(text, None);
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
    p
}

fn errors(text: &str) -> Vec<(usize, usize, String)> {
    let (_, d) = Policy::parse(text, None);
    d.into_iter().filter(Diagnostic::is_error).map(|d| (d.line, d.column, d.message)).collect()
}

fn report(path: &str, findings: &[&'static str]) -> TargetReport {
    TargetReport {
        path: path.into(),
        format: "pickle".into(),
        size: 1,
        sha256: Some("ab".repeat(32)),
        findings: findings
            .iter()
            .map(|c| {
                let r = rules::find(c).unwrap();
                Finding::new(r, "x", Location { path: path.into(), members: vec![], offset: Some(1) })
            })
            .collect(),
        duration_ms: 0.0,
    }
}

#[test]
fn the_template_is_a_valid_policy_that_changes_nothing() {
    let (p, d) = Policy::parse(TEMPLATE, None);
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(p.fail_on, Some(Severity::Medium));
    assert!(p.rules.is_empty() && p.waivers.is_empty() && p.globals.is_default());
    assert!(p.paths.admits("models/a.pt"));
    assert_eq!(p.licences, crate::licence::LicencePolicy::default());
}

#[test]
fn every_error_is_reported_with_its_position() {
    let text = "fail-on = \"severe\"\nbogus = 1\n\n[rules]\nPKL002 = \"hgh\"\nNOPE01 = \"allow\"\n\n[globals]\nallow = [\"os\", 3]\nprofiles = [\"torch\", \"tensorflow\"]\n\n[paths]\nexclude = \"tests\"\n\n[[waivers]]\npath = \"a.pt\"\nrule = \"PKL001\"\n\n[[waivers]]\nsha256 = \"xyz\"\nrule = \"PKL001\"\nreason = \"r\"\nexpires = \"2026-02-30\"\n";
    let e = errors(text);
    let want: &[(usize, usize, &str)] = &[
        (1, 11, "unknown severity"),
        (2, 1, "unknown key `bogus` in the policy"),
        (5, 10, "unknown setting \"hgh\""),
        (6, 1, "unknown rule `NOPE01`"),
        (9, 10, "`os` has no module"),
        (9, 16, "each entry of `globals.allow` must be a string"),
        (10, 22, "unknown profile `tensorflow`"),
        (13, 11, "`paths.exclude` must be an array of strings"),
        (15, 1, "a waiver needs a `reason`"),
        (20, 10, "`sha256` must be 64 hexadecimal digits"),
        (23, 11, "`expires` must be a date"),
    ];
    assert_eq!(e.len(), want.len(), "{e:#?}");
    for ((l, c, m), (wl, wc, wm)) in e.iter().zip(want) {
        assert_eq!((l, c), (wl, wc), "{m}");
        assert!(m.contains(wm), "{m:?} lacks {wm:?}");
    }
}

#[test]
fn toml_syntax_errors_are_positioned_and_the_rest_still_checked() {
    let e = errors("fail-on = \"high\"\n[rules\nPKL001 = \"low\"\n[globals]\nallow = [\"x.*\"]\nunknown = 1\n");
    assert!(e.iter().any(|(l, _, _)| *l == 2), "{e:#?}");
    assert!(e.iter().any(|(l, _, m)| *l == 6 && m.contains("unknown key")), "{e:#?}");
}

#[test]
fn render_points_at_the_value() {
    let text = "[rules]\nPKL002 = \"hgh\"\n";
    let (_, d) = Policy::parse(text, None);
    let r = d[0].render("modelvet.toml", text);
    assert!(r.starts_with("error: unknown setting \"hgh\""), "{r}");
    assert!(r.contains("--> modelvet.toml:2:10"), "{r}");
    assert!(r.contains("2 | PKL002 = \"hgh\"\n  |          ^^^^^\n"), "{r}");
}

#[test]
fn allowing_a_dangerous_name_is_a_warning() {
    let (_, d) = Policy::parse("[globals]\nallow = [\"builtins.getattr\", \"mycorp.*\"]\n", None);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].level, Level::Warning);
    assert!(d[0].message.contains("builtins.getattr"));
}

#[test]
fn rule_settings() {
    let p = ok("[rules]\nPKL002 = \"high\"\ndata-after-stop = \"allow\"\nARC002 = \"warn\"\nNPY001 = \"deny\"\n");
    let mut t = report("m.pkl", &["PKL002", "PKL008", "ARC002", "NPY001"]);
    p.apply(&mut t, "m.pkl", Date::today(), &mut WaiverUsage::new(&p));
    let got: Vec<_> = t.findings.iter().map(|f| (f.rule.code, f.severity, f.action)).collect();
    let default = |c| rules::find(c).unwrap().severity;
    assert_eq!(
        got,
        vec![
            ("PKL002", Severity::High, Action::Default),
            ("ARC002", default("ARC002"), Action::Warn),
            ("NPY001", default("NPY001"), Action::Deny),
        ]
    );
    assert!(!t.findings[1].blocks(Severity::Low) && t.findings[2].blocks(Severity::Critical));
}

#[test]
fn waivers_accept_expire_and_report_when_unused() {
    let sha = "ab".repeat(32);
    let text = format!(
        "[[waivers]]\npath = \"models/\"\nrule = \"PKL002\"\nreason = \"own classes\"\nexpires = 2026-06-30\n\n\
         [[waivers]]\nsha256 = \"{sha}\"\nrule = \"unknown-import\"\nreason = \"reviewed\"\n\n\
         [[waivers]]\npath = \"models/a.pkl\"\nrule = \"PKL001\"\nreason = \"never fires\"\n\n\
         [[waivers]]\npath = \"elsewhere/b.pkl\"\nrule = \"PKL001\"\nreason = \"not scanned\"\n"
    );
    let p = ok(&text);
    assert_eq!(p.waivers.len(), 4);
    assert_eq!(p.waivers[0].line, 1);
    assert!(p.needs_hashes());

    // Before expiry the path waiver (first match) accepts the finding; the
    // hash waiver covers it too, so neither is unused.
    let before = Date::new(2026, 6, 30).unwrap();
    let mut usage = WaiverUsage::new(&p);
    let mut t = report("models/a.pkl", &["PKL002"]);
    p.apply(&mut t, "models/a.pkl", before, &mut usage);
    let w = t.findings[0].waiver.as_ref().unwrap();
    assert_eq!((w.reason.as_str(), w.expired), ("own classes", false));
    assert!(!t.blocked(Severity::Medium) && !t.warns(Severity::Medium));
    let unused = p.unused_waivers(&usage);
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert!(unused[0].contains("PKL001") && unused[0].contains("line 12"), "{unused:?}");

    // The day after, the finding counts again.
    let after = Date::new(2026, 7, 1).unwrap();
    let mut t = report("models/a.pkl", &["PKL002"]);
    t.sha256 = Some("cd".repeat(32));
    p.apply(&mut t, "models/a.pkl", after, &mut WaiverUsage::new(&p));
    assert!(t.findings[0].waiver.as_ref().unwrap().expired);
    assert!(t.blocked(Severity::Medium));
    assert_eq!(p.expired_waivers(after).len(), 1);

    // The day after, the hash waiver (no expiry) still accepts it.
    let mut t = report("models/a.pkl", &["PKL002"]);
    p.apply(&mut t, "models/a.pkl", after, &mut WaiverUsage::new(&p));
    assert_eq!(t.findings[0].waiver.as_ref().unwrap().reason, "reviewed");

    // The hash waiver follows the content wherever the file is.
    let mut t = report("moved/z.pkl", &["PKL002", "PKL001"]);
    p.apply(&mut t, "moved/z.pkl", after, &mut WaiverUsage::new(&p));
    assert_eq!(t.findings[0].waiver.as_ref().unwrap().reason, "reviewed");
    assert!(t.findings[1].waiver.is_none() && t.blocked(Severity::Medium));
}

#[test]
fn waiver_needs_key_rule_and_reason() {
    let e = errors("[[waivers]]\nrule = \"PKL001\"\nreason = \" \"\n\n[[waivers]]\npath = \"a\"\nsha256 = \"\"\n");
    let msgs: Vec<&str> = e.iter().map(|(_, _, m)| m.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("must say why")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("needs `rule`")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("64 hexadecimal")), "{msgs:?}");
}

#[test]
fn path_filter() {
    let p = ok("[paths]\ninclude = [\"models/\", \"*.safetensors\"]\nexclude = [\"models/tmp/**\", \"*.md\"]\n");
    assert!(p.paths.admits("models/a.pt"));
    assert!(p.paths.admits("models/deep/er/a.pt"));
    assert!(p.paths.admits("other/w.safetensors"));
    assert!(!p.paths.admits("other/w.pt"));
    assert!(!p.paths.admits("models/tmp/x.pt"));
    assert!(!p.paths.admits("models/README.md"));
    let star = ok("[paths]\nexclude = [\"data/*.pkl\"]\n");
    assert!(!star.paths.admits("data/x.pkl"));
    assert!(star.paths.admits("data/sub/x.pkl"), "`*` stays within one folder");
}

#[test]
fn globals_and_show_round_trip() {
    let text = "fail-on = \"high\"\n[rules]\nPKL002 = \"low\"\n[globals]\nallow = [\"mycorp.*\"]\ndeny = [\"numpy.load\"]\nprofiles = [\"torch\"]\n[paths]\nexclude = [\"tests/\"]\n[[waivers]]\npath = \"m.pt\"\nrule = \"TOR001\"\nreason = \"old\"\nexpires = 2000-01-01\n";
    let p = ok(text);
    assert_eq!(p.globals.classify("mycorp.x", "Y"), crate::knowledge::Class::Safe);
    let shown = p.show();
    let (again, d) = Policy::parse(&shown, None);
    assert!(d.iter().all(|d| !d.is_error()), "{shown}\n{d:#?}");
    assert_eq!(again.fail_on, p.fail_on);
    let codes = |p: &Policy| p.rules.iter().map(|(r, s)| (r.code, *s)).collect::<Vec<_>>();
    assert_eq!(codes(&again), codes(&p));
    assert_eq!(again.globals.allow, p.globals.allow);
    assert_eq!(again.globals.deny, p.globals.deny);
    assert_eq!(again.globals.effective_profiles(), vec!["core", "torch"]);
    assert_eq!(again.paths.exclude, p.paths.exclude);
    assert_eq!(again.waivers.len(), 1);
    assert!(shown.contains("EXPIRED"), "{shown}");
    assert_ne!(p.scan_key(), Policy::default().scan_key());
}

#[test]
fn discovery_prefers_the_folder_then_the_repository_root() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    assert_eq!(Policy::discover(&root.join("a/b")), None);
    std::fs::write(root.join(FILE_NAME), "").unwrap();
    assert_eq!(Policy::discover(&root.join("a/b")), Some(root.join(FILE_NAME)));
    std::fs::write(root.join("a/b").join(FILE_NAME), "").unwrap();
    assert_eq!(Policy::discover(&root.join("a/b")), Some(root.join("a/b").join(FILE_NAME)));
}

#[test]
fn licences_are_validated_with_line_and_column() {
    let text = "[licences]\nallow = [\"permissive\", \"llama3.1\"]\ndeny = [\"non-commercial\", \"llama3.1\", 7]\nreview = \"copyleft\"\nmaybe = [\"mit\"]\ncheck-loose-files = \"yes\"\n";
    let e = errors(text);
    let want: &[(usize, usize, &str)] = &[
        (3, 27, "`llama3.1` is already in `allow`"),
        (3, 39, "each entry of `licences.deny` must be a string"),
        (4, 10, "`licences.review` must be an array of strings"),
        (5, 1, "unknown key `maybe` in `[licences]`"),
        (6, 21, "`check-loose-files` must be true or false"),
    ];
    assert_eq!(e.len(), want.len(), "{e:#?}");
    for ((line, col, msg), (l, c, m)) in want.iter().zip(&e) {
        assert_eq!((l, c), (line, col), "{m}");
        assert!(m.contains(msg), "{m} lacks {msg}");
    }
    let (p, d) = Policy::parse("[licenses]\nallow = [\"my-corp-model-licence\", \"NonCommercial\"]\n", None);
    assert!(d.iter().all(|d| !d.is_error()) && d.len() == 1, "{d:#?}");
    assert!(d[0].message.contains("neither a class"));
    use crate::licence::{LicenceClass, Verdict};
    assert_eq!(p.licences.verdict(Some("cc-by-nc-4.0"), LicenceClass::NonCommercial), Verdict::Allow);
    assert_eq!(p.licences.verdict(Some("my-corp-model-licence"), LicenceClass::Other), Verdict::Allow);
    assert_eq!(p.licences.verdict(Some("proprietary-x"), LicenceClass::Other), Verdict::Review);
}
