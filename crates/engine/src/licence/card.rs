//! The licence fields of a model card (`README.md` front matter), read with
//! the formats crate's model-card parser, with their line and byte offset.

use std::path::Path;

use modelvet_formats::model_card;

use super::{MAX_LICENCE_FILE, Source};

/// What a card declares about licences.
#[derive(Debug, Default)]
pub struct Card {
    pub license: Vec<(String, Source)>,
    pub license_name: Option<(String, Source)>,
    pub license_link: Option<(String, Source)>,
    pub base_model: Vec<(String, Source)>,
    pub datasets: Vec<(String, Source)>,
    /// Malformed, oversized or hostile front matter, and a card cut at the read limit.
    pub problems: Vec<String>,
}

/// Byte offset of the start of each line.
fn line_starts(bytes: &[u8]) -> Vec<u64> {
    std::iter::once(0)
        .chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i as u64 + 1))
        .collect()
}

/// Reads a card (at most [`MAX_LICENCE_FILE`] bytes).
pub fn read(path: &Path) -> Card {
    let (bytes, cut) = match super::walk::read_capped(path, MAX_LICENCE_FILE) {
        Ok(r) => r,
        Err(e) => return Card { problems: vec![format!("cannot read: {e}")], ..Card::default() },
    };
    let parsed = model_card::parse(&bytes);
    let starts = line_starts(&bytes);
    let src = |key: &str, line: usize| Source {
        file: path.to_path_buf(),
        line: Some(line),
        offset: starts.get(line.saturating_sub(1)).copied(),
        key: key.to_string(),
    };
    let mut c = Card { problems: parsed.problems.clone(), ..Card::default() };
    if cut {
        c.problems.push(format!("larger than {MAX_LICENCE_FILE} bytes; only the start was read"));
    }
    let keep = |s: &str| s.trim().chars().take(512).collect::<String>();
    c.license = parsed
        .license
        .iter()
        .filter(|l| !l.value.trim().is_empty())
        .map(|l| (keep(&l.value), src("license", l.line)))
        .collect();
    c.license_name = parsed.license_name.as_ref().map(|l| (keep(&l.value), src("license_name", l.line)));
    c.license_link = parsed.license_link.as_ref().map(|l| (keep(&l.value), src("license_link", l.line)));
    c.base_model = parsed.base_model.iter().map(|l| (keep(&l.value), src("base_model", l.line))).collect();
    c.datasets = parsed.datasets.iter().map(|l| (keep(&l.value), src("datasets", l.line))).collect();
    c
}
