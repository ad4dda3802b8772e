//! `to_yaml` / `to_nice_yaml` byte-for-byte as Ansible writes them, i.e. as PyYAML's
//! `yaml.dump` does (sorted keys, YAML 1.1 quoting of `yes`/`on`/`1.0`…, indentless
//! sequences under keys, single-quoted multi-line strings, lines folded at 80
//! columns). serde_yaml writes different bytes, which would make every templated
//! config "changed" for users coming from Ansible; so this is a port of the parts of
//! PyYAML's emitter that plain data reaches (no anchors, tags or block scalars).
//! `from_yaml` parses with serde_yaml (YAML 1.2: `yes` stays a string).

use std::sync::OnceLock;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};
use regex::Regex;

use super::filters::{invalid, text};
use super::value_format::{py_float, py_number};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_yaml", |value: Value, kwargs: Kwargs| {
        let options = Options::from_kwargs(&kwargs, 2, None)?;
        dump(&value, &options)
    });
    env.add_filter(
        "to_nice_yaml",
        |value: Value, indent: Option<usize>, kwargs: Kwargs| {
            let options = Options::from_kwargs(&kwargs, indent.unwrap_or(4), Some(false))?;
            dump(&value, &options)
        },
    );
    env.add_filter("from_yaml", from_yaml);
}

/// The `yaml.dump` options Ansible's filters pass through.
pub(crate) struct Options {
    pub indent: usize,
    pub width: usize,
    /// `None`: collections of scalars only are written in flow style (`[1, 2]`).
    pub default_flow_style: Option<bool>,
    pub sort_keys: bool,
    pub explicit_start: bool,
}

impl Options {
    fn from_kwargs(kwargs: &Kwargs, indent: usize, flow: Option<bool>) -> Result<Options, Error> {
        let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(indent);
        let width = kwargs.get::<Option<f64>>("width")?;
        let default_flow_style = match kwargs.get::<Option<Value>>("default_flow_style")? {
            Some(v) if v.is_none() => None,
            Some(v) => Some(v.is_true()),
            None => flow,
        };
        let options = Options {
            indent: if (2..10).contains(&indent) { indent } else { 2 },
            width: match width {
                Some(w) if w > (indent * 2) as f64 => {
                    if w.is_finite() && w < usize::MAX as f64 {
                        w as usize
                    } else {
                        usize::MAX / 2
                    }
                }
                _ => 80,
            },
            default_flow_style,
            sort_keys: kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true),
            explicit_start: kwargs
                .get::<Option<bool>>("explicit_start")?
                .unwrap_or(false),
        };
        let _ = kwargs.get::<Option<bool>>("allow_unicode")?;
        kwargs.assert_all_used()?;
        Ok(options)
    }
}

/// What PyYAML's representer makes of a value.
enum Node {
    /// `plain_ok`: the text reads back as the same type when written unquoted.
    Scalar {
        text: String,
        plain_ok: bool,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        flow: bool,
    },
}

impl Node {
    fn is_scalar(&self) -> bool {
        matches!(self, Node::Scalar { .. })
    }
}

fn represent(value: &Value, options: &Options) -> Result<Node, Error> {
    let scalar = |text: String| Node::Scalar {
        text,
        plain_ok: true,
    };
    Ok(match value.kind() {
        ValueKind::Undefined => return Err(Error::from(ErrorKind::UndefinedError)),
        ValueKind::None => scalar("null".into()),
        ValueKind::Bool => scalar(if value.is_true() { "true" } else { "false" }.into()),
        ValueKind::Number if value.is_integer() => scalar(py_number(value)),
        ValueKind::Number => scalar(yaml_float(f64::try_from(value.clone()).unwrap_or(f64::NAN))),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = value
                .try_iter()?
                .map(|item| represent(&item, options))
                .collect::<Result<Vec<_>, _>>()?;
            let best = items.iter().all(Node::is_scalar);
            Node::Seq {
                items,
                flow: options.default_flow_style.unwrap_or(best),
            }
        }
        ValueKind::Map => {
            let mut entries: Vec<(Value, Value)> = value
                .try_iter()?
                .map(|key| {
                    let item = value.get_item(&key).unwrap_or_default();
                    (key, item)
                })
                .collect();
            if options.sort_keys && entries.iter().all(|(k, _)| k.kind() == ValueKind::String) {
                entries.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
            }
            let pairs = entries
                .iter()
                .map(|(k, v)| Ok((represent(k, options)?, represent(v, options)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            let best = pairs.iter().all(|(k, v)| k.is_scalar() && v.is_scalar());
            Node::Map {
                pairs,
                flow: options.default_flow_style.unwrap_or(best),
            }
        }
        _ => {
            let text = text(value)?;
            let plain_ok = !resolves_implicitly(&text);
            Node::Scalar { text, plain_ok }
        }
    })
}

/// PyYAML's `represent_float`.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let repr = py_float(f).to_lowercase();
    if !repr.contains('.') && repr.contains('e') {
        repr.replacen('e', ".0e", 1)
    } else {
        repr
    }
}

/// Whether a string would read back as something else (bool, int, float, null,
/// timestamp, merge key) if written plain: PyYAML's implicit resolvers.
fn resolves_implicitly(text: &str) -> bool {
    static RESOLVERS: OnceLock<Vec<Regex>> = OnceLock::new();
    let resolvers = RESOLVERS.get_or_init(|| {
        [
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            r"^(?:<<)$",
            r"^(?:~|null|Null|NULL|)$",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            r"^(?:=)$",
        ]
        .iter()
        .filter_map(|pattern| Regex::new(pattern).ok())
        .collect()
    });
    // Python's `$` also matches before a final newline.
    let text = text.strip_suffix('\n').unwrap_or(text);
    resolvers.iter().any(|re| re.is_match(text))
}

pub(crate) fn dump(value: &Value, options: &Options) -> Result<String, Error> {
    let node = represent(value, options)?;
    let mut emitter = Emitter::new(options);
    if options.explicit_start {
        emitter.write_indent();
        emitter.write_indicator("---", true, false, false);
    }
    emitter.node(&node, Context::ROOT);
    // Document end, then stream end.
    emitter.write_indent();
    if emitter.open_ended {
        emitter.write_indicator("...", true, false, false);
        emitter.write_indent();
    }
    Ok(emitter.out)
}

fn from_yaml(value: Value) -> Result<Value, Error> {
    let source = text(&value)?;
    let parsed: serde_yaml::Value =
        serde_yaml::from_str(&source).map_err(|err| invalid(format!("from_yaml: {err}")))?;
    Ok(Value::from_serialize(parsed))
}

#[derive(Clone, Copy, Default)]
struct Context {
    root: bool,
    mapping: bool,
    simple_key: bool,
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
enum Style {
    Plain,
    Single,
    Double,
}

const BREAKS: &[char] = &['\n', '\u{85}', '\u{2028}', '\u{2029}'];

fn is_break(c: Option<char>) -> bool {
    c.is_some_and(|c| BREAKS.contains(&c))
}

/// PyYAML's `ScalarAnalysis` (with `allow_unicode=True`).
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn analyze(text: &[char]) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let space_like =
        |c: Option<char>| c.map_or(true, |c| "\0 \t\r\n\u{85}\u{2028}\u{2029}".contains(c));
    let starts = |p: &str| text.iter().take(3).collect::<String>() == p;
    let (mut block_ind, mut flow_ind) = (false, false);
    if starts("---") || starts("...") {
        block_ind = true;
        flow_ind = true;
    }
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = text.len() == 1 || space_like(text.get(1).copied());
    let (mut previous_space, mut previous_break) = (false, false);
    for (index, &ch) in text.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_ind = true;
                block_ind = true;
            }
            if "?:".contains(ch) {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '-' && followed_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_ind = true;
            }
            if ch == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '#' && preceded_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if BREAKS.contains(&ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || ('\x20'..='\x7e').contains(&ch)) {
            let unicode_ok = (ch == '\u{85}'
                || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                || ('\u{e000}'..='\u{fffd}').contains(&ch)
                || ('\u{10000}'..'\u{10ffff}').contains(&ch))
                && ch != '\u{feff}';
            if !unicode_ok {
                special = true;
            }
        }
        if ch == ' ' {
            leading_space |= index == 0;
            trailing_space |= index == text.len() - 1;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if BREAKS.contains(&ch) {
            leading_break |= index == 0;
            trailing_break |= index == text.len() - 1;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = space_like(Some(ch));
        followed_by_ws = index + 2 >= text.len() || space_like(text.get(index + 2).copied());
    }
    let mut analysis = Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain: true,
        allow_block_plain: true,
        allow_single_quoted: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        analysis.allow_flow_plain = false;
        analysis.allow_block_plain = false;
    }
    if break_space {
        analysis.allow_flow_plain = false;
        analysis.allow_block_plain = false;
        analysis.allow_single_quoted = false;
    }
    if space_break || special {
        analysis.allow_flow_plain = false;
        analysis.allow_block_plain = false;
        analysis.allow_single_quoted = false;
    }
    if line_breaks {
        analysis.allow_flow_plain = false;
        analysis.allow_block_plain = false;
    }
    if flow_ind {
        analysis.allow_flow_plain = false;
    }
    if block_ind {
        analysis.allow_block_plain = false;
    }
    analysis
}

/// The emitter's state, as PyYAML keeps it.
struct Emitter {
    out: String,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    best_indent: usize,
    best_width: usize,
    context: Context,
}

impl Emitter {
    fn new(options: &Options) -> Emitter {
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

    fn write(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_indicator(
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

    fn write_indent(&mut self) {
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

    fn write_line_break(&mut self, data: Option<char>) {
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

    fn choose_style(&self, analysis: &Analysis, plain_ok: bool) -> Style {
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

    fn write_chars(&mut self, text: &[char]) {
        let data: String = text.iter().collect();
        self.write(&data);
    }

    fn write_breaks(&mut self, text: &[char]) {
        if text.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        for &br in text {
            self.write_line_break(Some(br));
        }
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if self.context.root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > self.best_width && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !is_break(ch) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.map_or(true, |c| c == ' ' || BREAKS.contains(&c)) {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = BREAKS.contains(&c);
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > self.best_width
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !is_break(ch) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    start = end;
                }
            } else if ch.map_or(true, |c| c == ' ' || c == '\'' || BREAKS.contains(&c))
                && start < end
            {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = BREAKS.contains(&c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let (mut start, mut end) = (0usize, 0usize);
        while end <= text.len() {
            let ch = text.get(end).copied();
            let escape = ch.map_or(true, |c| {
                "\"\\\u{85}\u{2028}\u{2029}\u{feff}".contains(c)
                    || !(('\x20'..='\x7e').contains(&c)
                        || ('\u{a0}'..='\u{d7ff}').contains(&c)
                        || ('\u{e000}'..='\u{fffd}').contains(&c))
            });
            if escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    self.write(&double_escape(c));
                    start = end + 1;
                }
            }
            let pending = end as isize - start as isize;
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && self.column as isize + pending > self.best_width as isize
                && split
            {
                let mut data: String = text.get(start..end).unwrap_or_default().iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write("\\");
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
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

fn double_escape(c: char) -> String {
    let short = match c {
        '\0' => Some('0'),
        '\x07' => Some('a'),
        '\x08' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\x0b' => Some('v'),
        '\x0c' => Some('f'),
        '\r' => Some('r'),
        '\x1b' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{a0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    let code = u32::from(c);
    match short {
        Some(s) => format!("\\{s}"),
        None if code <= 0xff => format!("\\x{code:02X}"),
        None if code <= 0xffff => format!("\\u{code:04X}"),
        None => format!("\\U{code:08X}"),
    }
}
