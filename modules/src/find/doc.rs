//! The documentation of `find`. Checked against `find::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 20] = [
    ArgDoc::new("paths", "list", "Directories to search, inside the target root.")
        .required()
        .aliases(&["name", "path"]),
    ArgDoc::new(
        "patterns",
        "list",
        "Globs (or Python regexes with use_regex, matched at the start) the base name must match; default all.",
    )
    .aliases(&["pattern"]),
    ArgDoc::new("excludes", "list", "Globs or regexes of base names left out.")
        .aliases(&["exclude"]),
    ArgDoc::new("use_regex", "bool", "patterns and excludes are Python regexes.").default("false"),
    ArgDoc::new(
        "contains",
        "str",
        "A regex a line must match from its start (file_type=file only).",
    ),
    ArgDoc::new(
        "read_whole_file",
        "bool",
        "contains is searched anywhere in the whole file instead.",
    )
    .default("false"),
    ArgDoc::new("file_type", "str", "What kind of path is reported.")
        .default("file")
        .choices(&["file", "directory", "link", "any"]),
    ArgDoc::new(
        "age",
        "str",
        "At least this old (negative: at most), in s, m, h, d or w (default seconds).",
    ),
    ArgDoc::new("age_stamp", "str", "Which time age looks at.")
        .default("mtime")
        .choices(&["atime", "ctime", "mtime"]),
    ArgDoc::new(
        "size",
        "str",
        "At least this big (negative: at most), in b, k, m, g or t (default bytes).",
    ),
    ArgDoc::new("recurse", "bool", "Search subdirectories too.").default("false"),
    ArgDoc::new("depth", "int", "With recurse, how deep (1: only the directory's entries)."),
    ArgDoc::new("hidden", "bool", "Report names starting with a dot.").default("false"),
    ArgDoc::new(
        "follow",
        "bool",
        "Descend into directories that links lead to (inside the root; each directory once).",
    )
    .default("false"),
    ArgDoc::new("get_checksum", "bool", "Add each file's checksum.").default("false"),
    ArgDoc::new("checksum_algorithm", "str", "The checksum's algorithm.")
        .default("sha1")
        .choices(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
        .aliases(&["checksum", "checksum_algo"]),
    ArgDoc::new(
        "mode",
        "raw",
        "A mode (octal or symbolic string) the path must have (exactly, or any of its bits without exact_mode).",
    ),
    ArgDoc::new("exact_mode", "bool", "mode must match exactly.").default("true"),
    ArgDoc::new("encoding", "str", "Only utf-8 is supported for contains."),
    ArgDoc::new("limit", "int", "Stop after this many matches."),
];

pub const FIND: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: the pacman hooks of the root
  find:
    paths: /etc/pacman.d/hooks
    patterns: "*.hook"
    recurse: true
  register: hooks
"#,
};
