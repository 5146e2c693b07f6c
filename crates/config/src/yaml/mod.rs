//! YAML text → a small tree of nodes that remember their line.
//!
//! Why not deserialize straight from a serde YAML crate: serde stops at the first error, and the
//! brief (and operators) want every problem at once, each with its path and line. So we parse
//! once into this tree (granit-parser's event stream, the parser underneath serde-saphyr), expand
//! `${ENV}` references in it, then deserialize each section and each list entry separately from
//! the tree with our own serde `Deserializer` (see [`de`]), which knows the path and line of
//! every value. Scalars keep their source text and style, and are typed by what the target field
//! asks for: `api_version: 2024-10-21` is a string, `key: 0123` keeps its leading zero, and
//! `no` is never a boolean by accident.

pub(crate) mod de;

use granit_parser::{Event, Parser, ScalarStyle};
use std::collections::{HashMap, HashSet};

use crate::env::{Env, expand};
use crate::error::ConfigError;

/// Hard limits that keep a hostile or broken file from exhausting memory or the stack.
const MAX_NODES: usize = 200_000;
const MAX_DEPTH: usize = 64;

/// One YAML node with its 1-based source line.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    pub text: String,
    /// Plain (unquoted, untagged-as-string) scalars may be null, booleans or numbers.
    pub plain: bool,
    /// Set when `${...}` expansion put environment text in here: never echo it in errors.
    pub from_env: bool,
    /// Set when expansion failed (already reported): deserialization stays quiet about it.
    pub poisoned: bool,
}

impl Node {
    fn scalar(text: String, plain: bool, line: u32) -> Self {
        Self {
            kind: NodeKind::Scalar(Scalar {
                text,
                plain,
                from_env: false,
                poisoned: false,
            }),
            line,
        }
    }

    /// An empty document: behaves as an empty mapping.
    pub fn null() -> Self {
        Self::scalar(String::new(), true, 1)
    }

    /// True for YAML null: `~`, `null` or nothing, unquoted.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The key text of a mapping key (scalars only).
    pub fn key_text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// Short description of the node's kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(_) if self.is_null() => "nothing (null)",
            NodeKind::Scalar(_) => "a scalar",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// Parses one YAML document. A syntax error is fatal (nothing after it can be trusted) and
/// reported with its line; an empty file is a null node.
pub(crate) fn parse(text: &str) -> Result<Node, ConfigError> {
    let mut builder = Builder::default();
    let mut documents = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            ConfigError::new("", format!("YAML syntax error: {}", e.info()))
                .at_line(Some(to_line(e.marker().line())))
        })?;
        let line = to_line(span.start.line());
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(ConfigError::new(
                        "",
                        "the file holds more than one YAML document (`---`); put everything in one",
                    )
                    .at_line(Some(line)));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                // `!!str 123` forces a string, like quoting does.
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix() == "str");
                let plain = style == ScalarStyle::Plain && !forced_str;
                builder.push(Node::scalar(value.into_owned(), plain, line), anchor)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                builder.open(Open::Seq(Vec::new()), anchor, line)?
            }
            Event::MappingStart(_, anchor, _) => {
                builder.open(Open::Map(Vec::new()), anchor, line)?
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close()?,
            Event::Alias(id) => {
                let node = builder.anchors.get(&id).cloned().ok_or_else(|| {
                    ConfigError::new("", "alias refers to an unknown anchor").at_line(Some(line))
                })?;
                builder.count(count_nodes(&node), line)?;
                builder.push(node, 0)?;
            }
            // Stream/document boundaries and presentation-only events carry no data.
            _ => {}
        }
    }
    Ok(builder.root.unwrap_or_else(Node::null))
}

fn to_line(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar(_) => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

enum Open {
    Seq(Vec<Node>),
    Map(Vec<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Open, usize, u32)>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
}

impl Builder {
    fn count(&mut self, n: usize, line: u32) -> Result<(), ConfigError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(ConfigError::new(
                "",
                format!("the document expands to more than {MAX_NODES} values (alias bomb?)"),
            )
            .at_line(Some(line)));
        }
        Ok(())
    }

    fn open(&mut self, open: Open, anchor: usize, line: u32) -> Result<(), ConfigError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(
                ConfigError::new("", format!("nesting deeper than {MAX_DEPTH} levels"))
                    .at_line(Some(line)),
            );
        }
        self.count(1, line)?;
        self.stack.push((open, anchor, line));
        Ok(())
    }

    fn close(&mut self) -> Result<(), ConfigError> {
        let Some((open, anchor, line)) = self.stack.pop() else {
            return Ok(());
        };
        let kind = match open {
            Open::Seq(items) => NodeKind::Seq(items),
            Open::Map(flat) => NodeKind::Map(merge_keys(pairs(flat))),
        };
        self.push(Node { kind, line }, anchor)
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), ConfigError> {
        if matches!(node.kind, NodeKind::Scalar(_)) {
            self.count(1, node.line)?;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some((Open::Seq(items), ..)) | Some((Open::Map(items), ..)) => items.push(node),
            None => self.root = Some(node),
        }
        Ok(())
    }
}

/// Mapping events alternate key, value; the parser guarantees an even count.
fn pairs(flat: Vec<Node>) -> Vec<(Node, Node)> {
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut iter = flat.into_iter();
    while let (Some(k), Some(v)) = (iter.next(), iter.next()) {
        out.push((k, v));
    }
    out
}

/// Applies YAML merge keys (`<<: *defaults` or `<<: [*a, *b]`): entries written in the mapping
/// win over merged ones, earlier merged mappings win over later ones.
fn merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let is_merge = |k: &Node| matches!(&k.kind, NodeKind::Scalar(s) if s.plain && s.text == "<<");
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return entries;
    }
    let mut own = Vec::new();
    let mut merged = Vec::new();
    for (k, v) in entries {
        if !is_merge(&k) {
            own.push((k, v));
            continue;
        }
        match v.kind {
            NodeKind::Map(m) => merged.extend(m),
            NodeKind::Seq(items) => {
                for item in items {
                    match item.kind {
                        NodeKind::Map(m) => merged.extend(m),
                        // Not a mapping: keep it visible so deserialization reports `<<`.
                        kind => own.push((
                            k.clone(),
                            Node {
                                kind,
                                line: item.line,
                            },
                        )),
                    }
                }
            }
            kind => own.push((k, Node { kind, line: v.line })),
        }
    }
    for (k, v) in merged {
        let taken = own
            .iter()
            .any(|(ok, _)| ok.key_text().is_some() && ok.key_text() == k.key_text());
        if !taken {
            own.push((k, v));
        }
    }
    own
}

/// Joins a mapping key onto a path: `a.b`, or `a["odd key"]` when the key is not a plain word.
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{key:?}]"),
    }
}

/// Joins a list index onto a path: `a[3]`.
pub(crate) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// Expands `${ENV}` references in every value scalar (never in keys), reporting each failure
/// at its path; a failed scalar is marked so deserialization does not report it twice.
pub(crate) fn expand_env(
    node: &mut Node,
    path: &str,
    env: &dyn Env,
    errors: &mut Vec<ConfigError>,
) {
    let line = node.line;
    match &mut node.kind {
        NodeKind::Scalar(s) => match expand(&s.text, env) {
            Ok(expanded) => {
                if expanded.from_env {
                    s.from_env = true;
                    // Text from the environment is data, never YAML null; typed fields still
                    // parse numbers and booleans out of it (see `de`).
                    s.plain = false;
                }
                s.text = expanded.text;
            }
            Err(message) => {
                s.poisoned = true;
                s.plain = false;
                s.text.clear();
                errors.push(ConfigError::new(path, message).at_line(Some(line)));
            }
        },
        NodeKind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                expand_env(item, &index_path(path, i), env, errors);
            }
        }
        NodeKind::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                let child = key_path(path, k.key_text().unwrap_or("?"));
                expand_env(v, &child, env, errors);
            }
        }
    }
}

/// What validation needs to know about the file after deserialization: the line of every
/// path, and which values came from the environment (never echoed in messages).
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub lines: HashMap<String, u32>,
    pub from_env: HashSet<String>,
}

/// Indexes `node` at `path` into `out`. Mapping values are indexed at their key's line (where
/// the reader looks).
pub(crate) fn index(node: &Node, path: &str, out: &mut Index) {
    match &node.kind {
        NodeKind::Scalar(s) => {
            if s.from_env {
                out.from_env.insert(path.to_owned());
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let child = index_path(path, i);
                out.lines.entry(child.clone()).or_insert(item.line);
                index(item, &child, out);
            }
        }
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                let child = key_path(path, k.key_text().unwrap_or("?"));
                out.lines.entry(child.clone()).or_insert(k.line);
                index(v, &child, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> Vec<(String, &Node)> {
        match &node.kind {
            NodeKind::Map(m) => m
                .iter()
                .map(|(k, v)| (k.key_text().unwrap().to_owned(), v))
                .collect(),
            other => panic!("not a map: {other:?}"),
        }
    }

    fn text(node: &Node) -> &str {
        node.key_text().unwrap()
    }

    #[test]
    fn lines_and_styles() {
        let root = parse("a: 1\nb:\n  - x\n  - 'y'\n").unwrap();
        let entries = map(&root);
        assert_eq!(entries[0].0, "a");
        assert_eq!(entries[0].1.line, 1);
        let NodeKind::Seq(items) = &entries[1].1.kind else {
            panic!()
        };
        assert_eq!(items[1].line, 4);
        let NodeKind::Scalar(s) = &items[1].kind else {
            panic!()
        };
        assert!(!s.plain);
        assert_eq!(s.text, "y");
    }

    #[test]
    fn empty_document_is_null() {
        assert!(parse("").unwrap().is_null());
        assert!(parse("# only a comment\n").unwrap().is_null());
    }

    #[test]
    fn syntax_error_has_a_line() {
        let err = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.message.starts_with("YAML syntax error"), "{err}");
        assert!(err.line.is_some());
    }

    #[test]
    fn aliases_and_merge_keys() {
        let root = parse("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n").unwrap();
        let entries = map(&root);
        let derived = map(entries[1].1);
        let keys: Vec<_> = derived.iter().map(|(k, v)| (k.as_str(), text(v))).collect();
        assert_eq!(keys, vec![("y", "3"), ("x", "1")]);
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut yaml = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let prev = i - 1;
            yaml.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = parse(&yaml).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let yaml = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&yaml).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn several_documents_are_refused() {
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }
}
