//! The documentation of `timezone`. Checked against `timezone::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 1] = [ArgDoc::new(
    "name",
    "str",
    "A zone of /usr/share/zoneinfo; /etc/localtime becomes a link to it (systemd-firstboot).",
)
.required()];

pub const TIMEZONE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: Berlin time
  community.general.timezone:
    name: Europe/Berlin
"#,
};
