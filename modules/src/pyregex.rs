//! Python's `re` syntax where the regex crate spells it differently: `\Z`, and `re.sub`
//! replacement templates (`\1`, `\g<name>`). Shared by the regex filters of the
//! runner and the modules that take Python regexes (lineinfile, replace, find).
//! Look-around and back-references are not supported by the regex crate; such a
//! pattern is refused when it is compiled.

use regex::bytes::{Regex, RegexBuilder};

/// Compile a Python pattern for bytes, as the modules read files (`re.M` when
/// `multiline`); the error says which pattern.
pub fn compile(pattern: &str, multiline: bool) -> Result<Regex, String> {
    RegexBuilder::new(&python_pattern(pattern))
        .multi_line(multiline)
        .build()
        .map_err(|err| format!("invalid regular expression '{pattern}': {err}"))
}

/// Python pattern syntax the regex crate spells differently: `\Z` is `\z`.
pub fn python_pattern(pattern: &str) -> String {
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
pub fn python_replacement(template: &str) -> String {
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
        let Ok(re) = compile(r"b\Z", false) else {
            panic!("valid pattern")
        };
        assert!(re.is_match(b"ab"));
        assert!(!re.is_match(b"ab\n"));
    }
}
