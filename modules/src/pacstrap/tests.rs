//! Unit tests of the pacstrap module's parts: the option parsing of `pacstrap -h` (old
//! and new help texts), the command line, the local database, progress lines, the
//! after-run check of ignored packages and the predicted root in check mode. The whole
//! module against the real pacstrap and pacman is tested in tests/pacstrap_module.rs.

use super::*;
use crate::test_support::{Sandbox, TestResult};
use std::path::Path;

/// arch-install-scripts 28 (Debian 12).
const HELP_28: &str = "usage: pacstrap [options] root [packages...]

  Options:
    -C <config>    Use an alternate config file for pacman
    -c             Use the package cache on the host, rather than the target
    -D             Skip pacman dependency checks
    -G             Avoid copying the host's pacman keyring to the target
    -i             Prompt for package confirmation when needed (run interactively)
    -K             Initialize an empty pacman keyring in the target (implies '-G')
    -M             Avoid copying the host's mirrorlist to the target
    -N             Run in unshare mode as a regular user
    -P             Copy the host's pacman config to the target
    -U             Use pacman -U to install packages

    -h             Print this help message
";

/// An older pacstrap, which refused a directory that is not a mountpoint without -d.
const HELP_OLD: &str = "usage: pacstrap [options] root [packages...]

  Options:
    -C config      Use an alternate config file for pacman
    -c             Use the package cache on the host, rather than the target
    -d             Allow installation to a non-mountpoint directory
    -G             Avoid copying the host's pacman keyring to the target
    -i             Prompt for package confirmation when needed (run interactively)
    -M             Avoid copying the host's mirrorlist to the target

    -h             Print this help message
";

fn args(yaml: serde_json::Value) -> Args {
    serde_json::from_value(yaml).unwrap_or_else(|err| panic!("args: {err}"))
}

#[test]
fn defaults_are_base_with_copied_keyring_and_mirrorlist() {
    let args = args(serde_json::json!({"dest": "/m"}));
    assert_eq!(args.packages, ["base"]);
    assert_eq!(args.keyring, Keyring::Copy);
    assert_eq!(args.mirrorlist, Mirrorlist::Copy);
    assert!(!args.host_cache);
}

#[test]
fn unknown_arguments_are_refused() {
    let parsed: Result<Args, _> = serde_json::from_value(serde_json::json!({
        "dest": "/m", "pakages": ["vim"]
    }));
    assert!(parsed.is_err());
}

#[test]
fn wanted_and_ignored_at_once_is_refused() {
    let args = args(serde_json::json!({"dest": "/m", "packages": ["linux"], "ignore": ["linux"]}));
    assert!(matches!(
        check_args(&args),
        Err(ModuleError::InvalidArgs { field: Some(f), .. }) if f == "ignore"
    ));
}

#[test]
fn options_are_read_from_the_help_text() {
    let new = flags::Accepted::parse(HELP_28);
    let old = flags::Accepted::parse(HELP_OLD);
    let args = args(serde_json::json!({
        "dest": "/m", "packages": ["base"], "ignore": ["linux"], "host_cache": true,
        "pacman_conf": "/etc/p.conf", "mirrorlist": "none", "keyring": "none",
        "extra_args": ["--disable-download-timeout"],
    }));
    let packages = vec!["base".to_string()];
    let argv = flags::argv(&new, &args, Path::new("/m"), &packages).ok();
    assert_eq!(
        argv.as_deref(),
        Some(
            &[
                "pacstrap",
                "-c",
                "-C",
                "/etc/p.conf",
                "-G",
                "-M",
                "--",
                "/m",
                "base",
                "--needed",
                "--ask=1",
                "--ignore=linux",
                "--disable-download-timeout"
            ]
            .map(String::from)[..]
        )
    );
    let argv = flags::argv(&old, &args, Path::new("/m"), &packages).unwrap_or_default();
    assert_eq!(argv[..3], ["pacstrap", "-d", "-c"]);
}

#[test]
fn an_option_the_installed_pacstrap_lacks_is_a_clear_error() {
    let old = flags::Accepted::parse(HELP_OLD);
    let args = args(serde_json::json!({"dest": "/m", "keyring": "init"}));
    let refused = flags::argv(&old, &args, Path::new("/m"), &[]);
    assert!(
        matches!(&refused, Err(ModuleError::InvalidArgs { message, .. }) if message.contains("-K")),
        "{refused:?}"
    );
}

#[test]
fn local_database_entries_name_their_packages() {
    assert_eq!(
        local::package_name("filesystem-2024.04.07-1"),
        Some("filesystem")
    );
    assert_eq!(
        local::package_name("ca-certificates-utils-20240618-1"),
        Some("ca-certificates-utils")
    );
    assert_eq!(local::package_name("ALPM_DB_VERSION"), None);
}

#[test]
fn installed_packages_are_read_through_the_host() -> TestResult {
    let sandbox = Sandbox::new()?;
    let local = sandbox.real("/m/var/lib/pacman/local");
    std::fs::create_dir_all(local.join("busybox-1.36-1"))?;
    std::fs::create_dir_all(local.join("linux-api-headers-6.1-1"))?;
    std::fs::write(local.join("ALPM_DB_VERSION"), "9\n")?;
    let host = sandbox.host(false);
    let found = local::installed(&host, Path::new("/m/var/lib/pacman/local"))?;
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["busybox", "linux-api-headers"]
    );
    assert!(local::installed(&host, Path::new("/none"))?.is_empty());
    Ok(())
}

#[test]
fn pacman_install_lines_are_progress_steps() {
    assert_eq!(
        installing("installing busybox..."),
        Some("installing busybox".into())
    );
    assert_eq!(
        installing("upgrading glibc..."),
        Some("upgrading glibc".into())
    );
    assert_eq!(installing("checking keyring..."), None);
    assert_eq!(installing(":: Processing package changes..."), None);
    assert_eq!(installing("installing a b..."), None);
}

#[test]
fn groups_are_read_from_the_listing() {
    let groups = sync::parse_groups("base filesystem\nbase busybox\nextra vim\n");
    assert_eq!(groups["base"], ["filesystem", "busybox"]);
    assert_eq!(groups["extra"], ["vim"]);
}

#[test]
fn an_ignored_package_found_after_the_run_fails_the_task() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/m/var/lib/pacman/local/busybox-1-1"))?;
    let host = sandbox.host(false);
    let dest = Dest::new(&host, "/m")?;
    let verify = ignored_absent(&dest, &["linux".to_string()]);
    host.apply(&[Op::Verify(verify.clone())])?;
    std::fs::create_dir_all(sandbox.real("/m/var/lib/pacman/local/linux-6-1"))?;
    let failed = host.apply(&[Op::Verify(verify.clone())]);
    assert!(
        matches!(&failed, Err(ModuleError::Failed(msg)) if msg.contains("linux")),
        "{failed:?}"
    );
    // A failed run is the error to report: the check then does not run.
    let run = Op::Run(RunSpec {
        argv: vec!["false".into()],
        place: Place::Controller,
        ..RunSpec::default()
    });
    let outputs = host.apply(&[run, Op::Verify(verify)])?;
    assert_eq!(outputs[0].rc, Some(1));
    Ok(())
}

#[test]
fn check_mode_predicts_the_skeleton_and_the_local_database() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(true);
    let dest = Dest::new(&host, "/var/lib/machines/box")?;
    let mut ops = dest.mkdir_ops(&host)?;
    ops.extend(dest.predicted_skeleton());
    ops.push(Op::Predicted(Box::new(Op::Mkdir {
        path: dest.inside(LOCAL_DB).join("busybox-1.0-1"),
        mode: 0o755,
        owner: Ownership::default(),
    })));
    let before = crate::test_support::snapshot(&sandbox.root);
    host.apply(&ops)?;
    assert_eq!(crate::test_support::snapshot(&sandbox.root), before);
    for dir in ["etc", "tmp", "var/lib/pacman/local", "proc"] {
        let meta = host.stat(&dest.inside(dir))?;
        assert!(meta.is_some_and(|m| m.is_dir()), "{dir} not predicted");
    }
    assert_eq!(
        host.stat(&dest.inside("tmp"))?.map(|m| m.mode),
        Some(0o1777)
    );
    let installed = local::installed(&host, &dest.inside(LOCAL_DB))?;
    assert!(installed.contains("busybox"));
    Ok(())
}

#[test]
fn a_real_run_skips_predictions_and_makes_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let dest = Dest::new(&host, "/var/lib/machines/box")?;
    let mut ops = dest.mkdir_ops(&host)?;
    ops.extend(dest.predicted_skeleton());
    host.apply(&ops)?;
    assert!(sandbox.real("/var/lib/machines/box").is_dir());
    assert!(!sandbox.real("/var/lib/machines/box/etc").exists());
    Ok(())
}

#[test]
fn a_stale_lock_is_named_in_the_error() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/m/var/lib/pacman"))?;
    std::fs::write(sandbox.real("/m/var/lib/pacman/db.lck"), "")?;
    let host = sandbox.host(false);
    let failed = PacstrapModule.plan(&args(serde_json::json!({"dest": "/m"})), &host);
    let lock = sandbox.real("/m/var/lib/pacman/db.lck");
    assert!(
        matches!(&failed, Err(ModuleError::Failed(msg)) if msg.contains(&lock.display().to_string())),
        "{failed:?}"
    );
    Ok(())
}

#[test]
fn a_dest_behind_an_absolute_link_stays_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/m"))?;
    let host = sandbox.host(false);
    let dest = Dest::new(&host, "/m/x")?;
    let inside = sandbox
        .root
        .join(sandbox.decoy.strip_prefix("/")?)
        .join("x");
    assert_eq!(dest.real, inside);
    Ok(())
}

#[test]
fn a_fresh_keyring_gets_its_gpg_agent_stopped_after_the_run() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let dest = Dest::new(&host, "/m")?;
    let args = args(serde_json::json!({"dest": "/m", "keyring": "init", "ignore": ["linux"]}));
    let target = sync::Target {
        name: "filesystem".into(),
        version: "1-1".into(),
        location: None,
    };
    // The root's own databases as they are (no pacman runs): nothing to predict there.
    std::fs::create_dir_all(sandbox.real("/m/var/lib/pacman/sync"))?;
    std::fs::write(sandbox.real("/m/var/lib/pacman/sync/core.db"), "db")?;
    let sync = sync::SyncDbs::open_as_is(
        &host,
        Path::new("/etc/pacman.conf"),
        &dest.inside(LOCAL_DB),
        &dest.inside(SYNC_DB),
    )?;
    let missing = ["filesystem".to_string()];
    let ops = PacstrapModule.ops(&host, &args, &dest, &sync, &missing, &[target])?;
    let runs: Vec<&Vec<String>> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Run(spec) => Some(&spec.argv),
            _ => None,
        })
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0][0], "pacstrap");
    assert!(runs[0].contains(&"-K".to_string()));
    let gnupg = format!("{}/m/etc/pacman.d/gnupg", crate::host::TOOL_ROOT);
    assert_eq!(
        runs[1][..],
        [
            "gpgconf",
            "--homedir",
            gnupg.as_str(),
            "--kill",
            "gpg-agent"
        ]
    );
    let verify_after_runs = ops.iter().position(|op| matches!(op, Op::Verify(_)));
    assert!(verify_after_runs.is_some_and(|at| at > 1));
    Ok(())
}

#[test]
fn package_trees_are_read_from_bsdtar_mtree() {
    let entries = predicted::parse_mtree(
        "#mtree\n./.PKGINFO mode=644 gid=0 uid=0 type=file\n./bin mode=777 gid=0 uid=0 type=link link=usr/bin\n\
         ./root mode=750 gid=0 uid=0 type=dir\n./etc/a\\040b mode=600 gid=5 uid=7 type=file\n./../x type=file\n",
    );
    assert_eq!(
        entries,
        [
            predicted::Entry {
                path: "bin".into(),
                kind: predicted::Kind::Link("usr/bin".into()),
                mode: 0o777,
                uid: Some(0),
                gid: Some(0)
            },
            predicted::Entry {
                path: "root".into(),
                kind: predicted::Kind::Dir,
                mode: 0o750,
                uid: Some(0),
                gid: Some(0)
            },
            predicted::Entry {
                path: "etc/a b".into(),
                kind: predicted::Kind::File,
                mode: 0o600,
                uid: Some(7),
                gid: Some(5)
            },
        ]
    );
}
