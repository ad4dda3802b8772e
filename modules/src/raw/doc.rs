//! The documentation of `raw`. Checked against `raw::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 2] = [
    ArgDoc::new(
        "_raw_params",
        "str",
        "The command line, handed to the shell as written (the free form: `raw: echo hi`).",
    )
    .required(),
    ArgDoc::new(
        "executable",
        "path",
        "The shell that runs the command line, as `EXECUTABLE -c LINE`. Default: /bin/sh.",
    ),
];

pub const RAW: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::None,
    diff: Support::None,
    examples: r#"- name: Bootstrap python on a bare target (always changed; skipped in check mode)
  raw: test -e /usr/bin/python3 || pacman -Sy --noconfirm python

- name: A bash line
  raw: echo "$BASH_VERSION" > /tmp/bash-version
  args:
    executable: /bin/bash
"#,
};
