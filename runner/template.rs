//! The one minijinja Environment: Ansible's filters and tests, the `omit` sentinel,
//! strict undefined (chains under `default`/`is defined` see through a missing link,
//! template/undefined_chain.rs), no auto-escaping, and Ansible's value printing.
//!
//! Built once per run ([`Templates::new`]) and shared by every task: compiled
//! expressions and playbook strings are cached inside the environment, so evaluating
//! the same `when:` a thousand times parses it once.
//!
//! Where the caller puts things: every render takes the variables as one mapping
//! `Value`. The lookups read `playbook_dir` and `role_path` from it; `omit` is a global
//! of the environment (callers may also put it in the variables, it is the same value).
//!
//! Deliberate differences from ansible-core 2.19 (the safer choice, or minijinja's):
//! - a condition must evaluate to a boolean (Ansible coerces strings); a whole-string
//!   `{{ expr }}` condition is unwrapped rather than warned about;
//! - `bool` accepts true/false, yes/no, on/off, y/n, 1/0 and `''`; anything else
//!   (none included) is an error, not a deprecation warning;
//! - `render_native`: whitespace around the single `{{ expr }}` makes a string,
//!   number or boolean result text, whitespace kept (Ansible drops one trailing
//!   newline and keeps the value native); lists, mappings and none stay native
//!   (Ansible would return a string unless the only whitespace is one final newline);
//!   the same holds for a string of block tags whose only output is one `{{ }}`
//!   (engine.rs `render_one_node`: that value, as Jinja's native rendering gives it);
//! - tuples are lists (`dictsort`, `items()`, `regex_findall` groups, `subelements`);
//!   the `~` operator prints containers minijinja's way (`["a"]`), `{{ }}` Python's;
//! - regexes have no look-around or back-references;
//! - the operators are minijinja's (not a choice: no hook to change them; `a - b` of
//!   datetimes and `'literal' % args` are rewritten before compiling): `<`
//!   between mismatched types and `1 / 0` (`inf`) answer where Python fails, `and`
//!   between two literals is folded to a boolean (docs/ansible-differences.md).

mod backslash;
mod collections;
mod conversions;
pub(crate) mod crypt;
mod datetime;
mod datetime_minus;
mod diagnose;
mod engine;
mod error;
pub(crate) mod expr_guard;
mod filters;
mod globals;
mod jinja_compat;
mod json_query;
mod legacy_loops;
mod lipsum;
mod lookup;
/// Python's `ConfigParser` reading, for facts/local.rs's `.fact` files.
pub(crate) use lookup::ini::configparser_sections;
mod macro_varargs;
mod math_filters;
pub(crate) mod names;
mod operator_calls;
pub(crate) mod overrides;
mod path_tests;
mod pyjson;
mod python_iteration;
mod python_methods;
mod python_mutation;
mod python_random;
mod python_set;
mod python_str_methods;
mod pyyaml;
mod pyyaml_emitter;
mod pyyaml_scalar;
mod regexes;
mod sequences;
mod simple;
mod size_filters;
mod source_edits;
mod tests;
mod text_filters;
pub(crate) mod time_filters;
mod undefined_chain;
mod url_filters;
mod urlize;
pub(crate) mod value_format;
mod vault_filters;
mod version;
mod wordwrap;

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod filter_tests;
#[cfg(test)]
mod is_tests;
#[cfg(test)]
mod lookup_tests;
#[cfg(test)]
mod python_compat_tests;

use std::sync::Arc;

use minijinja::Value;

pub(crate) use datetime::json_text as datetime_json_text;
pub(crate) use datetime::now_text;
pub(crate) use datetime_minus::TimeDelta;
pub use error::{TemplateError, TemplateErrorKind};
pub use legacy_loops::{legacy_items, LegacyLoop};
pub use lookup::{install_host_patterns, HostPatterns};

/// Python's `json.dumps(value)` with its defaults (keys in their order, `ensure_ascii`),
/// as ansible-core writes a list or mapping given to copy's `content`.
pub fn json_dumps(value: &serde_json::Value) -> String {
    let options = pyjson::Options {
        indent: None,
        sort_keys: false,
        ensure_ascii: true,
        separators: None,
    };
    pyjson::dumps(&Value::from_serialize(value), &options).unwrap_or_else(|_| value.to_string())
}

/// Python's `str(value)`, as Ansible prints a value with `%s` (a loop item's label:
/// `{'name': 'a'}`, `True`); none prints as nothing.
pub fn py_str(value: &minijinja::Value) -> String {
    value_format::py_str(value)
}

/// How a template file is rendered (Ansible's template module defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
    /// What every newline of the template's text becomes (`\n`, `\r\n` or `\r`).
    pub newline_sequence: &'static str,
    /// The template module's `block_start_string` and its kin, where a task gives them.
    pub delimiters: Delimiters,
}

/// Jinja's delimiters as the template module and lookup name them; `None`: Jinja's
/// own (`{% %}`, `{{ }}`, `{# #}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delimiters {
    pub block_start: Option<String>,
    pub block_end: Option<String>,
    pub variable_start: Option<String>,
    pub variable_end: Option<String>,
    pub comment_start: Option<String>,
    pub comment_end: Option<String>,
}

impl Delimiters {
    /// The argument names, in the order of the fields.
    pub const ARGS: [&'static str; 6] = [
        "block_start_string",
        "block_end_string",
        "variable_start_string",
        "variable_end_string",
        "comment_start_string",
        "comment_end_string",
    ];

    /// From the six values named by [`Delimiters::ARGS`], in that order.
    pub fn from_values(mut values: impl FnMut(&'static str) -> Option<String>) -> Delimiters {
        let [bs, be, vs, ve, cs, ce] = Delimiters::ARGS.map(&mut values);
        Delimiters {
            block_start: bs,
            block_end: be,
            variable_start: vs,
            variable_end: ve,
            comment_start: cs,
            comment_end: ce,
        }
    }

    pub fn is_default(&self) -> bool {
        *self == Delimiters::default()
    }

    /// minijinja's syntax for them (Jinja's default for each pair not given).
    fn syntax(&self) -> Result<minijinja::syntax::SyntaxConfig, minijinja::Error> {
        let pair = |start: &Option<String>, end: &Option<String>, (s, e): (&str, &str)| {
            (
                start.clone().unwrap_or_else(|| s.to_string()),
                end.clone().unwrap_or_else(|| e.to_string()),
            )
        };
        let block = pair(&self.block_start, &self.block_end, ("{%", "%}"));
        let variable = pair(&self.variable_start, &self.variable_end, ("{{", "}}"));
        let comment = pair(&self.comment_start, &self.comment_end, ("{#", "#}"));
        minijinja::syntax::SyntaxConfig::builder()
            .block_delimiters(block.0, block.1)
            .variable_delimiters(variable.0, variable.1)
            .comment_delimiters(comment.0, comment.1)
            .build()
    }
}

/// ansible-core's `template_run_date`: `datetime.now()` when the template renders
/// (undefined in the unlikely case the clock is before 1970).
pub fn run_date() -> minijinja::Value {
    datetime::now_local()
        .map(minijinja::Value::from_object)
        .unwrap_or(minijinja::Value::UNDEFINED)
}

/// What ansible-core adds to a template file's variables (the template module and the
/// `template` lookup): `ansible_managed` and the `template_*` facts about the file;
/// `dest` is none for the lookup.
pub fn file_vars(path: &std::path::Path, dest: Option<&str>) -> minijinja::Value {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(path)
        .map(|meta| user_name(meta.uid()))
        .unwrap_or_default();
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    let shown = minijinja::Value::from(path.display().to_string());
    minijinja::Value::from_iter([
        ("ansible_managed", minijinja::Value::from("Ansible managed")),
        ("template_path", shown.clone()),
        ("template_fullpath", shown),
        ("template_destpath", minijinja::Value::from(dest)),
        ("template_host", minijinja::Value::from(host)),
        ("template_uid", minijinja::Value::from(owner)),
        ("template_run_date", run_date()),
    ])
}

/// The controller's name for `uid` (its /etc/passwd), or the number.
fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.get(2) == Some(&uid.to_string().as_str()))
        .and_then(|fields| fields.first().map(|name| name.to_string()))
        .unwrap_or_else(|| uid.to_string())
}

/// The template module's `newline_sequence` argument (`'\n'`, `'\r\n'`, `'\r'`, as
/// escaped or as the characters), or `None` for anything else.
pub fn newline_sequence(text: &str) -> Option<&'static str> {
    overrides::newline_sequence(text)
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            trim_blocks: true,
            lstrip_blocks: false,
            newline_sequence: "\n",
            delimiters: Delimiters::default(),
        }
    }
}

/// The sentinel `omit` renders to; a module argument equal to it is dropped.
pub const OMIT: &str = "__omit_place_holder__machinist";

/// The templating engine, built once per run. Cloning is cheap (shared engine).
#[derive(Clone)]
pub struct Templates {
    engine: Arc<engine::Engine>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    pub fn new() -> Templates {
        Templates {
            engine: engine::Engine::build(),
        }
    }

    /// Whether machinist has a filter, test or lookup plugin of this name (Ansible's
    /// qualified `ansible.builtin.` and `ansible.legacy.` names included).
    pub fn has_plugin(&self, kind: names::NameKind, name: &str) -> bool {
        let name = names::short_name(name);
        match kind {
            names::NameKind::Lookup => lookup::PLUGINS.contains(&name),
            names::NameKind::Filter | names::NameKind::Test => self.engine.has(kind, name),
        }
    }

    /// The items of a `with_<lookup>` loop whose value is `value`: what the lookup
    /// makes of it, with the run's variables for the ones that search the controller
    /// (`with_fileglob`, as `query('fileglob', …)`, relative to files/ as Ansible's;
    /// `with_first_found`, in the folder `action` names as Ansible's task executor
    /// chooses it: vars/ for include_vars, templates/ for template, else files/).
    /// `task_dir`, the folder of the task's file, is searched after the role's, as
    /// ansible-core's search path for a task (`include_tasks: "{{ item }}"` with
    /// `with_first_found` finds a file beside the role's tasks/main.yml).
    pub fn legacy_loop_items(
        &self,
        kind: LegacyLoop,
        value: &Value,
        vars: &Value,
        (action, task_dir): (&str, &std::path::Path),
    ) -> Result<Vec<Value>, String> {
        let (lookup, subdir) = match kind {
            LegacyLoop::Fileglob => ("fileglob", "files"),
            LegacyLoop::FirstFound => ("first_found", search_subdir(action)),
            _ => return legacy_items(kind, value),
        };
        const TERMS: &str = "__machinist_legacy_terms";
        let vars = minijinja::context! {
            __machinist_legacy_terms => value.clone(),
            __machinist_search_subdir => subdir,
            __machinist_task_dir => task_dir.display().to_string(),
            ..vars.clone()
        };
        let found = self
            .engine
            .eval(&format!("query('{lookup}', {TERMS})"), &vars)
            .map_err(|err| format!("with_{lookup}: {err}"))?;
        Ok(found.try_iter().map_err(|err| err.to_string())?.collect())
    }

    /// Whether a string needs rendering at all.
    pub fn is_template(text: &str) -> bool {
        crate::jinja_marks::holds_markup(text)
    }

    /// Whether a string is literal text around `{{ name }}`s, or around other simple
    /// expressions that `compiles` accepts: valid syntax, no template to compile to
    /// know it.
    pub fn simple_syntax_is_valid(text: &str, compiles: impl FnMut(&str) -> bool) -> bool {
        simple::syntax_is_valid(text, compiles)
    }

    /// Whether a rendered value is the `omit` placeholder (the argument must be dropped).
    pub fn is_omit(value: &Value) -> bool {
        value.as_str() == Some(OMIT)
    }

    /// Render a string from a playbook (task argument, name, message). Ansible's rules
    /// for strings: `trim_blocks` on, trailing newlines as many as the source's (see
    /// `engine::with_source_newlines`), backslashes in string
    /// literals inside `{{ }}` taken literally.
    pub fn render_str(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        if !Templates::is_template(source) {
            return Ok(source.to_string());
        }
        self.engine.render_str(source, vars)
    }

    /// Render a string the way Ansible renders arguments: a string that is exactly one
    /// `{{ expression }}` (whitespace around it allowed) keeps the expression's type
    /// (list, mapping, bool, number, string); anything else renders to a string; a
    /// string without template markers is returned as is, unparsed.
    pub fn render_native(&self, source: &str, vars: &Value) -> Result<Value, TemplateError> {
        if !Templates::is_template(source) {
            return Ok(Value::from(source));
        }
        self.engine.render_native(source, vars)
    }

    /// Render every string inside `value` (lists and mappings walked recursively) with
    /// [`render_native`](Self::render_native); entries that render to `omit` are dropped
    /// from mappings and lists. Mapping keys are not templated.
    pub fn render_tree(&self, value: &Value, vars: &Value) -> Result<Value, TemplateError> {
        self.engine.render_tree(value, vars)
    }

    /// Evaluate a bare expression (`when:`, `that:`, `changed_when:`). The compiled
    /// expression is cached by its text. A whole-string `{{ expr }}` is unwrapped.
    /// An undefined result is an error naming the variable.
    pub fn eval(&self, expr: &str, vars: &Value) -> Result<Value, TemplateError> {
        self.engine.eval(expr, vars)
    }

    /// Evaluate a condition that must be a boolean: a string, number, list… is an
    /// error saying which type it got (Ansible would coerce; we refuse).
    pub fn condition(&self, expr: &str, vars: &Value) -> Result<bool, TemplateError> {
        self.engine.condition(expr, vars)
    }

    /// Render a template file named `name` (its path, for error messages).
    pub fn render_file(
        &self,
        name: &str,
        source: &str,
        vars: &Value,
        options: FileOptions,
    ) -> Result<String, TemplateError> {
        self.engine.render_file(name, source, vars, options)
    }
}

/// The folder a `with_<lookup>` searching the controller looks in first for a task
/// of this action (ansible-core's TaskExecutor: the first of template, var, file that
/// the action's name contains, else file; plural).
fn search_subdir(action: &str) -> &'static str {
    if action.contains("template") {
        "templates"
    } else if action.contains("var") {
        "vars"
    } else {
        "files"
    }
}
