//! The documentation of `resolv_link`. Checked against `resolv_link::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 2] = [
    ArgDoc::new(
        "target",
        "str",
        "uplink (/run/systemd/resolve/resolv.conf), stub (/run/systemd/resolve/stub-resolv.conf) or the path the link points to.",
    )
    .default("uplink"),
    ArgDoc::new(
        "backup",
        "bool",
        "Keep a regular file that is replaced as /etc/resolv.conf.TIMESTAMP~.",
    )
    .default("false"),
];

pub const RESOLV_LINK: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: resolv.conf from systemd-resolved, keeping the old file
  resolv_link:
    target: uplink
    backup: true
"#,
};
