//! The documentation of `package`. Checked against `package::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 3] = [
    ArgDoc::new("name", "list", "Packages (a list or a comma-separated string).").required(),
    ArgDoc::new(
        "state",
        "str",
        "present/installed, latest, or absent/removed (as the pacman and apt modules).",
    )
    .required()
    .choices(&["present", "installed", "latest", "absent", "removed"]),
    ArgDoc::new(
        "use",
        "str",
        "The manager: auto (from the target's os-release; Arch → pacman, Debian and derivatives → apt, others refused), pacman or apt.",
    )
    .default("auto")
    .choices(&["auto", "pacman", "apt"]),
];

pub const PACKAGE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: vim, with whatever manager the target has (pacman on Arch, apt on Debian)
  package:
    name: vim
    state: present
    use: pacman
"#,
};
