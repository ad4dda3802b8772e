//! POSIX shell word splitting without any expansion, for `command: cmd` (which, like
//! Ansible's, runs no shell): quotes and backslashes group and escape; `$`, `*`, `~`
//! and `#` are ordinary characters. And the reverse, for showing an argv as one line.

use std::iter::Peekable;
use std::str::Chars;

/// Why a command line could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("unterminated single quote")]
    UnterminatedSingleQuote,
    #[error("unterminated double quote")]
    UnterminatedDoubleQuote,
    #[error("a backslash at the end escapes nothing")]
    TrailingBackslash,
}

/// Split a command line into words as sh(1) would, without expanding anything.
pub fn split(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => match chars.next() {
                None => return Err(SplitError::TrailingBackslash),
                Some('\n') => {}
                Some(escaped) => {
                    word.push(escaped);
                    in_word = true;
                }
            },
            '\'' => {
                in_word = true;
                single_quoted(&mut chars, &mut word)?;
            }
            '"' => {
                in_word = true;
                double_quoted(&mut chars, &mut word)?;
            }
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn single_quoted(chars: &mut Peekable<Chars<'_>>, word: &mut String) -> Result<(), SplitError> {
    for c in chars.by_ref() {
        if c == '\'' {
            return Ok(());
        }
        word.push(c);
    }
    Err(SplitError::UnterminatedSingleQuote)
}

/// Inside double quotes a backslash escapes only `$`, `` ` ``, `"`, `\` and newline.
fn double_quoted(chars: &mut Peekable<Chars<'_>>, word: &mut String) -> Result<(), SplitError> {
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(()),
            '\\' => match chars.peek() {
                Some('\n') => {
                    chars.next();
                }
                Some(&escaped @ ('$' | '`' | '"' | '\\')) => {
                    chars.next();
                    word.push(escaped);
                }
                _ => word.push('\\'),
            },
            other => word.push(other),
        }
    }
    Err(SplitError::UnterminatedDoubleQuote)
}

/// An argv as one shell line: words that need it are single-quoted.
pub fn join(argv: &[String]) -> String {
    argv.iter()
        .map(|word| quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word as Python's `shlex.quote` writes it: as is when safe, else single-quoted.
pub fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split(line).unwrap_or_else(|err| panic!("{line}: {err}"))
    }

    #[test]
    fn splits_on_blanks() {
        assert_eq!(words("  echo   hi\tthere\n"), ["echo", "hi", "there"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn quotes_group_and_nothing_expands() {
        assert_eq!(
            words(r#"echo 'a b' "c d" e"f"'g'"#),
            ["echo", "a b", "c d", "efg"]
        );
        assert_eq!(
            words(r#"echo $HOME *.txt ~ #no-comment"#),
            ["echo", "$HOME", "*.txt", "~", "#no-comment"]
        );
        assert_eq!(words(r#"printf '' """#), ["printf", "", ""]);
    }

    #[test]
    fn backslashes() {
        assert_eq!(words(r"a\ b c\\d \'e"), ["a b", r"c\d", "'e"]);
        assert_eq!(words(r#""a\"b\$c\d""#), [r#"a"b$c\d"#]);
        assert_eq!(words(r"'no\escape'"), [r"no\escape"]);
        assert_eq!(words("one\\\ntwo"), ["onetwo"]);
    }

    #[test]
    fn unterminated_input_is_an_error() {
        assert_eq!(split("echo 'a"), Err(SplitError::UnterminatedSingleQuote));
        assert_eq!(split("echo \"a"), Err(SplitError::UnterminatedDoubleQuote));
        assert_eq!(split("echo a\\"), Err(SplitError::TrailingBackslash));
    }

    #[test]
    fn join_quotes_what_split_would_break() {
        let argv = [
            "echo".to_string(),
            "a b".into(),
            "it's".into(),
            String::new(),
            "k=v".into(),
        ];
        let line = join(&argv);
        assert_eq!(line, r#"echo 'a b' 'it'\''s' '' k=v"#);
        assert_eq!(words(&line), argv);
    }
}
