//! The documentation of `expect`. Checked against `expect::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 7] = [
    ArgDoc::new(
        "command",
        "str",
        "The command line, split as a shell splits words (no shell runs it: no `$HOME`, \
         `|` or `>`; give `/bin/sh -c '…'` for those).",
    )
    .required(),
    ArgDoc::new(
        "responses",
        "dict",
        "Prompt → answer. Each prompt is a Python regex searched in the output (`.` \
         matches newlines; `(?i)` for any case); the answer is sent with a newline, \
         every time the prompt comes, or, given a list, one item per match in turn (a \
         match past the list fails the task).",
    )
    .required(),
    ArgDoc::new(
        "timeout",
        "raw",
        "Seconds to wait for each prompt and for the end; `null` waits for ever. Past it \
         the program is killed and the task fails (`command exceeded timeout`).",
    )
    .default("30"),
    ArgDoc::new(
        "echo",
        "bool",
        "Leave the terminal's echo on, so the answers show in stdout.",
    )
    .default("false"),
    ArgDoc::new("chdir", "path", "Run in this folder of the target."),
    ArgDoc::new(
        "creates",
        "path",
        "Do not run when this path exists (relative to chdir).",
    ),
    ArgDoc::new(
        "removes",
        "path",
        "Do not run unless this path exists (relative to chdir).",
    ),
];

pub const EXPECT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Partial,
    diff: Support::None,
    examples: r#"- name: Answer a tool's questions once
  # The program runs on a pseudo-terminal of its own (24x80, its controlling
  # terminal), in the target; its output (stdout and stderr together, with the
  # terminal's \r\n) is registered as stdout. Always changed when it runs.
  expect:
    command: /usr/local/bin/setup-wizard --init
    creates: /etc/wizard.conf
    responses:
      "(?i)your name": admin
      "Password:": "{{ wizard_password | default('s3cret') }}"
      # one answer per question, in order
      "Continue\\?":
        - "yes"
        - "no"
  no_log: true
"#,
};
