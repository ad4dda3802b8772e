//! The documentation of `file`, `copy` and `template` (one argument set, three
//! meanings of `src`). Checked against `file::Args` by the tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const fn args(src: ArgDoc) -> [ArgDoc; 29] {
    [
        ArgDoc::new("path", "path", "The path inside the target root.")
            .required()
            .aliases(&["dest", "name"]),
        ArgDoc::new(
            "state",
            "str",
            "What the path should be. Default: file when content is given, else what it is now. touch creates a missing file and leaves an existing one alone.",
        )
        .choices(&["file", "directory", "link", "hard", "absent", "touch"]),
        ArgDoc::new(
            "content",
            "str",
            "The file's whole content (a trailing newline is kept as written).",
        ),
        src,
        ArgDoc::new(
            "template",
            "str",
            "A template in templates/, rendered by the runner into content.",
        ),
        ArgDoc::new(
            "mode",
            "raw",
            "Octal (\"0644\") or symbolic (\"u=rw,go=r\") mode; quote it: a bare YAML number is refused.",
        ),
        ArgDoc::new("owner", "str", "A user name of the target, or a numeric uid."),
        ArgDoc::new("group", "str", "A group name of the target, or a numeric gid."),
        ArgDoc::new(
            "recurse",
            "bool",
            "state=directory: apply mode, owner and group to everything below.",
        )
        .default("false"),
        ArgDoc::new(
            "force",
            "bool",
            "Content: replace a file whose content differs (default yes). Links: replace a file or empty directory, or link to a missing target (default no).",
        ),
        ArgDoc::new(
            "backup",
            "bool",
            "Keep the old file as PATH.TIMESTAMP~ before replacing it.",
        )
        .default("false"),
        ArgDoc::new("trim_blocks", "bool", "Templates: Jinja2's trim_blocks.").default("true"),
        ArgDoc::new(
            "newline_sequence",
            "str",
            "Templates: what each newline of the template's own text becomes: '\\n', '\\r\\n' or '\\r'.",
        )
        .default("\\n"),
        ArgDoc::new("lstrip_blocks", "bool", "Templates: Jinja2's lstrip_blocks.")
            .default("false"),
        ArgDoc::new("block_start_string", "str", "Templates: what opens a block.").default("{%"),
        ArgDoc::new("block_end_string", "str", "Templates: what closes a block.").default("%}"),
        ArgDoc::new(
            "variable_start_string",
            "str",
            "Templates: what opens an expression (for a file that is a template of another tool).",
        )
        .default("{{"),
        ArgDoc::new("variable_end_string", "str", "Templates: what closes an expression.")
            .default("}}"),
        ArgDoc::new("comment_start_string", "str", "Templates: what opens a comment.")
            .default("{#"),
        ArgDoc::new("comment_end_string", "str", "Templates: what closes a comment.")
            .default("#}"),
        ArgDoc::new(
            "follow",
            "bool",
            "Act on the target of a symlink at path (inside the root) rather than on the link.",
        )
        .default("true"),
        ArgDoc::new(
            "validate",
            "str",
            "copy/template: a command run in the target on the new content before it replaces the file; %s is the temp file's path (required). Not run in check mode.",
        ),
        ArgDoc::new(
            "modification_time",
            "str",
            "state=file/directory/touch: preserve, now (changed on every run), or a timestamp in modification_time_format (read as UTC); a timestamp changes only a path whose time differs.",
        ),
        ArgDoc::new(
            "modification_time_format",
            "str",
            "Python strptime codes %Y %m %d %H %M %S %y %% for modification_time.",
        )
        .default("'%Y%m%d%H%M.%S'"),
        ArgDoc::new(
            "access_time",
            "str",
            "As modification_time, for the access time.",
        ),
        ArgDoc::new(
            "access_time_format",
            "str",
            "As modification_time_format, for access_time.",
        )
        .default("'%Y%m%d%H%M.%S'"),
        ArgDoc::new(
            "directory_mode",
            "raw",
            "copy of a directory: the mode of its directories and of a dest it creates (default: new ones 0755, existing ones kept).",
        ),
        ArgDoc::new(
            "remote_src",
            "bool",
            "copy: src is a path on the target (a file, or a directory: DIR the folder, DIR/ its contents), read inside the root and copied there; works over a connection (the agent reads it). Streamed (never whole in memory), compared with dest by digest. Symlinks inside a copied directory are refused. Not for file or template.",
        )
        .default("false"),
        ArgDoc::new(
            "local_follow",
            "bool",
            "copy of a directory: follow the source's symlinks (only inside the copied directory); false copies each as a link to what it reads (made after the files). Refused with remote_src.",
        )
        .default("true"),
    ]
}

const FILE_ARGS: [ArgDoc; 29] = args(ArgDoc::new(
    "src",
    "path",
    "state=link/hard: the link's target; otherwise a file in files/ copied byte for byte (as copy's src; not with content).",
));

const COPY_ARGS: [ArgDoc; 29] = args(ArgDoc::new(
    "src",
    "path",
    "A file in the playbook's (or role's) files/ folder, copied to path byte for byte (text or binary, streamed: never read whole). Not with content. Diffs of binary files or files over 1 MiB show size and sha256, before and after. A directory is copied whole: DIR puts the folder inside path (path/DIR/...), DIR/ its contents; files get mode, directories directory_mode, both owner and group; empty directories are made too; not over a connection.",
));

const TEMPLATE_ARGS: [ArgDoc; 29] = args(ArgDoc::new(
    "src",
    "path",
    "A template in the playbook's (or role's) templates/ folder, rendered to path.",
));

pub const FILE: ModuleDoc = ModuleDoc {
    args: &FILE_ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: A directory for the application's configuration
  file:
    path: /etc/myapp
    state: directory
    mode: "0755"
- name: Its configuration, written inline
  file:
    path: /etc/myapp/myapp.conf
    content: |
      listen = 127.0.0.1:8080
    mode: "0640"
- name: A link to it where the old tools look
  file:
    path: /etc/myapp.conf
    state: link
    src: /etc/myapp/myapp.conf
- name: A stamp file dated as the release
  file:
    path: /var/lib/myapp.stamp
    state: touch
    modification_time: "202401011200.00"
    access_time: preserve
- name: No stale lock file
  file:
    path: /var/lib/myapp.lock
    state: absent
"#,
};

pub const COPY: ModuleDoc = ModuleDoc {
    args: &COPY_ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: The message of the day, from files/motd
  copy:
    src: motd
    dest: /etc/motd
    mode: "0644"
- name: A binary file, byte for byte (its diff is its size and sha256)
  copy:
    src: logo.png
    dest: /usr/share/myapp/logo.png
- name: The folder files/conf.d/ and everything in it, into /etc/myapp/conf.d/
  copy:
    src: conf.d
    dest: /etc/myapp/
    directory_mode: "0750"
    mode: "0640"
- name: Only its contents, into /etc/myapp/extra/
  copy:
    src: conf.d/
    dest: /etc/myapp/extra
- name: A file already on the target, copied there (remote_src)
  copy:
    src: /etc/skel/.bashrc
    dest: /root/.bashrc
    remote_src: true
    mode: preserve
- name: The hostname, inline
  ansible.builtin.copy:
    content: "web1\n"
    dest: /etc/hostname
"#,
};

pub const TEMPLATE: ModuleDoc = ModuleDoc {
    args: &TEMPLATE_ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: The message of the day, rendered from templates/motd.j2
  template:
    src: motd.j2
    dest: /etc/motd
    mode: "0644"
    backup: true
"#,
};
