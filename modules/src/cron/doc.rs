//! The documentation of `cron`. Checked against `cron::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const TIME_FIELDS: &str = "Cannot be combined with special_time.";

const ARGS: [ArgDoc; 16] = [
    ArgDoc::new(
        "name",
        "str",
        "The job's name, written as the `#Ansible: NAME` line above it; with env, the variable's name.",
    )
    .required(),
    ArgDoc::new(
        "user",
        "str",
        "Whose crontab (default: the user machinist runs as): through crontab on a live system, the spool file of Debian's cron or cronie in a root; with cron_file, the user field of the line.",
    ),
    ArgDoc::new(
        "job",
        "str",
        "The command (one line); with env, the variable's value. Required with state=present.",
    )
    .aliases(&["value"]),
    ArgDoc::new(
        "cron_file",
        "path",
        "A file of its own instead of a user's crontab: relative paths are in /etc/cron.d (which must exist). Needs user with state=present; removing its last job removes the file.",
    ),
    ArgDoc::new("state", "str", "Whether the job or variable is there.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new(
        "backup",
        "bool",
        "Before a change, copy the crontab to /tmp/crontabXXXXXXXX (registered as backup_file).",
    )
    .default("false"),
    ArgDoc::new("minute", "str", TIME_FIELDS).default("*"),
    ArgDoc::new("hour", "str", TIME_FIELDS).default("*"),
    ArgDoc::new("day", "str", TIME_FIELDS).default("*").aliases(&["dom"]),
    ArgDoc::new("month", "str", TIME_FIELDS).default("*"),
    ArgDoc::new("weekday", "str", TIME_FIELDS).default("*").aliases(&["dow"]),
    ArgDoc::new("special_time", "str", "`@NICKNAME` instead of the five fields.").choices(&[
        "reboot", "yearly", "annually", "monthly", "weekly", "daily", "hourly",
    ]),
    ArgDoc::new("disabled", "bool", "The job's line commented out (state=present).")
        .default("false"),
    ArgDoc::new(
        "env",
        "bool",
        "Manage a variable line `NAME=\"VALUE\"` (on top of the crontab unless insertafter/insertbefore).",
    )
    .default("false"),
    ArgDoc::new(
        "insertafter",
        "str",
        "With env: put a new variable after this variable's line (which must exist).",
    ),
    ArgDoc::new(
        "insertbefore",
        "str",
        "With env: put a new variable before this variable's line (which must exist).",
    ),
];

pub const CRON: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: /etc/cron.d is there (cron's package makes it)
  file:
    path: /etc/cron.d
    state: directory

- name: A nightly job in a cron file of its own
  cron:
    name: backup
    cron_file: backup
    user: root
    minute: "30"
    hour: "2"
    job: /usr/local/bin/backup > /dev/null

- name: A variable for the file's jobs
  cron:
    name: MAILTO
    env: true
    job: ops@example.org
    cron_file: backup
    user: root

- name: A job at boot, kept but disabled
  cron:
    name: warm cache
    special_time: reboot
    job: /usr/local/bin/warm
    disabled: true
    cron_file: backup
    user: root
"#,
};
