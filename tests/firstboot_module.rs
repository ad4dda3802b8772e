//! The `firstboot` module through the real binary with the real systemd-firstboot and
//! locale-gen: the three checks on a root pacstrapped in the same play (from the local
//! test repository; its locale in /etc/locale.conf, as Arch reads it, on this Debian
//! controller) and on a debootstrapped Debian root (/etc/default/locale); the password never printed,
//! in human or JSON output, with or without --diff, and /etc/shadow holding a
//! sha512-crypt hash of it.

mod common;
use common::play;

use common::debian::debian_root;
use common::pacman_repo::local_repo;
use common::{three_checks_runs, Run, Test};
use std::path::Path;
use std::process::Command;

const PASSWORD: &str = "s3cret-Passw0rd";
const NEW_PASSWORD: &str = "An0ther-s3cret";

fn firstboot(password: &str, extra: &str) -> String {
    format!(
        "    - name: first boot
      firstboot:
        locale: en_US.UTF-8
        timezone: Europe/Berlin
        hostname: box
        root_password: \"{password}\"
{extra}"
    )
}

/// Root's hash in the root's /etc/shadow.
fn root_hash(root: &Path) -> String {
    let shadow = std::fs::read_to_string(root.join("etc/shadow")).expect("shadow");
    shadow
        .lines()
        .find_map(|line| line.strip_prefix("root:"))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_default()
        .to_string()
}

fn assert_never_printed(runs: &[Run], secrets: &[&str]) {
    for run in runs {
        for secret in secrets {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "a secret was printed:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
}

/// The root's locale file, which must be the one its distribution reads (Arch and
/// systemd: /etc/locale.conf; Debian: /etc/default/locale), and never the other,
/// whatever this Debian controller's systemd-firstboot would write.
fn lang(root: &Path, file: &str) -> String {
    let other = if file == "etc/locale.conf" {
        "etc/default/locale"
    } else {
        "etc/locale.conf"
    };
    assert!(!root.join(other).exists(), "{other} was written");
    std::fs::read_to_string(root.join(file)).unwrap_or_default()
}

/// A password change shows as `root password: changed` and nothing of the password.
fn change_password_and_look(test: &Test, playbook: &str) -> Vec<Run> {
    test.playbook(playbook);
    let shown = vec![
        test.run(&["--check", "--diff", "-vvv"]),
        test.run_json(&["--check", "--diff"]),
        test.run(&["--diff", "-vvv"]),
    ];
    for run in &shown {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("root password: changed"),
            "{}",
            run.stdout
        );
    }
    shown
}

#[test]
fn firstboot_on_a_pacstrapped_root_three_checks() {
    let test = Test::new();
    let conf = local_repo(&test);
    let bootstrap = format!(
        "    - name: bootstrap
      pacstrap: {{dest: /, packages: [base], ignore: [linux], pacman_conf: {}, mirrorlist: none, keyring: none}}
",
        conf.display()
    );
    let machine_id = "        machine_id: 0123456789abcdef0123456789abcdef\n        keymap: us\n";
    test.playbook(&play(
        &(bootstrap.clone() + &firstboot(PASSWORD, machine_id)),
    ));
    let mut runs = three_checks_runs(&test);
    let root = test.root();
    let hash = root_hash(&root);
    assert!(
        sha_crypt::sha512_check(PASSWORD, &hash).is_ok(),
        "shadow: {hash}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("etc/hostname")).ok(),
        Some("box\n".into())
    );
    assert_eq!(
        std::fs::read_to_string(root.join("etc/machine-id")).ok(),
        Some("0123456789abcdef0123456789abcdef\n".into())
    );
    assert_eq!(lang(&root, "etc/locale.conf"), "LANG=en_US.UTF-8\n");
    assert_eq!(
        std::fs::read_to_string(root.join("etc/vconsole.conf")).ok(),
        Some("KEYMAP=us\n".into())
    );
    let zone = std::fs::read_link(root.join("etc/localtime")).unwrap_or_default();
    assert!(zone.ends_with("zoneinfo/Europe/Berlin"), "{zone:?}");

    let changed = play(&(bootstrap + &firstboot(NEW_PASSWORD, machine_id)));
    runs.extend(change_password_and_look(&test, &changed));
    let new_hash = root_hash(&root);
    assert!(sha_crypt::sha512_check(NEW_PASSWORD, &new_hash).is_ok());
    assert_never_printed(&runs, &[PASSWORD, NEW_PASSWORD, &hash, &new_hash]);
}

#[test]
fn firstboot_on_a_debian_root_three_checks() {
    let test = Test::new();
    let root = test.root();
    debian_root(&root);
    let locales = "        locales: [\"en_US.UTF-8 UTF-8\", \"de_DE.UTF-8 UTF-8\"]\n";
    test.playbook(&play(&firstboot(PASSWORD, locales)));
    let mut runs = three_checks_runs(&test);
    let hash = root_hash(&root);
    assert!(sha_crypt::sha512_check(PASSWORD, &hash).is_ok());
    assert!(lang(&root, "etc/default/locale").contains("LANG=en_US.UTF-8"));
    let gen = std::fs::read_to_string(root.join("etc/locale.gen")).expect("locale.gen");
    assert!(gen.lines().any(|l| l == "en_US.UTF-8 UTF-8"), "{gen}");
    assert!(gen.lines().any(|l| l == "de_DE.UTF-8 UTF-8"), "{gen}");
    let listed = Command::new("chroot")
        .arg(&root)
        .args(["locale", "-a"])
        .output()
        .expect("locale -a");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("en_US.utf8"), "{listed}");
    assert!(listed.contains("de_DE.utf8"), "{listed}");

    runs.extend(change_password_and_look(
        &test,
        &play(&firstboot(NEW_PASSWORD, locales)),
    ));
    let new_hash = root_hash(&root);
    assert!(sha_crypt::sha512_check(NEW_PASSWORD, &new_hash).is_ok());
    assert_never_printed(&runs, &[PASSWORD, NEW_PASSWORD, &hash, &new_hash]);
}
