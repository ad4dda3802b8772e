//! ini_file through the real binary on a temp root: the three checks over the edits
//! roles make (pacman.conf's ParallelDownloads over its comment, a systemd drop-in
//! created with its folder, php.ini before any section, a section removed), a root
//! whose file is a link out of the root edited inside it, and `--check --diff`
//! showing the content change.

mod common;
use common::play;

use common::{three_checks_runs, Test};

#[test]
fn ini_file_three_checks() {
    let test = Test::new();
    test.root_file(
        "etc/pacman.conf",
        "[options]\nHoldPkg = pacman\n#ParallelDownloads = 5\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n",
    );
    test.root_file("etc/php/php.ini", "; php\nengine = On\n\n[Date]\n");
    test.root_file("etc/old.ini", "[keep]\na = 1\n[drop]\nb = 2\n");
    test.playbook(&play(
        r#"    - community.general.ini_file:
        path: /etc/pacman.conf
        section: options
        option: ParallelDownloads
        value: 10
    - ini_file:
        path: /etc/systemd/system/nginx.service.d/limits.conf
        section: Service
        option: LimitNOFILE
        value: 65536
        no_extra_spaces: true
        mode: "0600"
    - ini_file:
        path: /etc/php/php.ini
        section: null
        option: memory_limit
        value: 256M
        backup: true
    - ini_file:
        path: /etc/old.ini
        section: drop
        state: absent
"#,
    ));
    let runs = three_checks_runs(&test);
    let statuses: Vec<String> = runs[1].statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["changed"; 4]);
    assert_eq!(
        test.read("/etc/pacman.conf"),
        "[options]\nHoldPkg = pacman\nParallelDownloads = 10\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n"
    );
    assert_eq!(
        test.read("/etc/systemd/system/nginx.service.d/limits.conf"),
        "\n[Service]\nLimitNOFILE=65536\n"
    );
    assert_eq!(
        test.mode("/etc/systemd/system/nginx.service.d/limits.conf"),
        0o600
    );
    assert_eq!(
        test.read("/etc/php/php.ini"),
        "; php\nengine = On\nmemory_limit = 256M\n\n[Date]\n"
    );
    assert_eq!(test.read("/etc/old.ini"), "[keep]\na = 1\n");
    let backups = std::fs::read_dir(test.root().join("etc/php"))
        .expect("php dir")
        .count();
    assert_eq!(backups, 2, "php.ini and its backup");
    // The check run showed the content diff of each file.
    let first = runs[0]
        .events()
        .into_iter()
        .find(|e| e["event"] == "task")
        .map(|e| e["diff"][0].clone())
        .unwrap_or_default();
    assert_eq!(first["before_header"], "/etc/pacman.conf (content)");
    assert!(
        first["after"]
            .as_str()
            .is_some_and(|after| after.contains("ParallelDownloads = 10\n")),
        "{first}"
    );
}

#[test]
fn a_link_out_of_the_root_is_followed_inside_it() {
    let test = Test::new();
    let outside = test.outside().join("victim.ini");
    std::fs::write(&outside, "[a]\nk = 1\n").expect("outside file");
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    std::os::unix::fs::symlink(&outside, test.root().join("etc/linked.ini")).expect("link");
    test.playbook(&play(
        r#"    - ini_file:
        path: /etc/linked.ini
        section: a
        option: k
        value: "2"
"#,
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        std::fs::read_to_string(&outside).expect("outside"),
        "[a]\nk = 1\n"
    );
}
