//! Hugging Face model cards: the YAML front matter of a repository's
//! `README.md` (between a first line `---` and the next `---`), read into the
//! fields that licences and the AI-BOM need.
//!
//! The card is untrusted text. The YAML is read event by event into a bounded
//! tree (at most [`MAX_NODES`] nodes, aliases counted as the copies they
//! expand to, [`MAX_DEPTH`] levels), so an alias bomb or a deep nest costs a
//! bounded amount of work; what goes wrong is returned in
//! [`ModelCard::problems`], never as a panic or an error.
//!
//! ```
//! let card = modelvet_formats::model_card::parse(b"---\nlicense: apache-2.0\ndatasets:\n- squad\n---\n# My model\n");
//! assert_eq!(card.license[0].value, "apache-2.0");
//! assert_eq!(card.license[0].line, 2);
//! assert_eq!(card.datasets[0].value, "squad");
//! ```

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Front matter larger than this is not read (real cards' front matter is a
/// few KiB; the largest model-index blocks are tens of KiB).
pub const MAX_FRONT_MATTER: usize = 512 * 1024;
/// Nodes in the tree, counting every copy an alias expands to.
pub const MAX_NODES: usize = 100_000;
/// Nesting of sequences and mappings.
pub const MAX_DEPTH: usize = 64;

/// A value and the 1-based line of `README.md` it was written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

/// One entry of `model-index[].results[]`: an evaluation result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalResult {
    /// `model-index[].name`.
    pub model: Option<String>,
    pub task_type: Option<String>,
    pub task_name: Option<String>,
    pub dataset_type: Option<String>,
    pub dataset_name: Option<String>,
    pub dataset_split: Option<String>,
    pub metric_type: Option<String>,
    pub metric_name: Option<String>,
    /// The value as written (`0.912`, `91.2`, `"n/a"`).
    pub value: Option<String>,
    pub line: usize,
}

/// What a model card declares. Every list is empty and every option `None`
/// when the card has no front matter or the key is absent.
#[derive(Debug, Clone, Default)]
pub struct ModelCard {
    /// Whether the file starts with a front-matter block at all.
    pub has_front_matter: bool,
    /// `license`: one Hub licence id, or a list of them.
    pub license: Vec<Located<String>>,
    /// `license_name` (set with `license: other`).
    pub license_name: Option<Located<String>>,
    /// `license_link`: a URL or a path inside the repository.
    pub license_link: Option<Located<String>>,
    /// `base_model`: the model(s) this one was derived from.
    pub base_model: Vec<Located<String>>,
    /// `base_model_relation`: `adapter`, `merge`, `quantized`, `finetune`.
    pub base_model_relation: Option<Located<String>>,
    pub datasets: Vec<Located<String>>,
    pub pipeline_tag: Option<Located<String>>,
    pub library_name: Option<Located<String>>,
    pub model_name: Option<Located<String>>,
    pub tags: Vec<Located<String>>,
    pub language: Vec<Located<String>>,
    pub metrics: Vec<Located<String>>,
    pub model_index: Vec<EvalResult>,
    /// Why the front matter could not be read, or was read only in part.
    pub problems: Vec<String>,
}

/// A node of the bounded YAML tree.
#[derive(Debug, Clone)]
enum Node {
    Scalar(String, usize),
    Seq(Vec<Node>, usize),
    Map(Vec<(String, Node)>, usize),
}

impl Node {
    fn line(&self) -> usize {
        match self {
            Node::Scalar(_, l) | Node::Seq(_, l) | Node::Map(_, l) => *l,
        }
    }
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries, _) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn scalar(&self) -> Option<Located<String>> {
        match self {
            Node::Scalar(s, l) if !s.is_empty() && s != "~" && s != "null" => {
                Some(Located { value: s.clone(), line: *l })
            }
            _ => None,
        }
    }
    /// A scalar or a sequence of scalars, as a list.
    fn scalars(&self) -> Vec<Located<String>> {
        match self {
            Node::Seq(items, _) => items.iter().filter_map(Node::scalar).collect(),
            other => other.scalar().into_iter().collect(),
        }
    }
    fn str_at(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Node::scalar).map(|l| l.value)
    }
    fn items(&self) -> &[Node] {
        match self {
            Node::Seq(items, _) => items,
            _ => &[],
        }
    }
}

/// The front-matter text of a card and the line it starts on, if the file
/// opens with `---` (after an optional UTF-8 byte-order mark).
pub fn front_matter(text: &str) -> Option<(&str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let start = first.len();
    let mut at = start;
    for line in lines {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            return Some((&text[start..at], 2));
        }
        at += line.len();
    }
    None
}

/// Read a model card (`README.md` bytes).
pub fn parse(bytes: &[u8]) -> ModelCard {
    let mut card = ModelCard::default();
    let head = &bytes[..bytes.len().min(MAX_FRONT_MATTER + 8)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // Cut inside a multi-byte character at the cap: keep the valid prefix.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        Err(e) => {
            if head.starts_with(b"---") {
                card.has_front_matter = true;
                card.problems.push(format!("the card is not UTF-8 (invalid byte at offset {})", e.valid_up_to()));
            }
            return card;
        }
    };
    let Some((yaml, first_line)) = front_matter(text) else {
        if text.trim_start_matches('\u{feff}').starts_with("---") {
            card.has_front_matter = true;
            card.problems.push(if bytes.len() > MAX_FRONT_MATTER {
                format!("front matter is not closed within {MAX_FRONT_MATTER} bytes")
            } else {
                "front matter is not closed (no second `---` line)".to_string()
            });
        }
        return card;
    };
    card.has_front_matter = true;
    let (root, problem) = load(yaml, first_line);
    card.problems.extend(problem);
    let Some(root) = root else { return card };
    if !matches!(root, Node::Map(..)) {
        card.problems.push("front matter is not a mapping of keys to values".to_string());
        return card;
    }
    let list = |k: &str| root.get(k).map(Node::scalars).unwrap_or_default();
    let one = |k: &str| root.get(k).and_then(Node::scalar);
    card.license = list("license");
    card.license_name = one("license_name");
    card.license_link = one("license_link");
    card.base_model = list("base_model");
    card.base_model_relation = one("base_model_relation");
    card.datasets = list("datasets");
    card.pipeline_tag = one("pipeline_tag");
    card.library_name = one("library_name");
    card.model_name = one("model_name");
    card.tags = list("tags");
    card.language = list("language");
    card.metrics = list("metrics");
    for entry in root.get("model-index").map(Node::items).unwrap_or_default() {
        let model = entry.str_at("name");
        for result in entry.get("results").map(Node::items).unwrap_or_default() {
            let task = result.get("task");
            let dataset = result.get("dataset");
            let base = EvalResult {
                model: model.clone(),
                task_type: task.and_then(|t| t.str_at("type")),
                task_name: task.and_then(|t| t.str_at("name")),
                dataset_type: dataset.and_then(|d| d.str_at("type")),
                dataset_name: dataset.and_then(|d| d.str_at("name")),
                dataset_split: dataset.and_then(|d| d.str_at("split")),
                line: result.line(),
                ..EvalResult::default()
            };
            let metrics = result.get("metrics").map(Node::items).unwrap_or_default();
            if metrics.is_empty() {
                card.model_index.push(base);
                continue;
            }
            for m in metrics {
                card.model_index.push(EvalResult {
                    metric_type: m.str_at("type"),
                    metric_name: m.str_at("name"),
                    value: m.str_at("value"),
                    line: m.line(),
                    ..base.clone()
                });
            }
        }
    }
    card
}

/// A sequence or mapping still being read.
struct Open {
    node: Node,
    /// For a mapping: the key read, whose value comes next.
    key: Option<String>,
    anchor: usize,
}

/// Builds the bounded tree from parser events.
struct Builder {
    stack: Vec<Open>,
    anchors: Vec<(usize, Node)>,
    root: Option<Node>,
    nodes: usize,
    line_offset: usize,
    stopped: Option<String>,
}

impl Builder {
    fn count(node: &Node) -> usize {
        match node {
            Node::Scalar(..) => 1,
            Node::Seq(items, _) => 1 + items.iter().map(Builder::count).sum::<usize>(),
            Node::Map(entries, _) => 1 + entries.iter().map(|(_, v)| 1 + Builder::count(v)).sum::<usize>(),
        }
    }

    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Open { node: Node::Seq(items, _), .. }) => items.push(node),
            Some(Open { node: Node::Map(entries, _), key, .. }) => match key.take() {
                None => *key = Some(key_text(&node)),
                Some(k) => entries.push((k, node)),
            },
            Some(_) => {}
        }
    }
}

/// A mapping key as text: scalars as written, anything else (complex keys,
/// which cards never use) by its kind.
fn key_text(node: &Node) -> String {
    match node {
        Node::Scalar(s, _) => s.clone(),
        Node::Seq(..) => "[sequence]".to_string(),
        Node::Map(..) => "{mapping}".to_string(),
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.stopped.is_some() {
            return;
        }
        let line = mark.line() + self.line_offset;
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            self.stopped = Some(format!("front matter has more than {MAX_NODES} YAML nodes; read no further"));
            return;
        }
        match ev {
            Event::Scalar(value, _, anchor, _) => self.push_value(Node::Scalar(value, line), anchor),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.stopped = Some(format!("front matter nests deeper than {MAX_DEPTH} levels; read no further"));
                    return;
                }
                let node = if matches!(ev, Event::SequenceStart(..)) {
                    Node::Seq(Vec::new(), line)
                } else {
                    Node::Map(Vec::new(), line)
                };
                self.stack.push(Open { node, key: None, anchor });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                // An anchored container is recorded when it closes, complete.
                if let Some(open) = self.stack.pop() {
                    self.push_value(open.node, open.anchor);
                }
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.iter().rev().find(|(a, _)| *a == id).map(|(_, n)| n.clone()) else {
                    return;
                };
                self.nodes += Builder::count(&node);
                if self.nodes > MAX_NODES {
                    self.stopped = Some(format!(
                        "front matter aliases expand to more than {MAX_NODES} YAML nodes; read no further"
                    ));
                    return;
                }
                self.push_value(node, 0);
            }
            Event::DocumentEnd => {
                // Only the first document of the front matter counts.
                if self.root.is_some() {
                    self.stopped = Some(String::new());
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

/// Parse `yaml` (which starts on `first_line` of the card) into a tree.
fn load(yaml: &str, first_line: usize) -> (Option<Node>, Option<String>) {
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: Vec::new(),
        root: None,
        nodes: 0,
        line_offset: first_line - 1,
        stopped: None,
    };
    let mut parser = Parser::new_from_str(yaml);
    let result = parser.load(&mut builder, false);
    let mut problem = builder.stopped.take().filter(|s| !s.is_empty());
    if let Err(e) = result {
        let m = e.marker();
        problem = Some(format!(
            "front matter is not valid YAML at line {}, column {}: {}",
            m.line() + first_line - 1,
            m.col() + 1,
            e.info()
        ));
        // Keep what was read before the error only if it closed cleanly.
        if builder.root.is_none() {
            return (None, problem);
        }
    }
    if builder.root.is_none() && !builder.stack.is_empty() {
        // Stopped inside the document: keep the outermost container as far as it got.
        let mut node = None;
        while let Some(mut open) = builder.stack.pop() {
            if let Some(child) = node.take() {
                match &mut open.node {
                    Node::Seq(items, _) => items.push(child),
                    Node::Map(entries, _) => {
                        if let Some(k) = open.key {
                            entries.push((k, child));
                        }
                    }
                    Node::Scalar(..) => {}
                }
            }
            node = Some(open.node);
        }
        return (node, problem);
    }
    (builder.root, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_a_card_declares() {
        let card = parse(
            b"---\nlicense: other\nlicense_name: llama3\nlicense_link: LICENSE\nbase_model:\n  - meta-llama/Meta-Llama-3-8B\nbase_model_relation: adapter\ndatasets: [squad, glue]\npipeline_tag: text-generation\nlibrary_name: peft\ntags:\n- a\n- b\nlanguage: en\n---\nbody\n---\n",
        );
        assert!(card.problems.is_empty(), "{:?}", card.problems);
        assert_eq!(card.license, vec![Located { value: "other".into(), line: 2 }]);
        assert_eq!(card.license_name.unwrap().value, "llama3");
        assert_eq!(card.license_link.unwrap().line, 4);
        assert_eq!(card.base_model[0], Located { value: "meta-llama/Meta-Llama-3-8B".into(), line: 6 });
        assert_eq!(card.base_model_relation.unwrap().value, "adapter");
        assert_eq!(card.datasets.iter().map(|d| d.value.as_str()).collect::<Vec<_>>(), ["squad", "glue"]);
        assert_eq!(card.pipeline_tag.unwrap().value, "text-generation");
        assert_eq!(card.tags.len(), 2);
        assert_eq!(card.language[0].value, "en");
    }

    #[test]
    fn reads_model_index_results() {
        let card = parse(
            br#"---
model-index:
- name: tiny
  results:
  - task:
      type: text-classification
      name: Text Classification
    dataset:
      name: GLUE SST-2
      type: glue
      split: validation
    metrics:
    - type: accuracy
      value: 0.912
      name: Accuracy
    - type: f1
      value: 0.9
---
"#,
        );
        assert!(card.problems.is_empty(), "{:?}", card.problems);
        assert_eq!(card.model_index.len(), 2);
        let r = &card.model_index[0];
        assert_eq!(r.model.as_deref(), Some("tiny"));
        assert_eq!(r.task_type.as_deref(), Some("text-classification"));
        assert_eq!(r.dataset_type.as_deref(), Some("glue"));
        assert_eq!(r.dataset_split.as_deref(), Some("validation"));
        assert_eq!(r.metric_type.as_deref(), Some("accuracy"));
        assert_eq!(r.value.as_deref(), Some("0.912"));
        assert_eq!(card.model_index[1].metric_type.as_deref(), Some("f1"));
    }

    #[test]
    fn no_front_matter_is_not_a_problem() {
        let card = parse(b"# A model\n\nlicense: mit\n");
        assert!(!card.has_front_matter);
        assert!(card.license.is_empty() && card.problems.is_empty());
    }

    #[test]
    fn unclosed_and_invalid_front_matter_are_problems() {
        let card = parse(b"---\nlicense: mit\n");
        assert!(card.has_front_matter);
        assert!(card.problems[0].contains("not closed"), "{:?}", card.problems);
        let card = parse(b"---\nlicense: [mit\n---\n");
        assert!(card.problems[0].contains("not valid YAML at line"), "{:?}", card.problems);
        let card = parse(b"---\n- a\n- b\n---\n");
        assert!(card.problems[0].contains("not a mapping"), "{:?}", card.problems);
        let card = parse(b"---\nlicense: \xff\n---\n");
        assert!(card.problems[0].contains("not UTF-8"), "{:?}", card.problems);
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut y = String::from("---\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            y.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        y.push_str("license: mit\n---\n");
        let card = parse(y.as_bytes());
        assert!(card.problems.iter().any(|p| p.contains("aliases expand")), "{:?}", card.problems);
    }

    #[test]
    fn aliases_resolve_to_their_anchor() {
        let card = parse(b"---\nx: &lic apache-2.0\nlicense: *lic\ndatasets: &ds [a, b]\ntags: *ds\n---\n");
        assert!(card.problems.is_empty(), "{:?}", card.problems);
        assert_eq!(card.license[0].value, "apache-2.0");
        assert_eq!(card.tags.len(), 2);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let y = format!("---\nx: {}{}\n---\n", "[".repeat(10_000), "]".repeat(10_000));
        let card = parse(y.as_bytes());
        assert!(!card.problems.is_empty());
    }

    #[test]
    fn crlf_and_bom_are_read() {
        let card = parse(b"\xef\xbb\xbf---\r\nlicense: mit\r\n---\r\n");
        assert!(card.problems.is_empty(), "{:?}", card.problems);
        assert_eq!(card.license[0].value, "mit");
    }
}
