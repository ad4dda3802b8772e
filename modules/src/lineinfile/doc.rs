//! The documentation of `lineinfile`. Checked against `lineinfile::Args` by the tests
//! in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 16] = [
    ArgDoc::new("path", "path", "The file to edit, inside the target root.")
        .required()
        .aliases(&["dest", "destfile", "name"]),
    ArgDoc::new("state", "str", "Whether the line should be there.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new(
        "regexp",
        "str",
        "A Python regular expression looked for in every line (without its newline); the last matching line is replaced (the first with firstmatch), or with state=absent every matching line removed.",
    )
    .aliases(&["regex"]),
    ArgDoc::new(
        "search_string",
        "str",
        "A literal string looked for in every line, as regexp.",
    ),
    ArgDoc::new(
        "line",
        "str",
        "The line to put in the file (required with state=present); with backrefs it may use \\1 and \\g<name>.",
    )
    .aliases(&["value"]),
    ArgDoc::new(
        "insertafter",
        "str",
        "With no match: insert after the last line matching this regular expression (the first with firstmatch), EOF or BOF; at the end of the file when nothing matches.",
    )
    .default("EOF"),
    ArgDoc::new(
        "insertbefore",
        "str",
        "With no match: insert before the last line matching this regular expression, or BOF.",
    ),
    ArgDoc::new(
        "backrefs",
        "bool",
        "Expand the regexp's groups in line; when regexp matches nothing the file is left unchanged.",
    )
    .default("false"),
    ArgDoc::new(
        "firstmatch",
        "bool",
        "Use the first matching line for regexp, search_string and insertafter/insertbefore.",
    )
    .default("false"),
    ArgDoc::new(
        "create",
        "bool",
        "Create the file (and missing directories) when it does not exist; otherwise that is an error.",
    )
    .default("false"),
    ArgDoc::new(
        "backup",
        "bool",
        "Keep the old file as PATH.TIMESTAMP~ (UTC) before changing it; its name is the result's backup.",
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

pub const LINEINFILE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: pacman downloads in parallel
  lineinfile:
    path: /etc/pacman.conf
    regexp: '^#?ParallelDownloads'
    line: ParallelDownloads = 5
    create: true

- name: the en_US locale generated
  lineinfile:
    path: /etc/locale.gen
    line: en_US.UTF-8 UTF-8
    create: true
"#,
};
