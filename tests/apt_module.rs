//! The `apt` module (and `package` dispatching to it) through the real binary and the
//! real apt: on a fresh view of the cached debootstrapped Debian rootfs whose only
//! source is a flat repository of tiny packages built here (dpkg-deb, dpkg-scanpackages;
//! no network), and, for the three checks on the machine's own `/`, a uniquely named
//! dummy package installed from a .deb and removed again (always cleaned up).

mod common;

use common::rootfs::{test_with_rootfs, three_checks_on_rootfs};
use std::path::Path;
use std::process::Command;

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A .deb of `name` `version` (one file, /usr/share/NAME/VERSION) written into `dir`.
fn build_deb(dir: &Path, name: &str, version: &str, depends: Option<&str>) -> std::path::PathBuf {
    let tree = tempfile::tempdir().expect("tempdir");
    let control = tree.path().join("DEBIAN/control");
    std::fs::create_dir_all(control.parent().expect("parent")).expect("mkdir");
    let depends = depends
        .map(|d| format!("Depends: {d}\n"))
        .unwrap_or_default();
    std::fs::write(
        &control,
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: machinist tests <t@example.org>\n{depends}Description: a package of machinist's tests\n"
        ),
    )
    .expect("control");
    let file = tree.path().join(format!("usr/share/{name}/{version}"));
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, format!("{name} {version}\n")).expect("file");
    std::fs::create_dir_all(dir).expect("mkdir");
    let deb = dir.join(format!("{name}_{version}_all.deb"));
    run(Command::new("dpkg-deb")
        .args(["-Zgzip", "--root-owner-group", "--build"])
        .arg(tree.path())
        .arg(&deb));
    deb
}

/// The root's only source: /srv/repo, a flat repository of machinist-test-app 1.0
/// (depending on machinist-test-dep) and 2.0, and machinist-test-dep 1.0; the lists
/// made old, so `cache_valid_time` finds them due.
fn debian_repo(root: &Path) {
    let repo = root.join("srv/repo");
    build_deb(&repo, "machinist-test-dep", "1.0", None);
    build_deb(
        &repo,
        "machinist-test-app",
        "1.0",
        Some("machinist-test-dep"),
    );
    build_deb(
        &repo,
        "machinist-test-app",
        "2.0",
        Some("machinist-test-dep"),
    );
    let packages = Command::new("dpkg-scanpackages")
        .args(["-m", "."])
        .current_dir(&repo)
        .output()
        .expect("dpkg-scanpackages (dpkg-dev)");
    assert!(packages.status.success(), "dpkg-scanpackages failed");
    std::fs::write(repo.join("Packages"), packages.stdout).expect("Packages");
    std::fs::write(
        root.join("etc/apt/sources.list"),
        "deb [trusted=yes] file:/srv/repo ./\n",
    )
    .expect("sources.list");
    let lists = root.join("var/lib/apt/lists");
    for entry in std::fs::read_dir(&lists).expect("lists").flatten() {
        if entry.path().is_file() && entry.file_name() != "lock" {
            std::fs::remove_file(entry.path()).expect("remove a list");
        }
    }
    run(Command::new("touch")
        .args(["-d", "@1000000000"])
        .arg(&lists));
}

/// `NAME VERSION` of the root's installed machinist-test-* packages.
fn installed(root: &Path) -> Vec<String> {
    let status = std::fs::read_to_string(root.join("var/lib/dpkg/status")).expect("status");
    let mut found: Vec<String> = status
        .split("\n\n")
        .filter(|stanza| stanza.contains("Status: install ok installed"))
        .filter_map(|stanza| {
            let field = |key: &str| {
                stanza
                    .lines()
                    .find_map(|line| line.strip_prefix(key))
                    .map(str::trim)
            };
            let name = field("Package:")?;
            name.starts_with("machinist-test-")
                .then(|| format!("{name} {}", field("Version:").unwrap_or_default()))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn install_with_a_lists_refresh_is_planned_on_the_refreshed_lists_and_passes_the_three_checks() {
    let test = test_with_rootfs();
    debian_repo(&test.root());
    test.playbook(&common::play(
        "    - name: the app at 1.0, the lists refreshed first
      apt:
        name: machinist-test-app=1.0
        update_cache: true
        cache_valid_time: 3600
      register: app
    - name: its dependency, installed with it (predicted in check mode)
      ansible.builtin.apt:
        name: machinist-test-dep
        install_recommends: false
    - debug:
        msg: \"{{ app.cache_updated }} {{ app.cache_update_time > 0 }}\"
",
    ));
    let runs = {
        let root = test.root();
        common::three_checks_looking(&test, || common::rootfs::stat_tree(&root))
    };
    assert_eq!(
        installed(&test.root()),
        ["machinist-test-app 1.0", "machinist-test-dep 1.0"]
    );
    let msgs: Vec<String> = runs[1]
        .events()
        .iter()
        .filter_map(|e| e["result"]["msg"].as_str().map(str::to_string))
        .filter(|m| m.starts_with("True") || m.starts_with("False"))
        .collect();
    assert_eq!(msgs, ["True True"], "{}", runs[1].stdout);
}

#[test]
fn latest_remove_and_purge_pass_the_three_checks_and_check_mode_predicts_dependencies() {
    let test = test_with_rootfs();
    debian_repo(&test.root());
    run(Command::new("systemd-nspawn")
        .args(["-q", "--register=no", "--keep-unit", "--pipe", "-D"])
        .arg(test.root())
        .args(["apt-get", "update", "-q"]));
    // latest: 2.0, with its dependency; a later task of the same check run sees both.
    test.playbook(&common::play(
        "    - apt:
        name: machinist-test-app
        state: latest
    - package:
        name: machinist-test-dep
        state: present
",
    ));
    let runs = {
        let root = test.root();
        common::three_checks_looking(&test, || common::rootfs::stat_tree(&root))
    };
    assert_eq!(
        runs[0]
            .statuses()
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>(),
        ["changed", "ok"],
        "{}",
        runs[0].stdout
    );
    assert!(
        runs[0].stdout.contains("machinist-test-dep"),
        "the prepared diff names the dependency: {}",
        runs[0].stdout
    );
    assert_eq!(
        installed(&test.root()),
        ["machinist-test-app 2.0", "machinist-test-dep 1.0"]
    );
    // absent with purge and autoremove: the app goes, then its dependency with it.
    test.playbook(&common::play(
        "    - apt:
        name: [machinist-test-app]
        state: absent
        purge: true
        autoremove: true
",
    ));
    three_checks_on_rootfs(&test);
    assert_eq!(installed(&test.root()), Vec::<String>::new());
}

#[test]
fn unknown_packages_and_unimplemented_states_are_refused() {
    let test = test_with_rootfs();
    debian_repo(&test.root());
    test.playbook(&common::play("    - apt: {name: machinist-test-none}\n"));
    let failed = test.run_json(&[]);
    assert_ne!(failed.code, 0);
    assert!(
        failed
            .stdout
            .contains("No package matching 'machinist-test-none' is available"),
        "{}",
        failed.stdout
    );
    test.playbook(&common::play(
        "    - apt: {name: [machinist-test-app, --allow-unauthenticated]}\n",
    ));
    let option = test.run_json(&[]);
    assert_ne!(option.code, 0);
    assert!(
        option
            .stdout
            .contains("'--allow-unauthenticated' is not a package name"),
        "{}",
        option.stdout
    );
    test.playbook(&common::play(
        "    - apt: {name: machinist-test-app, state: build-dep}\n",
    ));
    let refused = test.run_json(&[]);
    assert_eq!(refused.code, 4, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("build-dep"), "{}", refused.stderr);
}

/// Removes the host's dummy package whatever the test did.
struct Purge(&'static str);

impl Drop for Purge {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", self.0]).output();
    }
}

fn host_has(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${Status}", name])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout) == "install ok installed")
}

#[test]
fn a_deb_on_the_machines_own_root_installs_and_removes_with_the_three_checks() {
    common::rootfs::require_root();
    const NAME: &str = "machinist-test-hostdummy";
    let _purge = Purge(NAME);
    let test = common::Test::new();
    let deb = build_deb(&test.outside().join("debs"), NAME, "1.0", None);
    let on_host = |tasks: &str| {
        test.playbook(&common::play(tasks));
        let mut results = Vec::new();
        for args in [&["--check"][..], &[], &[], &["--check"]] {
            let mut full = vec!["run", "site.yml", "--root", "/", "--format", "json"];
            full.extend_from_slice(args);
            let run = test.machinist(&full);
            assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
            results.push((run.changed(), host_has(NAME)));
        }
        results
    };
    let install = on_host(&format!("    - apt: {{deb: {}}}\n", deb.display()));
    assert_eq!(
        install,
        [(1, false), (1, true), (0, true), (0, true)],
        "check, first, second, check again"
    );
    let remove = on_host(&format!("    - apt: {{name: {NAME}, state: absent}}\n"));
    assert_eq!(remove, [(1, true), (1, false), (0, false), (0, false)]);
}

#[test]
fn an_upgrade_and_a_deb_of_the_root_pass_the_three_checks() {
    let test = test_with_rootfs();
    debian_repo(&test.root());
    let extra = build_deb(
        &test.root().join("srv/debs"),
        "machinist-test-extra",
        "3.0",
        Some("machinist-test-dep"),
    );
    test.playbook(&common::play(
        "    - apt: {name: machinist-test-app=1.0, update_cache: true}\n",
    ));
    let setup = test.run_json(&[]);
    assert_eq!(setup.code, 0, "{}", setup.stdout);
    assert_eq!(
        installed(&test.root()),
        ["machinist-test-app 1.0", "machinist-test-dep 1.0"]
    );
    test.playbook(&common::play("    - apt: {upgrade: dist}\n"));
    three_checks_on_rootfs(&test);
    assert_eq!(
        installed(&test.root()),
        ["machinist-test-app 2.0", "machinist-test-dep 1.0"]
    );
    let in_root = Path::new("/").join(extra.strip_prefix(test.root()).expect("in the root"));
    test.playbook(&common::play(&format!(
        "    - apt: {{deb: {}}}\n",
        in_root.display()
    )));
    three_checks_on_rootfs(&test);
    assert_eq!(
        installed(&test.root()),
        [
            "machinist-test-app 2.0",
            "machinist-test-dep 1.0",
            "machinist-test-extra 3.0"
        ]
    );
}
