//! YAML → a tree of [`Node`]s that remember where they were written.
//!
//! serde_yaml gives no positions for values, and every task, argument and expression
//! needs a file:line:col for its errors, so playbooks are parsed with yaml-rust2's
//! event parser into this marked tree. Scalars resolve as Ansible users expect
//! (YAML 1.1 booleans `yes`/`no`/`on`/`off`), with safer choices documented in
//! docs/ansible-differences.md: duplicate keys are errors, and numbers with a leading
//! zero stay strings (`mode: 0644` is the string "0644", never the decimal 420).
//! Alias expansion (in values and in bytes of text, counted before an alias is
//! copied) and nesting depth are bounded, so a "billion laughs" file fails fast and
//! small; characters YAML forbids (NUL and other control characters) are refused,
//! as PyYAML refuses them, instead of silently ending the file.

mod events;
mod name;

use events::Events;
pub use name::Name;
use name::Names;

use crate::error::{Diagnostic, Span, SpanFile};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use yaml_rust2::parser::{Event, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nodes one document may expand to (aliases included) before it is refused: far
/// more than any playbook or vars file holds, and a bound on memory (~100 bytes each).
const MAX_NODES: usize = 250_000;
/// Bytes of scalar text one document may expand to (aliases included).
const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// How deep sequences and mappings may nest.
const MAX_DEPTH: usize = 200;

/// A YAML value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys are scalars, kept as strings with their own span, in file order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: Name,
    pub span: Span,
    /// The key as YAML read it when it is an integer (`443:` in `{80: http, 443: https}`):
    /// a template reads `ports[443]`, as in Ansible, where the name is its text.
    pub int: Option<i64>,
}

impl Key {
    /// A key made by the loader (a string's).
    pub fn new(name: impl Into<Name>, span: Span) -> Key {
        Key {
            name: name.into(),
            span,
            int: None,
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Take the value of `key` out of a mapping node, leaving null in its place (the
    /// key and its span stay), so a big subtree can be converted and freed piecewise.
    pub fn take(&mut self, key: &str) -> Option<Node> {
        let Value::Map(entries) = &mut self.value else {
            return None;
        };
        let index = entries.iter().position(|(k, _)| k.name == key)?;
        self.take_at(index)
    }

    /// The value of the entry at `index` of a mapping node, taken out as
    /// [`Node::take`] does.
    pub fn take_at(&mut self, index: usize) -> Option<Node> {
        let Value::Map(entries) = &mut self.value else {
            return None;
        };
        let (_, node) = entries.get_mut(index)?;
        let null = Node {
            value: Value::Null,
            span: node.span.clone(),
        };
        Some(std::mem::replace(node, null))
    }

    /// Give back the spare capacity the YAML parser leaves in strings (it starts
    /// each at 32 bytes), for a node kept for the whole run.
    pub fn shrink(&mut self) {
        fn shrink_string(text: &mut String) {
            // The allocator hands out 16-byte steps: less spare than this saves nothing.
            if text.capacity() - text.len() >= 8 {
                *text = text.as_str().to_owned();
            }
        }
        match &mut self.value {
            Value::Str(text) => shrink_string(text),
            Value::Seq(items) => items.iter_mut().for_each(Node::shrink),
            Value::Map(entries) => {
                entries.iter_mut().for_each(|(_, value)| value.shrink());
            }
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
        }
    }

    /// The value of `key` in a mapping node, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        let Value::Map(entries) = &mut self.value else {
            return None;
        };
        entries
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// The value of `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// What kind of value this is, for error messages ("expected a list, found a string").
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Whether any string in this node contains template markers.
    pub fn is_templated(&self) -> bool {
        match &self.value {
            Value::Str(s) => crate::jinja_marks::holds_markup(s),
            Value::Seq(items) => items.iter().any(Node::is_templated),
            Value::Map(entries) => entries.iter().any(|(_, v)| v.is_templated()),
            _ => false,
        }
    }

    /// The node as JSON (the form module arguments and variables take).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parse every document of `text` (read from `file`).
pub fn parse(file: &Arc<Path>, text: &str) -> Result<Vec<Node>, Diagnostic> {
    parse_playbook(file, text, None)
}

/// A play: the document (0-based) and the play's place in that document's list.
pub type PlayAt = (usize, usize);

/// Takes the tasks of a playbook's plays while they are parsed, so a big playbook is
/// never a whole tree in memory: each item of a play's `pre_tasks`, `tasks` or
/// `post_tasks` list is handed over as soon as it is complete, and the list is left
/// empty in the tree. Lists with an anchor, and plays or playbooks with one, stay
/// in the tree (an alias may copy them).
pub trait TaskSink {
    /// One item of list `list` (`tasks`, …) of the play at `play`.
    fn task(&mut self, play: PlayAt, list: &'static str, item: Node);
    /// The play at `play` is complete: its keys, the lists handed over left empty.
    fn play_end(&mut self, play: PlayAt, entries: &[(Key, Node)]);
}

/// The lists of a play that [`TaskSink`] takes.
const STREAMED_LISTS: [&str; 3] = ["pre_tasks", "tasks", "post_tasks"];

/// [`parse`], handing the tasks of a playbook's plays to `sink` as they complete.
pub fn parse_playbook(
    file: &Arc<Path>,
    text: &str,
    sink: Option<&mut dyn TaskSink>,
) -> Result<Vec<Node>, Diagnostic> {
    if crate::vault::envelope::is_vaulted(text.as_bytes()) {
        return parse_vaulted(file, text);
    }
    printable(file, text)?;
    std::thread::scope(|scope| {
        let mut builder = Builder {
            file: SpanFile::of(file),
            events: Events::of(text, scope),
            anchors: HashMap::new(),
            size: Size::default(),
            sink,
            names: Names::default(),
        };
        builder.documents().map_err(|err| explain_tabs(err, text))
    })
}

/// A whole vaulted file: its plaintext parsed (never streamed: every string value in
/// it is a secret, revealed once the tree is whole).
fn parse_vaulted(file: &Arc<Path>, text: &str) -> Result<Vec<Node>, Diagnostic> {
    let plain = crate::vault::decrypt(text).map_err(|err| {
        Diagnostic::at(
            &span_at(SpanFile::of(file), 1, 1, 1),
            format!("cannot open this vaulted file: {err}"),
        )
    })?;
    // The file on disk is ciphertext: a caret under one of its lines would say
    // nothing, so a problem is placed in the decrypted text by words.
    let docs = parse_playbook(file, &plain, None).map_err(|diag| {
        let place = diag
            .span
            .as_ref()
            .map(|span| format!("line {}, column {}: ", span.line, span.col))
            .unwrap_or_default();
        Diagnostic::at(
            &span_at(SpanFile::of(file), 1, 1, 1),
            format!(
                "in this vaulted file's decrypted text, {place}{}",
                diag.message
            ),
        )
    })?;
    docs.iter().for_each(reveal_strings);
    Ok(docs)
}

fn reveal_strings(node: &Node) {
    match &node.value {
        Value::Str(text) => crate::revealed::reveal(text),
        Value::Seq(items) => items.iter().for_each(reveal_strings),
        Value::Map(entries) => entries.iter().for_each(|(_, value)| reveal_strings(value)),
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
    }
}

/// YAML allows only printable characters (PyYAML's set): a NUL would otherwise end
/// the file early without a word, and other control characters are surely mistakes.
fn printable(file: &Arc<Path>, text: &str) -> Result<(), Diagnostic> {
    // Most files are printable ASCII: a byte scan tells, without decoding.
    if text
        .bytes()
        .all(|b| matches!(b, b'\t' | b'\n' | b'\r' | b' '..=b'~'))
    {
        return Ok(());
    }
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}')
            || matches!(c, '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    };
    let Some((offset, bad)) = text.char_indices().find(|(_, c)| !allowed(*c)) else {
        return Ok(());
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count() as u32
        + 1;
    Err(Diagnostic::at(
        &span_at(SpanFile::of(file), line, col, 1),
        format!(
            "the character U+{:04X} is not allowed in YAML (control characters must be written as escapes in a double-quoted string, like \"\\x00\")",
            u32::from(bad)
        ),
    ))
}

/// YAML's own message for a tab in indentation is cryptic; say what is wrong instead.
fn explain_tabs(err: Diagnostic, text: &str) -> Diagnostic {
    let Some(span) = &err.span else { return err };
    let first = span.line.saturating_sub(1).max(1);
    for line in first..=span.line {
        let Some(content) = text.lines().nth(line as usize - 1) else {
            continue;
        };
        let indent = content.len() - content.trim_start_matches([' ', '\t']).len();
        if let Some(col) = content[..indent].find('\t') {
            return Diagnostic::at(
                &Span {
                    line,
                    col: col as u32 + 1,
                    len: 1,
                    ..span.clone()
                },
                "a tab indents this line; YAML indentation must use spaces",
            );
        }
    }
    err
}

fn span_at(file: SpanFile, line: u32, col: u32, len: u32) -> Span {
    Span {
        file,
        line,
        col,
        len,
    }
}

struct Builder<'a, 's> {
    file: SpanFile,
    events: Events<'a>,
    /// Anchored nodes, with their size (an alias adds it before it is copied).
    anchors: HashMap<usize, (Node, Size)>,
    /// What the document has expanded to so far.
    size: Size,
    sink: Option<&'s mut dyn TaskSink>,
    /// The keys met so far, sharing their text.
    names: Names,
}

/// Where a node stands in a playbook, for [`TaskSink`].
#[derive(Clone, Copy)]
enum Place {
    Other,
    /// The root of document N.
    Document(usize),
    Play(PlayAt),
}

/// How much a node holds: values, and bytes of scalar text.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: usize,
    bytes: usize,
}

impl Builder<'_, '_> {
    fn span(&self, mark: Marker, len: usize) -> Span {
        span_at(
            self.file,
            mark.line() as u32,
            mark.col() as u32 + 1,
            len.clamp(1, 200) as u32,
        )
    }

    fn next(&mut self) -> Result<(Event, Marker), Diagnostic> {
        let Some(parsed) = self.events.next() else {
            return Err(Diagnostic::bare("the YAML parser stopped before the end"));
        };
        parsed.map_err(|err| {
            let mark = *err.marker();
            Diagnostic::at(
                &self.span(mark, 1),
                format!("YAML syntax error: {}", err.info()),
            )
        })
    }

    fn documents(&mut self) -> Result<Vec<Node>, Diagnostic> {
        let mut docs = Vec::new();
        loop {
            let (event, mark) = self.next()?;
            let place = Place::Document(docs.len());
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::DocumentStart => {
                    let (event, mark) = self.next()?;
                    docs.push(self.node(event, mark, 0, place)?);
                }
                Event::StreamEnd => return Ok(docs),
                other => docs.push(self.node(other, mark, 0, place)?),
            }
        }
    }

    fn count(&mut self, span: &Span, added: Size) -> Result<(), Diagnostic> {
        self.size.nodes = self.size.nodes.saturating_add(added.nodes);
        self.size.bytes = self.size.bytes.saturating_add(added.bytes);
        if self.size.nodes > MAX_NODES {
            return Err(Diagnostic::at(
                span,
                format!("this YAML document expands to more than {MAX_NODES} values (aliases nested in aliases?); refusing to load it"),
            ));
        }
        if self.size.bytes > MAX_TEXT_BYTES {
            return Err(Diagnostic::at(
                span,
                format!("this YAML document expands to more than {MAX_TEXT_BYTES} bytes of text (aliases nested in aliases?); refusing to load it"),
            ));
        }
        Ok(())
    }

    fn node(
        &mut self,
        event: Event,
        mark: Marker,
        depth: usize,
        place: Place,
    ) -> Result<Node, Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(Diagnostic::at(
                &self.span(mark, 1),
                format!("YAML nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let span = self.span(mark, text.chars().count());
                let value = match tag {
                    Some(tag) if tag.handle == "!" && tag.suffix == "vault" => {
                        Value::Str(crate::vault::open_inline(&text).map_err(|err| {
                            Diagnostic::at(&span, format!("cannot open this !vault value: {err}"))
                        })?)
                    }
                    tag => resolve_scalar(text, style, tag.as_ref()),
                };
                (Node { value, span }, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let span = self.span(mark, 1);
                let mut items = Vec::new();
                loop {
                    let (event, mark) = self.next()?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    let place = match place {
                        Place::Document(doc) if anchor == 0 => Place::Play((doc, items.len())),
                        _ => Place::Other,
                    };
                    items.push(self.node(event, mark, depth + 1, place)?);
                }
                (
                    Node {
                        value: Value::Seq(items),
                        span,
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _) => {
                let span = self.span(mark, 1);
                let play = match place {
                    Place::Play(at) if anchor == 0 && self.sink.is_some() => Some(at),
                    _ => None,
                };
                let entries = self.mapping(depth, play)?;
                if let (Some(at), Some(sink)) = (play, self.sink.as_deref_mut()) {
                    sink.play_end(at, &entries);
                }
                (
                    Node {
                        value: Value::Map(entries),
                        span,
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                let span = self.span(mark, 1);
                let size = self
                    .anchors
                    .get(&id)
                    .map(|(_, size)| *size)
                    .ok_or_else(|| Diagnostic::at(&span, "alias to an unknown anchor"))?;
                // Counted before the copy: a bomb is refused before it takes memory.
                self.count(&span, size)?;
                let mut node = self
                    .anchors
                    .get(&id)
                    .map(|(node, _)| node.clone())
                    .ok_or_else(|| Diagnostic::at(&span, "alias to an unknown anchor"))?;
                node.span = span;
                return Ok(node);
            }
            other => {
                return Err(Diagnostic::at(
                    &self.span(mark, 1),
                    format!("unexpected YAML event {other:?}"),
                ))
            }
        };
        let bytes = match &node.value {
            Value::Str(text) => text.len(),
            _ => 0,
        };
        self.count(&node.span, Size { nodes: 1, bytes })?;
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size_of(&node)));
        }
        Ok(node)
    }

    /// The entries of a mapping; those of a play (`play`) hand their task lists to
    /// the sink.
    fn mapping(
        &mut self,
        depth: usize,
        play: Option<PlayAt>,
    ) -> Result<Vec<(Key, Node)>, Diagnostic> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut merged: Vec<(Key, Node)> = Vec::new();
        let mut lines = FirstLines::default();
        loop {
            let (event, mark) = self.next()?;
            if event == Event::MappingEnd {
                break;
            }
            let key = scalar_key(
                self.node(event, mark, depth + 1, Place::Other)?,
                &mut self.names,
            )?;
            let (event, mark) = self.next()?;
            let streamed = play.zip(STREAMED_LISTS.iter().find(|list| **list == key.name));
            let value = match (streamed, event) {
                (Some((at, list)), Event::SequenceStart(0, _)) => {
                    self.stream_list(mark, depth + 1, at, list)?
                }
                (_, event) => self.node(event, mark, depth + 1, Place::Other)?,
            };
            if key.name == "<<" {
                merged.extend(merge_source(&value)?);
                continue;
            }
            if let Some(first) = lines.get(&entries, &key.name) {
                return Err(Diagnostic::at(
                    &key.span,
                    format!(
                        "duplicate key '{}' (first at line {first}); YAML keeps only one of them",
                        key.name
                    ),
                ));
            }
            lines.insert(&entries, &key);
            entries.push((key, value));
        }
        if !merged.is_empty() {
            // As PyYAML's flatten_mapping: the merged entries come first, then the
            // mapping's own; a later value for a key replaces an earlier one where
            // the key first stood (`{z: 0, <<: {x: 1}}` is x, z).
            let mut flat: Vec<(Key, Node)> = Vec::with_capacity(merged.len() + entries.len());
            for (key, value) in merged.into_iter().chain(entries) {
                match flat.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some(slot) => slot.1 = value,
                    None => flat.push((key, value)),
                }
            }
            entries = flat;
        }
        // Kept for the whole load: no spare capacity.
        entries.shrink_to_fit();
        Ok(entries)
    }
}

impl Builder<'_, '_> {
    /// A play's task list whose SequenceStart was just read: each item goes to the
    /// sink as soon as it is built; the node left in the tree is an empty list.
    fn stream_list(
        &mut self,
        mark: Marker,
        depth: usize,
        play: PlayAt,
        list: &'static str,
    ) -> Result<Node, Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(Diagnostic::at(
                &self.span(mark, 1),
                format!("YAML nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let span = self.span(mark, 1);
        loop {
            let (event, mark) = self.next()?;
            if event == Event::SequenceEnd {
                break;
            }
            let item = self.node(event, mark, depth + 1, Place::Other)?;
            if let Some(sink) = self.sink.as_deref_mut() {
                sink.task(play, list, item);
            }
        }
        let node = Node {
            value: Value::Seq(Vec::new()),
            span,
        };
        self.count(&node.span, Size { nodes: 1, bytes: 0 })?;
        Ok(node)
    }
}

/// Key → the line it was first written on, for duplicate keys. A mapping's entries are
/// scanned while it is small (most are: no allocation per key); past
/// [`FirstLines::SCAN`] keys a hash is built, so a huge mapping stays fast.
#[derive(Default)]
struct FirstLines(Option<HashMap<String, u32>>);

impl FirstLines {
    const SCAN: usize = 16;

    fn get(&self, entries: &[(Key, Node)], name: &str) -> Option<u32> {
        match &self.0 {
            Some(lines) => lines.get(name).copied(),
            None => entries
                .iter()
                .find(|(key, _)| key.name == name)
                .map(|(key, _)| key.span.line),
        }
    }

    /// Note `key`, about to be pushed onto `entries`.
    fn insert(&mut self, entries: &[(Key, Node)], key: &Key) {
        match &mut self.0 {
            Some(lines) => {
                lines.insert(key.name.to_string(), key.span.line);
            }
            None if entries.len() + 1 >= Self::SCAN => {
                let noted = entries.iter().map(|(key, _)| key).chain([key]);
                self.0 = Some(
                    noted
                        .map(|key| (key.name.to_string(), key.span.line))
                        .collect(),
                );
            }
            None => {}
        }
    }
}

fn size_of(node: &Node) -> Size {
    let mut size = Size { nodes: 1, bytes: 0 };
    let mut add = |inner: Size| {
        size.nodes = size.nodes.saturating_add(inner.nodes);
        size.bytes = size.bytes.saturating_add(inner.bytes);
    };
    match &node.value {
        Value::Str(text) => add(Size {
            nodes: 0,
            bytes: text.len(),
        }),
        Value::Seq(items) => items.iter().for_each(|item| add(size_of(item))),
        Value::Map(entries) => entries.iter().for_each(|(_, value)| add(size_of(value))),
        _ => {}
    }
    size
}

fn scalar_key(node: Node, names: &mut Names) -> Result<Key, Diagnostic> {
    let int = match node.value {
        Value::Int(i) => Some(i),
        _ => None,
    };
    let name = match node.value {
        Value::Str(s) => s,
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => if b { "True" } else { "False" }.to_string(),
        Value::Null => String::new(),
        _ => {
            return Err(Diagnostic::at(
                &node.span,
                format!("a mapping key must be a scalar, found {}", node.kind()),
            ))
        }
    };
    Ok(Key {
        name: names.name(name),
        span: node.span,
        int,
    })
}

/// The entries a `<<:` merge key brings in: a mapping, or a list of mappings.
fn merge_source(value: &Node) -> Result<Vec<(Key, Node)>, Diagnostic> {
    match &value.value {
        Value::Map(entries) => Ok(entries.clone()),
        // PyYAML merges a list's mappings last first, so the first one's values win.
        Value::Seq(items) => {
            let mut out: Vec<(Key, Node)> = Vec::new();
            for item in items.iter().rev() {
                out.extend(merge_source(item)?);
            }
            Ok(out)
        }
        _ => Err(Diagnostic::at(
            &value.span,
            "'<<' merges a mapping or a list of mappings",
        )),
    }
}

/// `text` as a template that renders to itself: markup inside a `{% raw %}` block
/// (an `{% endraw %}` in it given as a string literal), so that wherever machinist
/// renders the value (a variable, a module argument) it comes out as written.
fn never_templated(text: &str) -> String {
    if !crate::jinja_marks::holds_markup(text) {
        return text.to_string();
    }
    text.split("{% endraw %}")
        .map(|part| format!("{{% raw %}}{part}{{% endraw %}}"))
        .collect::<Vec<_>>()
        .join("{{ '{% endraw %}' }}")
}

fn resolve_scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        // Ansible's `!unsafe`: text never templated, whatever it holds.
        if tag.handle == "!" && tag.suffix == "unsafe" {
            return Value::Str(never_templated(&text));
        }
        // `!!str` and other `!` tags: keep the text as is.
        if tag.suffix == "str" || tag.handle == "!" {
            return Value::Str(text);
        }
        // YAML's own types asked for by name, whatever the quoting (`!!int '7'`).
        let plain = resolve_scalar(text.clone(), TScalarStyle::Plain, None);
        match (tag.suffix.as_str(), plain) {
            ("int", Value::Int(int)) => return Value::Int(int),
            ("float", Value::Int(int)) => return Value::Float(int as f64),
            ("float", Value::Float(float)) => return Value::Float(float),
            ("bool", Value::Bool(flag)) => return Value::Bool(flag),
            ("null", Value::Null) => return Value::Null,
            _ => {}
        }
    }
    if style != TScalarStyle::Plain {
        return Value::Str(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(int) = parse_int(&text) {
        return Value::Int(int);
    }
    if looks_like_float(&text) {
        if let Ok(float) = text.replace('_', "").parse::<f64>() {
            return Value::Float(float);
        }
    }
    Value::Str(text)
}

fn parse_int(text: &str) -> Option<i64> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    for (prefix, radix) in [("0x", 16), ("0b", 2)] {
        if let Some(number) = digits.strip_prefix(prefix) {
            let number = number.replace('_', "");
            if number.is_empty() {
                return None;
            }
            return i64::from_str_radix(&number, radix).ok().map(|v| sign * v);
        }
    }
    // A leading zero (0644, 007) stays a string: see the file header.
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_') || digits.starts_with('_') {
        return None;
    }
    digits
        .replace('_', "")
        .parse::<i64>()
        .ok()
        .map(|v| sign * v)
}

/// PyYAML's YAML 1.1 float, which Ansible reads: a dot is required and an exponent
/// has a sign (`1.5`, `.5`, `1.0e+3`; `1e3` and `1.0e3` are strings), plus the rule of
/// the file header that a leading zero stays a string (`0.5` is a float, `01.5` not).
fn looks_like_float(text: &str) -> bool {
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(exp) => exp
            .strip_prefix(['-', '+'])
            .is_some_and(|exp| !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit())),
    };
    let Some((whole, fraction)) = mantissa.split_once('.') else {
        return false;
    };
    let mantissa_ok = if whole.is_empty() {
        !fraction.is_empty() && digits(fraction)
    } else {
        let unsigned = whole.strip_prefix(['-', '+']).unwrap_or(whole);
        unsigned.starts_with(|c: char| c.is_ascii_digit())
            && digits(unsigned)
            && digits(fraction)
            && !(unsigned.len() > 1 && unsigned.starts_with('0'))
    };
    exponent_ok && mantissa_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Node, Diagnostic> {
        let file: Arc<Path> = Arc::from(Path::new("t.yml"));
        parse(&file, text).map(|mut docs| docs.remove(0))
    }

    #[test]
    fn resolves_scalars_like_ansible_users_expect() {
        let doc = load("a: yes\nb: off\nc: 12\nd: 0644\ne: '12'\nf: 1.5\ng: ~\nh: 0x1f\ni: 1e3\n")
            .unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(doc.get("b").unwrap().value, Value::Bool(false));
        assert_eq!(doc.get("c").unwrap().value, Value::Int(12));
        assert_eq!(doc.get("d").unwrap().value, Value::Str("0644".into()));
        assert_eq!(doc.get("e").unwrap().value, Value::Str("12".into()));
        assert_eq!(doc.get("f").unwrap().value, Value::Float(1.5));
        assert_eq!(doc.get("g").unwrap().value, Value::Null);
        assert_eq!(doc.get("h").unwrap().value, Value::Int(31));
        assert_eq!(doc.get("i").unwrap().value, Value::Str("1e3".into()));
    }

    #[test]
    fn floats_are_pyyaml_floats() {
        for (text, float) in [
            ("1.5", Some(1.5)),
            (".5", Some(0.5)),
            ("-2.5e-2", Some(-0.025)),
            ("1.0e+3", Some(1000.0)),
            ("1_0.5", Some(10.5)),
            ("0.5", Some(0.5)),
            ("1.", Some(1.0)),
            ("1e3", None),
            ("1.0e3", None),
            ("+.5", None),
            ("01.5", None),
            ("1.2.3", None),
            ("e+3", None),
            (".", None),
        ] {
            let expected = match float {
                Some(f) => Value::Float(f),
                None => Value::Str(text.into()),
            };
            assert_eq!(
                resolve_scalar(text.into(), TScalarStyle::Plain, None),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn keeps_positions() {
        let doc = load("- name: x\n  file:\n    path: /a\n").unwrap();
        let task = &doc.as_seq().unwrap()[0];
        let file = task.get("file").unwrap();
        let (key, value) = &file.as_map().unwrap()[0];
        assert_eq!((key.span.line, key.span.col, key.span.len), (3, 5, 4));
        assert_eq!((value.span.line, value.span.col), (3, 11));
    }

    #[test]
    fn refuses_duplicate_keys() {
        let err = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.span.as_ref().map(|s| (s.line, s.col)), Some((3, 1)));
        assert!(err.message.contains("duplicate key 'a'"), "{err}");
    }

    #[test]
    fn refuses_tab_indentation() {
        let err = load("a:\n\tb: 1\n").unwrap_err();
        assert_eq!(err.span.as_ref().map(|s| (s.line, s.col)), Some((2, 1)));
    }

    #[test]
    fn merges_and_expands_aliases() {
        let doc = load("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n").unwrap();
        let other = doc.get("other").unwrap();
        assert_eq!(other.get("x").unwrap().value, Value::Int(1));
        assert_eq!(other.get("y").unwrap().value, Value::Int(3));
    }

    #[test]
    fn stops_billion_laughs() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = load(&text).unwrap_err();
        assert!(err.message.contains("expands to more than"), "{err}");
        // Refused at the alias that would cross the bound, before copying it.
        assert_eq!(err.span.map(|s| s.line), Some(6));
    }

    #[test]
    fn stops_billion_laughs_of_long_strings() {
        let mut text = format!("a0: &a0 \"{}\"\n", "lol".repeat(100_000));
        for i in 1..8 {
            let prev = i - 1;
            let refs = vec![format!("*a{prev}"); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = load(&text).unwrap_err();
        assert!(err.message.contains("bytes of text"), "{err}");
    }

    #[test]
    fn refuses_control_characters_where_they_are() {
        let err = load("a: 1\nb: x\u{0}y\n").unwrap_err();
        assert_eq!(err.span.as_ref().map(|s| (s.line, s.col)), Some((2, 5)));
        assert!(err.message.contains("U+0000"), "{err}");
        assert!(load("a: \"\\x00\"\nb: \u{e9}\t\u{1f600}\r\n").is_ok());
    }

    #[test]
    fn reports_syntax_errors_with_a_location() {
        let err = load("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.is_some());
        assert!(err.message.starts_with("YAML syntax error"), "{err}");
    }
}
