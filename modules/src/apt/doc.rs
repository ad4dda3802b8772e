//! The documentation of `apt`. Checked against `apt::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 19] = [
    ArgDoc::new(
        "name",
        "list",
        "Packages: NAME, NAME=VERSION (fnmatch wildcards allowed: nginx=1.2*), NAME>=VERSION; \
         wildcards in names (apt*); '*' with state=latest upgrades everything.",
    )
    .aliases(&["pkg", "package"]),
    ArgDoc::new(
        "state",
        "str",
        "present: installed; latest: at the candidate version; absent: removed. \
         Ansible's build-dep and fixed are not implemented (refused).",
    )
    .default("present")
    .choices(&["present", "latest", "absent"]),
    ArgDoc::new(
        "update_cache",
        "bool",
        "Refresh the package lists first (apt-get update) when older than cache_valid_time; \
         changed when it runs.",
    )
    .aliases(&["update-cache"]),
    ArgDoc::new(
        "cache_valid_time",
        "int",
        "Seconds the lists stay fresh (their age: /var/lib/apt/periodic/update-success-stamp, \
         else /var/lib/apt/lists); implies update_cache.",
    )
    .default("0"),
    ArgDoc::new(
        "purge",
        "bool",
        "Removing: purge configuration files too (--purge).",
    )
    .default("false"),
    ArgDoc::new(
        "autoremove",
        "bool",
        "Remove packages no longer needed (--auto-remove; alone: apt-get autoremove).",
    )
    .default("false"),
    ArgDoc::new(
        "install_recommends",
        "bool",
        "Install recommended packages (APT::Install-Recommends); unset: the target's default.",
    )
    .aliases(&["install-recommends"]),
    ArgDoc::new(
        "deb",
        "path",
        "A .deb file on the target (absolute path; several comma-separated) installed with \
         its dependencies, unless that version of its package is installed.",
    ),
    ArgDoc::new(
        "force_apt_get",
        "bool",
        "Accepted as Ansible's: apt-get is always what runs.",
    )
    .default("false"),
    ArgDoc::new(
        "default_release",
        "str",
        "The release packages come from (apt-get -t).",
    )
    .aliases(&["default-release"]),
    ArgDoc::new(
        "only_upgrade",
        "bool",
        "Only upgrade the named packages that are installed (--only-upgrade).",
    )
    .default("false"),
    ArgDoc::new(
        "allow_downgrade",
        "bool",
        "Allow a version spec to downgrade a package (--allow-downgrades).",
    )
    .default("false")
    .aliases(&["allow-downgrade", "allow_downgrades", "allow-downgrades"]),
    ArgDoc::new(
        "dpkg_options",
        "str",
        "dpkg options, comma-separated, each given as -o Dpkg::Options::=--OPTION.",
    )
    .default("force-confdef,force-confold"),
    ArgDoc::new(
        "upgrade",
        "str",
        "Upgrade the system: yes/safe (apt-get upgrade --with-new-pkgs), full/dist \
         (apt-get dist-upgrade); changed when apt upgrades something.",
    )
    .default("no")
    .choices(&["no", "yes", "safe", "full", "dist"]),
    ArgDoc::new("force", "bool", "apt-get --force-yes (dangerous).").default("false"),
    ArgDoc::new(
        "allow_unauthenticated",
        "bool",
        "Install unauthenticated packages (--allow-unauthenticated).",
    )
    .default("false")
    .aliases(&["allow-unauthenticated"]),
    ArgDoc::new(
        "allow_change_held_packages",
        "bool",
        "Allow changing held packages (--allow-change-held-packages).",
    )
    .default("false"),
    ArgDoc::new(
        "fail_on_autoremove",
        "bool",
        "Fail instead of removing packages (--no-remove).",
    )
    .default("false"),
    ArgDoc::new(
        "lock_timeout",
        "int",
        "Seconds to wait for dpkg's lock (DPkg::Lock::Timeout).",
    )
    .default("60"),
];

pub const APT: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: the package lists, refreshed when older than an hour
  apt:
    update_cache: true
    cache_valid_time: 3600

- name: no telnet, nor its configuration
  ansible.builtin.apt:
    name: telnet
    state: absent
    purge: true
"#,
};
