//! The filter, test and lookup names a template or expression uses, found by reading
//! its Jinja code (string literals, comments and `{% raw %}` skipped) without compiling
//! it. Two uses: Ansible's fully qualified names (`ansible.builtin.combine`,
//! `is ansible.builtin.truthy`, also `ansible.legacy.`) are rewritten to the short
//! names machinist registers before a template compiles, and the load-time check
//! (playbook/known_names.rs) refuses a name no plugin has before anything runs.

use std::borrow::Cow;
use std::ops::Range;

/// What a name is used as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Filter,
    Test,
    Lookup,
}

impl NameKind {
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::Filter => "filter",
            NameKind::Test => "test",
            NameKind::Lookup => "lookup plugin",
        }
    }
}

/// One use of a plugin name; `range` is where the name is in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameUse {
    pub kind: NameKind,
    pub name: String,
    pub range: Range<usize>,
}

/// The collections whose plugins are machinist's own, under their short names.
const QUALIFIERS: [&str; 2] = ["ansible.builtin.", "ansible.legacy."];

/// community.general's filters machinist has, under their short names too.
const COMMUNITY: &str = "community.general.";
const COMMUNITY_FILTERS: [&str; 1] = ["json_query"];

/// How much of `name` is a collection machinist answers for (`ansible.builtin.`, or
/// `community.general.` before one of the filters it has).
fn qualifier_len(name: &str) -> Option<usize> {
    if let Some(q) = QUALIFIERS.iter().find(|q| name.starts_with(*q)) {
        return Some(q.len());
    }
    let short = name.strip_prefix(COMMUNITY)?;
    COMMUNITY_FILTERS
        .contains(&short)
        .then_some(COMMUNITY.len())
}

/// Why machinist refuses a plugin ansible-core has, when it is one it refuses on
/// purpose (the load-time check and the plugin itself give this reason).
pub fn refusal(kind: NameKind, name: &str) -> Option<&'static str> {
    match (kind, short_name(name)) {
        (NameKind::Filter, "win_basename" | "win_dirname" | "win_splitdrive") => {
            Some("Windows paths: machinist manages Linux hosts and has no Windows filters")
        }
        (NameKind::Lookup, "url") => Some(
            "machinist fetches nothing while it renders templates; download with the \
             get_url or uri module and register the result",
        ),
        (NameKind::Lookup, "config") => {
            Some("machinist has no ansible.cfg settings to look up (it reads no ansible.cfg)")
        }
        _ => None,
    }
}

/// The uses in a template (text with `{{ }}`, `{% %}` and `{# #}`).
pub fn in_template(source: &str) -> Vec<NameUse> {
    let mut uses = Vec::new();
    let bytes = source.as_bytes();
    let mut at = 0;
    while at + 1 < bytes.len() {
        match (bytes[at], bytes[at + 1]) {
            (b'{', b'#') => {
                at = source[at..]
                    .find("#}")
                    .map_or(bytes.len(), |end| at + end + 2);
            }
            (b'{', b'{') => at = scan_code(source, at + 2, "}}", &mut uses),
            (b'{', b'%') => {
                if let Some(end) = raw_block_end(&source[at..]) {
                    at += end;
                } else {
                    at = scan_code(source, at + 2, "%}", &mut uses);
                }
            }
            _ => at += 1,
        }
    }
    uses
}

/// The uses in a bare expression (`when:`, `changed_when:`, `that:`).
pub fn in_expression(expr: &str) -> Vec<NameUse> {
    let mut uses = Vec::new();
    scan_code(expr, 0, "", &mut uses);
    uses
}

/// `source` with `ansible.builtin.` and `ansible.legacy.` taken off every filter and
/// test name (and `community.general.` off the filters machinist has of it) (a lookup's name is a string, and the lookup takes the prefix off itself).
pub fn unqualified(source: &str, template: bool) -> Cow<'_, str> {
    if !QUALIFIERS.iter().any(|q| source.contains(q)) && !source.contains(COMMUNITY) {
        return Cow::Borrowed(source);
    }
    let uses = if template {
        in_template(source)
    } else {
        in_expression(source)
    };
    let mut out = String::with_capacity(source.len());
    let mut copied = 0;
    for found in uses.iter().filter(|u| u.kind != NameKind::Lookup) {
        let Some(qualifier) = qualifier_len(&found.name) else {
            continue;
        };
        out.push_str(&source[copied..found.range.start]);
        copied = found.range.start + qualifier;
    }
    out.push_str(&source[copied..]);
    Cow::Owned(out)
}

/// The short name of a possibly qualified one.
pub fn short_name(name: &str) -> &str {
    qualifier_len(name).map_or(name, |len| &name[len..])
}

/// The length of a `{% raw %}…{% endraw %}` block at the start of `text`.
fn raw_block_end(text: &str) -> Option<usize> {
    let close = 2 + text.get(2..)?.find("%}")?;
    let inner = text[2..close].trim_matches(|c: char| c.is_whitespace() || c == '-' || c == '+');
    if inner != "raw" {
        return None;
    }
    let mut from = close + 2;
    loop {
        let open = from + text[from..].find("{%")?;
        let close = open + 2 + text[open + 2..].find("%}")?;
        let inner =
            text[open + 2..close].trim_matches(|c: char| c.is_whitespace() || c == '-' || c == '+');
        if inner == "endraw" {
            return Some(close + 2);
        }
        from = open + 2;
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Scan Jinja code from `start` until `end` at bracket depth 0 (or the end of the
/// source when `end` is empty); the index after it.
fn scan_code(source: &str, start: usize, end: &str, uses: &mut Vec<NameUse>) -> usize {
    let bytes = source.as_bytes();
    let mut at = start;
    let mut depth = 0usize;
    // The previous significant token, to tell `x | f` and `x is t` and `lookup(`.
    let mut after_pipe = false;
    let mut after_is = false;
    let mut after_filter_tag = false;
    let mut first_word = true;
    while at < bytes.len() {
        if !end.is_empty() && depth == 0 && bytes[at..].starts_with(end.as_bytes()) {
            return at + end.len();
        }
        // `-}}` and `-%}` end it too.
        let b = bytes[at];
        match b {
            b'\'' | b'"' => {
                at = string_end(bytes, at);
                after_pipe = false;
                after_is = false;
                first_word = false;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'|' => {
                after_pipe = true;
                after_is = false;
                at += 1;
                continue;
            }
            _ if is_ident_start(b) => {
                let word_end = dotted_end(bytes, at);
                let word = &source[at..word_end];
                let before = source[..at].trim_end().as_bytes().last().copied();
                if after_pipe || after_filter_tag {
                    uses.push(NameUse {
                        kind: NameKind::Filter,
                        name: word.to_string(),
                        range: at..word_end,
                    });
                    after_pipe = false;
                    after_filter_tag = false;
                    first_word = false;
                    at = word_end;
                    continue;
                }
                if after_is {
                    if word == "not" {
                        at = word_end;
                        continue;
                    }
                    uses.push(NameUse {
                        kind: NameKind::Test,
                        name: word.to_string(),
                        range: at..word_end,
                    });
                    after_is = false;
                    at = word_end;
                    continue;
                }
                if first_word && end == "%}" && word == "filter" {
                    after_filter_tag = true;
                    first_word = false;
                    at = word_end;
                    continue;
                }
                first_word = false;
                if word == "is" && before != Some(b'.') {
                    after_is = true;
                    at = word_end;
                    continue;
                }
                if matches!(word, "lookup" | "query" | "q") && before != Some(b'.') {
                    if let Some(found) = lookup_name(source, word_end) {
                        uses.push(found);
                    }
                }
                at = word_end;
                continue;
            }
            _ if b.is_ascii_whitespace() || b == b'-' || b == b'+' => {
                at += 1;
                continue;
            }
            _ => {}
        }
        after_pipe = false;
        after_is = false;
        first_word = false;
        at += 1;
    }
    at
}

/// The end of a name with dots (`ansible.builtin.combine`); a dot not followed by a
/// name ends it.
fn dotted_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    loop {
        while at < bytes.len() && is_ident(bytes[at]) {
            at += 1;
        }
        if at + 1 < bytes.len() && bytes[at] == b'.' && is_ident_start(bytes[at + 1]) {
            at += 1;
            continue;
        }
        return at;
    }
}

/// The index after the string literal starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b if b == quote => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// `lookup('name', …)`: the literal name after `(` at `at`, if it is one.
fn lookup_name(source: &str, at: usize) -> Option<NameUse> {
    let rest = &source[at..];
    let open = rest.len() - rest.trim_start().len();
    let rest = rest.trim_start().strip_prefix('(')?;
    let skipped = rest.len() - rest.trim_start().len();
    let literal_start = at + open + 1 + skipped;
    let bytes = source.as_bytes();
    let quote = *bytes.get(literal_start)?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let literal_end = string_end(bytes, literal_start);
    let name = source.get(literal_start + 1..literal_end.checked_sub(1)?)?;
    if name.is_empty() || name.contains('\\') || name.contains("{{") {
        return None;
    }
    Some(NameUse {
        kind: NameKind::Lookup,
        name: name.to_string(),
        range: literal_start + 1..literal_end - 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(uses: &[NameUse]) -> Vec<(NameKind, &str)> {
        uses.iter().map(|u| (u.kind, u.name.as_str())).collect()
    }

    #[test]
    fn a_tag_closed_by_its_own_percent_is_not_a_raw_block() {
        // Found by fuzzing: `{%}` made the raw-block check slice backwards.
        assert!(
            names(&in_template("{%}x }}{{ a | upper }}")).contains(&(NameKind::Filter, "upper"))
        );
        let raw = in_template("{% raw %}{%}{{ a | lower }}{% endraw %}{{ b | upper }}");
        assert_eq!(names(&raw), [(NameKind::Filter, "upper")]);
    }

    #[test]
    fn text_past_ascii_inside_code_is_stepped_over_whole() {
        // Found by fuzzing: a byte-wise scan looked for `}}` inside a character.
        let uses = in_template("{{ container \u{602} | upper }} and {% if ü %}{% endif %}");
        assert_eq!(names(&uses), [(NameKind::Filter, "upper")]);
        assert!(in_expression("é | lower").iter().any(|u| u.name == "lower"));
    }

    #[test]
    fn finds_filters_tests_and_lookups() {
        let uses = in_template(
            "{{ a | default('x|y') | ansible.builtin.combine({'b': 1}) }} {% if x is not defined %}\
             {{ lookup('env', 'HOME') }}{% endif %}{# c | nope #}{% raw %}{{ d | raw_only }}{% endraw %}",
        );
        assert_eq!(
            names(&uses),
            vec![
                (NameKind::Filter, "default"),
                (NameKind::Filter, "ansible.builtin.combine"),
                (NameKind::Test, "defined"),
                (NameKind::Lookup, "env"),
            ]
        );
    }

    #[test]
    fn filter_blocks_and_bare_expressions() {
        assert_eq!(
            names(&in_template("{% filter upper %}x{% endfilter %}")),
            vec![(NameKind::Filter, "upper")]
        );
        assert_eq!(
            names(&in_expression(
                "x.is_ok is sameas true and y|length > q('items', 1)|first"
            )),
            vec![
                (NameKind::Test, "sameas"),
                (NameKind::Filter, "length"),
                (NameKind::Lookup, "items"),
                (NameKind::Filter, "first"),
            ]
        );
    }

    #[test]
    fn qualified_names_are_shortened() {
        assert_eq!(
            unqualified("{{ a | ansible.builtin.to_json }} {{ 1 is ansible.legacy.truthy }} 'ansible.builtin.x'", true),
            "{{ a | to_json }} {{ 1 is truthy }} 'ansible.builtin.x'"
        );
        assert_eq!(
            unqualified(
                "x | ansible.builtin.bool and 'ansible.builtin.' in y",
                false
            ),
            "x | bool and 'ansible.builtin.' in y"
        );
    }
}
