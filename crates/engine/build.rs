//! Collects each rule file's `//!` doc comment into a table, so that a rule's
//! documentation lives in exactly one place: the comment above its code.
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let rules = Path::new("src/rules");
    println!("cargo:rerun-if-changed=src/rules");
    let mut entries = Vec::new();
    let mut areas: Vec<_> =
        std::fs::read_dir(rules).expect("src/rules").flatten().filter(|e| e.path().is_dir()).collect();
    areas.sort_by_key(std::fs::DirEntry::path);
    for area in areas {
        let mut files: Vec<_> = std::fs::read_dir(area.path()).expect("area").flatten().collect();
        files.sort_by_key(std::fs::DirEntry::path);
        for f in files {
            let p = f.path();
            if p.extension().is_none_or(|e| e != "rs") || p.file_stem().is_some_and(|s| s == "mod") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", p.display());
            let text = std::fs::read_to_string(&p).expect("rule file");
            let doc: Vec<&str> = text
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .map(|l| l.strip_prefix("//! ").unwrap_or(l.strip_prefix("//!").unwrap_or("")))
                .collect();
            let key = format!(
                "{}/{}",
                area.file_name().to_string_lossy(),
                p.file_stem().unwrap_or_default().to_string_lossy()
            );
            entries.push((key, doc.join("\n")));
        }
    }
    let mut out = String::from(
        "/// The doc comment of the rule file at `area/name`.\npub fn doc(path: &str) -> &'static str {\n    match path {\n",
    );
    for (k, d) in entries {
        let _ = writeln!(out, "        {k:?} => {d:?},");
    }
    out.push_str("        _ => \"\",\n    }\n}\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("rule_docs.rs");
    std::fs::write(dest, out).expect("write rule_docs.rs");
}
