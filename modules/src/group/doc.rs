//! The documentation of `group`. Checked against `group::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 8] = [
    ArgDoc::new("name", "str", "The group's name.").required(),
    ArgDoc::new(
        "gid",
        "int",
        "Its number; a new group without one gets the next free number (groupadd's choice).",
    ),
    ArgDoc::new("state", "str", "Whether the group exists.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new(
        "system",
        "bool",
        "A system group: a new one's number comes from SYS_GID_MIN…SYS_GID_MAX of the target's login.defs.",
    )
    .default("false"),
    ArgDoc::new("non_unique", "bool", "Allow a gid another group has (needs gid).")
        .default("false"),
    ArgDoc::new(
        "force",
        "bool",
        "state=absent: remove the group even when it is a user's primary group (groupdel -f).",
    )
    .default("false"),
    ArgDoc::new("gid_min", "int", "GID_MIN for a new group (groupadd -K)."),
    ArgDoc::new("gid_max", "int", "GID_MAX for a new group (groupadd -K)."),
];

pub const GROUP: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: the group of the web server
  group:
    name: web
    gid: 2001

- name: a system group
  ansible.builtin.group:
    name: backup-agents
    system: true
"#,
};
