//! The lookups that make lists out of their terms: `dict` (a mapping's items as
//! `{key, value}`) and `sequence` (numbers from `start=1 end=5 stride=1 format=%d` or
//! the short form `[start-]end[/stride][:format]`, and `count=N`), as ansible-core's
//! plugins of the same names give them. Also what `with_dict` and `with_sequence`
//! loop over.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Error, ErrorKind, Value};

use super::filters::text;

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// `lookup('dict', mapping)`: one `{key, value}` per entry, in order.
pub(crate) fn dict_lookup(terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in terms {
        if term.kind() != ValueKind::Map {
            return Err(invalid(format!(
                "with_dict expects a dict, got {}",
                super::value_format::py_type_name(term)
            )));
        }
        for key in term.try_iter()? {
            let value = term.get_item(&key).unwrap_or_default();
            out.push(Value::from_iter([("key", key), ("value", value)]));
        }
    }
    Ok(out)
}

/// `lookup('sequence', 'start=1 end=3')`: the numbers as formatted strings.
/// `lookup('sequence', 'start=1 end=3')`; the keywords (`start=1, end=3`) give the
/// same settings, as the defaults of each term or, with no term, the one sequence.
pub(crate) fn sequence_lookup(terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let base = Spec::from_kwargs(kwargs)?;
    let mut out = Vec::new();
    if terms.is_empty() {
        out.extend(base.values()?.into_iter().map(Value::from));
    }
    for term in terms {
        let spec = Spec::parse(&text(term)?, base.clone())?;
        out.extend(spec.values()?.into_iter().map(Value::from));
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct Spec {
    start: i64,
    end: Option<i64>,
    count: Option<i64>,
    stride: i64,
    format: String,
}

impl Spec {
    fn default_spec() -> Spec {
        Spec {
            start: 1,
            end: None,
            count: None,
            stride: 1,
            format: "%d".into(),
        }
    }

    fn from_kwargs(kwargs: &Kwargs) -> Result<Spec, Error> {
        let mut spec = Spec::default_spec();
        for key in ["start", "end", "count", "stride", "format"] {
            let Some(value) = kwargs.get::<Option<Value>>(key)? else {
                continue;
            };
            let value = value.to_string();
            match key {
                "start" => spec.start = number(&value)?,
                "end" => spec.end = Some(number(&value)?),
                "count" => spec.count = Some(number(&value)?),
                "stride" => spec.stride = number(&value)?,
                _ => spec.format = value,
            }
        }
        kwargs.assert_all_used()?;
        Ok(spec)
    }

    fn parse(term: &str, base: Spec) -> Result<Spec, Error> {
        let mut spec = base;
        let term = term.trim();
        if !term.contains('=') {
            spec.parse_short(term)?;
            return Ok(spec);
        }
        for pair in term.split_whitespace() {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("sequence: can't parse arg '{pair}'")))?;
            match key {
                "start" => spec.start = number(value)?,
                "end" => spec.end = Some(number(value)?),
                "count" => spec.count = Some(number(value)?),
                "stride" => spec.stride = number(value)?,
                "format" => spec.format = value.to_string(),
                other => {
                    return Err(invalid(format!(
                        "sequence: unrecognized arguments to with_sequence: '{other}'"
                    )))
                }
            }
        }
        Ok(spec)
    }

    /// `[start-]end[/stride][:format]`.
    fn parse_short(&mut self, term: &str) -> Result<(), Error> {
        let (range, format) = match term.split_once(':') {
            Some((range, format)) => (range, Some(format)),
            None => (term, None),
        };
        let (range, stride) = match range.split_once('/') {
            Some((range, stride)) => (range, Some(stride)),
            None => (range, None),
        };
        let (start, end) = match range.split_once('-') {
            Some((start, end)) if !start.is_empty() => (Some(start), end),
            _ => (None, range),
        };
        if let Some(start) = start {
            self.start = number(start)?;
        }
        self.end = Some(number(end)?);
        if let Some(stride) = stride {
            self.stride = number(stride)?;
        }
        if let Some(format) = format {
            self.format = format.to_string();
        }
        Ok(())
    }

    fn values(&self) -> Result<Vec<String>, Error> {
        let end = match (self.end, self.count) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "sequence: can't specify both count and end in with_sequence".into(),
                ))
            }
            (Some(end), None) => end,
            (None, Some(0)) => return Ok(Vec::new()),
            (None, Some(count)) => self.start + (count - 1) * self.stride,
            (None, None) => {
                return Err(invalid(
                    "sequence: must specify count or end in with_sequence".into(),
                ))
            }
        };
        if self.stride == 0 {
            return Ok(Vec::new());
        }
        if (self.stride > 0 && end < self.start) || (self.stride < 0 && end > self.start) {
            return Err(invalid(
                "sequence: to count backwards make stride negative".into(),
            ));
        }
        let mut out = Vec::new();
        let mut at = self.start;
        while (self.stride > 0 && at <= end) || (self.stride < 0 && at >= end) {
            if out.len() >= MAX_ITEMS {
                return Err(invalid(format!("sequence: more than {MAX_ITEMS} items")));
            }
            out.push(printf_int(&self.format, at)?);
            at += self.stride;
        }
        Ok(out)
    }
}

/// A bound on one sequence, far above any loop a playbook means.
const MAX_ITEMS: usize = 1_000_000;

/// A number as Python's `int(x, 0)` reads it (`10`, `0x1f`, `0o17`).
fn number(text: &str) -> Result<i64, Error> {
    let bad = || invalid(format!("sequence: can't parse '{text}' as a number"));
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16)
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i64::from_str_radix(octal, 8)
    } else {
        digits.parse()
    };
    value.map(|v| sign * v).map_err(|_| bad())
}

/// Python's `format % number` for one conversion (`%d`, `%02d`, `%x`, `%o`, `%s`),
/// with `%%` and literal text around it.
fn printf_int(format: &str, value: i64) -> Result<String, Error> {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    let mut used = false;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek().filter(|f| "-0 +".contains(**f)) {
            flags.push(f);
            chars.next();
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let conversion = chars
            .next()
            .ok_or_else(|| invalid(format!("sequence: bad format string '{format}'")))?;
        if used {
            return Err(invalid(format!("sequence: bad format string '{format}'")));
        }
        used = true;
        let digits = match conversion {
            'd' | 'i' | 'u' | 's' => value.abs().to_string(),
            'x' => format!("{:x}", value.abs()),
            'X' => format!("{:X}", value.abs()),
            'o' => format!("{:o}", value.abs()),
            _ => return Err(invalid(format!("sequence: bad format string '{format}'"))),
        };
        let sign = if value < 0 {
            "-"
        } else if flags.contains('+') {
            "+"
        } else if flags.contains(' ') {
            " "
        } else {
            ""
        };
        let width: usize = width.parse().unwrap_or(0);
        let len = sign.len() + digits.len();
        let pad = width.saturating_sub(len);
        if flags.contains('-') {
            out.push_str(&format!("{sign}{digits}{}", " ".repeat(pad)));
        } else if flags.contains('0') && conversion != 's' {
            out.push_str(&format!("{sign}{}{digits}", "0".repeat(pad)));
        } else {
            out.push_str(&format!("{}{sign}{digits}", " ".repeat(pad)));
        }
    }
    if !used {
        return Err(invalid(format!("sequence: bad format string '{format}'")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(term: &str) -> Vec<String> {
        Spec::parse(term, Spec::default_spec())
            .unwrap()
            .values()
            .unwrap()
    }

    #[test]
    fn long_and_short_forms() {
        assert_eq!(seq("start=1 end=3"), ["1", "2", "3"]);
        assert_eq!(seq("start=0 end=10 stride=5"), ["0", "5", "10"]);
        assert_eq!(
            seq("count=3 format=host%02d"),
            ["host01", "host02", "host03"]
        );
        assert_eq!(seq("4-8/2:web%d"), ["web4", "web6", "web8"]);
        assert_eq!(seq("3"), ["1", "2", "3"]);
        assert_eq!(seq("start=5 end=1 stride=-2"), ["5", "3", "1"]);
        assert_eq!(seq("start=0x0f end=0x11 format=%x"), ["f", "10", "11"]);
        assert!(Spec::parse("start=1 end=3 count=2", Spec::default_spec())
            .unwrap()
            .values()
            .is_err());
        assert!(Spec::parse("start=3 end=1", Spec::default_spec())
            .unwrap()
            .values()
            .is_err());
    }
}
