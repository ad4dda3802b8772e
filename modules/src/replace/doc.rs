//! The documentation of `replace`. Checked against `replace::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 12] = [
    ArgDoc::new("path", "path", "The file to edit, inside the target root; it must exist.")
        .required()
        .aliases(&["dest", "destfile", "name"]),
    ArgDoc::new(
        "regexp",
        "str",
        "A Python regular expression (re.MULTILINE); every match is replaced.",
    )
    .required(),
    ArgDoc::new(
        "replace",
        "str",
        "The replacement; \\1 and \\g<name> stand for the groups.",
    )
    .default("''"),
    ArgDoc::new(
        "after",
        "str",
        "Only replace after the first match of this expression (re.DOTALL).",
    ),
    ArgDoc::new(
        "before",
        "str",
        "Only replace before the last match of this expression (re.DOTALL).",
    ),
    ArgDoc::new(
        "backup",
        "bool",
        "Keep the old file as PATH.TIMESTAMP~ (UTC); its name is the result's backup_file.",
    )
    .default("false"),
    ArgDoc::new(
        "validate",
        "str",
        "A command run in the target on the new content before it replaces the file; %s is the temp file's path (required). Not run in check mode.",
    ),
    ArgDoc::new("encoding", "str", "Only utf-8 is supported; others are refused.")
        .default("utf-8"),
    ArgDoc::new("mode", "raw", "The file's mode, as a quoted octal or symbolic string."),
    ArgDoc::new("owner", "str", "The file's owner (a name in the target's /etc/passwd, or an id)."),
    ArgDoc::new("group", "str", "The file's group (a name in the target's /etc/group, or an id)."),
    ArgDoc::new(
        "unsafe_writes",
        "bool",
        "Only false is accepted: machinist always replaces files atomically.",
    )
    .default("false"),
];

pub const REPLACE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: a pacman.conf with a commented option
  copy:
    dest: /etc/pacman.conf
    content: "[options]\n#Color\n"

- name: colour in pacman's output
  replace:
    path: /etc/pacman.conf
    regexp: '^#Color$'
    replace: Color
"#,
};
