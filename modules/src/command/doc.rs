//! The documentation of `command` and `shell`. Checked against `command::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const fn args(cmd: &'static str, executable: &'static str) -> [ArgDoc; 10] {
    [
        ArgDoc::new("cmd", "str", cmd).aliases(&["_raw_params"]),
        ArgDoc::new(
            "argv",
            "list",
            "The program and its arguments, no splitting or quoting involved (command only).",
        ),
        ArgDoc::new("chdir", "path", "Run in this directory of the target."),
        ArgDoc::new(
            "creates",
            "path",
            "Do not run when this path exists (a glob: when anything matches); also makes the task predictable in check mode.",
        ),
        ArgDoc::new(
            "removes",
            "path",
            "Do not run unless this path exists (a glob: unless anything matches); also makes the task predictable in check mode.",
        ),
        ArgDoc::new("environment", "dict", "Variables added to the environment.").default("{}"),
        ArgDoc::new(
            "stdin",
            "str",
            "Text given to the program on its standard input.",
        ),
        ArgDoc::new("stdin_add_newline", "bool", "End stdin with a newline.").default("true"),
        ArgDoc::new("executable", "path", executable),
        ArgDoc::new(
            "expand_argument_vars",
            "bool",
            "command: `$NAME`, `${NAME}` and a leading `~` in each argument expanded from the program's environment and the target's /etc/passwd, as Ansible's (shell: the shell expands them).",
        )
        .default("true"),
    ]
}

const COMMAND_ARGS: [ArgDoc; 10] = args(
    "The command line, split into words as a POSIX shell would, but run without a shell (the free form: `command: echo hi`).",
    "Not for command (shell only).",
);

const SHELL_ARGS: [ArgDoc; 10] = args(
    "The command line, run with /bin/sh -c (the free form: `shell: echo hi | tr a-z A-Z`).",
    "The shell to run the command line with. Default: /bin/sh.",
);

pub const COMMAND: ModuleDoc = ModuleDoc {
    args: &COMMAND_ARGS,
    check_mode: Support::Partial,
    diff: Support::None,
    examples: r#"- name: Give the machine an identity, once
  command: systemd-machine-id-setup
  args:
    creates: /etc/machine-id
- name: Initialise the database, once; argv needs no quoting
  command:
    argv: [initdb, -D, /var/lib/postgres/data]
    creates: /var/lib/postgres/data/PG_VERSION
"#,
};

pub const SHELL: ModuleDoc = ModuleDoc {
    args: &SHELL_ARGS,
    check_mode: Support::Partial,
    diff: Support::None,
    examples: r#"- name: A pipeline needs the shell
  shell: pacman -Qqe | sort > /var/lib/pkglist.txt
  args:
    creates: /var/lib/pkglist.txt
"#,
};
