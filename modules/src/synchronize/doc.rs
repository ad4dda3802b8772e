//! The documentation of `synchronize`. Checked against `synchronize::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const SSH_ONLY: &str = "Over ssh only: refused on a local host, where it would do nothing.";

const ARGS: [ArgDoc; 29] = [
    ArgDoc::new("src", "path", "The tree or file to copy from. Relative: found in the role's or playbook's files/ (or beside the playbook), as copy's src. A trailing / copies the folder's contents, not the folder.").required(),
    ArgDoc::new("dest", "path", "Where it goes: an absolute path on this host.").required(),
    ArgDoc::new("mode", "str", "push or pull. With both paths on this host (a local connection) both copy src to dest, as in Ansible.").default("push").choices(&["push", "pull"]),
    ArgDoc::new("archive", "bool", "rsync --archive: recursive, links, perms, times, owner, group, devices (each of the six below may turn its part off).").default("true"),
    ArgDoc::new("checksum", "bool", "Compare files by checksum, not size and time (--checksum).").default("false"),
    ArgDoc::new("compress", "bool", "Compress data in transfer (--compress).").default("true"),
    ArgDoc::new("delete", "bool", "Remove files in dest that src does not have, after the transfer (--delete-after).").default("false"),
    ArgDoc::new("recursive", "bool", "Recurse into folders (default: archive's)."),
    ArgDoc::new("links", "bool", "Copy symlinks as symlinks (default: archive's)."),
    ArgDoc::new("copy_links", "bool", "Copy what symlinks point to, not the links (--copy-links).").default("false"),
    ArgDoc::new("perms", "bool", "Keep permissions (default: archive's)."),
    ArgDoc::new("times", "bool", "Keep modification times (default: archive's)."),
    ArgDoc::new("owner", "bool", "Keep the owner (default: archive's; as root only)."),
    ArgDoc::new("group", "bool", "Keep the group (default: archive's)."),
    ArgDoc::new("dirs", "bool", "Transfer folders without recursing (--dirs).").default("false"),
    ArgDoc::new("existing_only", "bool", "Update only files dest already has (--existing).").default("false"),
    ArgDoc::new("partial", "bool", "Keep partially transferred files (--partial).").default("false"),
    ArgDoc::new("delay_updates", "bool", "Put updated files in place at the end (--delay-updates -F).").default("true"),
    ArgDoc::new("link_dest", "list", "Hard-link unchanged files from these folders (--link-dest, with -H -vv)."),
    ArgDoc::new("rsync_opts", "list", "More rsync options, each split as a shell line (e.g. --exclude=.git). A remote shell (--rsh, -e) is refused.").default("[]"),
    ArgDoc::new("rsync_path", "str", "The rsync program on the other side (--rsync-path)."),
    ArgDoc::new("rsync_timeout", "int", "rsync's I/O timeout in seconds; 0: none (--timeout).").default("0"),
    ArgDoc::new("dest_port", "int", SSH_ONLY),
    ArgDoc::new("private_key", "path", SSH_ONLY),
    ArgDoc::new("verify_host", "bool", SSH_ONLY).default("false"),
    ArgDoc::new("set_remote_user", "bool", SSH_ONLY).default("true"),
    ArgDoc::new("use_ssh_args", "bool", SSH_ONLY).default("false"),
    ArgDoc::new("ssh_connection_multiplexing", "bool", SSH_ONLY).default("false"),
    ArgDoc::new("_ssh_args", "str", "Ansible's action plugin's own argument: refused when given."),
];

pub const SYNCHRONIZE: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: the site's files, mirrored (files only in dest removed)
  synchronize:
    src: site/
    dest: /srv/www/
    delete: true
    rsync_opts:
      - --exclude=.git

- name: a backup of /etc, hard-linking what did not change since the last one
  ansible.posix.synchronize:
    src: /etc/
    dest: /var/backups/etc.new/
    link_dest:
      - /var/backups/etc.last
"#,
};
