//! The documentation of `assemble`. Checked against `assemble::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 13] = [
    ArgDoc::new(
        "src",
        "path",
        "The directory of fragments, inside the target root; its regular files are joined in name order.",
    )
    .required(),
    ArgDoc::new("dest", "path", "The file to write, inside the target root.")
        .required()
        .aliases(&["path"]),
    ArgDoc::new(
        "delimiter",
        "str",
        "Written between two fragments (escapes such as \\n are decoded), followed by a newline unless it ends in one.",
    ),
    ArgDoc::new(
        "regexp",
        "str",
        "Only fragments whose name this regular expression matches (searched anywhere in the name).",
    ),
    ArgDoc::new("ignore_hidden", "bool", "Leave out fragments whose name starts with a dot.")
        .default("false"),
    ArgDoc::new(
        "remote_src",
        "bool",
        "The fragments are on the target (the only supported value: false is refused).",
    )
    .default("true"),
    ArgDoc::new(
        "decrypt",
        "bool",
        "Vault decryption of controller fragments; target fragments are read as they are.",
    )
    .default("true"),
    ArgDoc::new(
        "backup",
        "bool",
        "Keep the old file as PATH.TIMESTAMP~ (UTC); its name is the result's backup_file.",
    )
    .default("false"),
    ArgDoc::new(
        "validate",
        "str",
        "A command run in the target on the new content (%s: its temp file) before it replaces the file.",
    ),
    ArgDoc::new("mode", "raw", "The file's mode (octal or symbolic)."),
    ArgDoc::new("owner", "str", "The file's owner (a name of the target, or an id)."),
    ArgDoc::new("group", "str", "The file's group (a name of the target, or an id)."),
    ArgDoc::new(
        "unsafe_writes",
        "bool",
        "Only false: the file is always replaced atomically.",
    ),
];

pub const ASSEMBLE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: a folder of fragments
  file:
    path: /etc/app/conf.d
    state: directory

- name: the fragments, each from its own role or task
  copy:
    dest: "/etc/app/conf.d/{{ item.name }}"
    content: "{{ item.text }}"
  loop:
    - {name: 10-main.conf, text: "[main]\nworkers = 4\n"}
    - {name: 20-log.conf, text: "[log]\nlevel = info\n"}

- name: one file from them, in name order
  assemble:
    src: /etc/app/conf.d
    dest: /etc/app/app.conf
    mode: "0640"

- name: only the .conf fragments, a separator between them
  assemble:
    src: /etc/app/conf.d
    dest: /etc/app/all.conf
    regexp: '\.conf$'
    delimiter: '### next fragment'
    ignore_hidden: true
"#,
};
