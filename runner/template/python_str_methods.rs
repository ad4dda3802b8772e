//! Python `str` methods that minijinja-contrib's pycompat lacks and playbooks call:
//! `rsplit`, `partition`, `rpartition`, `zfill`, `center`, `ljust`, `rjust`,
//! `removeprefix`, `removesuffix`, `swapcase`, `casefold`, `index` and `rindex`, with
//! Python's results (a tuple is a list here). Anything else is an unknown method.

use minijinja::value::Kwargs;
use minijinja::{Error, ErrorKind, Value};

/// `text.method(*args)`, or [`ErrorKind::UnknownMethod`].
pub(crate) fn call(text: &str, method: &str, args: &[Value]) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(args)?;
    let arg = |at: usize| args.get(at).filter(|value| !value.is_none());
    let text_arg = |at: usize| -> Result<Option<&str>, Error> {
        match arg(at) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .map(Some)
                .ok_or_else(|| invalid(format!("{method}(): the argument must be str"))),
        }
    };
    let width = || -> Result<usize, Error> {
        let value = arg(0).ok_or_else(|| invalid(format!("{method}() takes a width")))?;
        Ok(i64::try_from(value.clone())
            .map_err(|_| invalid(format!("{method}(): the width must be an integer")))?
            .max(0) as usize)
    };
    let fill = || -> Result<char, Error> {
        match text_arg(1)? {
            None => Ok(' '),
            Some(fill) if fill.chars().count() == 1 => Ok(fill.chars().next().unwrap_or(' ')),
            Some(_) => Err(invalid(format!(
                "{method}(): the fill character must be exactly one character long"
            ))),
        }
    };
    let result = match method {
        "rsplit" => {
            let separator = match kwargs.as_ref() {
                Some(kwargs) => kwargs.get::<Option<String>>("sep")?,
                None => None,
            }
            .or(text_arg(0)?.map(str::to_string));
            let limit = match kwargs.as_ref() {
                Some(kwargs) => kwargs.get::<Option<i64>>("maxsplit")?,
                None => None,
            }
            .or(arg(1).and_then(|value| i64::try_from(value.clone()).ok()))
            .unwrap_or(-1);
            Value::from(rsplit(text, separator.as_deref(), limit)?)
        }
        "partition" | "rpartition" => {
            let separator = text_arg(0)?
                .filter(|sep| !sep.is_empty())
                .ok_or_else(|| invalid(format!("{method}(): empty separator")))?;
            let found = if method == "partition" {
                text.find(separator)
            } else {
                text.rfind(separator)
            };
            let parts = match found {
                Some(at) => [&text[..at], separator, &text[at + separator.len()..]],
                None if method == "partition" => [text, "", ""],
                None => ["", "", text],
            };
            Value::from(
                parts
                    .iter()
                    .map(|part| Value::from(*part))
                    .collect::<Vec<_>>(),
            )
        }
        "zfill" => Value::from(zfill(text, width()?)),
        "center" | "ljust" | "rjust" => {
            let (width, fill) = (width()?, fill()?);
            let margin = width.saturating_sub(text.chars().count());
            let left = match method {
                "ljust" => 0,
                "rjust" => margin,
                // Python puts the odd character left when the width is odd.
                _ => margin / 2 + (margin & width & 1),
            };
            let pad = |count: usize| fill.to_string().repeat(count);
            Value::from(format!("{}{text}{}", pad(left), pad(margin - left)))
        }
        "removeprefix" => Value::from(
            text.strip_prefix(text_arg(0)?.unwrap_or(""))
                .unwrap_or(text),
        ),
        "removesuffix" => Value::from(
            text.strip_suffix(text_arg(0)?.unwrap_or(""))
                .unwrap_or(text),
        ),
        "swapcase" => Value::from(
            text.chars()
                .flat_map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<Vec<_>>()
                    } else {
                        c.to_uppercase().collect::<Vec<_>>()
                    }
                })
                .collect::<String>(),
        ),
        "casefold" => Value::from(text.to_lowercase()),
        "index" | "rindex" => {
            let needle = text_arg(0)?.unwrap_or("");
            let found = if method == "index" {
                text.find(needle)
            } else {
                text.rfind(needle)
            };
            let at = found.ok_or_else(|| invalid("substring not found".to_string()))?;
            Value::from(text[..at].chars().count())
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    Ok(result)
}

fn split_kwargs(args: &[Value]) -> Result<(&[Value], Option<Kwargs>), Error> {
    match args.split_last() {
        Some((last, rest)) if last.is_kwargs() => Ok((rest, Some(Kwargs::try_from(last.clone())?))),
        _ => Ok((args, None)),
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// Python's `str.rsplit(sep, maxsplit)`: from the right, at most `limit` splits
/// (negative: all); without a separator, at runs of whitespace, none kept empty.
fn rsplit(text: &str, separator: Option<&str>, limit: i64) -> Result<Vec<String>, Error> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut parts: Vec<String> = match separator {
        Some("") => return Err(invalid("rsplit(): empty separator".to_string())),
        Some(separator) => text
            .rsplitn(limit.saturating_add(1), separator)
            .map(str::to_string)
            .collect(),
        None => {
            let mut parts = Vec::new();
            let mut rest = text.trim_end();
            while !rest.is_empty() {
                if parts.len() == limit {
                    parts.push(rest.to_string());
                    break;
                }
                match rest.rfind(char::is_whitespace) {
                    Some(at) => {
                        let word_start = at + rest[at..].chars().next().map_or(1, char::len_utf8);
                        parts.push(rest[word_start..].to_string());
                        rest = rest[..at].trim_end();
                    }
                    None => {
                        parts.push(rest.to_string());
                        break;
                    }
                }
            }
            parts
        }
    };
    parts.reverse();
    Ok(parts)
}

/// Python's `str.zfill`: zeros after the sign, up to `width` characters.
fn zfill(text: &str, width: usize) -> String {
    let length = text.chars().count();
    if length >= width {
        return text.to_string();
    }
    let zeros = "0".repeat(width - length);
    match text.chars().next() {
        Some(sign @ ('+' | '-')) => format!("{sign}{zeros}{}", &text[1..]),
        _ => format!("{zeros}{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_str(text: &str, method: &str, args: &[Value]) -> String {
        call(text, method, args).unwrap().to_string()
    }

    #[test]
    fn str_methods_give_pythons_results() {
        let v = |s: &str| Value::from(s);
        assert_eq!(call_str("a b  c", "rsplit", &[]), r#"["a", "b", "c"]"#);
        assert_eq!(
            call_str("a.b.c", "rsplit", &[v("."), Value::from(1)]),
            r#"["a.b", "c"]"#
        );
        assert_eq!(
            call_str(" x y z ", "rsplit", &[Value::from(()), Value::from(1)]),
            r#"[" x y", "z"]"#
        );
        assert_eq!(
            call_str("k=v=w", "partition", &[v("=")]),
            r#"["k", "=", "v=w"]"#
        );
        assert_eq!(
            call_str("k=v=w", "rpartition", &[v("=")]),
            r#"["k=v", "=", "w"]"#
        );
        assert_eq!(
            call_str("abc", "rpartition", &[v("=")]),
            r#"["", "", "abc"]"#
        );
        assert_eq!(call_str("-42", "zfill", &[Value::from(5)]), "-0042");
        assert_eq!(call_str("ab", "center", &[Value::from(5)]), "  ab ");
        assert_eq!(
            call_str("abc", "center", &[Value::from(6), v("*")]),
            "*abc**"
        );
        assert_eq!(call_str("ab", "ljust", &[Value::from(4), v(".")]), "ab..");
        assert_eq!(call_str("ab", "rjust", &[Value::from(4)]), "  ab");
        assert_eq!(call_str("v1.2", "removeprefix", &[v("v")]), "1.2");
        assert_eq!(call_str("a.conf", "removesuffix", &[v(".conf")]), "a");
        assert_eq!(call_str("aBc", "swapcase", &[]), "AbC");
        assert_eq!(call_str("hello", "rindex", &[v("l")]), "3");
        assert!(call("hello", "index", &[v("z")]).is_err());
        assert_eq!(
            call("x", "nope", &[]).unwrap_err().kind(),
            ErrorKind::UnknownMethod
        );
    }
}
