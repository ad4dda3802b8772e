//! The documentation of `git`. Checked against `git::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 26] = [
    ArgDoc::new("repo", "str", "The repository: a URL (https://, ssh://, git://, file://), user@host:path, or a path in the target (made a file:// URL, as Ansible does).").required().aliases(&["name"]),
    ArgDoc::new("dest", "path", "The checkout's folder in the target (missing parents are made). Required unless clone is false."),
    ArgDoc::new("version", "str", "A branch, a tag, a commit (full or abbreviated SHA), or HEAD: the remote's default branch.").default("HEAD"),
    ArgDoc::new("remote", "str", "The name of the remote.").default("origin"),
    ArgDoc::new("refspec", "str", "More refs to fetch (git fetch REMOTE REFSPEC), e.g. refs/pull/*/head."),
    ArgDoc::new("reference", "str", "A repository in the target to borrow objects from (git clone --reference)."),
    ArgDoc::new("force", "bool", "Discard local modifications of tracked files (git reset --hard); without it a checkout with them fails, as in Ansible. Untracked files are kept.").default("false"),
    ArgDoc::new("depth", "int", "A shallow clone of that many commits (HEAD, a branch, a tag, or with refspec; ignored with a warning for a commit)."),
    ArgDoc::new("clone", "bool", "Clone when dest is not a checkout. false: only report what the remote has.").default("true"),
    ArgDoc::new("update", "bool", "Fetch and move an existing checkout. false: leave it as it is and report its commit.").default("true"),
    ArgDoc::new("verify_commit", "bool", "Not supported yet: true is refused.").default("false"),
    ArgDoc::new("gpg_allowlist", "list", "Not supported yet (with verify_commit): refused when given.").default("[]").aliases(&["gpg_whitelist"]),
    ArgDoc::new("accept_hostkey", "bool", "ssh: accept an unknown host key (StrictHostKeyChecking=no).").default("false"),
    ArgDoc::new("accept_newhostkey", "bool", "ssh: accept a new host key, never a changed one (StrictHostKeyChecking=accept-new).").default("false"),
    ArgDoc::new("key_file", "path", "ssh: the private key, a path in the target (-i KEY -o IdentitiesOnly=yes)."),
    ArgDoc::new("ssh_opts", "str", "Options added to ssh's command line (GIT_SSH_COMMAND), e.g. -o Port=2222."),
    ArgDoc::new("executable", "path", "The git program of the target to run (default: git on the target's PATH)."),
    ArgDoc::new("bare", "bool", "A bare repository at dest (no checkout).").default("false"),
    ArgDoc::new("recursive", "bool", "Initialise and update submodules, recursively.").default("true"),
    ArgDoc::new("single_branch", "bool", "Clone only the history of version (or of HEAD).").default("false"),
    ArgDoc::new("track_submodules", "bool", "Not supported yet: true is refused.").default("false"),
    ArgDoc::new("umask", "raw", "The umask git runs with, a quoted octal string ('0022'); applied through the target's /bin/sh."),
    ArgDoc::new("archive", "path", "Not supported yet: refused when given."),
    ArgDoc::new("archive_prefix", "str", "Not supported yet (with archive): refused when given."),
    ArgDoc::new("separate_git_dir", "path", "Not supported yet: refused when given."),
    ArgDoc::new("environment", "dict", "Variables added to git's environment (the `environment` keyword's go here too): proxies, GIT_SSH_COMMAND, GIT_CONFIG_* settings.").default("{}"),
];

pub const GIT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: The application at a release tag, from a repository of the target
  git:
    repo: /srv/git/app.git
    dest: /opt/app
    version: v1.2.0
- name: Dotfiles on their main branch, local edits discarded
  ansible.builtin.git:
    repo: file:///srv/git/app.git
    dest: /root/dotfiles
    version: main
    depth: 1
    force: true
"#,
};
