//! `to_datetime`: Python's `datetime.strptime(string, format)` (the regular expression
//! `_strptime` builds from the format, the whole string matched, case ignored) and the
//! value it returns: `year`, `month`, `day`, `hour`, `minute`, `second`,
//! `microsecond`, `strftime()`, `isoformat()`, `timestamp()`, `weekday()`,
//! `isoweekday()`, shown as `str(datetime)` shows it. `a - b` of two of them is a
//! `timedelta` (template/datetime_minus.rs).

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr, Value, ValueKind};
use minijinja::{Environment, Error, State};
use regex::Regex;

use super::datetime_minus::TimeDelta;
use super::filters::invalid;
use super::value_format::{py_repr, py_type_name};

pub(crate) fn register(env: &mut Environment<'static>) {
    super::datetime_minus::register(env);
    env.add_filter("to_datetime", |string: Value, format: Option<Value>| {
        if string.kind() != ValueKind::String {
            return Err(invalid(format!(
                "strptime() argument 1 must be str, not {}",
                py_type_name(&string)
            )));
        }
        let format = match format {
            None => "%Y-%m-%d %H:%M:%S".to_string(),
            Some(f) if f.kind() == ValueKind::String => f.as_str().unwrap_or_default().into(),
            Some(f) => {
                return Err(invalid(format!(
                    "strptime() argument 2 must be str, not {}",
                    py_type_name(&f)
                )))
            }
        };
        strptime(string.as_str().unwrap_or_default(), &format).map(Value::from_object)
    });
}

/// A Python `datetime`; `offset` (seconds east of UTC) when `%z` gave one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DateTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    microsecond: u32,
    offset: Option<i64>,
}

/// The pattern of each directive, as Python's `_strptime.TimeRE` has it (C locale).
fn directive(code: char) -> Option<&'static str> {
    Some(match code {
        'd' => r"(?P<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9])",
        'f' => r"(?P<f>[0-9]{1,6})",
        'H' => r"(?P<H>2[0-3]|[0-1]\d|\d)",
        'I' => r"(?P<I>1[0-2]|0[1-9]|[1-9])",
        'j' => r"(?P<j>36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])",
        'm' => r"(?P<m>1[0-2]|0[1-9]|[1-9])",
        'M' => r"(?P<M>[0-5]\d|\d)",
        'S' => r"(?P<S>6[0-1]|[0-5]\d|\d)",
        'w' => r"(?P<w>[0-6])",
        'u' => r"(?P<u>[1-7])",
        'y' => r"(?P<y>\d\d)",
        'Y' => r"(?P<Y>\d\d\d\d)",
        'z' => r"(?P<z>[+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|(?-i:Z))",
        'p' => r"(?P<p>am|pm)",
        'b' | 'h' => r"(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
        'B' => {
            r"(?P<B>january|february|march|april|may|june|july|august|september|october|november|december)"
        }
        'a' => r"(?P<a>mon|tue|wed|thu|fri|sat|sun)",
        'A' => r"(?P<A>monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
        'T' => r"(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)",
        'F' => {
            r"(?P<Y>\d\d\d\d)-(?P<m>1[0-2]|0[1-9]|[1-9])-(?P<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9])"
        }
        _ => return None,
    })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Python's `datetime.now()`: the local time, to the microsecond, naive (no offset).
pub(crate) fn now_local() -> Result<DateTime, Error> {
    now(false)
}

/// `datetime.now()` (`utc`: `datetime.utcnow()`), naive either way, as Ansible's
/// `now()` global returns it.
pub(crate) fn now(utc: bool) -> Result<DateTime, Error> {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|err| invalid(format!("the clock is before 1970: {err}")))?;
    let seconds = since_epoch.as_secs() as f64;
    let text = super::time_filters::strftime("%Y-%m-%d %H:%M:%S", seconds, utc)?;
    let mut now = strptime(&text, "%Y-%m-%d %H:%M:%S")?;
    now.microsecond = since_epoch.subsec_micros();
    Ok(now)
}

/// Now as Python's `str(datetime.now())` writes it (`2026-12-07 06:15:05.179454`):
/// the `start`/`end` Ansible's command and pause register.
pub(crate) fn now_text() -> String {
    match now_local() {
        Ok(now) => now.to_string(),
        Err(err) => err.to_string(),
    }
}

pub(crate) fn strptime(data: &str, format: &str) -> Result<DateTime, Error> {
    let mut pattern = String::from("(?i)^");
    let mut chars = format.chars().peekable();
    let mut used = Vec::new();
    while let Some(c) = chars.next() {
        if c == '%' {
            let Some(code) = chars.next() else {
                return Err(invalid(format!("stray % in format '{format}'")));
            };
            if code == '%' {
                pattern.push('%');
                continue;
            }
            let Some(regex) = directive(code) else {
                return Err(invalid(format!(
                    "'{code}' is a bad directive in format '%{code}'"
                )));
            };
            if used.contains(&code) {
                return Err(invalid(format!(
                    "to_datetime: the directive %{code} is used twice in '{format}' (Python's re refuses a group defined twice)"
                )));
            }
            used.push(code);
            pattern.push_str(regex);
        } else if c.is_whitespace() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            pattern.push_str(r"\s+");
        } else {
            pattern.push_str(&regex::escape(&c.to_string()));
        }
    }
    let regex = Regex::new(&pattern).map_err(|err| invalid(format!("to_datetime: {err}")))?;
    let mismatch = || {
        invalid(format!(
            "time data {} does not match format {}",
            py_repr(&Value::from(data)),
            py_repr(&Value::from(format))
        ))
    };
    let found = regex.captures(data).ok_or_else(mismatch)?;
    let end = found.get(0).map_or(0, |m| m.end());
    if end != data.len() {
        return Err(invalid(format!(
            "unconverted data remains: {}",
            &data[end..]
        )));
    }
    let number = |name: &str| -> Option<i64> {
        found
            .name(name)
            .and_then(|m| m.as_str().trim().parse().ok())
    };
    let mut year = number("Y").unwrap_or(1900);
    if let Some(short) = number("y") {
        year = if short <= 68 {
            2000 + short
        } else {
            1900 + short
        };
    }
    let mut month = number("m");
    if let Some(name) = found.name("b").or(found.name("B")) {
        let prefix = name.as_str()[..3].to_ascii_lowercase();
        month = MONTHS
            .iter()
            .position(|m| *m == prefix)
            .map(|i| i as i64 + 1);
    }
    let mut day = number("d");
    let mut hour = number("H").unwrap_or(0);
    if let Some(twelve) = number("I") {
        let pm = found
            .name("p")
            .is_some_and(|p| p.as_str().eq_ignore_ascii_case("pm"));
        hour = match (twelve, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let microsecond = found
        .name("f")
        .map(|f| format!("{:0<6}", f.as_str()).parse::<u32>().unwrap_or(0))
        .unwrap_or(0);
    let offset = found
        .name("z")
        .map(|z| utc_offset(z.as_str()))
        .transpose()?;
    if let (Some(julian), None, None) = (number("j"), month, day) {
        let first = days_from_civil(year, 1, 1);
        let (_, m, d) = civil_from_days(first + julian - 1);
        month = Some(i64::from(m));
        day = Some(i64::from(d));
    }
    let month = month.unwrap_or(1) as u32;
    let day = day.unwrap_or(1) as u32;
    if day > days_in_month(year, month) {
        return Err(invalid("day is out of range for month"));
    }
    Ok(DateTime {
        year,
        month,
        day,
        hour: hour as u32,
        minute: number("M").unwrap_or(0) as u32,
        second: number("S").unwrap_or(0) as u32,
        microsecond,
        offset,
    })
    .and_then(|dt| {
        if dt.second > 59 {
            Err(invalid("second must be in 0..59"))
        } else {
            Ok(dt)
        }
    })
}

/// `%z`: `Z`, `+HHMM`, `+HH:MM`, `+HH:MM:SS[.ffffff]` (fractions dropped).
fn utc_offset(text: &str) -> Result<i64, Error> {
    if text.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits: String = text[1..]
        .split('.')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let part = |range: std::ops::Range<usize>| -> i64 {
        digits.get(range).and_then(|s| s.parse().ok()).unwrap_or(0)
    };
    Ok(sign * (part(0..2) * 3600 + part(2..4) * 60 + part(4..6)))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl DateTime {
    fn days(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// Python's `weekday()`: Monday is 0.
    fn weekday(&self) -> i64 {
        (self.days() + 3).rem_euclid(7)
    }

    /// `self - other`: Python refuses to mix naive and aware values.
    pub(crate) fn minus(&self, other: &DateTime) -> Result<TimeDelta, Error> {
        let (mine, theirs) = match (self.offset, other.offset) {
            (None, None) => (0, 0),
            (Some(mine), Some(theirs)) => (mine, theirs),
            _ => {
                return Err(invalid(
                    "can't subtract offset-naive and offset-aware datetimes",
                ))
            }
        };
        let micros = |dt: &DateTime, offset: i64| {
            (dt.days() * 86_400 + dt.seconds_of_day() - offset) * 1_000_000
                + i64::from(dt.microsecond)
        };
        Ok(TimeDelta::from_microseconds(
            micros(self, mine) - micros(other, theirs),
        ))
    }

    fn seconds_of_day(&self) -> i64 {
        i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }

    /// Python's `timestamp()`: an aware value by its offset, a naive one as local time.
    fn timestamp(&self) -> Result<f64, Error> {
        let whole = match self.offset {
            Some(offset) => self.days() * 86_400 + self.seconds_of_day() - offset,
            None => local_epoch(self)?,
        };
        Ok(whole as f64 + f64::from(self.microsecond) / 1e6)
    }

    fn offset_text(&self, colon: bool) -> String {
        let Some(offset) = self.offset else {
            return String::new();
        };
        let sign = if offset < 0 { '-' } else { '+' };
        let offset = offset.abs();
        let (h, m, s) = (offset / 3600, offset / 60 % 60, offset % 60);
        let sep = if colon { ":" } else { "" };
        let mut text = format!("{sign}{h:02}{sep}{m:02}");
        if s != 0 {
            text.push_str(&format!("{sep}{s:02}"));
        }
        text
    }

    fn isoformat(&self, sep: &str) -> String {
        let mut text = format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.microsecond != 0 {
            text.push_str(&format!(".{:06}", self.microsecond));
        }
        text.push_str(&self.offset_text(true));
        text
    }

    /// Python's `datetime.strftime`: `%f`, `%z` and `%Z` by Python, the rest by the C
    /// library (as `time.strftime` is) on this date's fields.
    pub(crate) fn strftime(&self, format: &str) -> Result<String, Error> {
        let mut prepared = String::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                prepared.push(c);
                continue;
            }
            match chars.next() {
                Some('f') => prepared.push_str(&format!("{:06}", self.microsecond)),
                Some('z') => prepared.push_str(&self.offset_text(false)),
                Some('Z') => prepared.push_str(if self.offset.is_some() { "UTC" } else { "" }),
                Some(other) => {
                    prepared.push('%');
                    prepared.push(other);
                }
                None => prepared.push('%'),
            }
        }
        let seconds = self.days() * 86_400 + self.seconds_of_day();
        super::time_filters::strftime(&prepared, seconds as f64, true)
    }
}

/// `mktime` of the fields read as the controller's local time.
fn local_epoch(dt: &DateTime) -> Result<i64, Error> {
    // SAFETY: `tm` is plain data; mktime reads and normalises it only.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = (dt.year - 1900) as libc::c_int;
    tm.tm_mon = dt.month as libc::c_int - 1;
    tm.tm_mday = dt.day as libc::c_int;
    tm.tm_hour = dt.hour as libc::c_int;
    tm.tm_min = dt.minute as libc::c_int;
    tm.tm_sec = dt.second as libc::c_int;
    tm.tm_isdst = -1;
    let time = unsafe { libc::mktime(&mut tm) };
    if time == -1 && dt.year != 1969 {
        return Err(invalid("timestamp: the date is out of range"));
    }
    Ok(time)
}

impl DateTime {
    /// Python's order of two naive datetimes: by their fields, earliest first.
    pub(crate) fn order(&self, other: &DateTime) -> std::cmp::Ordering {
        let fields = |d: &DateTime| {
            (
                d.year,
                d.month,
                d.day,
                d.hour,
                d.minute,
                d.second,
                d.microsecond,
            )
        };
        fields(self).cmp(&fields(other))
    }

    /// Python's `repr(datetime)`: `datetime.datetime(2024, 1, 15, 10, 30)`, seconds and
    /// microseconds only when not zero.
    pub(crate) fn repr(&self) -> String {
        let mut text = format!(
            "datetime.datetime({}, {}, {}, {}, {}",
            self.year, self.month, self.day, self.hour, self.minute
        );
        if self.second != 0 || self.microsecond != 0 {
            text.push_str(&format!(", {}", self.second));
        }
        if self.microsecond != 0 {
            text.push_str(&format!(", {}", self.microsecond));
        }
        match self.offset {
            Some(0) => text.push_str(", tzinfo=datetime.timezone.utc"),
            Some(offset) => text.push_str(&format!(
                ", tzinfo=datetime.timezone(datetime.timedelta({}))",
                timedelta_repr_args(offset)
            )),
            None => {}
        }
        text.push(')');
        text
    }
}

/// The arguments `repr(timedelta(seconds=offset))` shows (`days=-1, seconds=82800`).
fn timedelta_repr_args(offset: i64) -> String {
    let (days, seconds) = (offset.div_euclid(86_400), offset.rem_euclid(86_400));
    match (days, seconds) {
        (0, seconds) => format!("seconds={seconds}"),
        (days, 0) => format!("days={days}"),
        (days, seconds) => format!("days={days}, seconds={seconds}"),
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.isoformat(" "))
    }
}

impl Object for DateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(Value::from(match key.as_str()? {
            "year" => self.year,
            "month" => i64::from(self.month),
            "day" => i64::from(self.day),
            "hour" => i64::from(self.hour),
            "minute" => i64::from(self.minute),
            "second" => i64::from(self.second),
            "microsecond" => i64::from(self.microsecond),
            "tzinfo" if self.offset.is_none() => return Some(Value::from(())),
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (method, args) {
            ("strftime", [format]) => match format.as_str() {
                Some(format) => self.strftime(format).map(Value::from),
                None => Err(invalid(format!(
                    "strftime() argument 1 must be str, not {}",
                    py_type_name(format)
                ))),
            },
            ("isoformat", []) => Ok(Value::from(self.isoformat("T"))),
            ("isoformat", [sep]) => Ok(Value::from(self.isoformat(sep.as_str().unwrap_or("T")))),
            ("timestamp", []) => self.timestamp().map(Value::from),
            // Its `date` as text: `str(date)` and its JSON are both `YYYY-MM-DD`.
            ("date", []) => Ok(Value::from(format!(
                "{:04}-{:02}-{:02}",
                self.year, self.month, self.day
            ))),
            ("time", []) => Ok(Value::from(
                DateTime {
                    offset: None,
                    ..**self
                }
                .isoformat("T")
                .split_once('T')
                .map(|(_, time)| time.to_string())
                .unwrap_or_default(),
            )),
            ("weekday", []) => Ok(Value::from(self.weekday())),
            ("isoweekday", []) => Ok(Value::from(self.weekday() + 1)),
            _ => Err(invalid(format!(
                "datetime has no method '{method}' with {} argument(s) in machinist \
                 (it has strftime, isoformat, timestamp, date, time, weekday, isoweekday)",
                args.len()
            ))),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_ref(), f)
    }
}

/// A datetime as ansible-core's JSON writes it (a task's result, `to_json`):
/// `isoformat()`, with a `T`, where its text (`{{ }}`, `str()`) has a space.
pub(crate) fn json_text(value: &Value) -> Option<String> {
    value
        .downcast_object_ref::<DateTime>()
        .map(|datetime| datetime.isoformat("T"))
}

/// The hint added to minijinja's error for `-` between two `to_datetime` values.
pub(crate) const SUBTRACTION_HINT: &str = "if these are to_datetime values: machinist \
    subtracts datetimes only in a template or expression that names to_datetime or now \
    (template/datetime_minus.rs); `a.timestamp() - b.timestamp()` gives the seconds between them";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_python_strptime() {
        let dt = strptime("2016-08-14 20:00:12", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(dt.to_string(), "2016-08-14 20:00:12");
        assert_eq!(dt.weekday(), 6);
        let dt = strptime("14 aug 16  8:00 PM", "%d %b %y %I:%M %p").unwrap();
        assert_eq!(dt.isoformat("T"), "2016-08-14T20:00:00");
        let dt = strptime("2024-060T01:02:03.5+0130", "%Y-%jT%H:%M:%S.%f%z").unwrap();
        assert_eq!(dt.to_string(), "2024-02-29 01:02:03.500000+01:30");
        assert_eq!(dt.timestamp().unwrap(), 1_709_163_123.5);
        assert!(strptime("2016-08-14 20:00", "%Y-%m-%d %H:%M:%S").is_err());
        assert!(strptime("2016-08-14 20:00:12x", "%Y-%m-%d %H:%M:%S").is_err());
        assert!(strptime("2023-02-29", "%Y-%m-%d").is_err());
    }

    #[test]
    fn formats_as_python_strftime() {
        let dt = strptime("1999-12-31 23:59:58", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            dt.strftime("%d/%m/%Y %f %z%Z %j %A").unwrap(),
            "31/12/1999 000000  365 Friday"
        );
    }
}
