//! The documentation of `firstboot`. Checked against `firstboot::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 8] = [
    ArgDoc::new(
        "locale",
        "str",
        "LANG (en_US.UTF-8), written where the root's distribution reads it (its os-release: /etc/default/locale on Debian and its derivatives, /etc/locale.conf elsewhere).",
    ),
    ArgDoc::new("keymap", "str", "The console keymap (us, de-latin1), in /etc/vconsole.conf."),
    ArgDoc::new(
        "timezone",
        "str",
        "A zone of the root's /usr/share/zoneinfo (Europe/Berlin).",
    ),
    ArgDoc::new("hostname", "str", "/etc/hostname."),
    ArgDoc::new(
        "root_password",
        "str",
        "In plain text; hashed with sha512-crypt, never shown.",
    ),
    ArgDoc::new(
        "root_password_hash",
        "str",
        "Already hashed (crypt(3), as in /etc/shadow); never shown.",
    ),
    ArgDoc::new("machine_id", "str", "32 hex digits (/etc/machine-id)."),
    ArgDoc::new(
        "locales",
        "list",
        "Entries of /etc/locale.gen to enable; locale-gen runs in the root when it changes.",
    )
    .default("[]"),
];

pub const FIRSTBOOT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: What the first boot used to ask
  firstboot:
    hostname: arch
    keymap: us
    locale: en_US.UTF-8
    timezone: Europe/Berlin
    root_password: "{{ root_password | default('changeme') }}"
"#,
};
