//! Just enough JSON for a plugin: a parser for the request and a printer for the
//! answer (keys keep their order, as machinist sends them).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number, as written.
    Num(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn text(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    pub fn object<'a>(fields: impl IntoIterator<Item = (&'a str, Json)>) -> Json {
        Json::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Num(n) => f.write_str(n),
            Json::Str(s) => quoted(s, f),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(fields) => {
                f.write_str("{")?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    quoted(key, f)?;
                    write!(f, ": {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn quoted(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Parse one JSON value (and nothing after it but whitespace).
pub fn parse(text: &str) -> Result<Json, String> {
    let mut parser = Parser {
        chars: text.char_indices().peekable(),
        text,
    };
    let value = parser.value()?;
    parser.space();
    match parser.chars.peek() {
        None => Ok(value),
        Some(&(at, _)) => Err(format!("unexpected text at byte {at} of the request")),
    }
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    }

    fn expect(&mut self, wanted: char) -> Result<(), String> {
        match self.chars.next() {
            Some((_, c)) if c == wanted => Ok(()),
            Some((at, c)) => Err(format!("expected '{wanted}' at byte {at}, found '{c}'")),
            None => Err(format!("expected '{wanted}', found the end")),
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.space();
        let Some(&(at, c)) = self.chars.peek() else {
            return Err("expected a value, found the end".into());
        };
        match c {
            '{' => self.object(),
            '[' => self.array(),
            '"' => self.string().map(Json::Str),
            't' => self.word("true", Json::Bool(true)),
            'f' => self.word("false", Json::Bool(false)),
            'n' => self.word("null", Json::Null),
            '-' | '0'..='9' => {
                let start = at;
                let mut end = at;
                while let Some((i, c)) = self
                    .chars
                    .next_if(|(_, c)| matches!(c, '0'..='9' | '-' | '+' | '.' | 'e' | 'E'))
                {
                    end = i + c.len_utf8();
                }
                Ok(Json::Num(self.text[start..end].to_string()))
            }
            c => Err(format!("unexpected '{c}' at byte {at}")),
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, String> {
        for wanted in word.chars() {
            self.expect(wanted)?;
        }
        Ok(value)
    }

    fn object(&mut self) -> Result<Json, String> {
        self.expect('{')?;
        let mut fields = Vec::new();
        self.space();
        if self.chars.next_if(|(_, c)| *c == '}').is_some() {
            return Ok(Json::Object(fields));
        }
        loop {
            self.space();
            let key = self.string()?;
            self.space();
            self.expect(':')?;
            fields.push((key, self.value()?));
            self.space();
            match self.chars.next() {
                Some((_, ',')) => continue,
                Some((_, '}')) => return Ok(Json::Object(fields)),
                _ => return Err("expected ',' or '}' in an object".into()),
            }
        }
    }

    fn array(&mut self) -> Result<Json, String> {
        self.expect('[')?;
        let mut items = Vec::new();
        self.space();
        if self.chars.next_if(|(_, c)| *c == ']').is_some() {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.space();
            match self.chars.next() {
                Some((_, ',')) => continue,
                Some((_, ']')) => return Ok(Json::Array(items)),
                _ => return Err("expected ',' or ']' in a list".into()),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect('"')?;
        let mut out = String::new();
        loop {
            match self.chars.next() {
                None => return Err("unterminated string".into()),
                Some((_, '"')) => return Ok(out),
                Some((_, '\\')) => match self.chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('u') => out.push(self.unicode()?),
                    Some(c @ ('"' | '\\' | '/')) => out.push(c),
                    _ => return Err("invalid escape in a string".into()),
                },
                Some((_, c)) => out.push(c),
            }
        }
    }

    /// `\uXXXX`, surrogate pairs included.
    fn unicode(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            self.expect('\\')?;
            self.expect('u')?;
            let low = self.hex4()?;
            0x10000 + ((first - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| "invalid \\u escape".to_string())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .chars
                .next()
                .and_then(|(_, c)| c.to_digit(16))
                .ok_or("invalid \\u escape")?;
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = r#"{"a": [1, -2.5e3, true, null], "b": "x\"\\\n\u00e9\ud83d\ude00"}"#;
        let value = parse(text);
        assert_eq!(
            value.as_ref().map(|v| v.get("b").cloned()),
            Ok(Some(Json::text("x\"\\\né😀")))
        );
        let printed = value.map(|v| v.to_string()).unwrap_or_default();
        assert_eq!(parse(&printed).ok(), parse(text).ok());
        assert!(parse("{\"a\": }").is_err());
        assert!(parse("{} x").is_err());
    }
}
