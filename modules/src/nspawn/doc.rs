//! The documentation of `nspawn`. Checked against `nspawn::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 6] = [
    ArgDoc::new(
        "name",
        "str",
        "The machine: its rootfs is /var/lib/machines/NAME, its service systemd-nspawn@NAME.",
    )
    .required(),
    ArgDoc::new(
        "settings",
        "dict",
        "systemd.nspawn(5) sections and keys under their own names (Exec: {Boot: true}); booleans become yes/no, lists repeated keys. Unknown names are validation errors.",
    ),
    ArgDoc::new(
        "location",
        "str",
        "Where the .nspawn file goes: /etc/systemd/nspawn (every setting applies) or next to the image in /var/lib/machines (privileged settings ignored, with a warning).",
    )
    .default("etc")
    .choices(&["etc", "image"]),
    ArgDoc::new(
        "exec_start",
        "list",
        "Extra systemd-nspawn flags for this container, as a drop-in over systemd-nspawn@NAME.service; [] removes it.",
    ),
    ArgDoc::new(
        "enabled",
        "bool",
        "Start at boot: machines.target and systemd-nspawn@NAME.service enabled (offline too).",
    ),
    ArgDoc::new(
        "state",
        "str",
        "Needs a running manager. A running container is not restarted when its settings change.",
    )
    .choices(&["running", "stopped"]),
];

pub const NSPAWN: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: A container on the br0 bridge, started at boot
  nspawn:
    name: arch
    settings:
      Exec: {Boot: true, PrivateUsers: pick}
      Files: {Bind: [/var/cache/pacman/pkg]}
      Network: {Bridge: br0}
    enabled: true

- name: Started now, on the running system only
  nspawn:
    name: arch
    state: running
  when: machinist_root == '/'
"#,
};
