//! Jinja's `varargs` and `kwargs` in macros: a macro whose body names them takes
//! positional arguments beyond its parameters (the list `varargs`) and keywords it
//! does not declare (the mapping `kwargs`). minijinja's macros refuse both ("too many
//! arguments"), so before such a template compiles its macro gets the two as
//! parameters (`{% macro m(a, varargs=[], kwargs={}) %}`) and, right after
//! `{% endmacro %}`, is replaced by a [`CatchAll`] that sorts each call's arguments
//! into them (`{% set m = __machinist_catchall(m, 1) %}`); `{% import %}` and
//! `{% from %}` see the wrapper too. Macros that name neither are left alone.
//!
//! A default that reads an earlier parameter (`{% macro f(a, b=a) %}`) is evaluated
//! after the parameters are bound, as Jinja2 does: minijinja binds them last to
//! first, so such defaults move into the body (`{% set b = (a) if b is undefined
//! else b %}`).

use std::borrow::Cow;
use std::sync::Arc;

use minijinja::value::{from_args, Kwargs, Object, Rest};
use minijinja::{Environment, Error, State, Value};

const CATCH_ALL: &str = "__machinist_catchall";

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(CATCH_ALL, |inner: Value, declared: usize| {
        Value::from_object(CatchAll { inner, declared })
    });
}

/// `source` with each macro that names `varargs` or `kwargs` made to take them, and
/// each default that reads an earlier parameter given after the parameters are bound.
pub(crate) fn rewritten(source: Cow<'_, str>) -> Cow<'_, str> {
    if !source.contains("macro") || !source.contains("endmacro") {
        return source;
    }
    let mut out = String::with_capacity(source.len() + 64);
    let mut rest: &str = &source;
    let mut changed = false;
    while let Some(found) = next_macro(rest) {
        let body = &rest[found.tag_end..found.end_tag_start];
        let wants_varargs = names_identifier(body, "varargs");
        let wants_kwargs = names_identifier(body, "kwargs");
        let params = &rest[found.params_start..found.params_end];
        let late = late_defaults(params);
        out.push_str(&rest[..found.params_start]);
        match &late {
            Some((declared, _)) => out.push_str(declared),
            None => out.push_str(params),
        }
        if wants_varargs || wants_kwargs {
            let mut extra = Vec::new();
            if wants_varargs {
                extra.push("varargs=[]");
            }
            if wants_kwargs {
                extra.push("kwargs={}");
            }
            if !params.trim().is_empty() {
                out.push_str(", ");
            }
            out.push_str(&extra.join(", "));
        }
        out.push_str(&rest[found.params_end..found.tag_end]);
        if let Some((_, assignments)) = &late {
            // The tag's own whitespace control, so what follows it is trimmed alike.
            let close = match rest[found.params_end..found.tag_end].ends_with("-%}") {
                true => "-%}",
                false => "%}",
            };
            for (name, default) in assignments {
                out.push_str(&format!(
                    "{{% set {name} = ({default}) if {name} is undefined else {name} {close}"
                ));
            }
        }
        out.push_str(&rest[found.tag_end..found.end_tag_end]);
        if wants_varargs || wants_kwargs {
            out.push_str(&format!(
                "{{% set {name} = {CATCH_ALL}({name}, {declared}) %}}",
                name = found.name,
                declared = split_params(params).len()
            ));
        }
        changed |= wants_varargs || wants_kwargs || late.is_some();
        rest = &rest[found.end_tag_end..];
    }
    if !changed {
        return source;
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Jinja2 evaluates a default when the macro is called, after the parameters before
/// it are bound (`{% macro f(a, b=a) %}`); minijinja binds them last to first. When a
/// default names an earlier parameter: the parameter list with those defaults taken
/// out, and each (name, default) to assign in the body, in order, when not given.
fn late_defaults(params: &str) -> Option<(String, Vec<(&str, &str)>)> {
    let split = split_params(params);
    let mut names: Vec<&str> = Vec::new();
    let mut late = false;
    let mut declared = Vec::new();
    let mut assignments = Vec::new();
    for param in &split {
        let (name, default) = match param.split_once('=') {
            Some((name, default)) => (name.trim(), Some(default.trim())),
            None => (param.trim(), None),
        };
        if let Some(default) = default {
            if names
                .iter()
                .any(|earlier| names_identifier(default, earlier))
            {
                late = true;
            }
        }
        match (late, default) {
            (true, Some(default)) => {
                declared.push(name.to_string());
                assignments.push((name, default));
            }
            _ => declared.push(param.trim().to_string()),
        }
        names.push(name);
    }
    late.then(|| (declared.join(", "), assignments))
}

/// Where a `{% macro name(params) %}…{% endmacro %}` lies in a source.
struct MacroAt<'s> {
    name: &'s str,
    params_start: usize,
    params_end: usize,
    tag_end: usize,
    end_tag_start: usize,
    end_tag_end: usize,
}

fn next_macro(source: &str) -> Option<MacroAt<'_>> {
    let mut from = 0;
    loop {
        let open = from + source[from..].find("{%")?;
        let after = source[open + 2..]
            .trim_start_matches(['-', '+'])
            .trim_start();
        from = open + 2;
        let Some(signature) = after.strip_prefix("macro") else {
            continue;
        };
        let signature = signature.trim_start();
        let name_len = signature
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(signature.len());
        let name = &signature[..name_len];
        if name.is_empty() || !signature[name_len..].trim_start().starts_with('(') {
            continue;
        }
        let paren = source.len() - signature[name_len..].trim_start().len();
        let params_start = paren + 1;
        let params_end = params_start + closing_paren(&source[params_start..])?;
        let tag_end = params_end + source[params_end..].find("%}")? + 2;
        let (end_tag_start, end_tag_end) = endmacro(source, tag_end)?;
        return Some(MacroAt {
            name,
            params_start,
            params_end,
            tag_end,
            end_tag_start,
            end_tag_end,
        });
    }
}

/// The offset of the `)` that closes a parameter list (brackets and strings skipped).
fn closing_paren(params: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote = None;
    for (i, c) in params.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')') if depth == 0 => return Some(i),
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The `{% endmacro %}` tag after `from`, as (start, end).
fn endmacro(source: &str, from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    loop {
        let open = at + source[at..].find("{%")?;
        let inner = source[open + 2..]
            .trim_start_matches(['-', '+'])
            .trim_start();
        let close = open + source[open..].find("%}")? + 2;
        if inner.starts_with("endmacro") {
            return Some((open, close));
        }
        at = close;
    }
}

/// The parameters of a list (split at commas outside brackets and strings).
fn split_params(params: &str) -> Vec<&str> {
    if params.trim().is_empty() {
        return Vec::new();
    }
    let mut depth = 0usize;
    let mut quote = None;
    let mut split = Vec::new();
    let mut start = 0;
    for (at, c) in params.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                split.push(&params[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    split.push(&params[start..]);
    split
}

/// Whether `text` names `word` as a whole identifier.
fn names_identifier(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// A macro that takes `varargs` and `kwargs`: a call's positional arguments beyond
/// the `declared` ones go to `varargs`, its keywords the macro does not declare to
/// `kwargs`.
#[derive(Debug)]
struct CatchAll {
    inner: Value,
    declared: usize,
}

impl Object for CatchAll {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let value = self.inner.get_item(key).ok()?;
        match key.as_str() {
            // The parameters as the template declared them.
            Some("arguments") => Some(Value::from_iter(
                value
                    .try_iter()
                    .ok()?
                    .take(self.declared)
                    .collect::<Vec<_>>(),
            )),
            _ => Some(value),
        }
    }

    fn call(self: &Arc<Self>, state: &State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (positional, kwargs): (Rest<Value>, Kwargs) = from_args(args)?;
        let declared: Vec<String> = self
            .inner
            .get_attr("arguments")?
            .try_iter()?
            .take(self.declared)
            .filter_map(|name| name.as_str().map(str::to_string))
            .collect();
        let takes = |name: &str| {
            self.inner
                .get_attr("arguments")
                .ok()
                .and_then(|names| names.try_iter().ok())
                .is_some_and(|mut names| names.any(|n| n.as_str() == Some(name)))
        };
        let split = positional.len().min(self.declared);
        let mut bound: Vec<Value> = positional[..split].to_vec();
        let mut named: Vec<(String, Value)> = Vec::new();
        let mut others: Vec<(String, Value)> = Vec::new();
        for key in kwargs.args() {
            let value = kwargs.get::<Value>(key)?;
            if key == "caller" || declared.iter().any(|d| d == key) {
                named.push((key.to_string(), value));
            } else {
                others.push((key.to_string(), value));
            }
        }
        let extra = positional[split..].to_vec();
        if takes("varargs") {
            named.push(("varargs".into(), Value::from(extra)));
        } else if !extra.is_empty() {
            return Err(Error::from(minijinja::ErrorKind::TooManyArguments));
        }
        if takes("kwargs") {
            named.push((
                "kwargs".into(),
                Value::from_iter(others.into_iter().map(|(k, v)| (Value::from(k), v))),
            ));
        } else {
            named.extend(others);
        }
        bound.push(Value::from(named.into_iter().collect::<Kwargs>()));
        self.inner.call(state, &bound)
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.inner)
    }
}
