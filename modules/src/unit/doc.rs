//! The documentation of `unit` (and of Ansible's `systemd` / `systemd_service`, which
//! are the same module). Checked against `unit::Args` by the tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 10] = [
    ArgDoc::new(
        "name",
        "str",
        "The unit (.service implied without a type suffix); optional only for a task that just does daemon_reload.",
    )
    .aliases(&["service", "unit"]),
    ArgDoc::new(
        "state",
        "str",
        "Needs a running manager (refused on an offline root). started/stopped act only when needed; restarted and reloaded always act.",
    )
    .choices(&["started", "stopped", "restarted", "reloaded"]),
    ArgDoc::new(
        "enabled",
        "bool",
        "Enabled at boot; offline through systemctl --root. Static units have nothing to enable.",
    ),
    ArgDoc::new(
        "masked",
        "bool",
        "Linked to /dev/null (masked: false unmasks).",
    ),
    ArgDoc::new(
        "daemon_reload",
        "bool",
        "Reload the manager when a unit file changed (this run, or on disk since it loaded it). Needs a running manager. A start/restart after a unit file or drop-in changed reloads first anyway, once.",
    )
    .default("false")
    .aliases(&["daemon-reload"]),
    ArgDoc::new(
        "scope",
        "str",
        "The system manager, the user's (live only), or every user's unit files (global, files only).",
    )
    .default("system")
    .choices(&["system", "user", "global"]),
    ArgDoc::new(
        "content",
        "str",
        "The whole unit file, written to /etc/systemd/system/NAME (or the drop-in, with dropin).",
    ),
    ArgDoc::new(
        "template",
        "path",
        "A template in templates/, rendered into content.",
    ),
    ArgDoc::new("src", "path", "A file in files/, read into content."),
    ArgDoc::new(
        "dropin",
        "str",
        "Write content as the drop-in /etc/systemd/system/NAME.d/DROPIN (a name ending in .conf).",
    ),
];

pub const UNIT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: Give every container's systemd-nspawn a drop-in
  unit:
    name: systemd-nspawn@.service
    dropin: override.conf
    content: |
      [Service]
      ExecStart=
      ExecStart=systemd-nspawn --quiet --keep-unit --boot -U --settings=override --machine=%i

- name: A service of our own, enabled (offline too)
  unit:
    name: backup
    content: |
      [Service]
      ExecStart=/usr/local/bin/backup

      [Install]
      WantedBy=multi-user.target
    enabled: true

- name: Started now, on the running system only
  unit:
    name: backup
    state: started
  when: machinist_root == '/'
"#,
};
