//! The commonest playbook strings, rendered without compiling them: literal text around
//! `{{ expression }}`s (`"{{ base }}/etc/app.conf"`, `"count = {{ ports | length }}"`).
//!
//! Compiling a string costs more than rendering it, and such strings differ from task
//! to task only in their literal text, so a compile cache keyed by the whole string
//! never hits. Here the text is copied and each expression is evaluated on its own: a
//! bare name is looked up in the variables, anything else goes through the engine's
//! expression cache (keyed by the expression, which tasks share). What `{{ expr }}`
//! writes is the environment's formatter applied to the value, so the result is what
//! the compiled template would give.
//!
//! Anything else is left to the template engine: block tags, comments, whitespace
//! control, string literals, calls (a lookup could have effects, and must not run twice
//! when a later piece fails), and every failure (the engine's error says it best).

use minijinja::Value;

use super::value_format;

/// One piece of a string: literal text or the expression inside `{{ }}`.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Expr(&'a str),
}

/// Render `source` if it has the simple shape; `None` means "ask the engine", also
/// when an expression fails or is undefined.
pub(super) fn render(
    source: &str,
    vars: &Value,
    eval: impl Fn(&str) -> Option<Value>,
) -> Option<String> {
    let pieces = pieces(source)?;
    let mut out = String::with_capacity(source.len());
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Expr(expr) => {
                let value = if is_name(expr) {
                    vars.get_attr(expr).ok()?
                } else {
                    eval(expr)?
                };
                if value.is_undefined() {
                    return None;
                }
                value_format::write_py_str(&mut out, &value).ok()?;
            }
        }
    }
    Some(out)
}

/// Whether a string is literal text around `{{ }}`s of bare names (valid syntax)
/// or of other simple expressions (attributes, filters and tests without arguments)
/// that `compiles` accepts: its syntax is then valid, nothing to compile to know it.
pub(super) fn syntax_is_valid(source: &str, mut compiles: impl FnMut(&str) -> bool) -> bool {
    pieces(source).is_some_and(|pieces| {
        pieces.iter().all(|piece| match piece {
            Piece::Text(_) => true,
            Piece::Expr(expr) => is_name(expr) || compiles(expr),
        })
    })
}

fn pieces(source: &str) -> Option<Vec<Piece<'_>>> {
    // One pass over the bytes: a `{%` or `{#` anywhere sends the string to the engine
    // (inside an expression it would not be an allowed character either).
    let bytes = source.as_bytes();
    let mut pieces = Vec::new();
    let mut text_from = 0;
    let mut at = 0;
    while at + 1 < bytes.len() {
        if bytes[at] != b'{' {
            at += 1;
            continue;
        }
        match bytes[at + 1] {
            b'%' | b'#' => return None,
            b'{' => {
                if at > text_from {
                    pieces.push(Piece::Text(&source[text_from..at]));
                }
                let after = &source[at + 2..];
                let end = find_pair(after, b"}}")?;
                let expr = after[..end].trim();
                if expr.is_empty() || !expr.chars().all(allowed) {
                    return None;
                }
                pieces.push(Piece::Expr(expr));
                at += 2 + end + 2;
                text_from = at;
            }
            _ => at += 1,
        }
    }
    if text_from < source.len() {
        pieces.push(Piece::Text(&source[text_from..]));
    }
    Some(pieces)
}

/// Where two bytes first occur together in `text` (str::find of a two-byte string
/// sets up a substring searcher, which costs more than these short strings take to
/// scan).
fn find_pair(text: &str, pair: &[u8; 2]) -> Option<usize> {
    text.as_bytes().windows(2).position(|bytes| bytes == pair)
}

/// Characters of the expressions handled here: names, numbers, attribute and index
/// access, filters and tests without arguments, `and`/`or`/`not`/`in`/`is`.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '|' | '[' | ']' | ' ')
}

/// A bare variable name (not a literal such as `true` or `none`).
fn is_name(expr: &str) -> bool {
    let mut chars = expr.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(expr, "true" | "false" | "none" | "True" | "False" | "None")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_expressions_are_split() {
        assert_eq!(
            pieces("{{ base }}/etc/{{ name | upper }}.conf"),
            Some(vec![
                Piece::Expr("base"),
                Piece::Text("/etc/"),
                Piece::Expr("name | upper"),
                Piece::Text(".conf"),
            ])
        );
        assert_eq!(
            pieces("no braces }} here"),
            Some(vec![Piece::Text("no braces }} here")])
        );
    }

    #[test]
    fn anything_else_is_left_to_the_engine() {
        for source in [
            "{% if x %}a{% endif %}",
            "{# note #}{{ x }}",
            "{{- x }}",
            "{{ x -}}",
            "{{ '}}' }}",
            "{{ x | default('a') }}",
            "{{ lookup('pipe', 'date') }}",
            "{{ x ~ y }}",
            "{{ }}",
            "{{ x",
            "{{{ x }}}",
        ] {
            assert_eq!(pieces(source), None, "{source}");
        }
    }

    #[test]
    fn names_are_looked_up_and_printed_as_python_would() {
        let vars = Value::from_iter([
            ("base", Value::from("/srv")),
            ("on", Value::from(true)),
            ("nothing", Value::from(())),
        ]);
        let no_eval = |_: &str| None;
        assert_eq!(
            render("{{ base }}/x:{{ on }}:{{ nothing }}", &vars, no_eval),
            Some("/srv/x:True:".to_string())
        );
        assert_eq!(render("{{ missing }}/x", &vars, no_eval), None);
        assert_eq!(render("{{ true }}", &vars, no_eval), None);
    }

    #[test]
    fn simple_strings_are_valid_when_their_expressions_are() {
        let never = |_: &str| false;
        assert!(syntax_is_valid("{{ base }}/etc/{{ name }}", never));
        assert!(syntax_is_valid("text", never));
        assert!(!syntax_is_valid("{{ x | length }}", never));
        assert!(syntax_is_valid("{{ x | length }}", |expr| expr == "x | length"));
        assert!(!syntax_is_valid("{% if x %}y{% endif %}", |_| true));
    }
}
