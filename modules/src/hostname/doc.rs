//! The documentation of `hostname`. Checked against `hostname::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 2] = [
    ArgDoc::new(
        "name",
        "str",
        "The hostname: /etc/hostname, and on the machine's own / the running name (hostnamectl).",
    )
    .required(),
    ArgDoc::new("use", "str", "The strategy; only systemd's is implemented.").choices(&["systemd"]),
];

pub const HOSTNAME: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: the container's name
  hostname:
    name: web1
"#,
};
