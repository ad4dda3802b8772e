//! Global functions of Jinja2 and Ansible that minijinja lacks or calls differently:
//! Ansible's `now(utc=False, fmt=None)` and `undef(hint=None)`, and Jinja2's
//! `cycler(*items)` with `next()`, `reset()` and `current` (minijinja-contrib's takes
//! one list and has no `current`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State};

use super::filters::invalid;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("now", now);
    env.add_function("undef", undef);
    env.add_function("cycler", |items: Rest<Value>| {
        Value::from_object(Cycler {
            items: items.0,
            position: AtomicUsize::new(0),
        })
    });
}

/// The current time as a naive `datetime` (local, or UTC with `utc=true`), or that
/// time formatted with `fmt` as `strftime` formats it.
fn now(utc: Option<bool>, format: Option<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let utc = kwargs.get::<Option<bool>>("utc")?.or(utc);
    let format = kwargs.get::<Option<String>>("fmt")?.or(format);
    kwargs.assert_all_used()?;
    let time = super::datetime::now(utc.unwrap_or(false))?;
    match format {
        Some(format) => time.strftime(&format).map(Value::from),
        None => Ok(Value::from_object(time)),
    }
}

/// An undefined value; `hint` is what an error about it says when it is used.
fn undef(hint: Option<Value>) -> Result<Value, Error> {
    match hint {
        None => Ok(Value::UNDEFINED),
        Some(hint) if hint.as_str().is_some() => Ok(Value::UNDEFINED),
        Some(_) => Err(invalid("undef(): the hint must be a string")),
    }
}

/// Jinja2's `cycler`: `next()` gives the current item and moves on, round and round.
#[derive(Debug)]
struct Cycler {
    items: Vec<Value>,
    position: AtomicUsize,
}

impl Cycler {
    fn current(&self) -> Value {
        let position = self.position.load(Ordering::Relaxed);
        self.items
            .get(position)
            .cloned()
            .unwrap_or(Value::UNDEFINED)
    }
}

impl Object for Cycler {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str() == Some("current")).then(|| self.current())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if !args.is_empty() {
            return Err(Error::new(
                ErrorKind::TooManyArguments,
                format!("cycler.{method}() takes no arguments"),
            ));
        }
        match method {
            "next" => {
                let item = self.current();
                let count = self.items.len().max(1);
                let _ = self
                    .position
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |at| {
                        Some((at + 1) % count)
                    });
                Ok(item)
            }
            "reset" => {
                self.position.store(0, Ordering::Relaxed);
                Ok(Value::from(()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}
