//! Ansible's Jinja tests (`x is match(...)`, `result is changed`, `v is version(...)`):
//! regex tests, version comparison, task-result tests over registered results, and
//! `truthy`/`falsy`, `subset`/`superset`, `contains`, `vault_encrypted` (a value that
//! was an inline `!vault` one). Type tests are minijinja's own.

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::conversions::to_bool;
use super::filters::{invalid, keywords_as_positions, text};
use super::{regexes, version};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_test("match", |v: Value, p: String, k: Kwargs| {
        regex_test(&v, &p, &k, Mode::Match)
    });
    env.add_test("search", |v: Value, p: String, k: Kwargs| {
        regex_test(&v, &p, &k, Mode::Search)
    });
    env.add_test("regex", |v: Value, p: String, k: Kwargs| {
        regex_test(&v, &p, &k, Mode::Either)
    });
    let version_keywords = keywords_as_positions(
        Value::from_function(version_test),
        vec![
            ("version", Value::UNDEFINED),
            ("operator", Value::from("eq")),
        ],
    );
    env.add_test("version", move |state: &State, args: Rest<Value>| {
        version_keywords(state, args).map(|answer| answer.is_true())
    });
    env.add_test("version_compare", version_test);
    for name in ["changed", "change"] {
        env.add_test(name, |r: Value| result_changed(&r));
    }
    for name in ["failed", "failure"] {
        env.add_test(name, |r: Value| result_flag(&r, "failed", "failed"));
    }
    for name in ["succeeded", "success", "successful"] {
        env.add_test(name, |r: Value| {
            Ok(!result_flag(&r, "failed", "succeeded")?)
        });
    }
    for name in ["skipped", "skip"] {
        env.add_test(name, |r: Value| result_flag(&r, "skipped", "skipped"));
    }
    // Async tasks are refused at load, so a result has these keys only when a
    // playbook put them there; without them ansible-core answers true too.
    for name in ["finished", "started"] {
        env.add_test(name, move |r: Value| {
            let flag = expect_result(&r, name)?.get_attr(name).unwrap_or_default();
            Ok::<_, Error>(flag.is_undefined() || flag.is_true())
        });
    }
    env.add_test("vault_encrypted", |v: Value| {
        v.as_str().is_some_and(crate::vault::is_inline_plaintext)
    });
    env.add_test("truthy", |v: Value, k: Kwargs| truthy(&v, &k));
    env.add_test("falsy", |v: Value, k: Kwargs| truthy(&v, &k).map(|t| !t));
    env.add_test("subset", |a: Value, b: Value| subset(&a, &b));
    env.add_test("superset", |a: Value, b: Value| subset(&b, &a));
}

#[derive(Clone, Copy)]
enum Mode {
    Match,
    Search,
    Either,
}

fn regex_test(value: &Value, pattern: &str, kwargs: &Kwargs, mode: Mode) -> Result<bool, Error> {
    let haystack = text(value)?;
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let mode = match (mode, kwargs.get::<Option<String>>("match_type")?.as_deref()) {
        (Mode::Either, Some("match")) => Mode::Match,
        (Mode::Either, Some("search") | None) => Mode::Search,
        (Mode::Either, Some(other)) => {
            return Err(invalid(format!(
                "regex: match_type must be match or search, not '{other}'"
            )))
        }
        (mode, _) => mode,
    };
    kwargs.assert_all_used()?;
    Ok(match mode {
        // Python's re.match: a match that starts at the beginning.
        Mode::Match => regexes::compile(&format!("\\A(?:{pattern})"), ignorecase, multiline)?
            .is_match(&haystack),
        _ => regexes::compile(pattern, ignorecase, multiline)?.is_match(&haystack),
    })
}

fn version_test(
    value: Value,
    other: Value,
    operator: Option<String>,
    strict: Option<bool>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    let operator = match operator {
        Some(op) => op,
        None => kwargs
            .get::<Option<String>>("operator")?
            .unwrap_or_else(|| "eq".into()),
    };
    let strict = match strict {
        Some(strict) => Some(strict),
        None => kwargs.get::<Option<bool>>("strict")?,
    };
    let version_type = kwargs.get::<Option<String>>("version_type")?;
    kwargs.assert_all_used()?;
    let version_type = match (strict, version_type) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "version: strict and version_type are mutually exclusive",
            ))
        }
        (Some(true), None) => "strict".to_string(),
        (_, Some(kind)) => kind,
        (_, None) => "loose".to_string(),
    };
    version::compare(&text(&value)?, &text(&other)?, &operator, &version_type)
}

fn expect_result<'a>(result: &'a Value, test: &str) -> Result<&'a Value, Error> {
    match result.kind() {
        ValueKind::Map => Ok(result),
        ValueKind::Undefined => Err(Error::from(ErrorKind::UndefinedError)),
        _ => Err(invalid(format!(
            "the '{test}' test expects a dictionary (a registered result)"
        ))),
    }
}

/// The result's `key` as a boolean (missing is false).
fn result_flag(result: &Value, key: &str, test: &str) -> Result<bool, Error> {
    let result = expect_result(result, test)?;
    let flag = result.get_attr(key).unwrap_or_default();
    Ok(!flag.is_undefined() && flag.is_true())
}

/// `changed`: the result's flag, or — for a loop's result — any item's.
fn result_changed(result: &Value) -> Result<bool, Error> {
    let map = expect_result(result, "changed")?;
    let changed = map.get_attr("changed").unwrap_or_default();
    if !changed.is_undefined() {
        return Ok(changed.is_true());
    }
    let results = map.get_attr("results").unwrap_or_default();
    if results.kind() != ValueKind::Seq {
        return Ok(false);
    }
    for item in results.try_iter()? {
        if item.kind() == ValueKind::Map && result_flag(&item, "changed", "changed")? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn truthy(value: &Value, kwargs: &Kwargs) -> Result<bool, Error> {
    let convert_bool = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    if convert_bool {
        if let Ok(b) = to_bool(value.clone()) {
            return Ok(b);
        }
    }
    Ok(value.is_true())
}

/// Python's `set(small) <= set(big)`: both iterable (not none), every item hashable
/// (no lists or mappings).
pub(crate) fn subset(small: &Value, big: &Value) -> Result<bool, Error> {
    let set = |value: &Value| -> Result<Vec<Value>, Error> {
        let items = super::collections::items(value)?;
        if let Some(item) = items
            .iter()
            .find(|item| matches!(item.kind(), ValueKind::Seq | ValueKind::Map))
        {
            return Err(invalid(format!(
                "unhashable type: '{}'",
                super::value_format::py_type_name(item)
            )));
        }
        Ok(items)
    };
    let big = set(big)?;
    Ok(set(small)?.iter().all(|x| big.contains(x)))
}
