//! Ansible's `key=value` argument strings (a task's free-form `file: path=/x
//! state=touch`, `-e k=v`): split into pairs, templates kept whole; and a free-form
//! command's own options (`command: make chdir=/src creates=/src/out`). Below the
//! loader and extra_vars, which both read them.

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

/// The options Ansible takes out of a free-form `command`/`shell` line (parse_kv's
/// list); any other `k=v` word stays part of the command.
const COMMAND_OPTIONS: &[&str] = &[
    "creates",
    "removes",
    "chdir",
    "executable",
    "warn",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// A free-form command line without its own options, and those options
/// (`touch x creates=/x` → `touch x`, `[("creates", "/x")]`), as ansible-core's
/// parse_kv with check_raw. Words are split at whitespace outside quotes and
/// templates; a line with no option is returned as written.
pub fn split_command_options(text: &str) -> (String, Vec<(String, String)>) {
    let words = words(text);
    let mut options = Vec::new();
    let mut command = Vec::new();
    for word in &words {
        match word.split_once('=') {
            Some((key, value)) if COMMAND_OPTIONS.contains(&key) => {
                options.push((key.to_string(), unquote(value).to_string()));
            }
            _ => command.push(word.as_str()),
        }
    }
    if options.is_empty() {
        return (text.to_string(), options);
    }
    (command.join(" "), options)
}

/// The words of a line, each as written (quotes kept): split at whitespace outside
/// quotes and `{{ }}`/`{% %}`/`{# #}`.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut jinja = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let opens = c == '{' && matches!(next, Some('{' | '%' | '#'));
        let closes = jinja > 0 && matches!(c, '}' | '%' | '#') && next == Some('}');
        if opens || closes {
            jinja = if opens { jinja + 1 } else { jinja - 1 };
            word.push(c);
            word.extend(chars.next());
            continue;
        }
        match (quote, c) {
            _ if jinja > 0 => word.push(c),
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (_, '\\') => {
                word.push(c);
                word.extend(chars.next());
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// A value without the quotes around it (`"a b"` → `a b`).
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return &value[1..value.len() - 1];
        }
    }
    value
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

    #[test]
    fn a_free_form_command_gives_up_its_own_options_only() {
        assert_eq!(
            split_command_options("touch x chdir=/tmp creates=\"/tmp/a b\""),
            (
                "touch x".to_string(),
                vec![
                    ("chdir".into(), "/tmp".into()),
                    ("creates".into(), "/tmp/a b".into())
                ]
            )
        );
        let untouched = "echo  a=b 'c  d' {{ x | default('e f') }}";
        assert_eq!(
            split_command_options(untouched),
            (untouched.to_string(), vec![])
        );
        assert_eq!(
            split_command_options("chdir={{ base }} ls -l 'x=y'"),
            (
                "ls -l 'x=y'".to_string(),
                vec![("chdir".into(), "{{ base }}".into())]
            )
        );
    }
}
