//! Jinja's `wordwrap(width=79, break_long_words=true, wrapstring=none,
//! break_on_hyphens=true)`: each line of the text wrapped on its own by Python's
//! `textwrap.TextWrapper` (tabs kept, whitespace kept, whitespace at a break dropped),
//! ported here rule for rule: the chunks of its `wordsep_re` (words, hyphenated parts,
//! em-dashes, runs of whitespace) and `_wrap_chunks`/`_handle_long_word`.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filters::invalid;
use super::value_format::py_type_name;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter(
        "wordwrap",
        |s: Value,
         width: Option<Value>,
         break_long_words: Option<Value>,
         wrapstring: Option<Value>,
         kwargs: Kwargs| {
            let arg = |given: Option<Value>, name: &str| -> Result<Option<Value>, Error> {
                match given {
                    Some(value) => Ok(Some(value)),
                    None => kwargs.get::<Option<Value>>(name),
                }
            };
            let width = match arg(width, "width")? {
                None => 79,
                Some(w) => i64::try_from(w.clone()).map_err(|_| {
                    invalid(format!(
                        "wordwrap: width must be an integer, got {}",
                        py_type_name(&w)
                    ))
                })?,
            };
            let break_long_words =
                arg(break_long_words, "break_long_words")?.map_or(true, |v| v.is_true());
            let wrapstring = match arg(wrapstring, "wrapstring")? {
                None => "\n".to_string(),
                Some(v) if v.is_none() => "\n".to_string(),
                Some(v) => v.as_str().map(str::to_string).ok_or_else(|| {
                    invalid(format!(
                        "wordwrap: wrapstring must be a string, got {}",
                        py_type_name(&v)
                    ))
                })?,
            };
            let break_on_hyphens = kwargs
                .get::<Option<Value>>("break_on_hyphens")?
                .map_or(true, |v| v.is_true());
            kwargs.assert_all_used()?;
            if s.kind() != ValueKind::String {
                return Err(invalid(format!(
                    "'{}' object has no attribute 'splitlines'",
                    py_type_name(&s)
                )));
            }
            let wrapper = Wrapper {
                width,
                break_long_words,
                break_on_hyphens,
            };
            let lines = python_splitlines(s.as_str().unwrap_or_default())
                .into_iter()
                .map(|line| wrapper.wrap(line).map(|wrapped| wrapped.join(&wrapstring)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(lines.join(&wrapstring))
        },
    );
}

/// Python's `str.splitlines()`.
pub(super) fn python_splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let breaks = matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !breaks {
            continue;
        }
        lines.push(&text[start..at]);
        start = at + c.len_utf8();
        if c == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n') {
            chars.next();
            start += 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

struct Wrapper {
    width: i64,
    break_long_words: bool,
    break_on_hyphens: bool,
}

/// textwrap's whitespace: ASCII only.
fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_letter(c: char) -> bool {
    is_word(c) && !c.is_numeric()
}

fn is_word_punct(c: char) -> bool {
    is_word(c) || "!\"'&.,?".contains(c)
}

impl Wrapper {
    fn wrap(&self, text: &str) -> Result<Vec<String>, Error> {
        let chars: Vec<char> = text.chars().collect();
        let chunks = if self.break_on_hyphens {
            split_words(&chars)
        } else {
            split_simple(&chars)
        };
        self.wrap_chunks(chunks)
    }

    /// `_wrap_chunks` (no indents, no max_lines).
    fn wrap_chunks(&self, mut chunks: Vec<Vec<char>>) -> Result<Vec<String>, Error> {
        if self.width <= 0 {
            return Err(invalid(format!(
                "invalid width {} (must be > 0)",
                self.width
            )));
        }
        let width = self.width as usize;
        let blank = |chunk: &[char]| chunk.iter().all(|c| c.is_whitespace());
        chunks.reverse();
        let mut lines = Vec::new();
        while !chunks.is_empty() {
            let mut line: Vec<Vec<char>> = Vec::new();
            let mut length = 0;
            if !lines.is_empty() && chunks.last().is_some_and(|c| blank(c)) {
                chunks.pop();
            }
            while let Some(chunk) = chunks.last() {
                if length + chunk.len() <= width {
                    length += chunk.len();
                    line.extend(chunks.pop());
                } else {
                    break;
                }
            }
            if chunks.last().is_some_and(|c| c.len() > width) {
                self.handle_long_word(&mut chunks, &mut line, length, width);
            }
            if line.last().is_some_and(|c| blank(c)) {
                line.pop();
            }
            if !line.is_empty() {
                lines.push(line.concat().into_iter().collect());
            }
        }
        Ok(lines)
    }

    fn handle_long_word(
        &self,
        chunks: &mut Vec<Vec<char>>,
        line: &mut Vec<Vec<char>>,
        length: usize,
        width: usize,
    ) {
        let space_left = if width < 1 { 1 } else { width - length };
        if self.break_long_words {
            let Some(chunk) = chunks.last_mut() else {
                return;
            };
            let mut end = space_left;
            if self.break_on_hyphens && chunk.len() > space_left {
                let hyphen = chunk[..space_left].iter().rposition(|c| *c == '-');
                if let Some(hyphen) = hyphen.filter(|&h| h > 0) {
                    if chunk[..hyphen].iter().any(|c| *c != '-') {
                        end = hyphen + 1;
                    }
                }
            }
            let end = end.min(chunk.len());
            let rest = chunk.split_off(end);
            line.push(std::mem::replace(chunk, rest));
        } else if line.is_empty() {
            line.extend(chunks.pop());
        }
    }
}

/// `wordsep_simple_re`: runs of whitespace and runs of anything else.
fn split_simple(chars: &[char]) -> Vec<Vec<char>> {
    let mut chunks: Vec<Vec<char>> = Vec::new();
    for &c in chars {
        match chunks.last_mut() {
            Some(last) if last.last().is_some_and(|l| is_space(*l) == is_space(c)) => last.push(c),
            _ => chunks.push(vec![c]),
        }
    }
    chunks
}

/// `wordsep_re`'s chunks: whitespace; an em-dash (`--`) between words; a word up to
/// a hyphen between letters, whitespace or the end, or an em-dash.
fn split_words(chars: &[char]) -> Vec<Vec<char>> {
    let at = |i: usize| chars.get(i).copied();
    let letter = |i: usize| at(i).is_some_and(is_letter);
    // `-{2,}` then a word character, from `i`.
    let em_dash = |i: usize| {
        let dashes = chars[i.min(chars.len())..]
            .iter()
            .take_while(|c| **c == '-')
            .count();
        (dashes >= 2 && at(i + dashes).is_some_and(is_word)).then_some(dashes)
    };
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let end = if is_space(chars[i]) {
            i + chars[i..].iter().take_while(|c| is_space(**c)).count()
        } else if let Some(dashes) = em_dash(i).filter(|_| i > 0 && is_word_punct(chars[i - 1])) {
            i + dashes
        } else {
            let mut j = i + 1;
            loop {
                // Here chars[i..j] are all non-space.
                let hyphen = at(j) == Some('-')
                    && ((j >= 2 && letter(j - 2) && letter(j - 1))
                        || (j >= 3 && letter(j - 3) && at(j - 2) == Some('-') && letter(j - 1)))
                    && letter(j + 1)
                    && (letter(j + 2) || (at(j + 2) == Some('-') && letter(j + 3)));
                if hyphen {
                    break j + 1;
                }
                if j == chars.len() || is_space(chars[j]) {
                    break j;
                }
                if is_word_punct(chars[j - 1]) && em_dash(j).is_some() {
                    break j;
                }
                j += 1;
            }
        };
        if start < i {
            chunks.push(chars[start..i].to_vec());
        }
        chunks.push(chars[i..end].to_vec());
        i = end;
        start = end;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(text: &str, width: i64, break_long_words: bool, break_on_hyphens: bool) -> Vec<String> {
        Wrapper {
            width,
            break_long_words,
            break_on_hyphens,
        }
        .wrap(text)
        .unwrap()
    }

    #[test]
    fn wraps_as_textwrap() {
        // Each expected value is Python 3.11's textwrap.wrap with Jinja's options.
        assert_eq!(wrap("  hello world", 5, true, true), ["hello", "world"]);
        assert_eq!(
            wrap("a well-known long-winded thing", 10, true, true),
            ["a well-", "known", "long-", "winded", "thing"]
        );
        assert_eq!(wrap("abcdefghij", 4, true, true), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("abcdefghij", 4, false, true), ["abcdefghij"]);
        assert_eq!(
            wrap("wait--what now", 6, true, true),
            ["wait--", "what", "now"]
        );
        assert!(wrap("", 5, true, true).is_empty());
    }
}
