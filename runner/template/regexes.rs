//! Python-flavoured regular expressions for the regex filters and tests: a small
//! compile cache (the same pattern runs once per loop item), Python's `\Z`, and
//! Python's replacement syntax (`\1`, `\g<name>`) translated to the regex crate's.
//! Look-around and back-references are not supported by the regex crate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use minijinja::{Error, ErrorKind};
use regex::{Regex, RegexBuilder};

type Key = (String, bool, bool);

fn cache() -> &'static Mutex<HashMap<Key, Arc<Regex>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Regex>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Compile (or fetch) `pattern` with Python's `re.I` / `re.M` flags.
pub(crate) fn compile(
    pattern: &str,
    ignorecase: bool,
    multiline: bool,
) -> Result<Arc<Regex>, Error> {
    let key = (pattern.to_string(), ignorecase, multiline);
    if let Ok(cache) = cache().lock() {
        if let Some(regex) = cache.get(&key) {
            return Ok(regex.clone());
        }
    }
    let regex = RegexBuilder::new(&python_pattern(pattern))
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|err| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("invalid regular expression '{pattern}': {err}"),
            )
        })?;
    let regex = Arc::new(regex);
    if let Ok(mut cache) = cache().lock() {
        if cache.len() >= 512 {
            cache.clear();
        }
        cache.insert(key, regex.clone());
    }
    Ok(regex)
}

/// Python pattern syntax the regex crate spells differently: `\Z` is `\z`.
fn python_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Z') => out.push_str("\\z"),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Python's `re.sub` replacement template in the regex crate's syntax.
pub(crate) fn python_replacement(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                Some('g') if chars.peek() == Some(&'<') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d @ '1'..='9') => {
                    let mut group = d.to_string();
                    if let Some(&next) = chars.peek() {
                        if next.is_ascii_digit() {
                            group.push(next);
                            chars.next();
                        }
                    }
                    out.push_str(&format!("${{{group}}}"));
                }
                Some('0') => out.push('\0'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('f') => out.push('\x0c'),
                Some('v') => out.push('\x0b'),
                Some('a') => out.push('\x07'),
                Some('b') => out.push('\x08'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_translation() {
        assert_eq!(
            python_replacement(r"\1-\g<2>-\g<name>"),
            "${1}-${2}-${name}"
        );
        assert_eq!(python_replacement(r"$5 \\ \n"), "$$5 \\ \n");
        assert_eq!(python_replacement(r"\12"), "${12}");
    }

    #[test]
    fn python_end_anchor() {
        let re = compile(r"b\Z", false, false).unwrap();
        assert!(re.is_match("ab"));
        assert!(!re.is_match("ab\n"));
    }
}
