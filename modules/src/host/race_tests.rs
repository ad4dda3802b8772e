//! Races with a hostile root (issue 7): while the Host applies op after op under
//! `/etc/race`, another thread keeps exchanging that directory with a symlink to the
//! decoy (by its host path, and by a relative `../..` path that climbs out of the root
//! if the kernel follows it from the real directory), with renameat2(RENAME_EXCHANGE),
//! so the swap lands between the userspace chase and the disk operation as often as
//! it can. Whatever each op does, the decoy beside the root stays byte-for-byte the
//! same: the final operations resolve the path again, in the kernel, inside the root.
//!
//! The thread makes the race likely, not certain; the first test makes it certain:
//! it gives the disk layer the canonical paths the chase found while `/etc/race` was
//! a directory, after it became a symlink out (the state the race produces).

use super::*;
use crate::test_support::{Sandbox, TestResult};
use crate::{Op, Ownership};
use rustix::fs::{renameat_with, RenameFlags, CWD};
use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many rounds of ops the Host applies while the swapper runs.
const ROUNDS: usize = 1000;

fn ops(round: usize) -> Vec<Op> {
    let at = |name: &str| PathBuf::from(format!("/etc/race/{name}"));
    vec![
        Op::WriteFile {
            path: at(&format!("f{round}")),
            content: b"pwned\n".to_vec(),
            mode: 0o600,
            owner: Ownership::default(),
        },
        Op::Mkdir {
            path: at(&format!("d{round}")),
            mode: 0o700,
            owner: Ownership::default(),
        },
        Op::Symlink {
            path: at("link"),
            target: "/etc/shadow".into(),
        },
        Op::Touch {
            path: at(&format!("t{round}")),
            mode: 0o600,
        },
        Op::Chmod {
            path: at("secret"),
            mode: 0o777,
        },
        Op::Chown {
            path: at("secret"),
            owner: Ownership {
                uid: Some(4242),
                gid: None,
            },
        },
        Op::Remove { path: at("secret") },
        Op::Remove { path: at("victim") },
    ]
}

#[test]
fn disk_ops_after_the_parent_became_a_symlink_out_stay_inside() -> TestResult {
    let sandbox = Sandbox::new()?;
    let targets = [
        sandbox.decoy.display().to_string(),
        "../../decoy".to_string(),
        "../../../../../../../../decoy".to_string(),
    ];
    for target in targets {
        std::fs::create_dir_all(sandbox.decoy.join("victim"))?;
        let before = sandbox.decoy_snapshot();
        let _ = std::fs::remove_file(sandbox.real("/etc/race"));
        symlink(&target, sandbox.real("/etc/race"))?;
        let disk = disk::Disk::new(sandbox.root.clone());
        let at = |name: &str| PathBuf::from(format!("/etc/race/{name}"));
        let none = Ownership::default();
        let results = [
            disk.write_file(&at("f"), b"pwned\n", 0o600, none),
            disk.mkdir(&at("d"), 0o700, none),
            disk.symlink(&at("link"), Path::new("/etc/shadow")),
            disk.hardlink(&at("hard"), &at("secret")),
            disk.touch(&at("t"), 0o600),
            disk.chmod(&at("secret"), 0o777),
            disk.chown(
                &at("secret"),
                Ownership {
                    uid: Some(4242),
                    gid: None,
                },
            ),
            disk.remove(&at("secret")),
            disk.remove(&at("victim")),
        ];
        assert_eq!(
            sandbox.decoy_snapshot(),
            before,
            "through {target}: {results:?}"
        );
        // Nor is anything read through it.
        let read = disk.read_file(&at("secret"));
        assert!(
            !matches!(read, Ok(Some(_))),
            "read the decoy through {target}"
        );
        assert!(!matches!(disk.read_dir(&at("")), Ok(Some(names)) if !names.is_empty()));
        assert!(!matches!(disk.lstat(&at("secret")), Ok(Some(_))));
    }
    Ok(())
}

#[test]
fn a_directory_swapped_for_a_symlink_mid_run_never_leads_outside() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.decoy.join("victim"))?;
    std::fs::write(sandbox.decoy.join("victim/keep"), "keep\n")?;
    let before = sandbox.decoy_snapshot();
    std::fs::create_dir_all(sandbox.real("/etc/race"))?;
    std::fs::write(sandbox.real("/etc/race/secret"), "inside\n")?;
    let absolute = sandbox.real("/etc/race-absolute");
    let relative = sandbox.real("/etc/race-relative");
    symlink(&sandbox.decoy, &absolute)?;
    symlink("../../decoy", &relative)?;
    let race = sandbox.real("/etc/race");
    let stop = AtomicBool::new(false);
    let host = sandbox.host(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for link in [&absolute, &relative] {
                    // Two exchanges: the link takes the directory's place, then gives
                    // it back.
                    for _ in 0..2 {
                        let _ = renameat_with(CWD, &race, CWD, link, RenameFlags::EXCHANGE);
                    }
                }
            }
        });
        for round in 0..ROUNDS {
            for op in ops(round) {
                // Each op may fail (the path vanished) or land inside the root.
                let _ = host.apply(std::slice::from_ref(&op));
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(sandbox.decoy_snapshot(), before);
    Ok(())
}
