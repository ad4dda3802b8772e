//! The engine behind [`Templates`](super::Templates): four environments that differ
//! only in whitespace rules (trim_blocks × lstrip_blocks) and share every filter, test
//! and global, plus the caches and the error diagnosis.
//!
//! Caching: minijinja's `Expression` borrows its environment, so it cannot be stored
//! next to it. Instead the environment's own loader is the cache: an expression (or a
//! playbook string) is "loaded" under a reserved name the first time and kept compiled
//! by the environment from then on.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use minijinja::value::ValueKind;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use super::diagnose::diagnose;
use super::error::{TemplateError, TemplateErrorKind};
use super::{
    backslash, collections, conversions, crypt, datetime, datetime_minus, filters, globals,
    jinja_compat, json_query, lipsum, lookup, macro_varargs, math_filters, names, operator_calls,
    overrides, path_tests, pyjson, python_iteration, python_methods, python_mutation, pyyaml,
    regexes, simple, size_filters, tests, text_filters, time_filters, undefined_chain, url_filters,
    urlize, value_format, vault_filters, wordwrap, FileOptions, OMIT,
};

/// Loader names under which expressions and strings are cached. The leading control
/// character keeps them apart from any real template name.
const EXPR_KEY: &str = "\u{1}expr\u{1}";
const STR_KEY: &str = "\u{1}str\u{1}";
/// Template files: the key holds the file's name and the source it was read with, so
/// a file is compiled once per run and content (the controller's files are read once
/// per run), and a changed source is another template.
const FILE_KEY: &str = "\u{1}file\u{1}";
/// The variable a cached expression stores its result in.
const RESULT_VAR: &str = "__machinist_result__";
/// What an evaluated expression is wrapped in (`expression_template`), before and after.
pub(crate) const EVAL_PREFIX: &str = "{% set __machinist_result__ = (";
pub(crate) const EVAL_SUFFIX: &str = ") %}";

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
    /// Playbook strings rendered once so far. A string is compiled into the
    /// environment's cache (kept for the whole run) only when it comes back: most
    /// argument strings (`"{{ base }}/etc/app.conf"`) are rendered once per run, and
    /// caching each one made memory grow by kilobytes per task.
    seen_once: Mutex<HashSet<String>>,
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
        let engine = Arc::new(Engine {
            envs,
            seen_once: Mutex::new(HashSet::new()),
        });
        // A fresh OnceLock: setting it cannot fail.
        let _ = slot.set(Arc::downgrade(&engine));
        engine
    }

    /// Whether a filter or test of this (short) name is registered: a probe that
    /// applies it to `none` fails as unknown only when it is not.
    pub(crate) fn has(&self, kind: names::NameKind, name: &str) -> bool {
        let valid = name.split('.').all(|part| {
            part.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if !valid {
            return false;
        }
        let (probe, unknown) = match kind {
            names::NameKind::Test => (format!("none is {name}"), minijinja::ErrorKind::UnknownTest),
            _ => (
                format!("none | {name}"),
                minijinja::ErrorKind::UnknownFilter,
            ),
        };
        let Ok(expr) = self.strings().compile_expression(&probe) else {
            return false;
        };
        !matches!(expr.eval(()), Err(err) if err.kind() == unknown)
    }

    fn strings(&self) -> &Environment<'static> {
        &self.envs[STRINGS]
    }

    pub(crate) fn render_str(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        let source = template_source(source);
        let escaped = backslash::escape_expressions(&source);
        self.render_escaped(&escaped, vars)
    }

    fn render_escaped(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        self.render_template_str(source, vars)
            .map(|text| with_source_newlines(source, text))
    }

    /// A playbook string rendered as Jinja does (its one trailing newline dropped).
    fn render_template_str(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        let env = self.strings();
        let body = without_trailing_newline(source);
        if let Some(text) = simple::render(body, vars, |expr| self.eval_expr(expr, vars).ok()) {
            return Ok(text);
        }
        let fail = |err| diagnose(env, err, source, vars, None);
        let first_time = self
            .seen_once
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(source.to_string());
        if first_time {
            let tmpl = env.template_from_str(source).map_err(fail)?;
            return tmpl.render(vars).map_err(fail);
        }
        let tmpl = env
            .get_template(&format!("{STR_KEY}{source}"))
            .map_err(fail)?;
        tmpl.render(vars).map_err(fail)
    }

    pub(crate) fn render_native(&self, source: &str, vars: &Value) -> Result<Value, TemplateError> {
        let source = template_source(source);
        let escaped = backslash::escape_expressions(&source);
        let Some(expr) = single_expression(&escaped) else {
            if escaped.contains("{%") {
                return self.render_one_node(&escaped, vars);
            }
            return self.render_escaped(&escaped, vars).map(Value::from);
        };
        let value = self.eval_expr(expr, vars)?;
        datetime_minus::refuse_as_value(&value)?;
        let trimmed = escaped.trim();
        let scalar = matches!(
            value.kind(),
            ValueKind::String | ValueKind::Number | ValueKind::Bool
        );
        if scalar && trimmed.len() != escaped.len() {
            // Whitespace around a string, number or boolean is part of the text, a
            // trailing newline included (`content: "{{ count }}\n"` ends in one;
            // ansible-core drops that newline and keeps the number).
            return self.render_escaped(&escaped, vars).map(Value::from);
        }
        Ok(value)
    }

    /// A string with block tags: when all it outputs is one `{{ }}` (the tags around
    /// it write nothing), that value as it is, as ansible-core's native rendering
    /// gives it; else the text. A string, number or boolean from a source that ends
    /// in a newline stays text, as for a single `{{ expr }}` (render_native).
    fn render_one_node(&self, source: &str, vars: &Value) -> Result<Value, TemplateError> {
        let (text, single) =
            value_format::with_single_emission(|| self.render_template_str(source, vars));
        let text = text?;
        if let Some(value) = single {
            let mut alone = String::new();
            let scalar = matches!(
                value.kind(),
                ValueKind::String | ValueKind::Number | ValueKind::Bool
            );
            if value_format::write_py_str(&mut alone, &value).is_ok()
                && alone == text
                && !(scalar && source.ends_with('\n'))
            {
                datetime_minus::refuse_as_value(&value)?;
                return Ok(value);
            }
        }
        Ok(Value::from(with_source_newlines(source, text)))
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
        self.eval_expr(
            &undefined_chain::rewritten(
                operator_calls::rewritten(
                    python_mutation::rewritten(names::unqualified(expr, false), false),
                    false,
                ),
                false,
            ),
            vars,
        )
    }

    fn eval_expr(&self, expr: &str, vars: &Value) -> Result<Value, TemplateError> {
        let env = self.strings();
        // The wrapper is only needed to diagnose a failure.
        let fail = |err| diagnose(env, err, &expression_wrapper(expr), vars, None);
        let tmpl = env
            .get_template(&format!("{EXPR_KEY}{expr}"))
            .map_err(fail)?;
        let captured = tmpl.render_captured(vars).map_err(fail)?;
        let value = captured.state().lookup(RESULT_VAR).unwrap_or_default();
        if value.is_undefined() {
            return Err(fail(minijinja::Error::from(
                minijinja::ErrorKind::UndefinedError,
            )));
        }
        value_format::refuse_undefined_items(&value).map_err(fail)?;
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
        let (body, set) = overrides::split(source).map_err(|message| {
            TemplateError::new(TemplateErrorKind::Syntax, format!("{name}: {message}"))
        })?;
        let body = &*template_source(body);
        let original = body;
        // Jinja writes each newline of the template's own text (not of the values it
        // renders) as newline_sequence.
        let newline = set.newline_sequence.unwrap_or(options.newline_sequence);
        let normalised;
        let body = if newline == "\n" {
            body
        } else {
            normalised = normalise_newlines(body, newline);
            &normalised
        };
        let env = &self.envs[env_index(
            set.trim_blocks.unwrap_or(options.trim_blocks),
            set.lstrip_blocks.unwrap_or(options.lstrip_blocks),
        )];
        let custom;
        let env = if options.delimiters.is_default() {
            env
        } else {
            // Rare (a template of a file that is a template itself): an environment of
            // its own for this rendering, with no template compiled by the others.
            let syntax = options.delimiters.syntax().map_err(|err| {
                TemplateError::new(TemplateErrorKind::Syntax, format!("{name}: {err}"))
            })?;
            let mut own = env.clone();
            own.clear_templates();
            own.set_syntax(syntax);
            custom = own;
            &custom
        };
        let fail = |err| diagnose(env, err, source, vars, Some(name));
        let kept;
        let compiled = if set.keep_trailing_newline == Some(true) && body.ends_with('\n') {
            // The environments drop a last newline; one more keeps the source's.
            kept = format!("{body}\n");
            &kept
        } else {
            body
        };
        let tmpl = env.get_template(&file_key(name, compiled)).map_err(fail)?;
        let (text, emitted) = value_format::with_any_emission(|| tmpl.render(vars));
        let mut text = text.map_err(fail)?;
        if text.is_empty() && !emitted && ["{{", "{%", "{#"].iter().any(|m| body.contains(m)) {
            return Ok(text);
        }
        // Jinja drops a last `\n` alone: a source ending in `\r\n` keeps its `\r`.
        if original.ends_with("\r\n") && newline == "\n" && !text.ends_with(['\r', '\n']) {
            text.push('\r');
        }
        // ansible-core adds the newlines Jinja dropped as the module's newline_sequence
        // (a header's does not count here).
        Ok(with_source_newlines_as(
            original,
            text,
            options.newline_sequence,
        ))
    }
}

/// Every newline (`\r\n`, `\r`, `\n`) of `text` as `newline`.
fn normalise_newlines(text: &str, newline: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', newline)
}

/// `source` without the one trailing newline Jinja drops (`\n` or `\r\n`).
fn without_trailing_newline(source: &str) -> &str {
    source
        .strip_suffix("\r\n")
        .or_else(|| source.strip_suffix('\n'))
        .unwrap_or(source)
}

/// Ansible's rule for the end of a rendered string or file: Jinja drops the source's
/// last newline, then ansible-core adds newlines until the result ends in as many as
/// the source did. So `"[main]\n{{ extra }}\n"` with `extra: "workers = 4\n"` ends in one
/// newline, and `"a\n{{ b }}\n\n"` in two.
fn with_source_newlines(source: &str, mut rendered: String) -> String {
    let wanted = trailing_newlines(source);
    let have = trailing_newlines(&rendered);
    for _ in have..wanted {
        rendered.push('\n');
    }
    rendered
}

/// [`with_source_newlines`] for a template file: the source's trailing newlines
/// counted as written, the rendered text's as newline sequences of any kind, and the
/// missing ones added as `newline`.
fn with_source_newlines_as(source: &str, mut rendered: String, newline: &str) -> String {
    if newline == "\n" {
        return with_source_newlines(source, rendered);
    }
    let wanted = trailing_newlines(source);
    let mut have = 0;
    let mut rest = rendered.as_str();
    while let Some(shorter) = rest
        .strip_suffix("\r\n")
        .or_else(|| rest.strip_suffix('\n'))
        .or_else(|| rest.strip_suffix('\r'))
    {
        have += 1;
        rest = shorter;
    }
    for _ in have..wanted {
        rendered.push_str(newline);
    }
    rendered
}

fn trailing_newlines(text: &str) -> usize {
    text.bytes().rev().take_while(|&b| b == b'\n').count()
}

fn iter(value: &Value) -> Result<minijinja::value::ValueIter, TemplateError> {
    value
        .try_iter()
        .map_err(|err| TemplateError::new(TemplateErrorKind::Render, err.to_string()))
}

/// The template a cached expression compiles to.
fn expression_wrapper(expr: &str) -> String {
    format!("{EVAL_PREFIX}{expr}{EVAL_SUFFIX}")
}

/// The expression of a string that is exactly one `{{ expression }}` (surrounding
/// whitespace allowed), or `None`. As Jinja's lexer does, a `}}` inside brackets or a
/// string literal does not end the expression (`{{ a | combine({'b': {'c': 1}}) }}`).
pub(crate) fn single_expression(source: &str) -> Option<&str> {
    let inner = source.trim().strip_prefix("{{")?;
    let end = super::expr_guard::closing_braces(inner)?;
    if !inner[end + 2..].is_empty() {
        return None;
    }
    let inner = &inner[..end];
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
    Some(inner.trim())
}

/// The loader name of the template file `name` read as `source`.
fn file_key(name: &str, source: &str) -> String {
    format!("{FILE_KEY}{}\u{1}{name}{source}", name.len())
}

/// The file name and source in a [`file_key`]; `None` for any other name.
fn split_file_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(FILE_KEY)?;
    let (len, rest) = rest.split_once('\u{1}')?;
    let len: usize = len.parse().ok()?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

/// The loader that turns the environment into a compile cache, and loads the files
/// template files include (by the absolute path [`join_include`] made).
/// A template's source as it compiles: Ansible's qualified names made short, and the
/// rewrites of Jinja semantics minijinja lacks (macro varargs, mutating methods,
/// Python operators, attribute chains under `default`).
fn template_source(source: &str) -> Cow<'_, str> {
    match raw_keeps_newline(source) {
        Cow::Borrowed(source) => template_rewrites(source),
        Cow::Owned(source) => Cow::Owned(template_rewrites(&source).into_owned()),
    }
}

/// Jinja never trims the newline after `{% raw %}` (trim_blocks applies to the
/// other tags, `{% endraw %}` included); minijinja does. A `{{ '' }}` between them keeps
/// it: `{% raw %}\n` becomes `{% raw %}{% endraw %}{{ '' }}\n{% raw %}`.
fn raw_keeps_newline(source: &str) -> Cow<'_, str> {
    static RAW_OPEN: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(\{%[-+]?\s*raw\s*%\})\n").ok());
    match RAW_OPEN.as_ref() {
        Some(re) if source.contains("raw") => {
            re.replace_all(source, "$1{% endraw %}{{ '' }}\n{% raw %}")
        }
        _ => Cow::Borrowed(source),
    }
}

fn template_rewrites(source: &str) -> Cow<'_, str> {
    undefined_chain::rewritten(
        operator_calls::rewritten(
            python_mutation::rewritten(
                macro_varargs::rewritten(names::unqualified(source, true)),
                true,
            ),
            true,
        ),
        true,
    )
}

fn cache_loader(name: &str) -> Result<Option<String>, minijinja::Error> {
    if let Some(expr) = name.strip_prefix(EXPR_KEY) {
        // Reject anything that is not one bare expression before wrapping it.
        super::expr_guard::check(expr)?;
        Environment::empty().compile_expression(expr)?;
        Ok(Some(expression_wrapper(expr)))
    } else if let Some(source) = name.strip_prefix(STR_KEY) {
        Ok(Some(source.to_string()))
    } else if let Some((_, source)) = split_file_key(name) {
        Ok(Some(source.to_string()))
    } else if Path::new(name).is_absolute() {
        // A file `{% include %}`d or `{% import %}`ed: rewritten as the template
        // that names it was.
        match crate::input::read_text(Path::new(name), crate::input::MAX_TEXT_BYTES) {
            Ok(source) => Ok(Some(template_source(&source).into_owned())),
            Err(crate::input::ReadError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(None)
            }
            Err(err) => Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                err.to_string(),
            )),
        }
    } else {
        Ok(None)
    }
}

/// Where `{% include name %}` / `{% import %}` in the template file `parent` looks:
/// beside the parent, then up through its directories as far as the nearest
/// `templates/` directory (so `roles/x/templates/sub/a.j2` finds
/// `roles/x/templates/common.j2`, as Ansible's template search path does).
fn join_include<'s>(name: &'s str, parent: &'s str) -> Cow<'s, str> {
    // A template file compiled under its file key includes relative to its name.
    let parent = split_file_key(parent).map_or(parent, |(file, _)| file);
    // Strings and expressions include nothing relative to themselves; a template file
    // named relative to the working directory (a playbook run as `site.yml`) is made
    // absolute, since the loader reads only absolute names.
    if Path::new(name).is_absolute() || parent.starts_with(STR_KEY) || parent.starts_with(EXPR_KEY)
    {
        return Cow::Borrowed(name);
    }
    let absolute = std::path::absolute(parent).unwrap_or_else(|_| Path::new(parent).to_path_buf());
    let parent = absolute.as_path();
    let is_templates = |dir: &Path| dir.file_name().is_some_and(|n| n == "templates");
    if parent.ancestors().skip(1).any(is_templates) {
        for dir in parent.ancestors().skip(1) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Cow::Owned(candidate.to_string_lossy().into_owned());
            }
            if is_templates(dir) {
                break;
            }
        }
    }
    match parent.parent() {
        Some(dir) => Cow::Owned(dir.join(name).to_string_lossy().into_owned()),
        None => Cow::Borrowed(name),
    }
}

/// Instructions one render may run: far beyond any real template (a loop over ten
/// thousand items is well under a million), and a bound on one that never ends (an
/// untrusted role's loops of loops): it fails with "engine ran out of fuel".
const MAX_FUEL: u64 = 20_000_000;

fn base_env(slot: &EngineSlot) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(MAX_FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_debug(false);
    env.set_formatter(value_format::formatter);
    env.set_unknown_method_callback(python_methods::call);
    minijinja_contrib::add_to_environment(&mut env);
    python_methods::register(&mut env);
    filters::register(&mut env);
    text_filters::register(&mut env);
    conversions::register(&mut env);
    regexes::register(&mut env);
    collections::register(&mut env);
    math_filters::register(&mut env);
    size_filters::register(&mut env);
    time_filters::register(&mut env);
    datetime::register(&mut env);
    operator_calls::register(&mut env);
    globals::register(&mut env);
    lipsum::register(&mut env);
    json_query::register(&mut env);
    python_mutation::register(&mut env);
    macro_varargs::register(&mut env);
    wordwrap::register(&mut env);
    vault_filters::register(&mut env);
    urlize::register(&mut env);
    url_filters::register(&mut env);
    path_tests::register(&mut env);
    pyjson::register(&mut env);
    pyyaml::register(&mut env);
    crypt::register(&mut env);
    tests::register(&mut env);
    // Last: they replace minijinja's versions and the ones above.
    jinja_compat::register(&mut env);
    python_iteration::register(&mut env);
    lookup::register(&mut env, slot);
    undefined_chain::register(&mut env);
    env.add_global("omit", Value::from(OMIT));
    env.set_loader(cache_loader);
    env.set_path_join_callback(join_include);
    env
}

/// Used by lookups: render a template file found on disk with the current variables.
pub(crate) fn render_in_slot(
    slot: &EngineSlot,
    name: &str,
    source: &str,
    vars: &Value,
    options: FileOptions,
) -> Result<String, minijinja::Error> {
    thread_local! {
        /// How many lookup('template') renders are running on this thread.
        static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    let fail =
        |message: String| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, message);
    let engine = slot
        .get()
        .and_then(Weak::upgrade)
        .ok_or_else(|| fail("the template engine is gone".into()))?;
    let depth = DEPTH.get();
    if depth >= MAX_LOOKUP_DEPTH {
        let file = name.rsplit('/').next().unwrap_or(name);
        return Err(fail(format!(
            "lookup('template', '{file}'): {TOO_DEEP} {MAX_LOOKUP_DEPTH} deep \
             (a template looking itself up?)"
        )));
    }
    DEPTH.set(depth + 1);
    let result = engine.render_file(name, source, vars, options);
    DEPTH.set(depth);
    result.map_err(|err| {
        // The loop error is reported once, not wrapped by every level.
        if err.message.contains(TOO_DEEP) {
            fail(err.message)
        } else {
            fail(err.to_string())
        }
    })
}

const TOO_DEEP: &str = "templates look each other up more than";

/// Nested lookup('template') renders allowed before we call it a loop.
const MAX_LOOKUP_DEPTH: usize = 20;
