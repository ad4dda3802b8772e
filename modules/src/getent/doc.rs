//! The documentation of `getent`. Checked against `getent::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 5] = [
    ArgDoc::new(
        "database",
        "str",
        "The NSS database (passwd, group, shadow, hosts, services …), read by the target's getent.",
    )
    .required(),
    ArgDoc::new("key", "str", "Only this entry (a user name, a uid, a host name …)."),
    ArgDoc::new("service", "str", "The NSS service to ask (`getent -s`), e.g. `files`."),
    ArgDoc::new(
        "split",
        "str",
        "What separates an entry's fields; default `:` for passwd, shadow, group and gshadow, else whitespace.",
    ),
    ArgDoc::new(
        "fail_key",
        "bool",
        "Fail when `key` is not found; `false` sets it to none instead.",
    )
    .default("true"),
];

pub const GETENT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: the target's users
  getent:
    database: passwd

- name: their names
  debug:
    msg: "{{ getent_passwd.keys() | list }}"

- name: is there a deploy user?
  getent:
    database: passwd
    key: deploy
    fail_key: false
"#,
};
