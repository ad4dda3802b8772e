//! The documentation of `locale_gen`. Checked against `locale_gen::Args` by the tests
//! in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 2] = [
    ArgDoc::new(
        "name",
        "list",
        "Locale names (en_US.UTF-8), found in the root's /etc/locale.gen or /usr/share/i18n/SUPPORTED.",
    )
    .required(),
    ArgDoc::new(
        "state",
        "str",
        "present: enabled in /etc/locale.gen and generated; absent: commented out (locale-gen runs after either change).",
    )
    .default("present")
    .choices(&["present", "absent"]),
];

pub const LOCALE_GEN: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r##"- name: the locale list, as a fresh Arch root has it
  copy:
    dest: /etc/locale.gen
    content: "#en_US.UTF-8 UTF-8\n#de_DE.UTF-8 UTF-8\n"

- name: American English
  community.general.locale_gen:
    name: en_US.UTF-8
"##,
};
