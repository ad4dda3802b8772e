//! The documentation of `deb822_repository`. Checked against
//! `deb822_repository::Args` by the tests in `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 22] = [
    ArgDoc::new(
        "name",
        "str",
        "The repository's name (X-Repolib-Name); its slug (lowercase, '_' and spaces made \
         '-', other characters dropped) names /etc/apt/sources.list.d/SLUG.sources.",
    )
    .required(),
    ArgDoc::new(
        "state",
        "str",
        "present: the .sources file written; absent: it and /etc/apt/keyrings/SLUG.asc|gpg removed.",
    )
    .default("present")
    .choices(&["present", "absent"]),
    ArgDoc::new("types", "list", "Types: deb and/or deb-src.").default("[deb]"),
    ArgDoc::new("uris", "list", "URIs: the repositories' URIs."),
    ArgDoc::new("suites", "list", "Suites: suites or codenames (a flat repository: a path ending in '/')."),
    ArgDoc::new("components", "list", "Components (none for a flat repository)."),
    ArgDoc::new("architectures", "list", "Architectures apt fetches."),
    ArgDoc::new("languages", "list", "Languages of the translations apt fetches."),
    ArgDoc::new("targets", "list", "Targets: the index files apt fetches."),
    ArgDoc::new(
        "signed_by",
        "str",
        "Signed-By: a key file of the target (its path kept), an armored key block (kept in \
         the stanza, indented), or an http(s) URL: downloaded (by the machine running \
         machinist, while planning) to /etc/apt/keyrings/SLUG.asc (armored) or .gpg, 0644.",
    ),
    ArgDoc::new("enabled", "bool", "Enabled: yes/no."),
    ArgDoc::new("trusted", "bool", "Trusted: yes/no (no signature checks)."),
    ArgDoc::new("pdiffs", "bool", "PDiffs: yes/no."),
    ArgDoc::new("by_hash", "bool", "By-Hash: yes/no."),
    ArgDoc::new("allow_insecure", "bool", "Allow-Insecure: yes/no."),
    ArgDoc::new("allow_weak", "bool", "Allow-Weak: yes/no."),
    ArgDoc::new(
        "allow_downgrade_to_insecure",
        "bool",
        "Allow-Downgrade-To-Insecure: yes/no.",
    ),
    ArgDoc::new("check_date", "bool", "Check-Date: yes/no."),
    ArgDoc::new("check_valid_until", "bool", "Check-Valid-Until: yes/no."),
    ArgDoc::new("date_max_future", "int", "Date-Max-Future: seconds."),
    ArgDoc::new("inrelease_path", "str", "InRelease-Path (written Inrelease-Path, as Ansible writes it)."),
    ArgDoc::new("mode", "raw", "The .sources file's mode.").default("0644"),
];

pub const DEB822_REPOSITORY: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: Debian's backports as /etc/apt/sources.list.d/bookworm-backports.sources
  deb822_repository:
    name: bookworm backports
    uris: http://deb.debian.org/debian
    suites: bookworm-backports
    components: [main, contrib]
    signed_by: /usr/share/keyrings/debian-archive-keyring.gpg

- name: a local flat repository, trusted, deb and deb-src
  ansible.builtin.deb822_repository:
    name: local
    types: [deb, deb-src]
    uris: file:///srv/repo
    suites: ./
    trusted: true
"#,
};
