//! ansible-core's size filters: `human_readable` (bytes to `1.00 KB`) and
//! `human_to_bytes` (`'1 MB'` to 1048576), as module_utils/common/text/formatters.py
//! computes them, units and errors included.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filters::invalid;
use super::value_format::py_text;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("human_readable", human_readable);
    env.add_filter("human_to_bytes", human_to_bytes);
}

/// The unit letters and their powers of two, largest first (`SIZE_RANGES`).
const RANGES: [(&str, u32); 9] = [
    ("Y", 80),
    ("Z", 70),
    ("E", 60),
    ("P", 50),
    ("T", 40),
    ("G", 30),
    ("M", 20),
    ("K", 10),
    ("B", 0),
];

/// The names of each unit, as bytes and as bits (`VALID_UNITS`).
const UNIT_NAMES: [(&str, [&str; 2], [&str; 2]); 9] = [
    ("B", ["byte", "B"], ["bit", "b"]),
    ("K", ["kilobyte", "KB"], ["kilobit", "Kb"]),
    ("M", ["megabyte", "MB"], ["megabit", "Mb"]),
    ("G", ["gigabyte", "GB"], ["gigabit", "Gb"]),
    ("T", ["terabyte", "TB"], ["terabit", "Tb"]),
    ("P", ["petabyte", "PB"], ["petabit", "Pb"]),
    ("E", ["exabyte", "EB"], ["exabit", "Eb"]),
    ("Z", ["zetabyte", "ZB"], ["zetabit", "Zb"]),
    ("Y", ["yottabyte", "YB"], ["yottabit", "Yb"]),
];

/// ansible's `bytes_to_human`: `'%.2f %s' % (size / limit, suffix)`.
fn human_readable(
    size: Value,
    isbits: Option<bool>,
    unit: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let isbits = match kwargs.get::<Option<Value>>("isbits")? {
        Some(value) => Some(value.is_true()),
        None => isbits,
    };
    let unit = kwargs.get::<Option<String>>("unit")?.or(unit);
    kwargs.assert_all_used()?;
    let size = match size.kind() {
        ValueKind::Bool => Value::from(u8::from(size.is_true())),
        ValueKind::Number => size,
        _ => return Err(invalid("human_readable() failed on bad input")),
    };
    let size = f64::try_from(size).map_err(|_| invalid("human_readable() failed on bad input"))?;
    let base = if isbits.unwrap_or(false) {
        "bits"
    } else {
        "Bytes"
    };
    let wanted = unit
        .as_deref()
        .and_then(|u| u.chars().next())
        .map(|c| c.to_ascii_uppercase());
    let (mut suffix, mut shift) = RANGES[RANGES.len() - 1];
    for (name, bits) in RANGES {
        (suffix, shift) = (name, bits);
        let limit = 2f64.powi(bits as i32);
        let matches = match wanted {
            None => size >= limit,
            Some(c) => name.starts_with(c),
        };
        if matches {
            break;
        }
    }
    let limit = 2f64.powi(shift as i32);
    let suffix = if shift != 0 {
        format!("{suffix}{}", &base[..1])
    } else {
        base.to_string()
    };
    Ok(format!("{:.2} {suffix}", size / limit))
}

/// ansible's `human_to_bytes(number, default_unit=None, isbits=False)`.
fn human_to_bytes(
    size: Value,
    default_unit: Option<String>,
    isbits: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default_unit = match kwargs.get::<Option<String>>("default_unit")? {
        Some(unit) => Some(unit),
        None => default_unit,
    };
    let isbits = match kwargs.get::<Option<Value>>("isbits")? {
        Some(value) => value.is_true(),
        None => isbits.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let cannot = || invalid("human_to_bytes() can't interpret the input");
    let text = py_text(&size);
    let text = text.trim_end();
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let unit = unit.trim_start();
    let valid_number = number.bytes().filter(|&b| b == b'.').count() <= 1
        && number.bytes().last().is_some_and(|b| b.is_ascii_digit());
    if !valid_number || !unit.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(cannot());
    }
    let number: f64 = number.parse().map_err(|_| cannot())?;
    let unit = match (unit, default_unit) {
        ("", None) => return Ok(Value::from(number.round_ties_even() as i64)),
        ("", Some(unit)) => unit,
        (unit, _) => unit.to_string(),
    };
    let Some(first) = unit.chars().next().map(|c| c.to_ascii_uppercase()) else {
        return Err(cannot());
    };
    let Some((_, shift)) = RANGES.iter().find(|(name, _)| name.starts_with(first)) else {
        return Err(cannot());
    };
    if unit.chars().count() > 1 {
        let Some((_, bytes, bits)) = UNIT_NAMES.iter().find(|(key, _, _)| key.starts_with(first))
        else {
            return Err(cannot());
        };
        let [long, short] = if isbits { bits } else { bytes };
        if unit.to_lowercase() != *long && unit != *short {
            return Err(cannot());
        }
    }
    let bytes = (number * 2f64.powi(*shift as i32)).round_ties_even();
    if bytes.abs() < 2f64.powi(63) {
        Ok(Value::from(bytes as i64))
    } else {
        Ok(Value::from(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_bytes(text: &str, unit: Option<&str>, isbits: bool) -> Result<Value, Error> {
        human_to_bytes(
            Value::from(text),
            unit.map(String::from),
            Some(isbits),
            Kwargs::from_iter(Vec::<(&str, Value)>::new()),
        )
    }

    #[test]
    fn human_to_bytes_as_ansible() {
        assert_eq!(
            to_bytes("1 MB", None, false).unwrap(),
            Value::from(1_048_576)
        );
        assert_eq!(to_bytes("2K", None, false).unwrap(), Value::from(2048));
        assert_eq!(
            to_bytes("10", Some("M"), false).unwrap(),
            Value::from(10_485_760)
        );
        assert_eq!(
            to_bytes("1.5 kilobyte", None, false).unwrap(),
            Value::from(1536)
        );
        assert_eq!(to_bytes("1Mb", None, true).unwrap(), Value::from(1_048_576));
        assert_eq!(to_bytes("2.5", None, false).unwrap(), Value::from(2));
        assert!(to_bytes("1Mb", None, false).is_err());
        assert!(to_bytes("1 XB", None, false).is_err());
        assert!(to_bytes("abc", None, false).is_err());
        assert!(to_bytes("1.", None, false).is_err());
    }
}
