//! Load-time check that every filter, test and lookup a playbook names exists (issue
//! 15): an unknown name is a located error before anything runs, as an unknown module
//! is, and `--syntax-check` refuses it. ansible-core finds it only when the task runs
//! (after earlier tasks changed things); the difference is documented in
//! docs/ansible-differences.md. Names are read from the Jinja code of task arguments,
//! conditions, assert's `that`, debug's `var`, loops and template files
//! (template/names.rs); a name inside a string literal (`map('upper')`) is left to
//! run time, and so is every name of a template that has an `if` (Jinja looks a
//! filter up only when a branch calls it: `x | json_query('a') if false else 1` runs
//! in ansible-core).

use super::model::Condition;
use crate::error::Diagnostic;
use crate::template::names::{in_expression, in_template, NameUse};
use crate::template::Templates;
use crate::yaml::{Node, Value};
use std::sync::OnceLock;

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(Templates::new)
}

/// Whether a template has a conditional (`{% if %}` or `a if b else c`), where Jinja
/// defers looking filters and tests up until a branch runs.
fn has_conditional(text: &str) -> bool {
    text.match_indices("if").any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + 2..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// The first use of a name no plugin has, as the words of an error.
fn unknown(uses: Vec<NameUse>) -> Option<String> {
    let found = uses.into_iter().find(|u| {
        crate::template::names::refusal(u.kind, &u.name).is_some()
            || !templates().has_plugin(u.kind, &u.name)
    })?;
    if let Some(reason) = crate::template::names::refusal(found.kind, &found.name) {
        return Some(format!(
            "{} '{}' is not supported: {reason}",
            found.kind.noun(),
            found.name
        ));
    }
    Some(format!(
        "unknown {} '{}' (machinist has no such {})",
        found.kind.noun(),
        found.name,
        found.kind.noun()
    ))
}

/// Every templated string below an argument tree (or a loop's, a vars value's).
pub fn in_node(node: &Node, errors: &mut Vec<Diagnostic>) {
    match &node.value {
        Value::Str(text) if Templates::is_template(text) && !has_conditional(text) => {
            if let Some(message) = unknown(in_template(text)) {
                errors.push(Diagnostic::at(&node.span, message));
            }
        }
        Value::Seq(items) => items.iter().for_each(|n| in_node(n, errors)),
        Value::Map(entries) => entries.iter().for_each(|(_, n)| in_node(n, errors)),
        _ => {}
    }
}

/// A bare expression: a condition, an assertion, debug's `var`.
pub fn in_bare(node: &Node, errors: &mut Vec<Diagnostic>) {
    match &node.value {
        Value::Str(text) if !Templates::is_template(text) && !has_conditional(text) => {
            if let Some(message) = unknown(in_expression(text)) {
                errors.push(Diagnostic::at(&node.span, message));
            }
        }
        Value::Seq(items) => items.iter().for_each(|n| in_bare(n, errors)),
        // Templated strings are read with the other arguments (`in_node`).
        _ => {}
    }
}

pub fn in_condition(cond: &Condition, errors: &mut Vec<Diagnostic>) {
    if has_conditional(&cond.expr) {
        return;
    }
    let uses = if Templates::is_template(&cond.expr) {
        in_template(&cond.expr)
    } else {
        in_expression(&cond.expr)
    };
    if let Some(message) = unknown(uses) {
        errors.push(Diagnostic::at(&cond.span, message));
    }
}

/// A template file's body (after its `#jinja2:` header): the error's words, naming
/// the line.
pub fn in_template_file(name: &str, body: &str) -> Result<(), String> {
    if has_conditional(body) {
        return Ok(());
    }
    let uses = in_template(body);
    let line_of = |at: usize| body[..at].matches('\n').count() + 1;
    let first = uses
        .iter()
        .find(|u| !templates().has_plugin(u.kind, &u.name));
    match first {
        None => Ok(()),
        Some(found) => Err(format!(
            "{name}:{}: unknown {} '{}' (machinist has no such {})",
            line_of(found.range.start),
            found.kind.noun(),
            found.name,
            found.kind.noun()
        )),
    }
}
