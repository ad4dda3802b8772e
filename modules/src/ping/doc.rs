//! The documentation of `ping`. Checked against `ping::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 1] = [ArgDoc::new(
    "data",
    "str",
    "What to return as `ping`; `crash` makes the task fail, to test error handling.",
)
.default("pong")];

pub const PING: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: the target answers (over ssh or machine, its agent does)
  ping:

- name: with a value of our own
  ping:
    data: hello
  register: answer

- name: show it
  debug:
    msg: "{{ answer.ping }}"
"#,
};
