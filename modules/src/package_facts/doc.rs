//! The documentation of `package_facts`. Checked against `package_facts::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 2] = [
    ArgDoc::new(
        "manager",
        "list",
        "The package managers to read: `auto` (Ansible's order, the first the target has), `apt` (dpkg's status database) or `pacman` (its local database); Ansible's other backends are refused.",
    )
    .default("[auto]"),
    ArgDoc::new(
        "strategy",
        "str",
        "`first`: the first manager that has packages; `all`: every one, their lists joined.",
    )
    .default("first")
    .choices(&["first", "all"]),
];

pub const PACKAGE_FACTS: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: the installed packages (packages['NAME'] is a list of {name, version, arch, ..., source})
  package_facts:

- name: only pacman's
  package_facts:
    manager: pacman

- name: act on what is installed
  debug:
    msg: "nginx {{ ansible_facts.packages['nginx'][0].version }}"
  when: "'nginx' in ansible_facts.packages"
"#,
};
