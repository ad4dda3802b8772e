//! From minijinja's error to a [`TemplateError`] a playbook author can act on:
//! minijinja only says "undefined value", so the undeclared variables of the failing
//! template are checked against the variables to name the missing one
//! (`'item.name' is undefined`), preferring one inside the failing expression.

use minijinja::value::ValueKind;
use minijinja::{Environment, ErrorKind, Value};

use super::error::{TemplateError, TemplateErrorKind};

/// Turn a minijinja error raised while rendering `source` with `vars` into a
/// [`TemplateError`]; `name` is the template file's name, if it is one.
pub(crate) fn diagnose(
    env: &Environment<'_>,
    err: minijinja::Error,
    source: &str,
    vars: &Value,
    name: Option<&str>,
) -> TemplateError {
    let mut kind = match err.kind() {
        ErrorKind::SyntaxError | ErrorKind::BadEscape => TemplateErrorKind::Syntax,
        ErrorKind::UndefinedError => TemplateErrorKind::Undefined,
        _ => TemplateErrorKind::Render,
    };
    let message = match kind {
        TemplateErrorKind::Undefined => undefined_message(env, &err, source, vars)
            .unwrap_or_else(|| "undefined value".to_string()),
        // `missing.keys()`, `x + missing`: an undefined value met an operation.
        _ if meets_undefined(&err) => match undefined_message(env, &err, source, vars) {
            Some(message) => {
                kind = TemplateErrorKind::Undefined;
                message
            }
            None => describe(&err),
        },
        _ => describe(&err),
    };
    let line = err
        .line()
        .filter(|_| name.is_some() || source.contains('\n'));
    TemplateError {
        kind,
        message,
        line,
        name: name.map(str::to_string),
    }
}

/// The error's words without minijinja's "(in template:line)" suffix, then its
/// causes. A long chain (a template that includes itself: one cause per level, each
/// naming the file) is cut to its first and last links, with the depth between.
fn describe(err: &minijinja::Error) -> String {
    let words = |err: &minijinja::Error| match (err.kind(), err.detail()) {
        (ErrorKind::InvalidOperation, Some(detail)) => detail.to_string(),
        (kind, Some(detail)) => format!("{kind}: {detail}"),
        (kind, None) => kind.to_string(),
    };
    let mut causes = Vec::new();
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        causes.push(match inner.downcast_ref::<minijinja::Error>() {
            Some(inner) => words(inner),
            None => inner.to_string(),
        });
        cause = inner.source();
    }
    let mut message = words(err);
    if message.contains("- operator on unsupported types plain object and plain object") {
        message.push_str(&format!(" ({})", super::datetime::SUBTRACTION_HINT));
    }
    match causes.as_slice() {
        [] => {}
        [first, .., last] if causes.len() > 3 => {
            let between = causes.len() - 2;
            message.push_str(&format!(
                ": {first}: … {between} more nested templates …: {last}"
            ));
        }
        all => {
            for cause in all {
                message.push_str(": ");
                message.push_str(cause);
            }
        }
    }
    message
}

fn meets_undefined(err: &minijinja::Error) -> bool {
    err.detail().is_some_and(|detail| {
        detail.starts_with("undefined has no method")
            || detail.contains(" and undefined")
            || detail.contains("types undefined ")
    })
}

/// "'item.name' is undefined", or `None` when no variable can be blamed.
fn undefined_message(
    env: &Environment<'_>,
    err: &minijinja::Error,
    source: &str,
    vars: &Value,
) -> Option<String> {
    let snippet = err
        .range()
        .and_then(|range| source.get(range))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut candidates: Vec<String> = match env.template_from_str(source) {
        Ok(tmpl) => tmpl
            .undeclared_variables(true)
            .into_iter()
            .filter_map(|path| missing_part(env, vars, &path))
            .collect(),
        Err(_) => Vec::new(),
    };
    candidates.sort();
    candidates.dedup();
    // Method calls (`d.keys()`) look like attributes; try them last.
    candidates.sort_by_key(|path| source.contains(&format!("{path}(")));
    let in_snippet = snippet.and_then(|s| {
        candidates
            .iter()
            .filter(|path| mentions(s, path))
            .max_by_key(|path| path.len())
    });
    let mandatory = err.detail().is_some_and(|d| d.starts_with("mandatory"));
    let strict = err.kind() == ErrorKind::UndefinedError;
    let blamed = in_snippet.or(candidates.first());
    if !mandatory {
        // As ansible-core 2.19: a defined value that lacks the key or item is named
        // by its type (`object of type 'dict' has no attribute 'x'`).
        // minijinja gives no span for a failed subscript: then each `{{ chain }}`, or
        // the expression an evaluation wraps (engine.rs).
        let evaluated = source
            .strip_prefix(super::engine::EVAL_PREFIX)
            .and_then(|rest| rest.strip_suffix(super::engine::EVAL_SUFFIX));
        let expressions = source
            .split("{{")
            .skip(1)
            .filter_map(|part| part.split_once("}}").map(|(inner, _)| inner.trim()))
            .chain(evaluated.map(str::trim));
        let chain = blamed
            .map(String::as_str)
            .into_iter()
            .chain(snippet)
            .chain(expressions);
        if let Some(message) = chain.filter_map(|c| missing_in_chain(env, vars, c)).next() {
            return Some(message);
        }
    }
    match (blamed, snippet) {
        (Some(path), _) if mandatory => Some(format!("mandatory variable '{path}' is not defined")),
        (Some(path), _) => Some(format!("'{path}' is undefined")),
        (None, Some(s)) if strict && looks_like_path(s) => Some(format!("'{s}' is undefined")),
        (None, Some(s)) if strict => Some(format!("undefined value in '{s}'")),
        _ => None,
    }
}

/// Whether `path` occurs in `text` as a whole name (not inside a longer one).
fn mentions(text: &str, path: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(path).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + path.len()..].chars().next();
        !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
    })
}

fn looks_like_path(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_alphanumeric() || "_.[]'\"".contains(c))
}

/// The shortest prefix of the dotted `path` that cannot be resolved in `vars` (or
/// the globals): `foo` for `foo.bar` when `foo` is missing, `item.name` when `item`
/// lacks `name`. `None` when it resolves, or reaches a non-mapping (a method call).
fn missing_part(env: &Environment<'_>, vars: &Value, path: &str) -> Option<String> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut current = vars.get_attr(first).unwrap_or_default();
    if current.is_undefined() {
        current = env
            .globals()
            .find(|(name, _)| *name == first)
            .map(|(_, value)| value)
            .unwrap_or_default();
    }
    if current.is_undefined() {
        return Some(first.to_string());
    }
    let mut resolved = first.len();
    for part in parts {
        if current.kind() != ValueKind::Map {
            return None;
        }
        resolved += 1 + part.len();
        let next = current.get_attr(part).unwrap_or_default();
        if next.is_undefined() {
            return Some(path[..resolved].to_string());
        }
        current = next;
    }
    None
}

/// One step of a chain of lookups: `.name` or `['name']`, or `[3]`.
enum Step<'s> {
    Key(&'s str),
    Index(i64),
}

/// The lookups of `text` when it is a plain chain (`d.a['b'][0]`): its root and
/// steps; `None` for anything else.
fn chain_steps(text: &str) -> Option<(&str, Vec<Step<'_>>)> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let end = text.find(|c: char| !ident(c)).unwrap_or(text.len());
    let (root, mut rest) = text.split_at(end);
    if root.is_empty() || root.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(|c: char| !ident(c)).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Key(&after[..end]));
            rest = &after[end..];
        } else if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            let key = inner[..close].trim();
            let quoted = key
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .or_else(|| key.strip_prefix('"').and_then(|k| k.strip_suffix('"')));
            steps.push(match quoted {
                Some(name) => Step::Key(name),
                None => Step::Index(key.parse().ok()?),
            });
            rest = &inner[close + 1..];
        } else {
            return None;
        }
    }
    Some((root, steps))
}

/// "object of type 'dict' has no attribute 'x'" for the first lookup of the chain
/// `text` that a defined value cannot answer; `None` when its root is undefined,
/// every lookup answers, or it is no plain chain.
fn missing_in_chain(env: &Environment<'_>, vars: &Value, text: &str) -> Option<String> {
    let (root, steps) = chain_steps(text)?;
    let mut current = vars.get_attr(root).unwrap_or_default();
    if current.is_undefined() {
        current = env
            .globals()
            .find(|(name, _)| *name == root)
            .map(|(_, value)| value)
            .unwrap_or_default();
    }
    if current.is_undefined() {
        return None;
    }
    for step in steps {
        let (next, shown) = match step {
            Step::Key(name) => (current.get_attr(name), format!("'{name}'")),
            Step::Index(index) => (current.get_item(&Value::from(index)), index.to_string()),
        };
        match next {
            Ok(next) if !next.is_undefined() => current = next,
            _ => {
                return Some(format!(
                    "object of type '{}' has no attribute {shown}",
                    super::value_format::py_type_name(&current)
                ))
            }
        }
    }
    None
}
