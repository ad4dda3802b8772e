//! ansible-core's `strftime(format, second=None, utc=False)`: Python's
//! `time.strftime`, which is the C library's, so it is called here too (libc's
//! `strftime` on `localtime_r`, or `gmtime_r` with `utc=true`): every format code
//! means what it means to Python on this machine, the controller's time zone included.

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, Value};

use super::filters::{invalid, string_only};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter(
        "strftime",
        |format: Value, second: Option<Value>, kwargs: Kwargs| {
            let utc = kwargs.get::<Option<bool>>("utc")?.unwrap_or(false);
            let second = match second {
                Some(second) => Some(second),
                None => kwargs.get::<Option<Value>>("second")?,
            };
            kwargs.assert_all_used()?;
            let format = string_only(&format, "strftime")?;
            let seconds = match second.filter(|s| !s.is_none()) {
                None => std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64()),
                Some(value) => epoch(&value)?,
            };
            strftime(&format, seconds, utc)
        },
    );
}

/// Python's `float(second)`.
fn epoch(value: &Value) -> Result<f64, Error> {
    let parsed = match value.as_str() {
        Some(text) => text.trim().parse::<f64>().ok(),
        None => f64::try_from(value.clone()).ok(),
    };
    parsed
        .filter(|s| s.is_finite())
        .ok_or_else(|| invalid(format!("Invalid value for epoch value ({value})")))
}

pub(crate) fn strftime(format: &str, seconds: f64, utc: bool) -> Result<String, Error> {
    if format.contains('\0') {
        return Err(invalid("strftime: embedded null character"));
    }
    // Python's time.localtime truncates towards negative infinity.
    let seconds = seconds.floor();
    if !(-(2f64.powi(62))..2f64.powi(62)).contains(&seconds) {
        return Err(invalid(
            "strftime: timestamp out of range for platform time_t",
        ));
    }
    // In range just above: the conversion is exact.
    let time: libc::time_t = seconds as libc::time_t;
    let format =
        std::ffi::CString::new(format).map_err(|_| invalid("strftime: embedded null character"))?;
    // SAFETY: `tm` is plain data that gmtime_r/localtime_r fill; they read `time` only.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let converted = unsafe {
        if utc {
            libc::gmtime_r(&time, &mut tm)
        } else {
            libc::localtime_r(&time, &mut tm)
        }
    };
    if converted.is_null() {
        return Err(invalid(
            "strftime: timestamp out of range for platform time_t",
        ));
    }
    // Python grows its buffer until the result fits; an empty result of a non-empty
    // format is what a too-small buffer gives, so grow up to a bound.
    let mut size = 256 + format.as_bytes().len() * 4;
    while size <= 1 << 20 {
        let mut buffer = vec![0u8; size];
        // SAFETY: the buffer is `size` bytes, the format is NUL-terminated and `tm`
        // was filled above; strftime writes at most `size` bytes.
        let written =
            unsafe { libc::strftime(buffer.as_mut_ptr().cast(), size, format.as_ptr(), &tm) };
        if written > 0 || format.as_bytes().is_empty() {
            buffer.truncate(written);
            return Ok(String::from_utf8_lossy(&buffer).into_owned());
        }
        size *= 4;
    }
    // Codes that print nothing (`%p` in some locales) end here, as in Python.
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::strftime;

    #[test]
    fn formats_as_c_does() {
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S", 1_700_000_000.7, true).unwrap(),
            "2023-11-14 22:13:20"
        );
        assert_eq!(strftime("%j %a %%", 0.0, true).unwrap(), "001 Thu %");
        assert_eq!(strftime("", 0.0, true).unwrap(), "");
    }
}
