//! The documentation of `ini_file`. Checked against `ini_file::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 17] = [
    ArgDoc::new("path", "path", "The INI-style file (created when missing, unless `create: false`).")
        .required()
        .aliases(&["dest"]),
    ArgDoc::new(
        "section",
        "str",
        "The section (`[name]`, found with spaces inside the brackets too); null or empty: the options before the first section.",
    ),
    ArgDoc::new(
        "option",
        "str",
        "The option; without it `state: present` makes sure the section exists and `state: absent` removes the section.",
    ),
    ArgDoc::new("value", "str", "The option's value (not with `values`)."),
    ArgDoc::new(
        "values",
        "list",
        "Values of an option given several times (`option = a`, `option = b`), in order; with `exclusive` no other.",
    ),
    ArgDoc::new("state", "str", "Whether the option (or section) is there.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new(
        "exclusive",
        "bool",
        "present: other values of the option are removed; absent: every occurrence goes, whatever its value (else only `values`).",
    )
    .default("true"),
    ArgDoc::new(
        "allow_no_value",
        "bool",
        "An option may stand alone, without `=` (`skip-name-resolve`).",
    )
    .default("false"),
    ArgDoc::new(
        "no_extra_spaces",
        "bool",
        "Write `option=value` rather than `option = value`.",
    )
    .default("false"),
    ArgDoc::new(
        "ignore_spaces",
        "bool",
        "An active line whose value is already right stays as written, spacing and all.",
    )
    .default("false"),
    ArgDoc::new(
        "modify_inactive_option",
        "bool",
        "Reuse a commented-out line of the option (`#option = x`, `;option`) for the new value; `false`: only active lines count.",
    )
    .default("true"),
    ArgDoc::new("create", "bool", "Create the file (and its directories) when missing; `false` fails instead.")
        .default("true"),
    ArgDoc::new("backup", "bool", "Keep a timestamped copy of the file before changing it (`backup_file`).")
        .default("false"),
    ArgDoc::new("mode", "raw", "The file's permissions."),
    ArgDoc::new("owner", "str", "The file's owner."),
    ArgDoc::new("group", "str", "The file's group."),
    ArgDoc::new(
        "unsafe_writes",
        "bool",
        "Accepted for Ansible's sake; only `false` (files are always replaced atomically).",
    ),
];

pub const INI_FILE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: pacman downloads in parallel
  community.general.ini_file:
    path: /etc/pacman.conf
    section: options
    option: ParallelDownloads
    value: 5

- name: a systemd drop-in setting
  ini_file:
    path: /etc/systemd/system/nginx.service.d/limits.conf
    section: Service
    option: LimitNOFILE
    value: 65536
    no_extra_spaces: true

- name: two values of one option
  ini_file:
    path: /etc/example.ini
    section: main
    option: server
    values: [a.example.org, b.example.org]

- name: php's memory limit, before any section
  ini_file:
    path: /etc/php/php.ini
    section: null
    option: memory_limit
    value: 256M
"#,
};
