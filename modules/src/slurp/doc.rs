//! The documentation of `slurp`. Checked against `slurp::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 1] = [ArgDoc::new(
    "src",
    "path",
    "The file to read, inside the target root; registered as base64 `content`.",
)
.required()
.aliases(&["path"])];

pub const SLURP: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: a file written earlier
  copy:
    dest: /etc/motd
    content: "hello\n"

- name: read it back
  slurp:
    src: /etc/motd
  register: motd

- name: show it
  debug:
    msg: "{{ motd.content | b64decode }}"
"#,
};
