//! ansible-core's math filters (`log`, `pow`, `root`, `combinations`, `permutations`),
//! `abs` and `round` of a boolean (Python's int), `to_uuid`, and the small tests of its core and math plugins that
//! roles use on data (`all`, `any`, `nan`, `issubset`, `reachable`, …), each as
//! ansible-core 2.19 computes it (plugins/filter/mathstuff.py, core.py,
//! plugins/test/core.py, mathstuff.py).

use minijinja::value::{from_args, Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, State, Value};
use sha1::{Digest, Sha1};

use super::filters::{invalid, text};
use super::tests::subset;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("log", |x: Value, base: Option<Value>| {
        let x = number(&x, "log")?;
        if x <= 0.0 {
            return Err(invalid("log(): math domain error"));
        }
        let log = match base.as_ref().map(|b| number(b, "log")).transpose()? {
            None => x.ln(),
            Some(base) if (base - 10.0).abs() < f64::EPSILON => x.log10(),
            Some(base) => x.ln() / base.ln(),
        };
        domain(log, "log")
    });
    env.add_filter("pow", |x: Value, y: Value| {
        domain(number(&x, "pow")?.powf(number(&y, "pow")?), "pow")
    });
    env.add_filter("root", |x: Value, base: Option<Value>| {
        let x = number(&x, "root")?;
        let root = match base.as_ref().map(|b| number(b, "root")).transpose()? {
            Some(base) if (base - 2.0).abs() > f64::EPSILON => x.powf(1.0 / base),
            _ => x.sqrt(),
        };
        domain(root, "root")
    });
    env.add_filter("combinations", |values: Value, r: usize| {
        let items: Vec<Value> = values.try_iter()?.collect();
        let mut out = Vec::new();
        choose(&items, r, 0, &mut Vec::new(), &mut out);
        Ok::<_, Error>(Value::from(out))
    });
    env.add_filter("permutations", |values: Value, r: Option<usize>| {
        let items: Vec<Value> = values.try_iter()?.collect();
        let r = r.unwrap_or(items.len());
        let mut out = Vec::new();
        let mut used = vec![false; items.len()];
        arrange(&items, r, &mut used, &mut Vec::new(), &mut out);
        Ok::<_, Error>(Value::from(out))
    });
    env.add_filter("to_uuid", |value: Value, kwargs: Kwargs| {
        let namespace: Option<String> = kwargs.get("namespace")?;
        kwargs.assert_all_used()?;
        let namespace = namespace.as_deref().unwrap_or(ANSIBLE_NAMESPACE);
        let Some(namespace) = parse_uuid(namespace) else {
            return Err(invalid(format!(
                "Invalid value '{namespace}' for 'namespace': badly formed hexadecimal UUID string"
            )));
        };
        Ok(uuid5(&namespace, text(&value)?.as_bytes()))
    });
    env.add_test("all", |values: Value| {
        Ok::<_, Error>(values.try_iter()?.all(|v| v.is_true()))
    });
    env.add_test("any", |values: Value| {
        Ok::<_, Error>(values.try_iter()?.any(|v| v.is_true()))
    });
    for name in ["nan", "isnan"] {
        env.add_test(name, |x: Value| {
            x.kind() == ValueKind::Number && f64::try_from(x).is_ok_and(f64::is_nan)
        });
    }
    for name in ["abs", "is_abs"] {
        env.add_test(name, |path: Value| {
            if path.kind() != ValueKind::String {
                return Err(invalid(format!(
                    "expected str, bytes or os.PathLike object, not {}",
                    super::value_format::py_type_name(&path)
                )));
            }
            Ok(text(&path)?.starts_with('/'))
        });
    }
    // Data is never callable; minijinja's functions and macros are.
    env.add_test("callable", |value: Value| {
        matches!(value.kind(), ValueKind::Plain) && value.as_object().is_some()
    });
    env.add_test("issubset", |a: Value, b: Value| subset(&a, &b));
    env.add_test("issuperset", |a: Value, b: Value| subset(&b, &a));
    // A boolean is Python's int 0 or 1 to `abs` and `round` (minijinja refuses it).
    let abs = Value::from_function(minijinja::filters::abs);
    let round = Value::from_function(minijinja::filters::round);
    for (name, builtin) in [("abs", abs), ("round", round)] {
        env.add_filter(name, move |state: &State, args: Rest<Value>| {
            let mut args = args.0;
            if let Some(first) = args.first_mut().filter(|v| v.kind() == ValueKind::Bool) {
                *first = Value::from(i64::from(first.is_true()));
            }
            if name == "round" {
                return jinja_round(state, &builtin, &args);
            }
            builtin.call(state, &args)
        });
    }
    env.add_test("unreachable", |r: Value| {
        Ok::<_, Error>(
            result(&r, "unreachable")?
                .get_attr("unreachable")?
                .is_true(),
        )
    });
    env.add_test("reachable", |r: Value| {
        Ok::<_, Error>(!result(&r, "reachable")?.get_attr("unreachable")?.is_true())
    });
    env.add_test("timedout", |r: Value| {
        let timedout = result(&r, "timedout")?.get_attr("timedout")?;
        Ok::<_, Error>(timedout.is_true() && timedout.get_attr("period").is_ok_and(|p| p.is_true()))
    });
}

/// Jinja's `round(value, precision=0, method='common')`. `common` is Python's `round`,
/// which rounds the exact binary value and takes a half to the even neighbour
/// (`2.5 | round` is 2.0, `2.675 | round(2)` 2.67; minijinja gives 3.0 and 2.68);
/// `ceil` and `floor` round up or down at the precision. Integers and negative
/// precisions go to minijinja's `round`.
fn jinja_round(state: &State, builtin: &Value, args: &[Value]) -> Result<Value, Error> {
    let Some((value, rest)) = args.split_first() else {
        return builtin.call(state, args);
    };
    let (positional, kwargs): (&[Value], Kwargs) = from_args(rest)?;
    let precision = match kwargs.get::<Option<i32>>("precision")? {
        Some(precision) => precision,
        None => match positional.first() {
            Some(p) => i32::try_from(p.clone())?,
            None => 0,
        },
    };
    let method = match kwargs.get::<Option<String>>("method")? {
        Some(method) => method,
        None => match positional.get(1) {
            Some(m) => m
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid("round: method must be a string"))?,
            None => "common".into(),
        },
    };
    kwargs.assert_all_used()?;
    let plain = [value.clone(), Value::from(precision)];
    let number = || {
        f64::try_from(value.clone())
            .map_err(|_| invalid(format!("round: {} is not a number", value.kind())))
    };
    let scale = 10f64.powi(precision);
    match method.as_str() {
        "common" => {
            if value.kind() != ValueKind::Number || value.as_i64().is_some() {
                return builtin.call(state, &plain);
            }
            let Ok(digits) = usize::try_from(precision) else {
                return builtin.call(state, &plain);
            };
            // Rust's formatting rounds the exact binary value, ties to even, as
            // Python's `round` does (`2.675` is below the half: 2.67).
            let text = format!("{:.digits$}", number()?);
            text.parse::<f64>()
                .map(Value::from)
                .map_err(|err| invalid(format!("round: {err}")))
        }
        "ceil" => Ok(Value::from((number()? * scale).ceil() / scale)),
        "floor" => Ok(Value::from((number()? * scale).floor() / scale)),
        _ => Err(invalid("round: method must be common, ceil or floor")),
    }
}

/// ansible-core's namespace for `to_uuid`.
const ANSIBLE_NAMESPACE: &str = "361E6D51-FAEC-444A-9079-341386DA8E2E";

/// A number Python's math module takes (a boolean is 0 or 1).
fn number(value: &Value, filter: &str) -> Result<f64, Error> {
    match value.kind() {
        ValueKind::Bool => Ok(f64::from(u8::from(value.is_true()))),
        ValueKind::Number => f64::try_from(value.clone())
            .map_err(|_| invalid(format!("{filter}() can only be used on numbers"))),
        _ => Err(invalid(format!("{filter}() can only be used on numbers"))),
    }
}

/// Python's math functions raise "math domain error" where Rust's give NaN.
fn domain(result: f64, filter: &str) -> Result<Value, Error> {
    if result.is_nan() {
        return Err(invalid(format!("{filter}(): math domain error")));
    }
    Ok(Value::from(result))
}

fn choose(items: &[Value], r: usize, from: usize, current: &mut Vec<Value>, out: &mut Vec<Value>) {
    if current.len() == r {
        out.push(Value::from(current.clone()));
        return;
    }
    for i in from..items.len() {
        current.push(items[i].clone());
        choose(items, r, i + 1, current, out);
        current.pop();
    }
}

fn arrange(
    items: &[Value],
    r: usize,
    used: &mut Vec<bool>,
    current: &mut Vec<Value>,
    out: &mut Vec<Value>,
) {
    if current.len() == r {
        out.push(Value::from(current.clone()));
        return;
    }
    for i in 0..items.len() {
        if used[i] {
            continue;
        }
        used[i] = true;
        current.push(items[i].clone());
        arrange(items, r, used, current, out);
        current.pop();
        used[i] = false;
    }
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: String = text
        .trim_start_matches("urn:")
        .trim_start_matches("uuid:")
        .trim_matches(|c| c == '{' || c == '}')
        .replace('-', "");
    if hex.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(bytes)
}

/// Python's `uuid.uuid5(namespace, name)`, as text.
fn uuid5(namespace: &[u8; 16], name: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(namespace);
    hasher.update(name);
    let hash = hasher.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A task result the tests read, or ansible-core's error for anything else.
fn result(value: &Value, test: &str) -> Result<Value, Error> {
    if value.kind() != ValueKind::Map {
        return Err(invalid(format!("The '{test}' test expects a dictionary")));
    }
    Ok(value.clone())
}
