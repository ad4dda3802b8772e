//! The documentation of `apt_repository`. Checked against `apt_repository::Args` by
//! the tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 10] = [
    ArgDoc::new(
        "repo",
        "str",
        "The one-line source: 'deb [OPTIONS] URI SUITE [COMPONENT...]' or 'deb-src ...'. \
         A line present in any sources file (sources.list, sources.list.d/*.list), even \
         commented out, counts as present (a commented one is enabled). 'ppa:' lines are \
         refused: Launchpad is Ubuntu's, not Debian's.",
    )
    .required(),
    ArgDoc::new(
        "state",
        "str",
        "present: the line is in the sources, enabled; absent: every enabled line of it \
         removed (a file left empty is removed).",
    )
    .default("present")
    .choices(&["present", "absent"]),
    ArgDoc::new(
        "mode",
        "raw",
        "The mode of the file the line is appended to (a new file: 0644 without it).",
    ),
    ArgDoc::new(
        "update_cache",
        "bool",
        "After a change, refresh the package lists in the target (apt-get update; a failed \
         fetch fails the task and the files are put back as they were).",
    )
    .default("true")
    .aliases(&["update-cache"]),
    ArgDoc::new(
        "update_cache_retries",
        "int",
        "How many times apt-get update is tried.",
    )
    .default("5"),
    ArgDoc::new(
        "update_cache_retry_max_delay",
        "int",
        "The longest wait in seconds between tries (the waits double from 1 s).",
    )
    .default("12"),
    ArgDoc::new(
        "filename",
        "str",
        "The file's name without '.list', in /etc/apt/sources.list.d (an absolute path \
         when it has a '/'); default: derived from the URI's host and path as Ansible \
         derives it (deb http://deb.debian.org/debian ... -> deb_debian_org_debian.list).",
    ),
    ArgDoc::new(
        "install_python_apt",
        "bool",
        "Accepted for Ansible's playbooks; moot: machinist needs no python-apt on the target.",
    )
    .default("true"),
    ArgDoc::new(
        "validate_certs",
        "bool",
        "Accepted for Ansible's playbooks; moot: Ansible uses it only for a ppa: line's \
         Launchpad query, and ppa: is refused (nothing is downloaded).",
    )
    .default("true"),
    ArgDoc::new(
        "codename",
        "str",
        "Accepted for Ansible's playbooks; moot: Ansible uses it only to expand a ppa: line, \
         and ppa: is refused (a deb line names its suite).",
    ),
];

pub const APT_REPOSITORY: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: Debian's backports, in /etc/apt/sources.list.d/deb_debian_org_debian.list
  apt_repository:
    repo: deb http://deb.debian.org/debian bookworm-backports main
    update_cache: false

- name: a local repository, in its own file
  ansible.builtin.apt_repository:
    repo: deb [trusted=yes] file:///srv/repo ./
    filename: local
    mode: "0644"
    update_cache: false

- name: no source packages of it
  apt_repository:
    repo: deb-src http://deb.debian.org/debian bookworm main
    state: absent
    update_cache: false
"#,
};
