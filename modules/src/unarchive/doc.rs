//! The documentation of `unarchive`. Checked against `unarchive::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 13] = [
    ArgDoc::new("src", "str", "The archive: a file in files/ beside the playbook or role (as copy's src), or with remote_src a path in the target or an http(s) URL.").required(),
    ArgDoc::new("dest", "path", "An existing directory of the target to unpack into.").required(),
    ArgDoc::new("remote_src", "bool", "src is in the target (or a URL), not on the controller.").default("false"),
    ArgDoc::new("creates", "path", "Do nothing (skipped) when this path exists in the target."),
    ArgDoc::new("extra_opts", "list", "Only --strip-components=N is taken (the archive is read by machinist, not by tar); anything else is refused.").default("[]"),
    ArgDoc::new("list_files", "bool", "Return the members' names in `files`.").default("false"),
    ArgDoc::new("exclude", "list", "Glob patterns of member names not to unpack.").default("[]"),
    ArgDoc::new("include", "list", "Glob patterns of the only member names to unpack.").default("[]"),
    ArgDoc::new("keep_newer", "bool", "Not supported (members are compared by content): true is refused.").default("false"),
    ArgDoc::new("validate_certs", "bool", "Verify the certificate of an https src.").default("true"),
    ArgDoc::new("mode", "raw", "Permissions of every member (octal string or symbolic); default: as stored."),
    ArgDoc::new("owner", "str", "Owner of every member; default: as stored in a tar, the runner's for a zip."),
    ArgDoc::new("group", "str", "Group of every member; default: as stored in a tar, the runner's for a zip."),
];

pub const UNARCHIVE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: A release shipped beside the playbook, unpacked once
  unarchive:
    src: site.tar.gz
    dest: /srv
    extra_opts: [--strip-components=1]
- name: An archive already in the target
  unarchive:
    src: /var/lib/site.zip
    dest: /srv
    remote_src: true
    creates: /srv/index.html
"#,
};
