//! The documentation of `script`. Checked against `script::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 7] = [
    ArgDoc::new(
        "_raw_params",
        "str",
        "The script, found in the role's or playbook's files/ as copy's `src`, and its arguments (the free form: `script: setup.sh --fast creates=/x`).",
    ),
    ArgDoc::new("cmd", "str", "The same as an argument (not with the free form)."),
    ArgDoc::new(
        "creates",
        "path",
        "Do not run when this absolute path of the target exists (reported skipped); also makes the task predictable in check mode.",
    ),
    ArgDoc::new(
        "removes",
        "path",
        "Do not run unless this absolute path of the target exists (reported skipped); also makes the task predictable in check mode.",
    ),
    ArgDoc::new("chdir", "path", "Run in this absolute directory of the target."),
    ArgDoc::new(
        "executable",
        "str",
        "The program that runs the script (`EXECUTABLE SCRIPT ARGS`); without it the script's own `#!` line decides.",
    ),
    ArgDoc::new(
        "environment",
        "dict",
        "Variables added to the script's environment (the `environment` keyword's go here too).",
    )
    .default("{}"),
];

pub const SCRIPT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Partial,
    diff: Support::None,
    examples: r#"- name: Run files/motd with an argument, once (the script is sent, run and removed)
  script: motd --quiet creates=/etc/motd.done

- name: With another interpreter, in a folder
  script:
    cmd: motd first second
    executable: /bin/sh
    chdir: /tmp
    removes: /etc/motd.done
"#,
};
