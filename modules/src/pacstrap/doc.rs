//! The documentation of `pacstrap`. Checked against `pacstrap::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 8] = [
    ArgDoc::new(
        "dest",
        "path",
        "The new root, inside the target (/var/lib/machines/NAME).",
    )
    .required(),
    ArgDoc::new(
        "packages",
        "list",
        "Packages and groups to install; only the missing ones are.",
    )
    .default("[base]"),
    ArgDoc::new(
        "ignore",
        "list",
        "Packages never to install, even as members of a wanted group (checked after installing).",
    )
    .default("[]"),
    ArgDoc::new(
        "host_cache",
        "bool",
        "Use the controller's package cache (-c).",
    )
    .default("false"),
    ArgDoc::new(
        "pacman_conf",
        "path",
        "The pacman.conf to install with, on the controller (-C).",
    ),
    ArgDoc::new(
        "keyring",
        "str",
        "A fresh keyring (-K, its gpg-agent stopped afterwards), the controller's, or none (-G).",
    )
    .default("copy")
    .choices(&["init", "copy", "none"]),
    ArgDoc::new(
        "mirrorlist",
        "str",
        "Copy the controller's mirrorlist, or not (-M).",
    )
    .default("copy")
    .choices(&["copy", "none"]),
    ArgDoc::new(
        "extra_args",
        "list",
        "More arguments for pacman, after the packages.",
    )
    .default("[]"),
];

pub const PACSTRAP: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: A container root from nothing, without a kernel
  pacstrap:
    dest: /var/lib/machines/arch
    packages: [base]
    ignore: [linux]
    host_cache: true
    # On a host that is not Arch, give pacstrap a pacman.conf with Arch's repositories.
    pacman_conf: "{{ playbook_dir }}/files/pacman.conf"
"#,
};
