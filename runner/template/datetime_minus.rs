//! `a - b` between two `to_datetime` (or `now()`) values: Python's `timedelta` (`days`,
//! `seconds`, `microseconds`, `total_seconds()`, shown as `str(timedelta)` shows it), as
//! Ansible gives it (`((a | to_datetime) - (b | to_datetime)).days`).
//!
//! minijinja's `-` is for numbers only and cannot be given to an object, so a template
//! or expression that names `to_datetime` or `now(`, reads `.days`/`.seconds`/
//! `total_seconds()`, or subtracts one name from another (`ended - started`) has each of its subtractions
//! rewritten into a call of [`MINUS`] before it compiles (template/operator_calls.rs).
//! That function subtracts datetimes itself and leaves anything else to minijinja's own
//! `-`, so numbers subtract as everywhere else. A timedelta is no value a task may
//! keep, as in ansible-core: only its attributes or its text.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{Environment, Error, State};

use super::datetime::DateTime;
use super::error::{TemplateError, TemplateErrorKind};
use super::filters::invalid;

/// The global a rewritten `-` calls.
const MINUS: &str = "__machinist_minus";

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(MINUS, minus);
}

/// `lhs - rhs`: a timedelta between two datetimes, else minijinja's own `-`.
fn minus(state: &State, lhs: Value, rhs: Value) -> Result<Value, Error> {
    match (
        lhs.downcast_object_ref::<DateTime>(),
        rhs.downcast_object_ref::<DateTime>(),
    ) {
        (Some(a), Some(b)) => a.minus(b).map(Value::from_object),
        (Some(_), None) | (None, Some(_)) => Err(invalid(format!(
            "unsupported operand type(s) for -: '{}' and '{}' (machinist subtracts a \
             datetime only from a datetime)",
            super::value_format::py_type_name(&lhs),
            super::value_format::py_type_name(&rhs)
        ))),
        // Whole numbers, most of what else is subtracted, without compiling `-`.
        (None, None) => match (i64::try_from(lhs.clone()), i64::try_from(rhs.clone())) {
            (Ok(a), Ok(b)) if lhs.is_integer() && rhs.is_integer() => match a.checked_sub(b) {
                Some(difference) => Ok(Value::from(difference)),
                None => state
                    .env()
                    .compile_expression("lhs - rhs")?
                    .eval(minijinja::context! { lhs, rhs }),
            },
            _ => state
                .env()
                .compile_expression("lhs - rhs")?
                .eval(minijinja::context! { lhs, rhs }),
        },
    }
}

/// A timedelta as a whole value (`msg: "{{ a - b }}"`): ansible-core stores no
/// timedelta ("unsupported for variable storage"), so neither does machinist; its
/// attributes, or the difference written inside text, are what a task can keep.
pub(crate) fn refuse_as_value(value: &Value) -> Result<(), TemplateError> {
    if value.downcast_object_ref::<TimeDelta>().is_none() {
        return Ok(());
    }
    Err(TemplateError::new(
        TemplateErrorKind::Render,
        "a timedelta (the difference of two datetimes) cannot be a value, as in \
         ansible-core: use its .days, .seconds or .total_seconds(), or write it inside text"
            .to_string(),
    ))
}

/// Python's `timedelta`, normalised as Python keeps it: `seconds` in 0..86400 and
/// `microseconds` in 0..1_000_000, `days` carrying the sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeDelta {
    days: i64,
    seconds: i64,
    microseconds: i64,
}

impl TimeDelta {
    pub(crate) fn from_microseconds(total: i64) -> TimeDelta {
        const DAY: i64 = 86_400 * 1_000_000;
        let rest = total.rem_euclid(DAY);
        TimeDelta {
            days: total.div_euclid(DAY),
            seconds: rest / 1_000_000,
            microseconds: rest % 1_000_000,
        }
    }

    fn total_seconds(&self) -> f64 {
        ((self.days * 86_400 + self.seconds) * 1_000_000 + self.microseconds) as f64 / 1e6
    }
}

impl fmt::Display for TimeDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days != 0 {
            let plural = if self.days.abs() == 1 { "" } else { "s" };
            write!(f, "{} day{plural}, ", self.days)?;
        }
        let (h, m, s) = (
            self.seconds / 3600,
            self.seconds / 60 % 60,
            self.seconds % 60,
        );
        write!(f, "{h}:{m:02}:{s:02}")?;
        if self.microseconds != 0 {
            write!(f, ".{:06}", self.microseconds)?;
        }
        Ok(())
    }
}

impl Object for TimeDelta {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(Value::from(match key.as_str()? {
            "days" => self.days,
            "seconds" => self.seconds,
            "microseconds" => self.microseconds,
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
            ("total_seconds", []) => Ok(Value::from(self.total_seconds())),
            _ => Err(invalid(format!(
                "timedelta has no method '{method}' with {} argument(s) in machinist \
                 (it has total_seconds, and the attributes days, seconds, microseconds)",
                args.len()
            ))),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_ref(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timedelta_is_shown_as_python_shows_it() {
        assert_eq!(
            TimeDelta::from_microseconds(90_061_000_001).to_string(),
            "1 day, 1:01:01.000001"
        );
        assert_eq!(
            TimeDelta::from_microseconds(-1_000_000).to_string(),
            "-1 day, 23:59:59"
        );
        assert_eq!(
            TimeDelta::from_microseconds(3_600_000_000).to_string(),
            "1:00:00"
        );
        assert_eq!(
            TimeDelta::from_microseconds(-1_000_000).total_seconds(),
            -1.0
        );
    }
}
