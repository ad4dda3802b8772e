//! `modification_time` and `access_time` of the file module: `preserve`, `now`, or a
//! timestamp read with `*_time_format` (Python's strptime codes `%Y %m %d %H %M %S %y
//! %%`; default `%Y%m%d%H%M.%S`). As Ansible does, a given timestamp changes only a
//! path whose time differs, and `now` changes it on every run. Timestamps are read as
//! UTC (Ansible: the target's local time).

use super::{State, Task};
use crate::host::Timestamp;
use crate::{Change, Diff, ModuleError, Op, TimeSpec};
use std::path::Path;

/// What one of the two times should become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Preserve,
    Now,
    At(Timestamp),
}

const DEFAULT_FORMAT: &str = "%Y%m%d%H%M.%S";

impl Task<'_> {
    /// Whether the task names a time to set.
    pub(super) fn sets_times(&self) -> bool {
        let given = |time: &Option<String>| time.as_deref().is_some_and(|t| t != "preserve");
        given(&self.args.modification_time) || given(&self.args.access_time)
    }

    /// The change setting the wanted times on `place` (the object the state acts on,
    /// symlinks followed as the state follows them); `None` when they already are.
    pub(super) fn time_change(
        &self,
        state: State,
        place: &Path,
    ) -> Result<Option<Change>, ModuleError> {
        if !self.sets_times() {
            return Ok(None);
        }
        if matches!(state, State::Link | State::Hard | State::Absent) {
            return Err(ModuleError::invalid(
                "modification_time",
                format!(
                    "modification_time and access_time are not supported with state={}",
                    super::state_name(state)
                ),
            ));
        }
        let args = self.args;
        let mtime = wanted(
            "modification_time",
            args.modification_time.as_deref(),
            args.modification_time_format.as_deref(),
        )?;
        let atime = wanted(
            "access_time",
            args.access_time.as_deref(),
            args.access_time_format.as_deref(),
        )?;
        let current = self.host.details(place, false)?;
        let times = current.as_ref().map(|d| (d.extra.atime, d.extra.mtime));
        let new = |wanted: Wanted, now: Option<Timestamp>| match (wanted, now) {
            (Wanted::Preserve, _) => None,
            (Wanted::Now, _) => Some(TimeSpec::Now),
            (Wanted::At(at), Some(now)) if now == at => None,
            (Wanted::At(at), _) => Some(TimeSpec::At(at)),
        };
        let new_atime = new(atime, times.map(|t| t.0));
        let new_mtime = new(mtime, times.map(|t| t.1));
        if new_atime.is_none() && new_mtime.is_none() {
            return Ok(None);
        }
        let mut before = String::new();
        let mut after = String::new();
        for (key, old, new) in [
            ("atime", times.map(|t| t.0), new_atime),
            ("mtime", times.map(|t| t.1), new_mtime),
        ] {
            let Some(new) = new else { continue };
            let old = old.map_or_else(|| "absent".to_string(), shown);
            let new = match new {
                TimeSpec::Now => "now".to_string(),
                TimeSpec::At(at) => shown(at),
            };
            before.push_str(&format!("{key}: {old}\n"));
            after.push_str(&format!("{key}: {new}\n"));
        }
        Ok(Some(Change {
            summary: format!("times of {}", self.shown()),
            diff: Some(Diff::of_path(self.shown(), before, after)),
            ops: vec![Op::SetTimes {
                path: place.to_path_buf(),
                atime: new_atime,
                mtime: new_mtime,
            }],
        }))
    }
}

fn shown(at: Timestamp) -> String {
    format!("{}", at.as_f64())
}

fn wanted(field: &str, value: Option<&str>, format: Option<&str>) -> Result<Wanted, ModuleError> {
    match value {
        None | Some("preserve") => Ok(Wanted::Preserve),
        Some("now") => Ok(Wanted::Now),
        Some(text) => {
            let format = format.unwrap_or(DEFAULT_FORMAT);
            strptime_utc(text, format).map(Wanted::At).ok_or_else(|| {
                ModuleError::invalid(
                    field,
                    format!(
                        "Error while obtaining timestamp for time {text} using format {format}"
                    ),
                )
            })
        }
    }
}

/// Python's strptime for the codes timestamps use, as seconds since the epoch (UTC).
fn strptime_utc(text: &str, format: &str) -> Option<Timestamp> {
    let (mut year, mut month, mut day, mut hour, mut minute, mut second) = (1900, 1, 1, 0, 0, 0);
    let mut rest = text.as_bytes();
    let mut codes = format.as_bytes().iter();
    let number = |rest: &mut &[u8], max_digits: usize| -> Option<i64> {
        let digits = rest
            .iter()
            .take(max_digits)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let value = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        *rest = &rest[digits..];
        Some(value)
    };
    while let Some(&byte) = codes.next() {
        if byte != b'%' {
            let (first, tail) = rest.split_first()?;
            if *first != byte {
                return None;
            }
            rest = tail;
            continue;
        }
        match codes.next()? {
            b'Y' => year = number(&mut rest, 4)?,
            b'y' => {
                let short = number(&mut rest, 2)?;
                year = if short < 69 {
                    2000 + short
                } else {
                    1900 + short
                };
            }
            b'm' => month = number(&mut rest, 2)?,
            b'd' => day = number(&mut rest, 2)?,
            b'H' => hour = number(&mut rest, 2)?,
            b'M' => minute = number(&mut rest, 2)?,
            b'S' => second = number(&mut rest, 2)?,
            b'%' => {
                let (first, tail) = rest.split_first()?;
                if *first != b'%' {
                    return None;
                }
                rest = tail;
            }
            _ => return None,
        }
    }
    let valid = rest.is_empty()
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&minute)
        && (0..=61).contains(&second);
    valid.then(|| Timestamp {
        secs: days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second,
        nanos: 0,
    })
}

/// Days since 1970-01-01 of a date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_as_utc() {
        let at = |text, format| strptime_utc(text, format).map(|t| t.secs);
        assert_eq!(at("197001010000.00", DEFAULT_FORMAT), Some(0));
        assert_eq!(at("202001020304.05", DEFAULT_FORMAT), Some(1_577_934_245));
        assert_eq!(
            at("2000-02-29 01:01:01", "%Y-%m-%d %H:%M:%S"),
            Some(951_786_061)
        );
        assert_eq!(at("2020010203", DEFAULT_FORMAT), None);
        assert_eq!(at("202013020304.05", DEFAULT_FORMAT), None);
    }
}
