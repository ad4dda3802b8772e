//! The documentation of `stat`. Checked against `stat::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 6] = [
    ArgDoc::new("path", "path", "The path to look at, inside the target root.")
        .required()
        .aliases(&["dest", "name"]),
    ArgDoc::new(
        "follow",
        "bool",
        "Report on what a final symlink points to (inside the root) instead of the link.",
    )
    .default("false"),
    ArgDoc::new(
        "get_checksum",
        "bool",
        "Add `checksum` for a regular file the running user can read.",
    )
    .default("true"),
    ArgDoc::new(
        "checksum_algorithm",
        "str",
        "The checksum's algorithm.",
    )
    .default("sha1")
    .choices(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
    .aliases(&["checksum", "checksum_algo"]),
    ArgDoc::new(
        "get_mime",
        "bool",
        "Add `mimetype` and `charset` from `file --mime-type --mime-encoding` run in the target (`unknown` without it). Off by default, unlike Ansible.",
    )
    .default("false")
    .aliases(&["mime", "mime_type", "mime-type"]),
    ArgDoc::new(
        "get_attributes",
        "bool",
        "Add `attributes`, `attr_flags` and `version` from `lsattr -vd` run in the target (empty without it). Off by default, unlike Ansible.",
    )
    .default("false")
    .aliases(&["attr", "attributes"]),
];

pub const STAT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: is there a pacman.conf?
  stat:
    path: /etc/pacman.conf
    checksum_algorithm: sha256
  register: pacman_conf

- name: say so
  debug:
    msg: "{{ pacman_conf.stat.exists }}"
"#,
};
