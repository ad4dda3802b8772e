//! The documentation of `known_hosts`. Checked against `known_hosts::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 5] = [
    ArgDoc::new(
        "name",
        "str",
        "The host, lowercased; `[host]:port` for another port. It must be named by key's first field.",
    )
    .aliases(&["host"])
    .required(),
    ArgDoc::new(
        "key",
        "str",
        "The known_hosts line: `NAME[,IP] TYPE KEY` (optionally `@cert-authority` or `@revoked` first). Required with state=present; without it state=absent removes every key of the host (as `ssh-keygen -R`, which keeps the old file as PATH.old).",
    ),
    ArgDoc::new(
        "path",
        "path",
        "The file (created if needed; its folder must exist): absolute, or `~/` for the home of the user machinist runs as.",
    )
    .default("~/.ssh/known_hosts"),
    ArgDoc::new(
        "hash_host",
        "bool",
        "Write the name hashed (`|1|SALT|HASH`, as `ssh-keygen -H`); an entry hashed already is kept as it is.",
    )
    .default("false"),
    ArgDoc::new("state", "str", "Whether the key is there.")
        .default("present")
        .choices(&["present", "absent"]),
];

pub const KNOWN_HOSTS: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: /etc/ssh is there (openssh's package makes it)
  file:
    path: /etc/ssh
    state: directory

- name: Trust git.example.org's ed25519 key, system-wide
  known_hosts:
    path: /etc/ssh/ssh_known_hosts
    name: git.example.org
    key: git.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPrxlxgMxfqRt4NOe6J7EzsYvDRbkc3+lk3QRqMMGZ+L

- name: A server on another port, its name hashed
  known_hosts:
    path: /etc/ssh/ssh_known_hosts
    name: "[backup.example.org]:2222"
    key: "[backup.example.org]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPrxlxgMxfqRt4NOe6J7EzsYvDRbkc3+lk3QRqMMGZ+L"
    hash_host: true

- name: Forget an old host
  known_hosts:
    path: /etc/ssh/ssh_known_hosts
    name: old.example.org
    state: absent
"#,
};
