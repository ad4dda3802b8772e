//! A local pacman repository the tests build themselves, so pacstrap and pacman run
//! for real without a mirror: hand-made packages (a tar of `.PKGINFO` and files,
//! zstd-compressed), `repo-add`, and a pacman.conf with `SigLevel = Never` and a
//! `file://` server.
//!
//! - `filesystem` (group `base`): /etc/passwd, /etc/shadow, /etc/group, the usr-merge
//!   links, os-release;
//! - `busybox` (group `base`): Debian's busybox-static as /usr/bin/busybox and applets;
//! - `hello` (group `base`): a systemd unit;
//! - `systemd` (group `base`): the unit files the seed enables (networkd, resolved,
//!   machines.target, systemd-nspawn@.service), so a root bootstrapped from this
//!   repository stands in for an Arch host or container to `systemctl --root`;
//! - `glibc` (group `base`): a `locale-gen` standing in for Arch's (it writes the
//!   enabled entries of /etc/locale.gen into /usr/lib/locale/locale-archive), and an
//!   /etc/locale.gen with every entry commented out;
//! - `linux` (group `base`): what the seed ignores (`--ignore linux`);
//! - `vim`: not in the group, added later by the tests;
//! - `slow`: an install scriptlet that marks /var/slow-started and sleeps, to be killed.
//!
//! A second repository ([`repo_without_groups`]) has one package and no group at all
//! (pacman -Sgg exits 1 there).

use super::cache::{cached, copy_tree, run};
use super::Test;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's name in pacman.conf (never `local`).
pub const REPO: &str = "machinist-test";

/// What a package ships.
enum Item {
    File(&'static str, &'static str, u32),
    Copy(&'static str, &'static str, u32),
    Link(&'static str, &'static str),
    Dir(&'static str, u32),
}

struct Package {
    name: &'static str,
    groups: &'static [&'static str],
    depends: &'static [&'static str],
    items: Vec<Item>,
    install: Option<&'static str>,
}

fn packages() -> Vec<Package> {
    use Item::*;
    vec![
        Package {
            name: "filesystem",
            groups: &["base"],
            depends: &[],
            items: vec![
                Dir("etc", 0o755),
                File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644),
                File("etc/shadow", "root:*:14871::::::\n", 0o600),
                File("etc/group", "root:x:0:root\n", 0o644),
                Dir("usr", 0o755),
                Dir("usr/bin", 0o755),
                Dir("usr/lib", 0o755),
                File("usr/lib/os-release", "NAME=\"machinist test\"\nID=machinist-test\n", 0o644),
                Link("etc/os-release", "../usr/lib/os-release"),
                Link("bin", "usr/bin"),
                Link("sbin", "usr/bin"),
                Link("lib", "usr/lib"),
                Dir("root", 0o750),
                Dir("var", 0o755),
                Dir("tmp", 0o1777),
            ],
            install: None,
        },
        Package {
            name: "busybox",
            groups: &["base"],
            depends: &["filesystem"],
            items: vec![
                Dir("usr", 0o755),
                Dir("usr/bin", 0o755),
                Copy("usr/bin/busybox", "/bin/busybox", 0o755),
                Link("usr/bin/sh", "busybox"),
                Link("usr/bin/sleep", "busybox"),
                Link("usr/bin/touch", "busybox"),
                Link("usr/bin/cat", "busybox"),
            ],
            install: None,
        },
        Package {
            name: "hello",
            groups: &["base"],
            depends: &["busybox"],
            items: vec![
                Dir("usr", 0o755),
                Dir("usr/lib", 0o755),
                Dir("usr/lib/systemd", 0o755),
                Dir("usr/lib/systemd/system", 0o755),
                File(
                    "usr/lib/systemd/system/hello.service",
                    "[Unit]\nDescription=Say hello\n\n[Service]\nExecStart=/usr/bin/sh -c 'echo hello'\n\n[Install]\nWantedBy=multi-user.target\n",
                    0o644,
                ),
            ],
            install: None,
        },
        Package {
            name: "systemd",
            groups: &["base"],
            depends: &["filesystem"],
            items: vec![
                Dir("usr", 0o755),
                Dir("usr/lib", 0o755),
                Dir("usr/lib/systemd", 0o755),
                Dir("usr/lib/systemd/system", 0o755),
                File("usr/lib/systemd/system/multi-user.target", "[Unit]\nDescription=Multi-User System\n", 0o644),
                File(
                    "usr/lib/systemd/system/machines.target",
                    "[Unit]\nDescription=Containers\n\n[Install]\nWantedBy=multi-user.target\n",
                    0o644,
                ),
                File(
                    "usr/lib/systemd/system/systemd-networkd.service",
                    "[Unit]\nDescription=Network Configuration\n\n[Service]\nExecStart=/usr/lib/systemd/systemd-networkd\n\n[Install]\nWantedBy=multi-user.target\n",
                    0o644,
                ),
                File(
                    "usr/lib/systemd/system/systemd-resolved.service",
                    "[Unit]\nDescription=Network Name Resolution\n\n[Service]\nExecStart=/usr/lib/systemd/systemd-resolved\n\n[Install]\nWantedBy=multi-user.target\n",
                    0o644,
                ),
                File(
                    "usr/lib/systemd/system/systemd-nspawn@.service",
                    "[Unit]\nDescription=Container %i\n\n[Service]\nExecStart=systemd-nspawn --quiet --keep-unit --boot --link-journal=try-guest --network-veth -U --settings=override --machine=%i\n\n[Install]\nWantedBy=machines.target\n",
                    0o644,
                ),
            ],
            install: None,
        },
        Package {
            name: "glibc",
            groups: &["base"],
            depends: &["busybox"],
            items: vec![
                Dir("etc", 0o755),
                File("etc/locale.gen", "# Uncomment the locales to generate.\n#de_DE.UTF-8 UTF-8\n#en_US.UTF-8 UTF-8\n", 0o644),
                Dir("usr", 0o755),
                Dir("usr/bin", 0o755),
                File(
                    "usr/bin/locale-gen",
                    "#!/bin/sh\nset -e\nmkdir -p /usr/lib/locale\ngrep -v '^#' /etc/locale.gen | grep . > /usr/lib/locale/locale-archive || true\n",
                    0o755,
                ),
                Link("usr/bin/grep", "busybox"),
                Link("usr/bin/mkdir", "busybox"),
            ],
            install: None,
        },
        Package {
            name: "linux",
            groups: &["base"],
            depends: &[],
            items: vec![Dir("boot", 0o755), File("boot/vmlinuz-linux", "not a kernel\n", 0o644)],
            install: None,
        },
        Package {
            name: "vim",
            groups: &[],
            depends: &["busybox"],
            items: vec![
                Dir("usr", 0o755),
                Dir("usr/bin", 0o755),
                File("usr/bin/vim", "#!/bin/sh\necho vim\n", 0o755),
            ],
            install: None,
        },
        Package {
            name: "slow",
            groups: &[],
            depends: &["busybox"],
            items: vec![],
            install: Some("post_install() {\n  touch /var/slow-started\n  sleep 600\n}\n"),
        },
    ]
}

/// The repository, copied into the test's folder, and a pacman.conf for it. Returns
/// the pacman.conf's path.
pub fn local_repo(test: &Test) -> PathBuf {
    repo_from(test, "pacman-repo-v2", "repo", packages)
}

/// A repository with one package (`lonely`) and no group, with its pacman.conf.
pub fn repo_without_groups(test: &Test) -> PathBuf {
    repo_from(test, "pacman-repo-nogroups-v1", "repo-nogroups", || {
        vec![Package {
            name: "lonely",
            groups: &[],
            depends: &[],
            items: vec![
                Item::Dir("etc", 0o755),
                Item::File("etc/lonely", "alone\n", 0o644),
            ],
            install: None,
        }]
    })
}

fn repo_from(test: &Test, cache: &str, folder: &str, packages: fn() -> Vec<Package>) -> PathBuf {
    let cache = cached(cache, |dir| build(dir, packages()));
    let repo = test.outside().join(folder);
    copy_tree(&cache, &repo);
    let conf = test.outside().join(format!("{folder}.conf"));
    std::fs::write(
        &conf,
        format!(
            "[options]\nArchitecture = auto\nSigLevel = Never\n\n[{REPO}]\nServer = file://{}\n",
            repo.display()
        ),
    )
    .expect("write pacman.conf");
    conf
}

fn build(dir: &Path, packages: Vec<Package>) {
    let mut files = Vec::new();
    for package in packages {
        files.push(build_package(dir, &package));
    }
    run(Command::new("repo-add")
        .arg("-q")
        .arg(dir.join(format!("{REPO}.db.tar.zst")))
        .args(&files));
}

fn build_package(dir: &Path, package: &Package) -> PathBuf {
    let stage = dir.join(format!("stage-{}", package.name));
    std::fs::create_dir(&stage).expect("stage");
    let mut info = format!(
        "pkgname = {name}\npkgbase = {name}\npkgver = 1.0-1\npkgdesc = machinist test package\n\
         url = https://example.invalid/\nbuilddate = 1700000000\npackager = machinist tests\n\
         size = 1024\narch = any\nlicense = MIT\n",
        name = package.name
    );
    for group in package.groups {
        info.push_str(&format!("group = {group}\n"));
    }
    for depend in package.depends {
        info.push_str(&format!("depend = {depend}\n"));
    }
    std::fs::write(stage.join(".PKGINFO"), info).expect("PKGINFO");
    let mut entries = vec![".PKGINFO".to_string()];
    if let Some(script) = package.install {
        std::fs::write(stage.join(".INSTALL"), script).expect("INSTALL");
        entries.push(".INSTALL".into());
    }
    for item in &package.items {
        let (path, mode) = match item {
            Item::File(path, content, mode) => {
                std::fs::write(stage.join(path), content).expect("file");
                (path, Some(*mode))
            }
            Item::Copy(path, from, mode) => {
                std::fs::copy(from, stage.join(path))
                    .unwrap_or_else(|e| panic!("{from}: {e} (install busybox-static)"));
                (path, Some(*mode))
            }
            Item::Link(path, target) => {
                std::os::unix::fs::symlink(target, stage.join(path)).expect("link");
                (path, None)
            }
            Item::Dir(path, mode) => {
                std::fs::create_dir(stage.join(path)).expect("dir");
                (path, Some(*mode))
            }
        };
        if let Some(mode) = mode {
            std::fs::set_permissions(stage.join(path), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
        if !path.contains('/') {
            entries.push(path.to_string());
        }
    }
    let file = dir.join(format!("{}-1.0-1-any.pkg.tar.zst", package.name));
    run(Command::new("bash")
        .arg("-c")
        .arg(r#"set -o pipefail; out=$1; cd "$2" && shift 2 && bsdtar --uid 0 --gid 0 --uname root --gname root -cf - "$@" | zstd -q -o "$out""#)
        .arg("bash")
        .arg(&file)
        .arg(&stage)
        .args(&entries));
    std::fs::remove_dir_all(&stage).expect("remove stage");
    file
}
