//! Ansible's `key=value` argument strings (a task's free-form `file: path=/x
//! state=touch`, `-e k=v`): split into pairs, templates kept whole; and a free-form
//! command's own options (`command: make chdir=/src creates=/src/out`). Below the
//! loader and extra_vars, which both read them.

/// Ansible's `key=value key2="value two"` argument strings, as its parse_kv reads
/// them: words split at whitespace outside quotes and `{{ }}`/`{% %}`/`{# #}`, each
/// word's escapes decoded, the key up to its first unescaped `=`, and the value's
/// quotes taken off only when they wrap it whole (`var=d['b']` keeps its quotes).
/// A word without `=` makes the whole string invalid.
pub fn split_key_values(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for word in words(text) {
        let word = decode_escapes(&word);
        let at = word
            .char_indices()
            .skip(1)
            .find(|&(at, c)| c == '=' && !word[..at].ends_with('\\'))?
            .0;
        let value = word[at + 1..].trim();
        pairs.push((word[..at].trim().to_string(), unquote(value).to_string()));
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

/// A word with its escapes decoded as Python's `unicode_escape` reads them.
fn decode_escapes(word: &str) -> String {
    let mut decoded = String::with_capacity(word.len());
    let mut chars = word.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '\\' => decode_escape(&mut chars, &mut decoded),
            c => decoded.push(c),
        }
    }
    decoded
}

/// The escape after a `\\` as Python's `unicode_escape` reads it (Ansible's parse_kv
/// decodes them: `content="a\\n"` is a newline); an unknown one (`\\d` of a regex)
/// stays as written.
fn decode_escape(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, value: &mut String) {
    let Some((_, c)) = chars.next() else {
        value.push('\\');
        return;
    };
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'v' => Some('\x0b'),
        '\\' | '\'' | '"' => Some(c),
        _ => None,
    };
    if let Some(decoded) = simple {
        value.push(decoded);
        return;
    }
    let (radix, digits) = match c {
        'x' => (16, 2),
        'u' => (16, 4),
        'U' => (16, 8),
        '0'..='7' => (8, 3),
        _ => (0, 0),
    };
    if radix == 0 {
        value.push('\\');
        value.push(c);
        return;
    }
    let mut code = String::new();
    if radix == 8 {
        code.push(c);
    }
    while code.len() < digits {
        match chars.peek() {
            Some((_, d)) if d.is_digit(radix) => {
                code.push(*d);
                chars.next();
            }
            _ => break,
        }
    }
    let full = radix == 8 || code.len() == digits;
    match u32::from_str_radix(&code, radix)
        .ok()
        .and_then(char::from_u32)
    {
        Some(decoded) if full => value.push(decoded),
        _ => {
            value.push('\\');
            value.push(c);
            if radix != 8 {
                value.push_str(&code);
            } else {
                value.push_str(&code[1..]);
            }
        }
    }
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
        assert_eq!(
            split_key_values(r#"content="a\nb\t\x41\101" regexp=^\d+\.\\ q='it\'s'"#).unwrap(),
            vec![
                ("content".into(), "a\nb\tAA".into()),
                ("regexp".into(), "^\\d+\\.\\".into()),
                ("q".into(), "it's".into()),
            ]
        );
        assert!(split_key_values("=x").is_none());
    }

    #[test]
    fn quotes_inside_a_value_stay_as_parse_kv_keeps_them() {
        assert_eq!(
            split_key_values(r#"var=d['b'] msg=a"b c"d q="x 'y'""#).unwrap(),
            vec![
                ("var".into(), "d['b']".into()),
                ("msg".into(), "a\"b c\"d".into()),
                ("q".into(), "x 'y'".into()),
            ]
        );
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
