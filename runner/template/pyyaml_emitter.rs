//! PyYAML's emitter for plain data (the part of `yaml.dump` after the representer):
//! indentation, flow and block collections, simple keys. Scalars are written by
//! `pyyaml_scalar.rs`. Kept close to PyYAML's code so the bytes stay the same.

use super::pyyaml::{Node, Options};
use super::pyyaml_scalar::{analyze, Analysis};

#[derive(Clone, Copy, Default)]
pub(crate) struct Context {
    pub(crate) root: bool,
    pub(crate) mapping: bool,
    pub(crate) simple_key: bool,
}

impl Context {
    const ROOT: Context = Context {
        root: true,
        mapping: false,
        simple_key: false,
    };
    const SEQUENCE: Context = Context {
        root: false,
        mapping: false,
        simple_key: false,
    };
    const VALUE: Context = Context {
        root: false,
        mapping: true,
        simple_key: false,
    };
    const KEY: Context = Context {
        root: false,
        mapping: true,
        simple_key: true,
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
}

/// The emitter's state, as PyYAML keeps it.
pub(crate) struct Emitter {
    pub(crate) out: String,
    pub(crate) indent: Option<usize>,
    pub(crate) indents: Vec<Option<usize>>,
    pub(crate) flow_level: usize,
    pub(crate) column: usize,
    pub(crate) whitespace: bool,
    pub(crate) indention: bool,
    pub(crate) open_ended: bool,
    pub(crate) best_indent: usize,
    pub(crate) best_width: usize,
    pub(crate) context: Context,
}

impl Emitter {
    pub(crate) fn new(options: &Options) -> Emitter {
        Emitter {
            out: String::new(),
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
            best_indent: options.indent,
            best_width: options.width,
            context: Context::default(),
        }
    }

    /// The whole document: optional `---`, the node, and the end markers.
    pub(crate) fn dump(mut self, node: &Node, explicit_start: bool) -> String {
        if explicit_start {
            self.write_indent();
            self.write_indicator("---", true, false, false);
        }
        self.node(node, Context::ROOT);
        // ansible-core's AnsibleDumper never ends the document with `...` (PyYAML's
        // own dumper does after an open-ended scalar: `yaml.dump(0)` is `0\n...\n`).
        self.write_indent();
        self.out
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None if flow => Some(self.best_indent),
            None => Some(0),
            Some(indent) if !indentless => Some(indent + self.best_indent),
            same => same,
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    pub(crate) fn write(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    pub(crate) fn write_indicator(
        &mut self,
        indicator: &str,
        need_ws: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if self.whitespace || !need_ws {
            self.write(indicator);
        } else {
            self.write(&format!(" {indicator}"));
        }
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    pub(crate) fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            self.out.push_str(&" ".repeat(indent - self.column));
            self.column = indent;
        }
    }

    pub(crate) fn write_line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(data.unwrap_or('\n'));
    }

    fn node(&mut self, node: &Node, context: Context) {
        self.context = context;
        match node {
            Node::Scalar { text, plain_ok } => {
                self.increase_indent(true, false);
                self.scalar(text, *plain_ok);
                self.pop_indent();
            }
            Node::Seq { items, flow } => {
                if self.flow_level > 0 || *flow || items.is_empty() {
                    self.flow_sequence(items);
                } else {
                    self.block_sequence(items);
                }
            }
            Node::Map { pairs, flow } => {
                if self.flow_level > 0 || *flow || pairs.is_empty() {
                    self.flow_mapping(pairs);
                } else {
                    self.block_mapping(pairs);
                }
            }
        }
    }

    fn flow_sequence(&mut self, items: &[Node]) {
        self.write_indicator("[", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.best_width {
                self.write_indent();
            }
            self.node(item, Context::SEQUENCE);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, pairs: &[(Node, Node)]) {
        self.write_indicator("{", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, (key, value)) in pairs.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.best_width {
                self.write_indent();
            }
            if is_simple_key(key) {
                self.node(key, Context::KEY);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, false);
                self.node(key, Context::VALUE);
                if self.column > self.best_width {
                    self.write_indent();
                }
                self.write_indicator(":", true, false, false);
            }
            self.node(value, Context::VALUE);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("}", false, false, false);
    }

    fn block_sequence(&mut self, items: &[Node]) {
        let indentless = self.context.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Context::SEQUENCE);
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, pairs: &[(Node, Node)]) {
        self.increase_indent(false, false);
        for (key, value) in pairs {
            self.write_indent();
            if is_simple_key(key) {
                self.node(key, Context::KEY);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.node(key, Context::VALUE);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, Context::VALUE);
        }
        self.pop_indent();
    }

    pub(crate) fn choose_style(&self, analysis: &Analysis, plain_ok: bool) -> Style {
        let simple_key = self.context.simple_key;
        if plain_ok
            && !(simple_key && (analysis.empty || analysis.multiline))
            && ((self.flow_level > 0 && analysis.allow_flow_plain)
                || (self.flow_level == 0 && analysis.allow_block_plain))
        {
            return Style::Plain;
        }
        if analysis.allow_single_quoted && !(simple_key && analysis.multiline) {
            return Style::Single;
        }
        Style::Double
    }

    fn scalar(&mut self, text: &str, plain_ok: bool) {
        let chars: Vec<char> = text.chars().collect();
        let analysis = analyze(&chars);
        let split = !self.context.simple_key;
        match self.choose_style(&analysis, plain_ok) {
            Style::Plain => self.write_plain(&chars, split),
            Style::Single => self.write_single_quoted(&chars, split),
            Style::Double => self.write_double_quoted(&chars, split),
        }
    }
}

fn is_simple_key(node: &Node) -> bool {
    match node {
        Node::Scalar { text, .. } => {
            let chars: Vec<char> = text.chars().collect();
            let analysis = analyze(&chars);
            chars.len() < 128 && !analysis.empty && !analysis.multiline
        }
        Node::Seq { items, .. } => items.is_empty(),
        Node::Map { pairs, .. } => pairs.is_empty(),
    }
}
