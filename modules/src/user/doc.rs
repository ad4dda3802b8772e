//! The documentation of `user`. Checked against `user::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 26] = [
    ArgDoc::new("name", "str", "The account's name.")
        .required()
        .aliases(&["user"]),
    ArgDoc::new("uid", "int", "Its number; a new account without one gets useradd's choice."),
    ArgDoc::new("group", "str", "The primary group (name or number); it must exist."),
    ArgDoc::new(
        "groups",
        "list",
        "Supplementary groups (a list or a comma-separated string; '' means none); each must exist.",
    ),
    ArgDoc::new(
        "append",
        "bool",
        "Add the account to groups, leaving its other groups; otherwise its groups become exactly these.",
    )
    .default("false"),
    ArgDoc::new("shell", "str", "The login shell."),
    ArgDoc::new("home", "path", "The home directory (default: /etc/default/useradd's HOME/NAME)."),
    ArgDoc::new(
        "create_home",
        "bool",
        "Create the home directory (useradd -m, with /etc/skel; for an existing account, an empty one if missing).",
    )
    .default("true")
    .aliases(&["createhome"]),
    ArgDoc::new("move_home", "bool", "With a new home: move the old one's content there.")
        .default("false"),
    ArgDoc::new(
        "system",
        "bool",
        "A system account (number from SYS_UID_MIN…SYS_UID_MAX), for a new account.",
    )
    .default("false"),
    ArgDoc::new(
        "password",
        "str",
        "The password as a crypt(3) hash (`{{ 'pw' | password_hash('sha512') }}`); never shown.",
    ),
    ArgDoc::new(
        "update_password",
        "str",
        "always: set password when the hash differs; on_create: only for a new account.",
    )
    .default("always")
    .choices(&["always", "on_create"]),
    ArgDoc::new("password_lock", "bool", "Lock (true) or unlock (false) the password."),
    ArgDoc::new("comment", "str", "The GECOS field."),
    ArgDoc::new("state", "str", "Whether the account exists.")
        .default("present")
        .choices(&["present", "absent"]),
    ArgDoc::new(
        "remove",
        "bool",
        "state=absent: remove the home directory and mail spool too (userdel -r).",
    )
    .default("false"),
    ArgDoc::new("force", "bool", "state=absent: userdel -f.").default("false"),
    ArgDoc::new("non_unique", "bool", "Allow a uid another account has (needs uid).")
        .default("false"),
    ArgDoc::new("uid_min", "int", "UID_MIN for a new account (useradd -K)."),
    ArgDoc::new("uid_max", "int", "UID_MAX for a new account (useradd -K)."),
    ArgDoc::new(
        "generate_ssh_key",
        "bool",
        "Make an SSH key pair (ssh-keygen) when the key file is missing; never replaces one.",
    )
    .default("false"),
    ArgDoc::new("ssh_key_type", "str", "The key type (ssh-keygen -t).").default("rsa"),
    ArgDoc::new("ssh_key_bits", "int", "The key size (ssh-keygen -b; its default otherwise)."),
    ArgDoc::new(
        "ssh_key_file",
        "path",
        "The private key, relative to the home (default .ssh/id_TYPE); .pub beside it.",
    ),
    ArgDoc::new(
        "ssh_key_comment",
        "str",
        "The key's comment (default: ansible-generated on HOSTNAME, the target's name).",
    ),
    ArgDoc::new("ssh_key_passphrase", "str", "The private key's passphrase; never shown."),
];

pub const USER: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: the group first (check mode sees it for the next task)
  group:
    name: wheel

- name: an account in the wheel group
  user:
    name: alice
    shell: /bin/bash
    groups: [wheel]
    append: true
    comment: Alice
    password: "$6$saltsalt$0nmDRXWmakHIVo3Gx2NP9Rpw7sKjwzcV/Zuygtl5Q5u.ScqYA7GQ4PvExyN9JKIwnIYQQjbGvNFNv/0nBBXGe."

- name: gone, with the home directory
  ansible.builtin.user:
    name: olduser
    state: absent
    remove: true
"#,
};
