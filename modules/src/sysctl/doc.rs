//! The documentation of `sysctl`. Checked against `sysctl::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 7] = [
    ArgDoc::new("name", "str", "The setting (net.ipv4.ip_forward).")
        .required()
        .aliases(&["key"]),
    ArgDoc::new(
        "value",
        "str",
        "Its value (booleans and yes/no are 1/0); needed with state=present.",
    )
    .aliases(&["val"]),
    ArgDoc::new("state", "str", "Whether the setting is in the file.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new("sysctl_file", "path", "The file holding the setting.")
        .default("/etc/sysctl.conf"),
    ArgDoc::new(
        "reload",
        "bool",
        "Load the file after a change (sysctl -p FILE); live only: the default on the machine's own /, refused on an offline root.",
    ),
    ArgDoc::new(
        "sysctl_set",
        "bool",
        "Set the running kernel's value when it differs (sysctl -w); live only.",
    )
    .default("false"),
    ArgDoc::new("ignoreerrors", "bool", "Reloading: ignore unknown keys (sysctl -e).")
        .default("false"),
];

pub const SYSCTL: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: forward packets (for the containers' network), from the next boot
  ansible.posix.sysctl:
    name: net.ipv4.ip_forward
    value: 1
"#,
};
