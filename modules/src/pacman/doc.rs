//! The documentation of `pacman`. Checked against `pacman::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 10] = [
    ArgDoc::new(
        "name",
        "list",
        "Packages or groups (a list or a comma-separated string).",
    )
    .aliases(&["pkg", "package"]),
    ArgDoc::new(
        "state",
        "str",
        "present/installed: installed; latest: at the repositories' version; absent/removed: not installed.",
    )
    .default("present")
    .choices(&["present", "installed", "latest", "absent", "removed"]),
    ArgDoc::new(
        "force",
        "bool",
        "Removing: ignore dependencies (-dd); installing: overwrite conflicting files (--overwrite '*').",
    )
    .default("false"),
    ArgDoc::new(
        "remove_nosave",
        "bool",
        "Removing: no .pacsave copies of changed configuration files (--nosave).",
    )
    .default("false"),
    ArgDoc::new("extra_args", "str", "More arguments for the install or remove run.")
        .default("''"),
    ArgDoc::new(
        "update_cache",
        "bool",
        "Refresh the package databases first (pacman -Sy); changed only when they change.",
    )
    .default("false")
    .aliases(&["update-cache"]),
    ArgDoc::new(
        "update_cache_extra_args",
        "str",
        "More arguments for the refresh.",
    )
    .default("''"),
    ArgDoc::new("upgrade", "bool", "Upgrade every package (pacman -Su).").default("false"),
    ArgDoc::new("upgrade_extra_args", "str", "More arguments for the upgrade.").default("''"),
    ArgDoc::new(
        "pacman_conf",
        "path",
        "machinist's own: a pacman.conf of the controller naming the repositories. On \
         an offline root pacman runs jailed from the controller: without it, it reads \
         the root's own pacman.conf inside the root, where its file:// servers and \
         includes reach only the root and the controller's /etc/pacman.d.",
    )
    .default("the root's, else /etc/pacman.conf"),
];

pub const PACMAN: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: an editor, the package databases refreshed first
  community.general.pacman:
    name: [vim]
    update_cache: true

- name: no more nano
  pacman:
    name: nano
    state: absent
"#,
};
