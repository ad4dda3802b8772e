//! The typed error every render returns: what went wrong, in words a playbook author
//! understands, plus the line within the template so the runner can point at it.

use std::fmt;

/// What kind of failure a [`TemplateError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// The template or expression does not parse.
    Syntax,
    /// A variable (or attribute) used is not defined.
    Undefined,
    /// A condition evaluated to something other than a boolean.
    NotBoolean,
    /// Any other failure while rendering (a filter refused its input, a lookup failed…).
    Render,
}

/// A failed render. `line` is 1-based within the template text (for a one-line string
/// it is `None`: the caller's own location says it all); `name` is the template
/// file's name when one was rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub message: String,
    pub line: Option<usize>,
    pub name: Option<String>,
}

impl TemplateError {
    pub(crate) fn new(kind: TemplateErrorKind, message: impl Into<String>) -> TemplateError {
        TemplateError {
            kind,
            message: message.into(),
            line: None,
            name: None,
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, self.line) {
            (Some(name), Some(line)) => write!(f, "{name}:{line}: {}", self.message),
            (Some(name), None) => write!(f, "{name}: {}", self.message),
            (None, Some(line)) => write!(f, "{} (line {line} of the template)", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TemplateError {}
