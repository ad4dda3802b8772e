//! Ansible's `key=value` argument strings (a task's free-form `file: path=/x
//! state=touch`, `-e k=v`): split into pairs, templates kept whole. Below the loader
//! and extra_vars, which both read them.

/// Ansible's `key=value key2="value two"` argument strings. Whitespace inside a
/// `{{ }}`, `{% %}` or `{# #}` does not end a value (`msg={{ item }}`), as with
/// Ansible's parse_kv; a word without `=` makes the whole string invalid.
pub fn split_key_values(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return None;
        }
        let mut value = String::new();
        let mut quote = None;
        let mut jinja = 0usize;
        let mut end = after.len();
        let mut chars = after.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let next = chars.peek().map(|(_, next)| *next);
            let opens = c == '{' && matches!(next, Some('{' | '%' | '#'));
            let closes = jinja > 0 && matches!(c, '}' | '%' | '#') && next == Some('}');
            if opens || closes {
                jinja = if opens { jinja + 1 } else { jinja - 1 };
                value.push(c);
                value.extend(next);
                chars.next();
                continue;
            }
            if jinja > 0 {
                value.push(c);
                continue;
            }
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, c) if c.is_whitespace() => {
                    end = at;
                    break;
                }
                (_, '\\') => value.extend(chars.next().map(|(_, c)| c)),
                (_, c) => value.push(c),
            }
        }
        pairs.push((key.to_string(), value));
        rest = after[end..].trim_start();
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_free_form_arguments() {
        assert_eq!(
            split_key_values("path=/x state=touch mode='0644' msg=\"a b\"").unwrap(),
            vec![
                ("path".into(), "/x".into()),
                ("state".into(), "touch".into()),
                ("mode".into(), "0644".into()),
                ("msg".into(), "a b".into()),
            ]
        );
        assert!(split_key_values("just words").is_none());
    }

    #[test]
    fn free_form_values_keep_their_templates_whole() {
        assert_eq!(
            split_key_values("msg={{ item | default('a b') }} x=\"{{ y }}\"").unwrap(),
            vec![
                ("msg".into(), "{{ item | default('a b') }}".into()),
                ("x".into(), "{{ y }}".into()),
            ]
        );
        assert_eq!(
            split_key_values("a=b=c").unwrap(),
            vec![("a".into(), "b=c".into())]
        );
        assert!(split_key_values("path=/x state").is_none());
        assert!(split_key_values("=x").is_none());
    }
}
