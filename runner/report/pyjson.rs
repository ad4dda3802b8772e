//! JSON the way Ansible prints it on screen: Python's `json.dumps` with sorted keys,
//! `", "`/`": "` separators on one line, or 4-space indentation for `debug`-style
//! results. Machines get serde_json's own compact form (json.rs); this is for people
//! comparing our output with Ansible's.

use serde_json::Value;

/// `json.dumps(value, sort_keys=True)` (`indent: None`) or with `indent=N`.
pub(crate) fn dump(value: &Value, indent: Option<usize>) -> String {
    let mut out = String::new();
    write(&mut out, value, indent, 0);
    out
}

fn write(out: &mut String, value: &Value, indent: Option<usize>, depth: usize) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, indent, depth + 1);
                write(out, item, indent, depth + 1);
            }
            close(out, ']', indent, depth);
        }
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                separator(out, i, indent, depth + 1);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write(out, item, indent, depth + 1);
            }
            close(out, '}', indent, depth);
        }
        // Scalars, `[]` and `{}`: serde_json writes them as Python does (strings with
        // only `"`, `\` and control characters escaped, like `ensure_ascii=False`).
        other => out.push_str(&other.to_string()),
    }
}

fn separator(out: &mut String, index: usize, indent: Option<usize>, depth: usize) {
    match indent {
        Some(width) => {
            if index > 0 {
                out.push(',');
            }
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
        None if index > 0 => out.push_str(", "),
        None => {}
    }
}

fn close(out: &mut String, bracket: char, indent: Option<usize>, depth: usize) {
    if let Some(width) = indent {
        out.push('\n');
        out.push_str(&" ".repeat(width * depth));
    }
    out.push(bracket);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_like_python() {
        let v = json!({"msg": "é \"x\"\n", "changed": false, "list": [1, "a", {}, []]});
        assert_eq!(
            dump(&v, None),
            r#"{"changed": false, "list": [1, "a", {}, []], "msg": "é \"x\"\n"}"#
        );
    }

    #[test]
    fn indented_like_python() {
        let v = json!({"msg": "hello", "a": {"b": [1, 2], "c": {}}});
        assert_eq!(
            dump(&v, Some(4)),
            "{\n    \"a\": {\n        \"b\": [\n            1,\n            2\n        ],\n        \"c\": {}\n    },\n    \"msg\": \"hello\"\n}"
        );
    }
}
