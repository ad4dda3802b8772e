//! Text filters real roles use that minijinja lacks or shapes differently: Jinja2's
//! own `truncate` (with `killwords`, `end` and `leeway`), `wordcount`, `urlencode`,
//! `escape`/`forceescape` (markupsafe's), `xmlattr` and `striptags` of Python's
//! `str()`, and Ansible's `comment`, each with the argument names and results of the Python
//! originals. Jinja's string filters (`lower`, `upper`, `capitalize`, `title`, `trim`,
//! `replace`) read any other value as Python's `str()` of it (`['a']` becomes
//! `"['a']"`, none `"None"`), as Jinja does, where minijinja would write JSON.

use minijinja::value::{from_args, Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, Value};

use super::collections::items;
use super::filters::{invalid, keywords_as_positions, string_only, text};
use super::value_format::py_text;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("truncate", truncate);
    env.add_filter("wordcount", |value: Value| {
        Ok::<_, Error>(count_words(&text(&value)?))
    });
    env.add_filter("urlencode", urlencode);
    env.add_filter("comment", comment);
    for name in ["e", "escape"] {
        env.add_filter(name, |value: Value| {
            if value.is_safe() {
                return Ok::<_, Error>(value);
            }
            Ok(Value::from_safe_string(html_escape(&text(&value)?)))
        });
    }
    env.add_filter("forceescape", |value: Value| {
        Ok::<_, Error>(Value::from_safe_string(html_escape(&text(&value)?)))
    });
    env.add_filter("xmlattr", xmlattr);
    env.add_filter("striptags", |value: Value| {
        Ok::<_, Error>(minijinja_contrib::filters::striptags(text(&value)?))
    });
    env.add_filter("lower", |value: Value| {
        Ok::<_, Error>(py_text(&value).to_lowercase())
    });
    env.add_filter("upper", |value: Value| {
        Ok::<_, Error>(py_text(&value).to_uppercase())
    });
    env.add_filter("capitalize", |value: Value| {
        Ok::<_, Error>(capitalize(&py_text(&value)))
    });
    env.add_filter("title", |value: Value| {
        Ok::<_, Error>(title(&py_text(&value)))
    });
    env.add_filter("trim", |value: Value, chars: Option<String>| {
        let text = py_text(&value);
        Ok::<_, Error>(match chars {
            Some(chars) => text.trim_matches(|c| chars.contains(c)).to_string(),
            None => text.trim().to_string(),
        })
    });
    let replace = Value::from_function(
        |value: Value, old: String, new: String, count: Option<usize>| {
            let text = py_text(&value);
            Ok::<_, Error>(match count {
                Some(count) => text.replacen(&old, &new, count),
                None => text.replace(&old, &new),
            })
        },
    );
    env.add_filter(
        "replace",
        keywords_as_positions(
            replace,
            vec![
                ("old", Value::UNDEFINED),
                ("new", Value::UNDEFINED),
                ("count", Value::from(())),
            ],
        ),
    );
}

/// Python's `str.capitalize`: the first character upper case, the rest lower.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

/// Jinja's `do_title`: each piece between `-`, whitespace and opening brackets
/// capitalised (so `a,b` is `A,b` and `/etc/x` stays as it is).
fn title(text: &str) -> String {
    let separator = |c: char| c == '-' || c.is_whitespace() || "({[<".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let sep_len = rest.len() - rest.trim_start_matches(separator).len();
        out.push_str(&rest[..sep_len]);
        rest = &rest[sep_len..];
        let word_len = rest.find(separator).unwrap_or(rest.len());
        out.push_str(&capitalize(&rest[..word_len]));
        rest = &rest[word_len..];
    }
    out
}

/// Jinja2's `do_truncate(s, length=255, killwords=False, end='...', leeway=5)`.
/// Jinja's `truncate(s, length=255, killwords=False, end='...', leeway=None)`, each
/// parameter by position or by name (`truncate(8, killwords=false)`).
fn truncate(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let (positional, kwargs): (&[Value], Kwargs) = from_args(&args)?;
    let names = ["length", "killwords", "end", "leeway"];
    if positional.len() > names.len() {
        return Err(invalid("truncate takes at most 4 arguments"));
    }
    let mut given: [Option<Value>; 4] = Default::default();
    for (index, name) in names.iter().enumerate() {
        given[index] = match positional.get(index) {
            Some(value) => Some(value.clone()),
            None => kwargs.get::<Option<Value>>(name)?,
        };
    }
    kwargs.assert_all_used()?;
    let [length, killwords, end, leeway] = given;
    truncated(
        value,
        length.map(usize::try_from).transpose()?,
        killwords.map(|k| k.is_true()),
        end.map(|e| e.to_string()),
        leeway.map(usize::try_from).transpose()?,
    )
}

fn truncated(
    value: Value,
    length: Option<usize>,
    killwords: Option<bool>,
    end: Option<String>,
    leeway: Option<usize>,
) -> Result<Value, Error> {
    // Jinja takes len() of the value first: a number, boolean or none has none.
    if matches!(
        value.kind(),
        ValueKind::Number | ValueKind::Bool | ValueKind::None
    ) {
        return Err(invalid(format!(
            "truncate: object of type '{}' has no len()",
            super::value_format::py_type_name(&value)
        )));
    }
    let length = length.unwrap_or(255);
    let end = end.unwrap_or_else(|| "...".into());
    let leeway = leeway.unwrap_or(5);
    if value.kind() != ValueKind::String {
        // Jinja measures a list or mapping by its items and returns one short enough
        // as it is; a longer one cannot be cut as a string is.
        return match value.len() {
            Some(len) if len <= length + leeway => Ok(value),
            _ => Err(invalid(format!(
                "truncate: a {} longer than {} cannot be truncated",
                super::value_format::py_type_name(&value),
                length + leeway
            ))),
        };
    }
    let text = text(&value)?;
    let chars: Vec<char> = text.chars().collect();
    let end_len = end.chars().count();
    if length < end_len {
        return Err(invalid(format!(
            "truncate: length {length} is shorter than the end '{end}'"
        )));
    }
    if chars.len() <= length + leeway {
        return Ok(Value::from(text));
    }
    let kept: String = chars[..length - end_len].iter().collect();
    if killwords.unwrap_or(false) {
        return Ok(Value::from(kept + &end));
    }
    let cut = match kept.rfind(' ') {
        Some(at) => &kept[..at],
        None => kept.as_str(),
    };
    Ok(Value::from(format!("{cut}{end}")))
}

/// markupsafe's `escape`: Python's `str()` of the value with `&`, `<`, `>`, `'` and
/// `"` replaced (a `/` stays as it is).
pub(super) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Jinja2's `xmlattr(d, autospace=True)`: ` key="value"` for each entry whose value is
/// not none, values escaped; a key with a space, `/`, `>` or `=` is refused.
fn xmlattr(value: Value, autospace: Option<bool>) -> Result<Value, Error> {
    if value.kind() != ValueKind::Map {
        return Err(invalid(format!(
            "xmlattr: '{}' object has no attribute 'items'",
            super::value_format::py_type_name(&value)
        )));
    }
    let mut attributes = Vec::new();
    for key in value.try_iter()? {
        let item = value.get_item(&key)?;
        if item.is_none() || item.is_undefined() {
            continue;
        }
        let key = text(&key)?;
        if key.contains(|c: char| c.is_ascii_whitespace() || "/>=".contains(c)) {
            return Err(invalid(format!(
                "xmlattr: Invalid character in attribute name: '{key}'"
            )));
        }
        attributes.push(format!(
            "{}=\"{}\"",
            html_escape(&key),
            html_escape(&text(&item)?)
        ));
    }
    let joined = attributes.join(" ");
    let spaced = if autospace.unwrap_or(true) && !joined.is_empty() {
        format!(" {joined}")
    } else {
        joined
    };
    Ok(Value::from_safe_string(spaced))
}

/// Jinja2's `wordcount`: runs of word characters (`\w+`).
fn count_words(text: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        let word = c.is_alphanumeric() || c == '_';
        if word && !in_word {
            count += 1;
        }
        in_word = word;
    }
    count
}

/// Jinja2's `urlencode`: a string quoted keeping `/`, a mapping or a list of pairs as
/// a query string (`a=1&b=x%20y`, nothing kept).
fn urlencode(value: Value) -> Result<String, Error> {
    let pairs: Vec<(Value, Value)> = match value.kind() {
        ValueKind::Map => value
            .try_iter()?
            .map(|key| {
                let item = value.get_item(&key).unwrap_or_default();
                (key, item)
            })
            .collect(),
        // Python unpacks each item as `k, v` (a mapping of two keys gives its keys).
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()?
            .map(|pair| match <[Value; 2]>::try_from(items(&pair)?) {
                Ok([key, item]) => Ok((key, item)),
                Err(_) => Err(invalid(format!(
                    "urlencode: cannot unpack {} into a key and a value",
                    super::value_format::py_repr(&pair)
                ))),
            })
            .collect::<Result<_, Error>>()?,
        _ => return Ok(quote(&text(&value)?, "/")),
    };
    let encoded: Result<Vec<String>, Error> = pairs
        .iter()
        .map(|(key, item)| {
            Ok(format!(
                "{}={}",
                quote_for_query(&text(key)?),
                quote_for_query(&text(item)?)
            ))
        })
        .collect();
    Ok(encoded?.join("&"))
}

/// Jinja's `url_quote(text, for_qs=True)`: nothing kept, a space as `+`.
fn quote_for_query(text: &str) -> String {
    quote(text, "").replace("%20", "+")
}

/// Python's `urllib.parse.quote(text, safe)`.
fn quote(text: &str, safe: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || b"_.-~".contains(&byte);
        if unreserved || safe.as_bytes().contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Ansible's `comment(text, style='plain', **kw)`: the text as a comment block in the
/// style's decoration, with its beginning, prefix, postfix and end lines.
fn comment(value: Value, style: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let text = string_only(&value, "comment")?;
    let style = match style {
        Some(style) => style,
        None => kwargs
            .get::<Option<String>>("style")?
            .unwrap_or_else(|| "plain".into()),
    };
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(invalid(format!("comment: unknown style '{other}'"))),
    };
    let given = |name: &str| kwargs.get::<Option<String>>(name);
    let decoration = given("decoration")?.unwrap_or_else(|| decoration.into());
    let newline = given("newline")?.unwrap_or_else(|| "\n".into());
    let beginning = given("beginning")?.unwrap_or_else(|| beginning.into());
    let prefix = given("prefix")?.unwrap_or_else(|| decoration.trim_end().to_string());
    let postfix = given("postfix")?.unwrap_or_else(|| decoration.trim_end().to_string());
    let end = given("end")?.unwrap_or_else(|| end.into());
    let prefix_count = kwargs.get::<Option<usize>>("prefix_count")?.unwrap_or(1);
    let postfix_count = kwargs.get::<Option<usize>>("postfix_count")?.unwrap_or(1);
    kwargs.assert_all_used()?;

    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let line = if prefix == newline {
            newline.clone()
        } else {
            format!("{prefix}{newline}")
        };
        out.push_str(&line.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        text.replace(&newline, &format!("{newline}{decoration}"))
    );
    out.push_str(&body.replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    ));
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_is_jinja2s() {
        let t = |s: &str, n, kill, end: &str| {
            truncated(Value::from(s), Some(n), Some(kill), Some(end.into()), None)
                .unwrap()
                .to_string()
        };
        assert_eq!(t("hello world foo bar", 9, false, "..."), "hello...");
        assert_eq!(t("hello world foo bar", 11, true, ".."), "hello wor..");
        assert_eq!(t("short", 3, false, "..."), "short");
    }

    #[test]
    fn words_and_urls() {
        assert_eq!(count_words("  a  b_c d-e "), 4);
        assert_eq!(urlencode(Value::from("x y/z")).unwrap(), "x%20y/z");
        let map = Value::from_iter([("a", "1"), ("b", "x y")]);
        assert_eq!(urlencode(map).unwrap(), "a=1&b=x+y");
        let pairs = Value::from_serialize(serde_json::json!([["k", "v w"], {"n": 1, "v": 2}]));
        assert_eq!(urlencode(pairs).unwrap(), "k=v+w&n=v");
        let short = Value::from(vec![1, 2, 3]);
        assert_eq!(
            truncated(short.clone(), Some(5), None, None, None).unwrap(),
            short
        );
    }
}
