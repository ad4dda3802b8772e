//! Tests of the Host against temp roots: confinement (symlinks pointing out, `..`,
//! loops, symlinked parents) with a decoy beside the root that must stay byte-for-byte
//! unchanged, atomic writes, the check-mode overlay, owner lookups and running programs.

use super::*;
use crate::test_support::{snapshot, Sandbox, TestResult};
use crate::{Op, OpOutput, Ownership, RunSpec};
use std::ffi::OsString;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

fn write(path: &str, content: &str, mode: u32) -> Op {
    Op::WriteFile {
        path: path.into(),
        content: content.as_bytes().to_vec(),
        mode,
        owner: Ownership::default(),
    }
}

fn mode_of(path: &Path) -> Result<u32, std::io::Error> {
    Ok(std::fs::symlink_metadata(path)?.mode() & 0o7777)
}

#[test]
fn absolute_symlink_targets_resolve_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/run/x"))?;
    symlink("/run/x/stub.conf", sandbox.real("/etc/resolv.conf"))?;
    let host = sandbox.host(false);
    assert_eq!(
        host.resolve(Path::new("/etc/resolv.conf"))?,
        Path::new("/run/x/stub.conf")
    );
    host.apply(&[write("/etc/resolv.conf", "nameserver 1.1.1.1\n", 0o644)])?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/run/x/stub.conf"))?,
        "nameserver 1.1.1.1\n"
    );
    assert!(std::fs::symlink_metadata(sandbox.real("/etc/resolv.conf"))?
        .file_type()
        .is_symlink());
    Ok(())
}

#[test]
fn a_symlink_to_the_decoy_by_its_host_path_stays_in_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    let before = sandbox.decoy_snapshot();
    let host_path = sandbox.decoy.join("secret");
    symlink(&host_path, sandbox.real("/etc/escape"))?;
    let host = sandbox.host(false);
    // The decoy's host path does not exist inside the root: the write fails there.
    assert!(host
        .apply(&[write("/etc/escape", "pwned\n", 0o644)])
        .is_err());
    assert_eq!(host.read_file(Path::new("/etc/escape"))?, None);
    // Once the same path exists inside the root, the write lands there.
    std::fs::create_dir_all(sandbox.root.join(sandbox.decoy.strip_prefix("/")?))?;
    host.apply(&[write("/etc/escape", "inside\n", 0o644)])?;
    let inside = sandbox.root.join(host_path.strip_prefix("/")?);
    assert_eq!(std::fs::read_to_string(inside)?, "inside\n");
    assert_eq!(sandbox.decoy_snapshot(), before);
    Ok(())
}

#[test]
fn dotdot_targets_cannot_climb_out() -> TestResult {
    let sandbox = Sandbox::new()?;
    let before = sandbox.decoy_snapshot();
    std::fs::create_dir_all(sandbox.real("/decoy"))?;
    symlink("../../decoy/secret", sandbox.real("/etc/rel"))?;
    symlink("../../..", sandbox.real("/etc/up"))?;
    let host = sandbox.host(false);
    host.apply(&[write("/etc/rel", "one\n", 0o600)])?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/decoy/secret"))?,
        "one\n"
    );
    host.apply(&[write("/etc/up/decoy/other", "two\n", 0o600)])?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/decoy/other"))?,
        "two\n"
    );
    host.apply(&[write("/../../decoy/third", "three\n", 0o600)])?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/decoy/third"))?,
        "three\n"
    );
    host.apply(&[Op::Remove {
        path: "/etc/up/decoy".into(),
    }])?;
    assert!(!sandbox.real("/decoy").exists());
    assert_eq!(sandbox.decoy_snapshot(), before);
    Ok(())
}

#[test]
fn symlinked_parent_directories_are_followed_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    let before = sandbox.decoy_snapshot();
    symlink(&sandbox.decoy, sandbox.real("/etc/d"))?;
    let host = sandbox.host(false);
    assert!(host
        .apply(&[write("/etc/d/secret", "pwned\n", 0o644)])
        .is_err());
    assert!(host
        .apply(&[Op::Remove {
            path: "/etc/d/secret".into()
        }])
        .is_ok());
    assert!(host
        .apply(&[Op::Chmod {
            path: "/etc/d/secret".into(),
            mode: 0o777
        }])
        .is_err());
    assert_eq!(host.read_dir(Path::new("/etc/d"))?, None);
    assert_eq!(sandbox.decoy_snapshot(), before);
    Ok(())
}

#[test]
fn final_symlinks_are_never_followed_by_remove_chmod_chown() -> TestResult {
    let sandbox = Sandbox::new()?;
    let before = sandbox.decoy_snapshot();
    symlink(sandbox.decoy.join("secret"), sandbox.real("/file-link"))?;
    symlink(&sandbox.decoy, sandbox.real("/dir-link"))?;
    let host = sandbox.host(false);
    let owner = Ownership {
        uid: Some(4242),
        gid: Some(4242),
    };
    host.apply(&[
        Op::Chmod {
            path: "/file-link".into(),
            mode: 0o600,
        },
        Op::Chown {
            path: "/file-link".into(),
            owner,
        },
        Op::Remove {
            path: "/dir-link".into(),
        },
    ])?;
    assert_eq!(
        std::fs::symlink_metadata(sandbox.real("/file-link"))?.uid(),
        4242
    );
    assert!(!sandbox.real("/dir-link").exists());
    assert_eq!(sandbox.decoy_snapshot(), before);
    Ok(())
}

#[test]
fn symlink_loops_are_errors() -> TestResult {
    let sandbox = Sandbox::new()?;
    symlink("/b", sandbox.real("/a"))?;
    symlink("/a", sandbox.real("/b"))?;
    let host = sandbox.host(false);
    assert!(host.apply(&[write("/a", "x", 0o644)]).is_err());
    assert!(host.stat(Path::new("/a")).is_err());
    assert_eq!(host.read_link(Path::new("/a"))?, Some(PathBuf::from("/b")));
    Ok(())
}

#[test]
fn writes_set_the_exact_mode_and_owner_and_replace_atomically() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    host.apply(&[write("/etc/a", "old\n", 0o644)])?;
    let owner = Ownership {
        uid: Some(33),
        gid: Some(44),
    };
    let op = Op::WriteFile {
        path: "/etc/a".into(),
        content: b"new\n".to_vec(),
        mode: 0o4750,
        owner,
    };
    host.apply(&[op])?;
    let meta = std::fs::metadata(sandbox.real("/etc/a"))?;
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid(), meta.gid()),
        (0o4750, 33, 44)
    );
    assert_eq!(std::fs::read_to_string(sandbox.real("/etc/a"))?, "new\n");
    assert_eq!(
        host.read_dir(Path::new("/etc"))?,
        Some(vec![OsString::from("a")])
    );
    Ok(())
}

#[test]
fn a_failed_write_leaves_the_old_tree_and_no_temp_file() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir(sandbox.real("/etc/dir"))?;
    std::fs::write(sandbox.real("/etc/dir/keep"), "x")?;
    let before = snapshot(&sandbox.root);
    let host = sandbox.host(false);
    assert!(host
        .apply(&[write("/etc/dir", "file over dir", 0o644)])
        .is_err());
    assert!(host.apply(&[write("/", "over the root", 0o644)]).is_err());
    assert_eq!(snapshot(&sandbox.root), before);
    Ok(())
}

#[test]
fn mkdir_symlink_hardlink_touch_backup_on_disk() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    host.apply(&[
        Op::Mkdir {
            path: "/srv".into(),
            mode: 0o2750,
            owner: Ownership::default(),
        },
        write("/srv/data", "data\n", 0o640),
        Op::Symlink {
            path: "/srv/link".into(),
            target: "data".into(),
        },
        Op::Symlink {
            path: "/srv/link".into(),
            target: "/srv/data".into(),
        },
        Op::Hardlink {
            path: "/srv/hard".into(),
            target: "/srv/link".into(),
        },
        Op::Touch {
            path: "/srv/empty".into(),
            mode: 0o600,
        },
        Op::Touch {
            path: "/srv/empty".into(),
            mode: 0o600,
        },
        Op::Backup {
            path: "/srv/data".into(),
            to: "/srv/data.bak~".into(),
        },
    ])?;
    assert_eq!(mode_of(&sandbox.real("/srv"))?, 0o2750);
    assert_eq!(
        std::fs::read_link(sandbox.real("/srv/link"))?,
        Path::new("/srv/data")
    );
    let data = std::fs::metadata(sandbox.real("/srv/data"))?;
    let hard = std::fs::symlink_metadata(sandbox.real("/srv/hard"))?;
    assert_eq!((data.ino(), data.nlink()), (hard.ino(), 2));
    assert_eq!(mode_of(&sandbox.real("/srv/empty"))?, 0o600);
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/srv/data.bak~"))?,
        "data\n"
    );
    assert_eq!(mode_of(&sandbox.real("/srv/data.bak~"))?, 0o640);
    // Linking again to the same file changes nothing and leaves no temp name behind.
    host.apply(&[Op::Hardlink {
        path: "/srv/hard".into(),
        target: "/srv/data".into(),
    }])?;
    let names = host.read_dir(Path::new("/srv"))?.unwrap_or_default();
    assert_eq!(names, ["data", "data.bak~", "empty", "hard", "link"]);
    host.apply(&[
        Op::Remove {
            path: "/srv".into(),
        },
        Op::Remove {
            path: "/srv".into(),
        },
    ])?;
    assert!(!sandbox.real("/srv").exists());
    Ok(())
}

#[test]
fn the_root_directory_itself_takes_chmod_but_not_removal() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    host.apply(&[Op::Chmod {
        path: "/".into(),
        mode: 0o751,
    }])?;
    assert_eq!(mode_of(&sandbox.root)?, 0o751);
    assert!(host.apply(&[Op::Remove { path: "/..".into() }]).is_err());
    assert!(sandbox.root.exists());
    Ok(())
}

#[test]
fn reads_see_the_disk() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/hostname"), "box\n")?;
    symlink("hostname", sandbox.real("/etc/name"))?;
    symlink("/nowhere", sandbox.real("/etc/dangling"))?;
    let host = sandbox.host(false);
    let lstat = host.lstat(Path::new("/etc/name"))?.ok_or("no lstat")?;
    assert_eq!(lstat.kind, Kind::Symlink("hostname".into()));
    let stat = host.stat(Path::new("etc/name"))?.ok_or("no stat")?;
    assert_eq!((stat.kind, stat.size), (Kind::File, 4));
    assert_eq!(
        host.read_file(Path::new("/../etc/name"))?,
        Some(b"box\n".to_vec())
    );
    assert!(!host.exists(Path::new("/etc/dangling"))?);
    assert!(host.lstat(Path::new("/etc/dangling"))?.is_some());
    assert_eq!(host.read_file(Path::new("/etc/missing"))?, None);
    assert!(host.read_file(Path::new("/etc")).is_err());
    assert!(host.read_dir(Path::new("/etc/hostname")).is_err());
    Ok(())
}

#[test]
fn a_missing_root_has_nothing_in_it() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = Host::new(HostOptions::new(sandbox.root.join("not-yet")))?;
    assert_eq!(host.lstat(Path::new("/etc"))?, None);
    assert_eq!(host.read_dir(Path::new("/"))?, None);
    assert!(host.apply(&[write("/x", "x", 0o644)], false).is_err());
    Ok(())
}

#[test]
fn check_mode_records_into_the_overlay_and_touches_nothing() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/hostname"), "box\n")?;
    std::fs::create_dir_all(sandbox.real("/var/lib"))?;
    let before = snapshot(&sandbox.root);
    let host = sandbox.host(true);
    let outputs = host.apply(&[
        Op::Mkdir {
            path: "/srv".into(),
            mode: 0o750,
            owner: Ownership::default(),
        },
        write("/srv/site.conf", "listen 80\n", 0o600),
        Op::Symlink {
            path: "/www".into(),
            target: "srv".into(),
        },
        Op::Chmod {
            path: "/etc/hostname".into(),
            mode: 0o600,
        },
        Op::Chown {
            path: "/etc/hostname".into(),
            owner: Ownership {
                uid: Some(7),
                gid: None,
            },
        },
        Op::Remove {
            path: "/var".into(),
        },
        Op::Run(RunSpec {
            argv: vec!["/bin/sh".into(), "-c".into(), "touch /ran".into()],
            ..RunSpec::default()
        }),
    ])?;
    assert_eq!(outputs.len(), 7);
    assert_eq!(
        outputs[6],
        OpOutput {
            rc: Some(0),
            ..OpOutput::default()
        }
    );
    assert_eq!(outputs[0].rc, None);
    assert_eq!(snapshot(&sandbox.root), before);
    assert_eq!(
        host.read_file(Path::new("/www/site.conf"))?,
        Some(b"listen 80\n".to_vec())
    );
    let site = host
        .stat(Path::new("/www/site.conf"))?
        .ok_or("no site.conf")?;
    assert_eq!((site.mode, site.size), (0o600, 10));
    assert_eq!(
        host.stat(Path::new("/srv"))?.map(|meta| meta.mode),
        Some(0o750)
    );
    let hostname = host
        .stat(Path::new("/etc/hostname"))?
        .ok_or("no hostname")?;
    assert_eq!((hostname.mode, hostname.uid), (0o600, 7));
    assert_eq!(
        host.read_file(Path::new("/etc/hostname"))?,
        Some(b"box\n".to_vec())
    );
    assert_eq!(host.lstat(Path::new("/var/lib"))?, None);
    let top: Vec<String> = host
        .read_dir(Path::new("/"))?
        .unwrap_or_default()
        .iter()
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    assert_eq!(top, ["etc", "srv", "www"]);
    assert_eq!(
        host.read_dir(Path::new("/www"))?,
        Some(vec![OsString::from("site.conf")])
    );
    Ok(())
}

#[test]
fn check_mode_fails_where_the_disk_would() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(true);
    assert!(host
        .apply(&[write("/missing/dir/file", "x", 0o644)])
        .is_err());
    assert!(host.apply(&[write("/etc", "x", 0o644)]).is_err());
    assert!(host
        .apply(&[Op::Chmod {
            path: "/nothing".into(),
            mode: 0o644
        }])
        .is_err());
    assert!(host
        .apply(&[Op::Hardlink {
            path: "/h".into(),
            target: "/nothing".into()
        }])
        .is_err());
    host.apply(&[Op::Remove {
        path: "/etc".into(),
    }])?;
    assert!(host.apply(&[write("/etc/x", "x", 0o644)]).is_err());
    Ok(())
}

#[test]
fn check_mode_hardlinks_backups_and_recreated_directories() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/old"), "disk\n")?;
    let host = sandbox.host(true);
    host.apply(&[
        Op::Hardlink {
            path: "/etc/hard".into(),
            target: "/etc/old".into(),
        },
        Op::Backup {
            path: "/etc/old".into(),
            to: "/etc/old.bak".into(),
        },
        Op::Remove {
            path: "/etc".into(),
        },
        Op::Mkdir {
            path: "/etc".into(),
            mode: 0o755,
            owner: Ownership::default(),
        },
        Op::Touch {
            path: "/etc/new".into(),
            mode: 0o644,
        },
    ])?;
    assert_eq!(
        host.read_dir(Path::new("/etc"))?,
        Some(vec![OsString::from("new")])
    );
    let host = sandbox.host(true);
    host.apply(&[
        Op::Hardlink {
            path: "/etc/hard".into(),
            target: "/etc/old".into(),
        },
        Op::Backup {
            path: "/etc/old".into(),
            to: "/etc/old.bak".into(),
        },
    ])?;
    let old = host.stat(Path::new("/etc/old"))?.ok_or("no old")?;
    let hard = host.stat(Path::new("/etc/hard"))?.ok_or("no hard")?;
    assert_eq!((old.dev, old.ino), (hard.dev, hard.ino));
    assert_eq!(
        host.read_file(Path::new("/etc/old.bak"))?,
        Some(b"disk\n".to_vec())
    );
    assert!(!sandbox.real("/etc/hard").exists());
    Ok(())
}

#[test]
fn owners_come_from_the_target_databases_through_the_overlay() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(
        sandbox.real("/etc/passwd"),
        "root:x:0:0::/root:/bin/sh\nhttp:x:33:33::/srv:/bin/false\n",
    )?;
    let host = sandbox.host(true);
    assert_eq!(host.user_id("http")?, Some(33));
    assert_eq!(host.user_id("1000")?, Some(1000));
    assert_eq!(host.user_id("nobody")?, None);
    assert_eq!(host.user_name(33)?, Some("http".into()));
    assert_eq!(host.group_id("wheel")?, None);
    host.apply(&[write("/etc/group", "wheel:x:998:alice\n", 0o644)])?;
    assert_eq!(host.group_id("wheel")?, Some(998));
    assert_eq!(host.group_name(998)?, Some("wheel".into()));
    assert!(!sandbox.real("/etc/group").exists());
    Ok(())
}

fn run_spec(argv: &[&str]) -> RunSpec {
    RunSpec {
        argv: argv.iter().map(|word| word.to_string()).collect(),
        ..RunSpec::default()
    }
}

#[test]
fn programs_run_directly_on_the_host_root() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    assert_eq!(host.exec(), Exec::Direct);
    let mut spec = run_spec(&[
        "sh",
        "-c",
        "pwd; echo \"$GREETING\"; cat; echo err >&2; exit 3",
    ]);
    spec.chdir = Some("/etc".into());
    spec.env = vec![("GREETING".into(), "hello".into())];
    spec.stdin = Some(b"from stdin\n".to_vec());
    let outputs = host.apply(&[Op::Run(spec)], false)?;
    let expected = OpOutput {
        rc: Some(3),
        stdout: "/etc\nhello\nfrom stdin\n".into(),
        stderr: "err\n".into(),
    };
    assert_eq!(outputs, [expected]);
    Ok(())
}

/// A root that is only busybox, as `sh`.
fn busybox_root(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/bin"))?;
    crate::test_support::copy_executable(
        std::path::Path::new("/bin/busybox"),
        &sandbox.real("/bin/busybox"),
    )?;
    symlink("busybox", sandbox.real("/bin/sh"))?;
    Ok(())
}

#[test]
fn programs_run_inside_a_chroot() -> TestResult {
    let sandbox = Sandbox::new()?;
    busybox_root(&sandbox)?;
    let host = sandbox.host(false);
    assert_eq!(host.exec(), Exec::Chroot);
    let mut spec = run_spec(&[
        "/bin/sh",
        "-c",
        "pwd; echo \"$WHERE\" > /x; /bin/busybox cat",
    ]);
    spec.chdir = Some("/etc".into());
    spec.env = vec![("WHERE".into(), "inside".into())];
    spec.stdin = Some(b"in\n".to_vec());
    let outputs = host.apply(&[Op::Run(spec)])?;
    assert_eq!(outputs[0].rc, Some(0), "{:?}", outputs[0]);
    assert_eq!(outputs[0].stdout, "/etc\nin\n");
    assert_eq!(std::fs::read_to_string(sandbox.real("/x"))?, "inside\n");
    Ok(())
}

#[test]
fn programs_run_inside_an_nspawn_container() -> TestResult {
    let sandbox = Sandbox::new()?;
    busybox_root(&sandbox)?;
    std::fs::create_dir_all(sandbox.real("/usr/lib"))?;
    std::fs::write(sandbox.real("/usr/lib/os-release"), "ID=busybox\n")?;
    let host = sandbox.host(false);
    assert_eq!(
        host.exec(),
        Exec::Nspawn,
        "systemd-nspawn must be installed"
    );
    let mut spec = run_spec(&[
        "/bin/sh",
        "-c",
        "cd /etc && pwd; echo \"$WHERE\" > /x; /bin/busybox cat; exit 4",
    ]);
    spec.env = vec![("WHERE".into(), "container".into())];
    spec.stdin = Some(b"piped\n".to_vec());
    let outputs = host.apply(&[Op::Run(spec)])?;
    assert_eq!(
        (outputs[0].rc, outputs[0].stdout.as_str()),
        (Some(4), "/etc\npiped\n"),
        "{:?}",
        outputs[0]
    );
    assert_eq!(std::fs::read_to_string(sandbox.real("/x"))?, "container\n");
    Ok(())
}

#[test]
fn a_missing_program_is_an_error() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    assert!(host
        .apply(&[Op::Run(run_spec(&["/nonexistent/program"]))], false)
        .is_err());
    Ok(())
}

#[test]
fn modes_reach_the_disk_exactly_despite_the_umask() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    host.apply(&[
        write("/etc/open", "x", 0o777),
        Op::Mkdir {
            path: "/etc/shared".into(),
            mode: 0o1777,
            owner: Ownership::default(),
        },
    ])?;
    assert_eq!(mode_of(&sandbox.real("/etc/open"))?, 0o777);
    assert_eq!(mode_of(&sandbox.real("/etc/shared"))?, 0o1777);
    std::fs::set_permissions(
        sandbox.real("/etc/open"),
        std::fs::Permissions::from_mode(0o600),
    )?;
    Ok(())
}

#[test]
fn each_apply_says_whether_it_records() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(true).host;
    host.apply(&[write("/etc/a", "overlay\n", 0o644)], true)?;
    // A task with `check_mode: false` in a check run writes for real; the disk shows.
    host.apply(&[write("/etc/a", "disk\n", 0o644)], false)?;
    assert_eq!(std::fs::read_to_string(sandbox.real("/etc/a"))?, "disk\n");
    assert_eq!(
        host.read_file(Path::new("/etc/a"))?,
        Some(b"disk\n".to_vec())
    );
    host.apply(
        &[Op::Remove {
            path: "/etc/a".into(),
        }],
        true,
    )?;
    assert!(sandbox.real("/etc/a").exists());
    assert_eq!(host.lstat(Path::new("/etc/a"))?, None);
    Ok(())
}

#[test]
fn the_way_programs_run_can_be_forced() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false).host.with_exec(Exec::Direct);
    assert_eq!(host.exec(), Exec::Direct);
    let outputs = host.apply(&[Op::Run(run_spec(&["true"]))], false)?;
    assert_eq!(outputs[0].rc, Some(0));
    Ok(())
}

#[test]
fn a_host_within_shares_the_check_mode_overlay() -> TestResult {
    let sandbox = Sandbox::new()?;
    let outer = sandbox.host(true);
    let machines = Path::new("/var/lib/machines/box");
    for dir in [
        "/var",
        "/var/lib",
        "/var/lib/machines",
        "/var/lib/machines/box",
    ] {
        outer.apply(&[Op::Mkdir {
            path: dir.into(),
            mode: 0o755,
            owner: Ownership::default(),
        }])?;
    }
    let inner = outer.within(machines)?;
    assert_eq!(inner.root(), sandbox.root.join("var/lib/machines/box"));
    assert!(inner.is_offline());
    inner.apply(
        &[Op::Mkdir {
            path: "/etc".into(),
            mode: 0o755,
            owner: Ownership::default(),
        }],
        true,
    )?;
    assert!(outer.exists(Path::new("/var/lib/machines/box/etc"))?);
    assert!(
        !sandbox.real("/var").exists(),
        "check mode touched the disk"
    );
    Ok(())
}

#[test]
fn a_host_within_is_resolved_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/srv/box"))?;
    std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/machines"))?;
    let outer = sandbox.host(false);
    let inner = outer.within(Path::new("/srv/../../srv/./box"))?;
    assert_eq!(inner.root(), sandbox.root.join("srv/box"));
    // The absolute link is followed inside the root: the decoy's path under it.
    let linked = outer.within(Path::new("/machines/x"))?;
    let decoy_in_root = sandbox.root.join(sandbox.decoy.strip_prefix("/")?);
    assert_eq!(linked.root(), decoy_in_root.join("x"));
    Ok(())
}

#[test]
fn unit_file_writes_owe_a_daemon_reload_until_one_runs() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/etc/systemd/system"))?;
    let host = sandbox.host(true);
    assert!(!host.daemon_reload_owed());
    host.apply(&[Op::WriteFile {
        path: "/etc/systemd/system/a.service".into(),
        content: b"[Service]\n".to_vec(),
        mode: 0o644,
        owner: Ownership::default(),
    }])?;
    assert!(host.daemon_reload_owed());
    host.apply(&[Op::Run(crate::RunSpec {
        argv: vec!["systemctl".into(), "daemon-reload".into()],
        ..crate::RunSpec::default()
    })])?;
    assert!(!host.daemon_reload_owed());
    Ok(())
}

#[test]
fn the_host_tells_whether_it_holds_predictions() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false).host;
    assert!(!host.holds_predictions());
    host.apply(&[write("/etc/real", "x", 0o644)], false)?;
    assert!(!host.holds_predictions(), "a real write predicts nothing");
    let boxed = host.within(Path::new("/var/lib/machines/box"))?;
    assert!(!boxed.holds_predictions());
    // A program recorded, not run, on the outer host may have changed the box too.
    host.apply(
        &[Op::Run(run_spec(&["pacstrap", "/var/lib/machines/box"]))],
        true,
    )?;
    assert!(host.holds_predictions() && boxed.holds_predictions());
    let other = Sandbox::new()?;
    let host = other.host(false).host;
    host.apply(&[write("/etc/predicted", "x", 0o644)], true)?;
    assert!(host.holds_predictions());
    Ok(())
}
