//! The documentation of `blockinfile`. Checked against `blockinfile::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 17] = [
    ArgDoc::new("path", "path", "The file to edit, inside the target root.")
        .required()
        .aliases(&["dest", "destfile", "name"]),
    ArgDoc::new("state", "str", "Whether the block should be there.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new(
        "block",
        "str",
        "The lines between the markers; empty removes the block.",
    )
    .default("''")
    .aliases(&["content"]),
    ArgDoc::new(
        "marker",
        "str",
        "The marker line; {mark} becomes marker_begin or marker_end.",
    )
    .default("'# {mark} ANSIBLE MANAGED BLOCK'"),
    ArgDoc::new("marker_begin", "str", "What {mark} is in the first marker.").default("BEGIN"),
    ArgDoc::new("marker_end", "str", "What {mark} is in the last marker.").default("END"),
    ArgDoc::new(
        "insertafter",
        "str",
        "A new block goes after the last line matching this regular expression (the whole file is searched when it starts with (?m)), or at EOF; at the end when nothing matches.",
    )
    .default("EOF"),
    ArgDoc::new(
        "insertbefore",
        "str",
        "A new block goes before the last line matching this regular expression, or at BOF.",
    ),
    ArgDoc::new(
        "append_newline",
        "bool",
        "Add a blank line after the block unless one follows it.",
    )
    .default("false"),
    ArgDoc::new(
        "prepend_newline",
        "bool",
        "Add a blank line before the block unless one precedes it.",
    )
    .default("false"),
    ArgDoc::new(
        "create",
        "bool",
        "Create the file (and missing directories) when it does not exist.",
    )
    .default("false"),
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

pub const BLOCKINFILE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: a local repository for pacman
  blockinfile:
    path: /etc/pacman.conf
    create: true
    block: |
      [local]
      Server = file:///srv/repo
"#,
};
