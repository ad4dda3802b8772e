//! The documentation of `archive`. Checked against `archive::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 10] = [
    ArgDoc::new(
        "path",
        "list",
        "Absolute paths of the target to pack; `*` and `?` glob (Python's glob: hidden \
         names only by a pattern starting with `.`).",
    )
    .required(),
    ArgDoc::new(
        "dest",
        "path",
        "The archive. Required for several paths, a folder or a glob; else PATH.FORMAT.",
    ),
    ArgDoc::new(
        "format",
        "str",
        "`gz`, `bz2`, `xz`, `zst` (a tar so compressed, or one file compressed), `tar` or `zip`.",
    )
    .default("gz")
    .choices(&["bz2", "gz", "tar", "xz", "zip", "zst"]),
    ArgDoc::new(
        "exclude_path",
        "list",
        "Paths (or globs) taken out of `path`'s.",
    ),
    ArgDoc::new(
        "exclusion_patterns",
        "list",
        "fnmatch patterns of members left out (a tar member's name, a zip member's path).",
    ),
    ArgDoc::new(
        "force_archive",
        "bool",
        "Pack a single file into a tar or zip instead of compressing it.",
    )
    .default("false"),
    ArgDoc::new(
        "remove",
        "bool",
        "Remove the sources once archived (dest may not lie inside them).",
    )
    .default("false"),
    ArgDoc::new("mode", "str", "The archive's mode (e.g. `\"0600\"`)."),
    ArgDoc::new(
        "owner",
        "str",
        "The archive's owner (a name of the target, or a uid).",
    ),
    ArgDoc::new("group", "str", "The archive's group."),
];

pub const ARCHIVE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: Pack the site's configuration, less its secrets
  archive:
    path: /etc/site
    dest: /var/backups/site.tar.gz
    exclusion_patterns: ["*.key"]
    mode: "0600"
  register: packed
  # The archive is rewritten only when its members changed (a tar member's header
  # checksum, a zip member's CRC): the second run is ok. Registers archived,
  # missing, expanded_paths, expanded_exclude_paths, arcroot, dest, dest_state.

- name: Compress one log
  community.general.archive:
    path: /var/log/build.log
    format: xz
"#,
};
