//! The documentation of `mount`. Checked against `mount::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 10] = [
    ArgDoc::new("path", "path", "The mount point.").required().aliases(&["name"]),
    ArgDoc::new("src", "str", "The device, label or remote (needed with present, mounted and ephemeral)."),
    ArgDoc::new("fstype", "str", "The filesystem type (needed with present, mounted and ephemeral)."),
    ArgDoc::new("opts", "str", "Mount options.").default("defaults"),
    ArgDoc::new("dump", "str", "The fifth field of the entry.").default("0"),
    ArgDoc::new("passno", "str", "The sixth field of the entry.").default("0"),
    ArgDoc::new(
        "state",
        "str",
        "present: the fstab entry; absent: no entry, unmounted on a running system, and an empty mount point removed; absent_from_fstab: no entry. On a running system (the machine's own /; refused on an offline root): mounted (the entry, and mounted; remounted when the entry changed), unmounted, remounted (always changed), ephemeral (mounted, fstab untouched).",
    )
    .required()
    .choices(&[
        "present",
        "absent",
        "absent_from_fstab",
        "mounted",
        "unmounted",
        "remounted",
        "ephemeral",
    ]),
    ArgDoc::new("fstab", "path", "The file of entries.").default("/etc/fstab"),
    ArgDoc::new("boot", "bool", "false adds noauto to the options.").default("true"),
    ArgDoc::new("backup", "bool", "Keep the old file as FSTAB.TIMESTAMP~.").default("false"),
];

pub const MOUNT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: the data disk at boot
  ansible.posix.mount:
    path: /srv/data
    src: LABEL=data
    fstype: ext4
    opts: noatime
    state: present
"#,
};
