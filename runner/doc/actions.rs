//! The documentation of the runner's own actions (`debug`, `set_fact`, `assert`,
//! `fail`, `meta`), in the same shape as the built-in modules' tables. A test holds
//! each to the argument names the validator accepts (`Action::arg_names`).

use crate::playbook::model::Action;
use crate::playbook::validate::META_ACTIONS;
use machinist_modules::doc::{ArgDoc, ModuleDoc, Support};

/// One runner action's documentation.
#[derive(Debug, Clone, Copy)]
pub struct ActionDoc {
    pub summary: &'static str,
    /// Any argument name is accepted (set_fact: each becomes a fact).
    pub any_args: bool,
    pub doc: ModuleDoc,
}

/// The documentation of a runner action; `None` for modules and plugins.
pub fn doc(action: &Action) -> Option<ActionDoc> {
    Some(match action {
        Action::Module(_) | Action::Plugin(_) => return None,
        Action::Debug => DEBUG,
        Action::SetFact => SET_FACT,
        Action::Assert => ASSERT,
        Action::Fail => FAIL,
        Action::Meta => META,
    })
}

const DEBUG: ActionDoc = ActionDoc {
    summary: "Print a message or a variable",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("msg", "raw", "What to print (templated).").default("Hello world!"),
            ArgDoc::new(
                "var",
                "str",
                "A variable (or expression) to print instead of msg.",
            ),
            ArgDoc::new(
                "verbosity",
                "int",
                "Print only when run with at least this many -v.",
            )
            .default("0"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Say where the run goes
  debug:
    msg: "configuring {{ machinist_root }}"
- name: Show a variable, with -v only
  debug:
    var: machinist_root
    verbosity: 1
"#,
    },
};

const SET_FACT: ActionDoc = ActionDoc {
    summary: "Set variables (facts) for the rest of the run",
    any_args: true,
    doc: ModuleDoc {
        args: &[],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Derive names once
  set_fact:
    app_dir: /srv/app
    app_port: 8080
- debug:
    msg: "the app runs from {{ app_dir }} on port {{ app_port }}"
"#,
    },
};

const ASSERT: ActionDoc = ActionDoc {
    summary: "Fail unless every condition holds",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("that", "list", "Conditions (expressions, without braces).").required(),
            ArgDoc::new("fail_msg", "str", "The message when a condition is false.")
                .aliases(&["msg"]),
            ArgDoc::new("success_msg", "str", "The message when all hold.")
                .default("All assertions passed"),
            ArgDoc::new("quiet", "bool", "Print nothing when all hold.").default("false"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: The target is a container tree, not the controller
  assert:
    that:
      - machinist_root != '/'
    fail_msg: "run with --root /var/lib/machines/NAME"
"#,
    },
};

const FAIL: ActionDoc = ActionDoc {
    summary: "Fail the task with a message",
    any_args: false,
    doc: ModuleDoc {
        args: &[ArgDoc::new("msg", "str", "The failure's message.")
            .default("Failed as requested from task")],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Refuse to configure the controller itself
  fail:
    msg: "point --root at a container tree"
  when: machinist_root == '/'
"#,
    },
};

const META: ActionDoc = ActionDoc {
    summary: "Change the run's flow (flush_handlers, end_play, …)",
    any_args: false,
    doc: ModuleDoc {
        args: &[ArgDoc::new(
            "_raw_params",
            "str",
            "The action, written after meta: (meta: flush_handlers).",
        )
        .required()
        .choices(META_ACTIONS)],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Run the handlers notified so far, now
  meta: flush_handlers
"#,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runner_action_is_documented_with_the_names_it_accepts() {
        for (name, action) in Action::RUNNER_ACTIONS {
            let doc = doc(action);
            assert!(doc.is_some(), "{name} has no documentation");
            let Some(doc) = doc else { continue };
            assert!(
                doc.doc.examples.contains(name),
                "{name}: its examples do not use it"
            );
            match action.arg_names() {
                None => assert!(doc.any_args, "{name} accepts any argument"),
                Some(accepted) => {
                    let mut documented: Vec<&str> = doc
                        .doc
                        .args
                        .iter()
                        .flat_map(|a| std::iter::once(a.name).chain(a.aliases.iter().copied()))
                        .collect();
                    let mut accepted = accepted.to_vec();
                    documented.sort_unstable();
                    accepted.sort_unstable();
                    assert_eq!(documented, accepted, "{name}");
                }
            }
        }
    }
}
