//! The documentation of `pam_limits`. Checked against `pam_limits::Args` by the tests
//! in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 9] = [
    ArgDoc::new(
        "domain",
        "str",
        "Who the limit is for: a user, `@group`, `*`, a uid range.",
    )
    .required(),
    ArgDoc::new("limit_type", "str", "The limit's type.")
        .required()
        .choices(&["soft", "hard", "-"]),
    ArgDoc::new("limit_item", "str", "What is limited (limits.conf(5)).")
        .required()
        .choices(super::ITEMS),
    ArgDoc::new(
        "value",
        "str",
        "A number (`nice`, `priority`: -20 to 19), or `unlimited`, `infinity`, `-1`.",
    )
    .required(),
    ArgDoc::new(
        "use_max",
        "bool",
        "Keep the file's value when it is larger (or unlimited).",
    )
    .default("false"),
    ArgDoc::new(
        "use_min",
        "bool",
        "Keep the file's value when it is smaller.",
    )
    .default("false"),
    ArgDoc::new(
        "backup",
        "bool",
        "Keep a timestamped copy of the file before changing it (`backup_file`).",
    )
    .default("false"),
    ArgDoc::new(
        "dest",
        "str",
        "The limits file (created in an existing directory).",
    )
    .default("/etc/security/limits.conf"),
    ArgDoc::new(
        "comment",
        "str",
        "A comment written after the limit (else an earlier line's, as community.general does).",
    )
    .default(""),
];

pub const PAM_LIMITS: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: open files for the database
  community.general.pam_limits:
    domain: postgres
    limit_type: "-"
    limit_item: nofile
    value: 65536

- name: a drop-in file, keeping a larger value already set
  pam_limits:
    dest: /etc/security/limits.d/90-builds.conf
    domain: "@builders"
    limit_type: hard
    limit_item: nproc
    value: 4096
    use_max: true
"#,
};
