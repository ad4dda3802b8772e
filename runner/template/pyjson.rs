//! JSON as Ansible writes it — Python's `json.dumps`: `", "` and `": "` separators,
//! `\uXXXX` for non-ASCII (ensure_ascii), Python float digits; `to_nice_json` is
//! indent 4 with sorted keys. serde_json's output differs in each of these, so the
//! writer is our own. Reading (`from_json`) is plain serde_json.

use std::fmt::Write;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filters::invalid;
use super::value_format::{py_number, py_str};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_json", |value: Value, kwargs: Kwargs| {
        let options = Options::from_kwargs(&kwargs, None, false)?;
        dumps(&value, &options)
    });
    env.add_filter(
        "to_nice_json",
        |value: Value, indent: Option<usize>, kwargs: Kwargs| {
            let options = Options::from_kwargs(&kwargs, Some(indent.unwrap_or(4)), true)?;
            dumps(&value, &options)
        },
    );
    env.add_filter("from_json", from_json);
}

/// The `json.dumps` options Ansible's filters pass through.
pub(crate) struct Options {
    pub indent: Option<usize>,
    pub sort_keys: bool,
    pub ensure_ascii: bool,
    /// `separators=(item, key)`; Python's defaults otherwise.
    pub separators: Option<(String, String)>,
}

impl Options {
    fn from_kwargs(
        kwargs: &Kwargs,
        indent: Option<usize>,
        sort_keys: bool,
    ) -> Result<Options, Error> {
        let options = Options {
            indent: kwargs.get::<Option<usize>>("indent")?.or(indent),
            sort_keys: kwargs
                .get::<Option<bool>>("sort_keys")?
                .unwrap_or(sort_keys),
            ensure_ascii: kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true),
            separators: match kwargs.get::<Option<Value>>("separators")? {
                None => None,
                Some(pair) if pair.is_none() => None,
                Some(pair) => match pair.try_iter()?.collect::<Vec<_>>().as_slice() {
                    [item, key] if item.as_str().is_some() && key.as_str().is_some() => Some((
                        item.as_str().unwrap_or_default().to_string(),
                        key.as_str().unwrap_or_default().to_string(),
                    )),
                    _ => return Err(invalid("to_json: separators must be a pair of strings")),
                },
            },
        };
        kwargs.assert_all_used()?;
        Ok(options)
    }
}

pub(crate) fn dumps(value: &Value, options: &Options) -> Result<String, Error> {
    let mut out = String::new();
    write_value(&mut out, value, options, 0)?;
    Ok(out)
}

fn newline(out: &mut String, options: &Options, depth: usize) {
    if let Some(indent) = options.indent {
        out.push('\n');
        out.push_str(&" ".repeat(indent * depth));
    }
}

fn item_separator(options: &Options) -> &str {
    if let Some((item, _)) = &options.separators {
        item
    } else if options.indent.is_some() {
        ","
    } else {
        ", "
    }
}

fn write_value(
    out: &mut String,
    value: &Value,
    options: &Options,
    depth: usize,
) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Undefined => return Err(Error::from(minijinja::ErrorKind::UndefinedError)),
        ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&json_number(value)),
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_separator(options));
                }
                newline(out, options, depth + 1);
                write_value(out, item, options, depth + 1)?;
            }
            newline(out, options, depth);
            out.push(']');
        }
        ValueKind::Map => {
            let mut entries: Vec<(String, Value)> = value
                .try_iter()?
                .map(|key| {
                    let item = value.get_item(&key).unwrap_or_default();
                    (json_key(&key), item)
                })
                .collect();
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            if options.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_separator(options));
                }
                newline(out, options, depth + 1);
                write_string(out, key, options.ensure_ascii);
                out.push_str(options.separators.as_ref().map_or(": ", |(_, key)| key));
                write_value(out, item, options, depth + 1)?;
            }
            newline(out, options, depth);
            out.push('}');
        }
        _ => {
            let text = super::datetime::json_text(value).unwrap_or_else(|| py_str(value));
            write_string(out, &text, options.ensure_ascii)
        }
    }
    Ok(())
}

fn json_number(value: &Value) -> String {
    let text = py_number(value);
    match text.as_str() {
        "inf" => "Infinity".into(),
        "-inf" => "-Infinity".into(),
        "nan" => "NaN".into(),
        _ => text,
    }
}

/// A mapping key as `json.dumps` converts it to a string.
fn json_key(key: &Value) -> String {
    match key.kind() {
        ValueKind::None => "null".into(),
        ValueKind::Bool => if key.is_true() { "true" } else { "false" }.into(),
        ValueKind::Number => json_number(key),
        _ => py_str(key),
    }
}

fn write_string(out: &mut String, text: &str, ensure_ascii: bool) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || (ensure_ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn from_json(value: Value) -> Result<Value, Error> {
    let source = super::filters::string_only(&value, "from_json")?;
    let parsed: serde_json::Value =
        serde_json::from_str(&source).map_err(|err| invalid(format!("from_json: {err}")))?;
    Ok(Value::from_serialize(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(json: serde_json::Value) -> Value {
        Value::from_serialize(json)
    }

    #[test]
    fn compact_like_python() {
        let v = value(serde_json::json!({"b": [1, 2.0, {"x": "é\n"}], "a": null, "c": true}));
        let options = Options {
            indent: None,
            sort_keys: false,
            ensure_ascii: true,
            separators: None,
        };
        assert_eq!(
            dumps(&v, &options).unwrap(),
            r#"{"b": [1, 2.0, {"x": "\u00e9\n"}], "a": null, "c": true}"#
        );
    }

    #[test]
    fn nice_like_python() {
        // python3 -c 'import json; print(json.dumps({"b": [1, {}], "a": []}, indent=4,
        //   sort_keys=True, separators=(",", ": ")))'
        let v = value(serde_json::json!({"b": [1, {}], "a": []}));
        let options = Options {
            indent: Some(4),
            sort_keys: true,
            ensure_ascii: true,
            separators: None,
        };
        assert_eq!(
            dumps(&v, &options).unwrap(),
            "{\n    \"a\": [],\n    \"b\": [\n        1,\n        {}\n    ]\n}"
        );
    }
}
