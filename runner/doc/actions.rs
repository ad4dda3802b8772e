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
        Action::Uri => URI,
        Action::WaitFor => WAIT_FOR,
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

const URI: ActionDoc = ActionDoc {
    summary: "Send an HTTP request and check the answer's status (skipped under --check)",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("url", "str", "An http:// or https:// URL.").required(),
            ArgDoc::new("method", "str", "The method, one uppercase word.").default("GET"),
            ArgDoc::new("body", "raw", "The request body (a mapping or list with body_format json or form-urlencoded)."),
            ArgDoc::new("body_format", "str", "How body is encoded; json and form-urlencoded set Content-Type unless headers do.")
                .default("raw")
                .choices(&["raw", "json", "form-urlencoded"]),
            ArgDoc::new("headers", "dict", "Request headers.").default("{}"),
            ArgDoc::new("status_code", "list", "The statuses that mean success; any other fails the task.").default("[200]"),
            ArgDoc::new("return_content", "bool", "Register the body as `content` (always on failure; a JSON answer is parsed into `json` regardless).").default("false"),
            ArgDoc::new("timeout", "int", "Seconds for the whole request.").default("30"),
            ArgDoc::new("validate_certs", "bool", "Verify the server's certificate.").default("true"),
            ArgDoc::new("url_username", "str", "User for HTTP basic auth.").aliases(&["user"]),
            ArgDoc::new("url_password", "str", "Password for HTTP basic auth (a secret: never shown).").aliases(&["password"]),
            ArgDoc::new("force_basic_auth", "bool", "Send the credentials with the first request, not only after a 401.").default("false"),
            ArgDoc::new("follow_redirects", "str", "safe: only for GET and HEAD; all/yes: always; none/no: never.")
                .default("safe")
                .choices(&["all", "yes", "safe", "urllib2", "none", "no"]),
            ArgDoc::new("http_agent", "str", "The User-Agent header.").default("ansible-httpget"),
            ArgDoc::new("creates", "path", "Do not send the request when this path exists in the target."),
            ArgDoc::new("removes", "path", "Do not send the request unless this path exists in the target."),
        ],
        check_mode: Support::None,
        diff: Support::None,
        examples: r#"- name: The service answers
  uri:
    url: http://127.0.0.1:8080/health
    status_code: [200, 204]
    return_content: true
  register: health
- name: Tell the API
  uri:
    url: https://api.example.org/deployments
    method: POST
    body_format: json
    body: {version: "1.2"}
    status_code: 201
"#,
    },
};

const WAIT_FOR: ActionDoc = ActionDoc {
    summary: "Wait for a TCP port or a path of the target (skipped under --check)",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("host", "str", "The address to connect to.").default("127.0.0.1"),
            ArgDoc::new("port", "int", "A TCP port to wait for."),
            ArgDoc::new("path", "path", "A path of the target (inside the root) to wait for."),
            ArgDoc::new("state", "str", "started/present: until it answers or exists; stopped/absent: until it does not. drained is refused.")
                .default("started")
                .choices(&["started", "present", "stopped", "absent", "drained"]),
            ArgDoc::new("search_regex", "str", "A regex (multi-line) the file's content, or what the port sends, must match."),
            ArgDoc::new("timeout", "int", "Seconds before the task fails.").default("300"),
            ArgDoc::new("delay", "int", "Seconds to wait before the first check.").default("0"),
            ArgDoc::new("sleep", "int", "Seconds between checks.").default("1"),
            ArgDoc::new("connect_timeout", "int", "Seconds for one connection attempt.").default("5"),
            ArgDoc::new("msg", "str", "The failure message instead of the default one."),
        ],
        check_mode: Support::None,
        diff: Support::None,
        examples: r#"- name: Until the web server listens
  wait_for:
    port: 80
    timeout: 60
- name: Until the service has written that it is ready
  wait_for:
    path: /var/log/app.log
    search_regex: "ready on port (\\d+)"
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
