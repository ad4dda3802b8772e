//! The documentation of `tempfile`. Checked against `temp_file::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 4] = [
    ArgDoc::new(
        "state",
        "str",
        "Make an empty file (mode 0600) or a directory (mode 0700).",
    )
    .default("file")
    .choices(&["file", "directory"]),
    ArgDoc::new(
        "path",
        "path",
        "The folder to make it in, inside the target root; the target's /tmp by default.",
    ),
    ArgDoc::new("prefix", "str", "The start of the name (no `/`).").default("ansible."),
    ArgDoc::new("suffix", "str", "The end of the name (no `/`).").default(""),
];

pub const TEMPFILE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    // A check run reports the path the real run would make: always `changed`.
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: a scratch folder for the build (a new one on every run, always changed)
  tempfile:
    state: directory
    suffix: .build
  register: scratch

- name: a file in it
  copy:
    dest: "{{ scratch.path }}/notes"
    content: "hello\n"

- name: gone again
  file:
    path: "{{ scratch.path }}"
    state: absent
"#,
};
