//! `date_time`: ansible-core's dict of the moment the facts are gathered, every
//! value a string as Ansible gives it — local time fields, `epoch`, the UTC
//! `iso8601*` forms, and the time zone's name, DST name and offset — formatted by the
//! C library's strftime in this process's time zone (the one Python's `time` uses).

use super::Facts;
use minijinja::Value;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `date_time` fact of now.
pub fn add(facts: &mut Facts) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    facts.insert(
        "date_time".into(),
        Value::from(date_time(now.as_secs() as f64, now.subsec_micros())),
    );
}

fn date_time(seconds: f64, micros: u32) -> BTreeMap<String, Value> {
    let local = |format: &str| {
        crate::template::time_filters::strftime(format, seconds, false).unwrap_or_default()
    };
    let utc = |format: &str| {
        crate::template::time_filters::strftime(format, seconds, true).unwrap_or_default()
    };
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    let mut put = |name: &str, value: String| {
        fields.insert(name.into(), Value::from(value));
    };
    for (name, format) in [
        ("year", "%Y"),
        ("month", "%m"),
        ("weekday", "%A"),
        ("weekday_number", "%w"),
        ("weeknumber", "%W"),
        ("day", "%d"),
        ("hour", "%H"),
        ("minute", "%M"),
        ("second", "%S"),
        ("date", "%Y-%m-%d"),
        ("time", "%H:%M:%S"),
        ("iso8601_basic_short", "%Y%m%dT%H%M%S"),
        ("tz", "%Z"),
        ("tz_offset", "%z"),
    ] {
        put(name, local(format));
    }
    let epoch = format!("{}", seconds as i64);
    put("epoch", epoch.clone());
    put("epoch_int", epoch);
    put(
        "iso8601_basic",
        format!("{}{micros:06}", local("%Y%m%dT%H%M%S")),
    );
    put("iso8601", utc("%Y-%m-%dT%H:%M:%SZ"));
    put(
        "iso8601_micro",
        format!("{}.{micros:06}Z", utc("%Y-%m-%dT%H:%M:%S")),
    );
    put("tz_dst", dst_name());
    fields
}

/// Python's `time.tzname[1]`: the zone's daylight-saving name (its standard name when
/// it has none), as tzset(3) sets it.
fn dst_name() -> String {
    extern "C" {
        static tzname: [*const std::ffi::c_char; 2];
        fn tzset();
    }
    // SAFETY: tzset fills the C library's `tzname` with two NUL-terminated strings it
    // owns; they are read right after it, and only read.
    unsafe {
        tzset();
        let name = tzname[1];
        if name.is_null() {
            return String::new();
        }
        std::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_ansible_gives_as_text() {
        // 2026-12-07T04:08:05.702053Z, a Monday.
        let fields = date_time(1_796_616_485.0, 702_053);
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "date",
                "day",
                "epoch",
                "epoch_int",
                "hour",
                "iso8601",
                "iso8601_basic",
                "iso8601_basic_short",
                "iso8601_micro",
                "minute",
                "month",
                "second",
                "time",
                "tz",
                "tz_dst",
                "tz_offset",
                "weekday",
                "weekday_number",
                "weeknumber",
                "year"
            ]
        );
        assert_eq!(fields["iso8601"].as_str(), Some("2026-12-07T04:08:05Z"));
        assert_eq!(
            fields["iso8601_micro"].as_str(),
            Some("2026-12-07T04:08:05.702053Z")
        );
        assert_eq!(fields["epoch"].as_str(), Some("1796616485"));
    }
}
