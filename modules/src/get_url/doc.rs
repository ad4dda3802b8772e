//! The documentation of `get_url`. Checked against `get_url::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 15] = [
    ArgDoc::new("url", "str", "An http://, https:// or file:// URL (a file:// path is read inside the target).").required(),
    ArgDoc::new("dest", "path", "The file to write, or a directory to download into (the name from Content-Disposition, else the URL's last segment).").required(),
    ArgDoc::new("force", "bool", "Download even when checksum says the existing dest is right. (An existing dest is otherwise downloaded again and replaced if the content differs, as ansible-core does; machinist sends no If-Modified-Since.)").default("false"),
    ArgDoc::new("backup", "bool", "Keep the replaced file as DEST.TIMESTAMP~.").default("false"),
    ArgDoc::new("checksum", "str", "ALGORITHM:HEX (md5, sha1, sha224, sha256, sha384, sha512), or ALGORITHM:URL of a checksum file (GNU or BSD lines). The download must match; an existing dest that matches is not downloaded again."),
    ArgDoc::new("timeout", "int", "Seconds for the whole request.").default("10"),
    ArgDoc::new("headers", "dict", "Request headers.").default("{}"),
    ArgDoc::new("validate_certs", "bool", "Verify the server's certificate (webpki roots).").default("true"),
    ArgDoc::new("url_username", "str", "User for HTTP basic auth.").aliases(&["username"]),
    ArgDoc::new("url_password", "str", "Password for HTTP basic auth (a secret: never shown).").aliases(&["password"]),
    ArgDoc::new("force_basic_auth", "bool", "Send the credentials with the first request, not only after a 401.").default("false"),
    ArgDoc::new("http_agent", "str", "The User-Agent header.").default("ansible-httpget"),
    ArgDoc::new("mode", "raw", "Permissions of dest: octal string ('0644') or symbolic (u=rw,g=r,o=r)."),
    ArgDoc::new("owner", "str", "Owner of dest (a name in the target's /etc/passwd, or a uid)."),
    ArgDoc::new("group", "str", "Group of dest (a name in the target's /etc/group, or a gid)."),
];

pub const GET_URL: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: A release, verified; not downloaded again once it is there
  get_url:
    url: https://example.org/releases/tool-1.0.tar.gz
    dest: /var/lib/tool-1.0.tar.gz
    checksum: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    mode: "0644"
- name: A file of the target, copied (file:// URLs are read inside the target)
  get_url:
    url: file:///etc/motd.dist
    dest: /etc/motd
    force: true
"#,
};
