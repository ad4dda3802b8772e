//! The documentation of `authorized_key`. Checked against `authorized_key::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 8] = [
    ArgDoc::new(
        "user",
        "str",
        "The account whose keys these are (from the target's /etc/passwd).",
    )
    .required(),
    ArgDoc::new(
        "key",
        "str",
        "One SSH public key or several, a line each (not a URL).",
    )
    .required(),
    ArgDoc::new(
        "path",
        "path",
        "The file (default ~USER/.ssh/authorized_keys).",
    ),
    ArgDoc::new(
        "manage_dir",
        "bool",
        "Create the file's directory (0700, owned by the user) when it is missing.",
    )
    .default("true"),
    ArgDoc::new("state", "str", "Whether the keys are in the file.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new(
        "key_options",
        "str",
        "Options for every given key (no-pty,from=\"10.0.0.1\").",
    ),
    ArgDoc::new(
        "exclusive",
        "bool",
        "The file holds exactly the given keys.",
    )
    .default("false"),
    ArgDoc::new("comment", "str", "The comment of every given key."),
];

pub const AUTHORIZED_KEY: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: the account
  user:
    name: deploy

- name: its key, and only that one
  ansible.posix.authorized_key:
    user: deploy
    key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG3kN7Vd4Q2u1QzWXz7lq0m8Q8VYkUq9p9y2t1n2b3c4 deploy@laptop"
    exclusive: true
"#,
};
