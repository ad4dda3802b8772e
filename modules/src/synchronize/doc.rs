//! The documentation of `synchronize`. Checked against `synchronize::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 29] = [
    ArgDoc::new("src", "path", "The tree or file to copy from. Relative: found in the role's or playbook's files/ (or beside the playbook), as copy's src. A trailing / copies the folder's contents, not the folder.").required(),
    ArgDoc::new("dest", "path", "Where it goes: an absolute path (on the host over ssh; pushed there, or pulled here with mode pull).").required(),
    ArgDoc::new("mode", "str", "Over ssh: push sends src (this machine's) to dest (the host's); pull fetches src (the host's) into dest (this machine's). On a local connection both copy src to dest, as in Ansible.").default("push").choices(&["push", "pull"]),
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
    ArgDoc::new("rsync_opts", "list", "More rsync options, each split as a shell line (e.g. --exclude=.git). A remote shell (--rsh, -e) is refused: over ssh rsync goes through machinist's connection.").default("[]"),
    ArgDoc::new("rsync_path", "str", "The rsync program on the host (--rsync-path); without it, become (sudo only) runs `sudo -u USER rsync` there."),
    ArgDoc::new("rsync_timeout", "int", "rsync's I/O timeout in seconds; 0: none (--timeout).").default("0"),
    ArgDoc::new("dest_port", "int", "Over ssh: the host's ssh port (default: ansible_port). Refused on a local host."),
    ArgDoc::new("private_key", "path", "Over ssh: the key to log in with (default: ansible_ssh_private_key_file). Refused on a local host."),
    ArgDoc::new("verify_host", "bool", "Over ssh: host keys are always checked, as by machinist's own connection (Ansible's false turns checking off; here it does not). true refused on a local host.").default("false"),
    ArgDoc::new("set_remote_user", "bool", "Over ssh: USER@HOST with ansible_user; false: ssh's own user choice. false refused on a local host.").default("true"),
    ArgDoc::new("use_ssh_args", "bool", "Over ssh: add ansible_ssh_common_args and ansible_ssh_extra_args to rsync's ssh. Refused on a local host.").default("false"),
    ArgDoc::new("ssh_connection_multiplexing", "bool", "Over ssh: rsync's ssh always goes through machinist's multiplexed connection to the host (its ControlPath), whatever this says. true refused on a local host.").default("false"),
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

- name: the host's /etc fetched into a backup here (over ssh; on a local host, a local copy)
  ansible.posix.synchronize:
    mode: pull
    src: /etc/
    dest: /var/backups/etc/
    rsync_opts:
      - --exclude=shadow*
"#,
};
