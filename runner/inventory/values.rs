//! INI inventory values as ansible-core reads them: `ast.literal_eval` of the text,
//! and the text itself when it is not a Python literal (plugins/inventory/ini.py
//! `_parse_value`). So `port=22` is the number 22, `on=True` the boolean, `x=[1, 2]` a
//! list, `name='a b'` the string `a b`, and `v=yes` or `p=/srv` stay strings. Tuples
//! and sets become lists, as they do in Ansible.

use crate::error::Span;
use crate::yaml::{Key, Name, Node, Value};

/// The value of `text` (one INI value), placed at `span`.
pub fn parse(text: &str, span: &Span) -> Node {
    let mut parser = Literal {
        text: text.as_bytes(),
        at: 0,
        span,
    };
    let parsed = parser.value().filter(|_| {
        parser.skip_space();
        parser.at == parser.text.len()
    });
    parsed.unwrap_or_else(|| Node {
        value: Value::Str(text.to_string()),
        span: span.clone(),
    })
}

/// An integer value (a number, or text that is one), as `int()` takes it.
pub fn as_int(node: &Node) -> Option<i64> {
    match &node.value {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.trim().parse().ok(),
        Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    }
}

struct Literal<'a> {
    text: &'a [u8],
    at: usize,
    span: &'a Span,
}

impl Literal<'_> {
    fn node(&self, value: Value) -> Node {
        Node {
            value,
            span: self.span.clone(),
        }
    }

    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_space();
        match self.peek()? {
            b'[' => self.sequence(b'[', b']'),
            b'(' => self.sequence(b'(', b')'),
            b'{' => self.mapping(),
            b'\'' | b'"' => self.strings(),
            b'-' | b'+' | b'0'..=b'9' | b'.' => self.number(),
            _ => self.word(),
        }
    }

    fn sequence(&mut self, open: u8, close: u8) -> Option<Node> {
        self.eat(open);
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(self.node(Value::Seq(items)));
            }
            items.push(self.value()?);
            if !self.eat(b',') {
                return self.eat(close).then(|| self.node(Value::Seq(items)));
            }
        }
    }

    /// A dict (or a set, which Ansible turns into a list).
    fn mapping(&mut self) -> Option<Node> {
        self.eat(b'{');
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut set = Vec::new();
        loop {
            if self.eat(b'}') {
                break;
            }
            let first = self.value()?;
            if self.eat(b':') {
                if !set.is_empty() {
                    return None;
                }
                let value = self.value()?;
                let name = match &first.value {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    Value::Float(f) => f.to_string(),
                    Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                    Value::Null => "None".to_string(),
                    _ => return None,
                };
                entries.retain(|(k, _)| k.name.as_str() != name);
                entries.push((
                    Key::new(Name::from(name.as_str()), self.span.clone()),
                    value,
                ));
            } else {
                if !entries.is_empty() {
                    return None;
                }
                set.push(first);
            }
            if !self.eat(b',') {
                if !self.eat(b'}') {
                    return None;
                }
                break;
            }
        }
        Some(match set.is_empty() {
            true => self.node(Value::Map(entries)),
            false => self.node(Value::Seq(set)),
        })
    }

    /// One or more adjacent string literals (Python joins them).
    fn strings(&mut self) -> Option<Node> {
        let mut joined = String::new();
        while matches!(self.peek(), Some(b'\'' | b'"')) {
            joined.push_str(&self.string()?);
            self.skip_space();
        }
        Some(self.node(Value::Str(joined)))
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        let triple = self.text[self.at..].starts_with(&[quote; 3]);
        self.at += if triple { 3 } else { 1 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let byte = self.peek()?;
            if byte == quote {
                if !triple {
                    self.at += 1;
                    break;
                }
                if self.text[self.at..].starts_with(&[quote; 3]) {
                    self.at += 3;
                    break;
                }
            }
            if byte == b'\n' && !triple {
                return None;
            }
            self.at += 1;
            if byte != b'\\' {
                out.push(byte);
                continue;
            }
            let escaped = self.peek()?;
            self.at += 1;
            match escaped {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'0' => out.push(0),
                b'\\' | b'\'' | b'"' => out.push(escaped),
                b'\n' => {}
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
        }
        String::from_utf8(out).ok()
    }

    fn number(&mut self) -> Option<Node> {
        let start = self.at;
        let mut negative = false;
        while let Some(sign @ (b'-' | b'+')) = self.peek() {
            negative ^= sign == b'-';
            self.at += 1;
            self.skip_space();
        }
        let digits_start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'))
            || (matches!(self.peek(), Some(b'-' | b'+'))
                && matches!(self.text.get(self.at - 1), Some(b'e' | b'E'))
                && !self.text[digits_start..self.at].starts_with(b"0x"))
        {
            self.at += 1;
        }
        let digits = std::str::from_utf8(&self.text[digits_start..self.at]).ok()?;
        if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
            return None;
        }
        let clean = digits.replace('_', "");
        let lower = clean.to_ascii_lowercase();
        let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
            .into_iter()
            .find(|(prefix, _)| lower.starts_with(prefix));
        let value = if let Some((prefix, radix)) = radix {
            let magnitude = i64::from_str_radix(&lower[prefix.len()..], radix).ok()?;
            Value::Int(if negative { -magnitude } else { magnitude })
        } else if lower.bytes().all(|b| b.is_ascii_digit()) {
            // Python refuses `012` (a leading zero) as an integer literal.
            if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|b| b != b'0') {
                return None;
            }
            let magnitude: i64 = lower.parse().ok()?;
            Value::Int(if negative { -magnitude } else { magnitude })
        } else {
            if lower.contains("inf") || lower.contains("nan") || lower.ends_with('j') {
                return None;
            }
            let magnitude: f64 = lower.parse().ok()?;
            Value::Float(if negative { -magnitude } else { magnitude })
        };
        let _ = start;
        Some(self.node(value))
    }

    /// `True`, `False`, `None`; any other bare word is not a literal.
    fn word(&mut self) -> Option<Node> {
        let rest = &self.text[self.at..];
        let end = rest
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .unwrap_or(rest.len());
        let value = match &rest[..end] {
            b"True" => Value::Bool(true),
            b"False" => Value::Bool(false),
            b"None" => Value::Null,
            _ => return None,
        };
        self.at += end;
        Some(self.node(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SpanFile;
    use std::path::Path;

    fn value(text: &str) -> serde_json::Value {
        let span = Span {
            file: SpanFile::of(Path::new("hosts")),
            line: 1,
            col: 1,
            len: 1,
        };
        parse(text, &span).to_json()
    }

    #[test]
    fn python_literals_become_values() {
        assert_eq!(value("22"), serde_json::json!(22));
        assert_eq!(value("-3"), serde_json::json!(-3));
        assert_eq!(value("1.5"), serde_json::json!(1.5));
        assert_eq!(value("0x1f"), serde_json::json!(31));
        assert_eq!(value("True"), serde_json::json!(true));
        assert_eq!(value("None"), serde_json::Value::Null);
        assert_eq!(value("'a b'"), serde_json::json!("a b"));
        assert_eq!(
            value("[1, 'x', (2, 3)]"),
            serde_json::json!([1, "x", [2, 3]])
        );
        assert_eq!(
            value("{'a': 1, 'b': [True]}"),
            serde_json::json!({"a": 1, "b": [true]})
        );
    }

    #[test]
    fn other_text_stays_a_string() {
        for text in [
            "yes", "true", "/srv/x", "012", "1.2.3", "a=b", "{{ x }}", "[1,", "1e",
        ] {
            assert_eq!(value(text), serde_json::json!(text), "{text}");
        }
    }
}
