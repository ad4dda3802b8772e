//! Ansible's backslash rule for playbook strings: inside `{{ }}`, a backslash in a
//! string literal is taken literally (Ansible's lexer doubles it before Jinja unescapes).
//! So `"{{ x | regex_replace('(\\d+)', '\\1') }}"` in double-quoted YAML — which YAML
//! turns into `'(\d+)'` and `'\1'` — reaches the filter as `(\d+)` and `\1`, exactly
//! as authors write it outside the braces. Template files and bare expressions
//! (`when:`) are not affected, as in Ansible.

use std::borrow::Cow;

/// Double every backslash inside string literals within `{{ … }}`.
pub(crate) fn escape_expressions(source: &str) -> Cow<'_, str> {
    if !source.contains('\\') || !source.contains("{{") {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + 8);
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(len) = raw_block_len(rest) {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
        } else if rest.starts_with("{#") {
            let len = rest.find("#}").map_or(rest.len(), |at| at + 2);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
        } else if let Some(inner) = rest.strip_prefix("{{") {
            out.push_str("{{");
            rest = copy_expression(inner, &mut out);
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    Cow::Owned(out)
}

/// Copy an expression up to and including its closing `}}`, doubling backslashes in
/// its string literals; return what follows.
fn copy_expression<'a>(mut rest: &'a str, out: &mut String) -> &'a str {
    loop {
        if let Some(after) = rest.strip_prefix("}}") {
            out.push_str("}}");
            return after;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            return rest;
        };
        out.push(c);
        rest = chars.as_str();
        if c == '\'' || c == '"' {
            rest = copy_literal(rest, c, out);
        }
    }
}

fn copy_literal<'a>(rest: &'a str, quote: char, out: &mut String) -> &'a str {
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // The backslash and what it escapes are one token for the lexer: keep
            // them so (a quote stays escaped), each backslash doubled.
            out.push_str("\\\\");
            match chars.next() {
                Some('\\') => out.push_str("\\\\"),
                Some(escaped) if escaped == quote => {
                    out.push('\\');
                    out.push(escaped);
                }
                Some(escaped) => out.push(escaped),
                None => {}
            }
        } else {
            out.push(c);
            if c == quote {
                break;
            }
        }
    }
    chars.as_str()
}

/// Length of a `{% raw %}…{% endraw %}` block starting here, if one does.
fn raw_block_len(text: &str) -> Option<usize> {
    let open = tag_len(text, "raw")?;
    let mut at = open;
    while at < text.len() {
        let found = text[at..].find("{%")? + at;
        if let Some(close) = tag_len(&text[found..], "endraw") {
            return Some(found + close);
        }
        at = found + 2;
    }
    None
}

/// Length of a `{% word %}` tag (with optional `-`/`+` markers) starting here.
fn tag_len(text: &str, word: &str) -> Option<usize> {
    let after_open = text.strip_prefix("{%")?;
    let body = after_open.strip_prefix(['-', '+']).unwrap_or(after_open);
    let body = body.trim_start();
    let body = body.strip_prefix(word)?;
    let body = body.trim_start();
    let body = body.strip_prefix(['-', '+']).unwrap_or(body);
    let body = body.strip_prefix("%}")?;
    Some(text.len() - body.len())
}

#[cfg(test)]
mod tests {
    use super::escape_expressions;

    #[test]
    fn doubles_backslashes_in_expression_literals_only() {
        assert_eq!(
            escape_expressions(r#"a\1 {{ x | f('\1', "\d") }} b\2"#),
            r#"a\1 {{ x | f('\\1', "\\d") }} b\2"#
        );
    }

    #[test]
    fn leaves_statements_comments_and_raw_alone() {
        let text = r"{% set a = '\n' %}{# '\n' #}{% raw %}{{ '\n' }}{% endraw %}";
        assert_eq!(escape_expressions(text), text);
    }

    #[test]
    fn closing_braces_inside_literals_do_not_end_the_expression() {
        assert_eq!(
            escape_expressions(r"{{ '}}\x' }} \y {{ '\z' }}"),
            r"{{ '}}\\x' }} \y {{ '\\z' }}"
        );
    }

    #[test]
    fn escaped_quotes_and_backslashes_stay_one_token() {
        assert_eq!(escape_expressions(r"{{ 'a\'b' }}"), r"{{ 'a\\\'b' }}");
        assert_eq!(escape_expressions(r"{{ 'a\\b' }}"), r"{{ 'a\\\\b' }}");
    }
}
