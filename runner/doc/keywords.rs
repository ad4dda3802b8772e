//! `machinist doc --keywords`: the keyword table of playbook/keywords.rs as pages, so
//! the documentation of keywords is the table the loader reads.

use crate::playbook::keywords::{Keyword, Parse, Support, KEYWORDS};
use crate::report::doc::KeywordDoc;

/// Every keyword, in the table's order.
pub fn all() -> Vec<KeywordDoc> {
    KEYWORDS.iter().map(page).collect()
}

fn page(keyword: &Keyword) -> KeywordDoc {
    KeywordDoc {
        name: keyword.name.to_string(),
        places: keyword.places.names(),
        inherited: keyword.inherited,
        value: value(keyword.parse),
        status: match keyword.support {
            Support::Supported => "supported".to_string(),
            Support::Waiting(issue) => format!("issue #{issue}"),
        },
        waiting_on: keyword
            .waiting_on
            .map(|(places, issue)| format!("{}: issue #{issue}", places.names().join(", "))),
        description: keyword.doc,
    }
}

fn value(parse: Parse) -> &'static str {
    match parse {
        Parse::Text => "text",
        Parse::Boolean => "true or false",
        Parse::TextList => "a list, or text with commas",
        Parse::Conditions => "an expression or a list of them",
        Parse::VariableName => "a variable name",
        Parse::Seconds => "whole seconds",
        Parse::Number => "a number, or a template of one",
        Parse::ModuleDefaults => "a mapping of modules to arguments, or a list of them",
        Parse::Vars => "a mapping of variables",
        Parse::Tasks => "a list of tasks",
        Parse::Loop(None) => "a list",
        Parse::Loop(Some(_)) => "a value, made items as Ansible's lookup",
        Parse::LoopControl => "a mapping",
        Parse::Arguments => "a mapping of arguments",
        Parse::TaskFile { .. } => "a file name",
        Parse::Role => "a role name or mapping",
        Parse::Root => "an absolute path",
        Parse::Environment => "a mapping of variables",
        Parse::Hosts => "a host pattern or a list of them",
        Parse::Roles => "a list of roles",
        Parse::VarsFiles => "a list of file names",
        Parse::Prompts => "a list of questions",
        Parse::Batches => "a number, a percentage or a list of them",
        Parse::Percentage => "a number from 0 to 100",
        Parse::Count => "a positive whole number",
        Parse::HostOrder => "inventory, reverse_inventory, sorted, reverse_sorted or shuffle",
        Parse::Strategy => "linear (free, host_pinned: run as linear, with a warning)",
        Parse::LocalAction => "a module and its arguments",
        Parse::NoOp => "a value that makes it a no-op",
        Parse::Become => {
            "a boolean (become), a name or a template of one (become_user, become_method)"
        }
        Parse::Refused => "refused",
    }
}
