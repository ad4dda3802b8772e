//! The engine behind [`Templates`](super::Templates): four environments that differ
//! only in whitespace rules (trim_blocks × lstrip_blocks) and share every filter, test
//! and global, plus the caches and the error diagnosis.
//!
//! Caching: minijinja's `Expression` borrows its environment, so it cannot be stored
//! next to it. Instead the environment's own loader is the cache: an expression (or a
//! playbook string) is "loaded" under a reserved name the first time and kept compiled
//! by the environment from then on.

use std::sync::{Arc, OnceLock, Weak};

use minijinja::value::ValueKind;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use super::error::{TemplateError, TemplateErrorKind};
use super::{
    backslash, collections, crypt, filters, lookup, pyjson, pyyaml, tests, value_format,
    FileOptions, OMIT,
};

/// Loader names under which expressions and strings are cached. The leading control
/// character keeps them apart from any real template name.
const EXPR_KEY: &str = "\u{1}expr\u{1}";
const STR_KEY: &str = "\u{1}str\u{1}";
/// The variable a cached expression stores its result in.
const RESULT_VAR: &str = "__machinist_result__";

/// Index of the environment for (trim_blocks, lstrip_blocks).
fn env_index(trim_blocks: bool, lstrip_blocks: bool) -> usize {
    (usize::from(trim_blocks) << 1) | usize::from(lstrip_blocks)
}

/// Playbook strings render as Ansible's templar does: trim_blocks on, lstrip off.
const STRINGS: usize = 2;

/// Where a lookup finds the engine it runs in (set once the engine is built).
pub(crate) type EngineSlot = Arc<OnceLock<Weak<Engine>>>;

pub(crate) struct Engine {
    envs: [Environment<'static>; 4],
}

impl Engine {
    pub(crate) fn build() -> Arc<Engine> {
        let slot: EngineSlot = Arc::default();
        let base = base_env(&slot);
        let envs = [0usize, 1, 2, 3].map(|i| {
            let mut env = base.clone();
            env.set_trim_blocks(i & 2 != 0);
            env.set_lstrip_blocks(i & 1 != 0);
            env
        });
        let engine = Arc::new(Engine { envs });
        // A fresh OnceLock: setting it cannot fail.
        let _ = slot.set(Arc::downgrade(&engine));
        engine
    }

    fn strings(&self) -> &Environment<'static> {
        &self.envs[STRINGS]
    }

    pub(crate) fn render_str(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        let escaped = backslash::escape_expressions(source);
        self.render_escaped(&escaped, vars)
    }

    fn render_escaped(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        let env = self.strings();
        let fail = |err| diagnose(env, err, source, vars, None);
        let tmpl = env
            .get_template(&format!("{STR_KEY}{source}"))
            .map_err(fail)?;
        tmpl.render(vars).map_err(fail)
    }

    pub(crate) fn render_native(&self, source: &str, vars: &Value) -> Result<Value, TemplateError> {
        let escaped = backslash::escape_expressions(source);
        let Some(expr) = single_expression(&escaped) else {
            return self.render_escaped(&escaped, vars).map(Value::from);
        };
        let value = self.eval_expr(expr, vars)?;
        let trimmed = escaped.trim();
        if value.kind() == ValueKind::String && trimmed.len() != escaped.len() {
            // Whitespace around a string result is part of the string.
            return self.render_escaped(&escaped, vars).map(Value::from);
        }
        Ok(value)
    }

    pub(crate) fn render_tree(&self, value: &Value, vars: &Value) -> Result<Value, TemplateError> {
        match value.kind() {
            ValueKind::String => match value.as_str() {
                Some(text) if super::Templates::is_template(text) => self.render_native(text, vars),
                _ => Ok(value.clone()),
            },
            ValueKind::Seq | ValueKind::Iterable => {
                let mut items = Vec::new();
                for item in iter(value)? {
                    let rendered = self.render_tree(&item, vars)?;
                    if !super::Templates::is_omit(&rendered) {
                        items.push(rendered);
                    }
                }
                Ok(Value::from(items))
            }
            ValueKind::Map => {
                let mut pairs = Vec::new();
                for key in iter(value)? {
                    let item = value.get_item(&key).unwrap_or_default();
                    let rendered = self.render_tree(&item, vars)?;
                    if !super::Templates::is_omit(&rendered) {
                        pairs.push((key, rendered));
                    }
                }
                Ok(Value::from_iter(pairs))
            }
            _ => Ok(value.clone()),
        }
    }

    pub(crate) fn eval(&self, expr: &str, vars: &Value) -> Result<Value, TemplateError> {
        let expr = single_expression(expr).unwrap_or(expr);
        self.eval_expr(expr, vars)
    }

    fn eval_expr(&self, expr: &str, vars: &Value) -> Result<Value, TemplateError> {
        let env = self.strings();
        let wrapper = expression_wrapper(expr);
        let fail = |err| diagnose(env, err, &wrapper, vars, None);
        let tmpl = env
            .get_template(&format!("{EXPR_KEY}{expr}"))
            .map_err(fail)?;
        let captured = tmpl.render_captured(vars).map_err(fail)?;
        let value = captured.state().lookup(RESULT_VAR).unwrap_or_default();
        if value.is_undefined() {
            let err = minijinja::Error::from(minijinja::ErrorKind::UndefinedError);
            return Err(diagnose(env, err, &wrapper, vars, None));
        }
        Ok(value)
    }

    pub(crate) fn condition(&self, expr: &str, vars: &Value) -> Result<bool, TemplateError> {
        let value = self.eval(expr, vars)?;
        if value.kind() == ValueKind::Bool {
            return Ok(value.is_true());
        }
        Err(TemplateError::new(
            TemplateErrorKind::NotBoolean,
            format!(
                "conditional '{}' returned {} of type '{}', not a boolean; \
                 compare it or use '| bool'",
                expr.trim(),
                value_format::repr_truncated(&value, 60),
                value_format::py_type_name(&value),
            ),
        ))
    }

    pub(crate) fn render_file(
        &self,
        name: &str,
        source: &str,
        vars: &Value,
        options: FileOptions,
    ) -> Result<String, TemplateError> {
        let env = &self.envs[env_index(options.trim_blocks, options.lstrip_blocks)];
        let fail = |err| diagnose(env, err, source, vars, Some(name));
        let tmpl = env.template_from_named_str(name, source).map_err(fail)?;
        tmpl.render(vars).map_err(fail)
    }
}

fn iter(value: &Value) -> Result<minijinja::value::ValueIter, TemplateError> {
    value
        .try_iter()
        .map_err(|err| TemplateError::new(TemplateErrorKind::Render, err.to_string()))
}

/// The template a cached expression compiles to.
fn expression_wrapper(expr: &str) -> String {
    format!("{{% set {RESULT_VAR} = ({expr}) %}}")
}

/// The expression of a string that is exactly one `{{ expression }}` (surrounding
/// whitespace allowed), or `None`.
pub(crate) fn single_expression(source: &str) -> Option<&str> {
    let inner = source.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
    let nested = ["{{", "}}", "{%", "%}", "{#", "#}"];
    if nested.iter().any(|marker| inner.contains(marker)) {
        return None;
    }
    Some(inner.trim())
}

/// The loader that turns the environment into a compile cache.
fn cache_loader(name: &str) -> Result<Option<String>, minijinja::Error> {
    if let Some(expr) = name.strip_prefix(EXPR_KEY) {
        // Reject anything that is not one bare expression before wrapping it.
        Environment::empty().compile_expression(expr)?;
        Ok(Some(expression_wrapper(expr)))
    } else if let Some(source) = name.strip_prefix(STR_KEY) {
        Ok(Some(source.to_string()))
    } else {
        Ok(None)
    }
}

fn base_env(slot: &EngineSlot) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_keep_trailing_newline(true);
    env.set_debug(false);
    env.set_formatter(value_format::formatter);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    minijinja_contrib::add_to_environment(&mut env);
    filters::register(&mut env);
    collections::register(&mut env);
    pyjson::register(&mut env);
    pyyaml::register(&mut env);
    crypt::register(&mut env);
    tests::register(&mut env);
    lookup::register(&mut env, slot);
    env.add_global("omit", Value::from(OMIT));
    env.set_loader(cache_loader);
    env
}

/// Turn a minijinja error into a [`TemplateError`], naming the undefined variable.
pub(crate) fn diagnose(
    env: &Environment<'_>,
    err: minijinja::Error,
    source: &str,
    vars: &Value,
    name: Option<&str>,
) -> TemplateError {
    use minijinja::ErrorKind as K;
    let kind = match err.kind() {
        K::SyntaxError | K::BadEscape => TemplateErrorKind::Syntax,
        K::UndefinedError => TemplateErrorKind::Undefined,
        _ => TemplateErrorKind::Render,
    };
    let message = match kind {
        TemplateErrorKind::Undefined => undefined_message(env, &err, source, vars),
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

/// The error's words without minijinja's "(in template:line)" suffix.
fn describe(err: &minijinja::Error) -> String {
    use minijinja::ErrorKind as K;
    let mut message = match (err.kind(), err.detail()) {
        (K::InvalidOperation, Some(detail)) => detail.to_string(),
        (kind, Some(detail)) => format!("{kind}: {detail}"),
        (kind, None) => kind.to_string(),
    };
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

/// "'item.name' is undefined": find which undeclared variable of the template is
/// missing from the variables, preferring one in the failing expression.
fn undefined_message(
    env: &Environment<'_>,
    err: &minijinja::Error,
    source: &str,
    vars: &Value,
) -> String {
    let snippet = err
        .range()
        .and_then(|range| source.get(range))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut candidates: Vec<String> = match env.template_from_str(source) {
        Ok(tmpl) => tmpl
            .undeclared_variables(true)
            .into_iter()
            .filter(|path| is_missing(env, vars, path))
            .collect(),
        Err(_) => Vec::new(),
    };
    candidates.sort();
    // Method calls (`d.keys()`) look like attributes; try them last.
    candidates.sort_by_key(|path| source.contains(&format!("{path}(")));
    let in_snippet = snippet.and_then(|s| {
        candidates
            .iter()
            .filter(|path| mentions(s, path))
            .max_by_key(|path| path.len())
    });
    let mandatory = err.detail().is_some_and(|d| d.starts_with("mandatory"));
    match (in_snippet.or(candidates.first()), snippet) {
        (Some(path), _) if mandatory => format!("mandatory variable '{path}' is not defined"),
        (Some(path), _) => format!("'{path}' is undefined"),
        (None, Some(s)) if looks_like_path(s) => format!("'{s}' is undefined"),
        (None, Some(s)) => format!("undefined value in '{s}'"),
        (None, None) => "undefined value".to_string(),
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

/// Whether the dotted `path` cannot be resolved in `vars` (or the globals).
fn is_missing(env: &Environment<'_>, vars: &Value, path: &str) -> bool {
    let mut parts = path.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let mut current = vars.get_attr(first).unwrap_or_default();
    if current.is_undefined() {
        current = env
            .globals()
            .find(|(name, _)| *name == first)
            .map(|(_, value)| value)
            .unwrap_or_default();
    }
    if current.is_undefined() {
        return true;
    }
    for part in parts {
        if current.kind() != ValueKind::Map {
            return false;
        }
        let next = current.get_attr(part).unwrap_or_default();
        if next.is_undefined() {
            return true;
        }
        current = next;
    }
    false
}

/// Used by lookups: render a template file found on disk with the current variables.
pub(crate) fn render_in_slot(
    slot: &EngineSlot,
    name: &str,
    source: &str,
    vars: &Value,
    options: FileOptions,
) -> Result<String, minijinja::Error> {
    let engine = slot.get().and_then(Weak::upgrade).ok_or_else(|| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "the template engine is gone",
        )
    })?;
    engine
        .render_file(name, source, vars, options)
        .map_err(|err| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, err.to_string())
        })
}
