//! The systemd modules on a running systemd: a Debian rootfs booted with
//! `systemd-nspawn -b`, machinist bound in read-only and run inside with nsenter.
//! A unit written, daemon-reloaded, started, restarted by a handler, stopped and
//! enabled; one daemon-reload for many unit files; and the seed's playbook, whose br0
//! bridge must show in `networkctl` and whose container must start inside this one.
//! The tests share one booted container and take turns in it (common/container.rs).

mod common;
use common::play;

use common::container::{self, Booted};
use common::Run;
use std::path::Path;
use std::time::{Duration, Instant};

fn hello_unit(greeting: &str) -> String {
    format!(
        "[Unit]\nDescription=machinist test unit\n\n[Service]\nEnvironment=GREETING={greeting}\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n"
    )
}

/// A playbook whose tasks are given as YAML lines, with the unit content inlined.
fn write(here: &Path, name: &str, yaml: &str) {
    std::fs::write(here.join(name), yaml).expect("write playbook");
}

fn ok(run: &Run) {
    assert_eq!(
        run.code, 0,
        "machinist failed:\n{}\n{}",
        run.stdout, run.stderr
    );
}

fn property(booted: &Booted, unit: &str, name: &str) -> String {
    booted.says(&["systemctl", "show", "-p", name, "--value", unit])
}

/// How many daemon-reloads the container's manager has done.
fn reloads(booted: &Booted) -> usize {
    let journal = booted.says(&["journalctl", "-o", "cat", "--no-pager", "_PID=1"]);
    journal
        .lines()
        .filter(|line| line.trim() == "Reloading.")
        .count()
}

#[test]
fn unit_written_reloaded_started_restarted_by_a_handler_stopped_enabled() {
    let booted = container::turn();
    let (inside, here) = booted.project("unit-lifecycle");
    let yaml_unit = |greeting: &str| serde_json::to_string(&hello_unit(greeting)).expect("json");
    write(
        &here,
        "start.yml",
        &play(&format!("    - unit:\n        name: mt-hello\n        content: {}\n        state: started\n        enabled: true\n",
            yaml_unit("one"))
        ),
    );
    let start = inside.join("start.yml");

    let check = booted.machinist(&start, &["--check"]);
    ok(&check);
    assert_eq!(check.changed(), 1);
    assert_eq!(
        booted.says(&["systemctl", "is-active", "mt-hello"]),
        "inactive"
    );
    assert!(!booted
        .root()
        .join("etc/systemd/system/mt-hello.service")
        .exists());

    let first = booted.machinist(&start, &[]);
    ok(&first);
    assert_eq!(first.changed(), 1, "{}", first.stdout);
    let diffs = first.events()[1..]
        .iter()
        .find(|event| event["event"] == "task")
        .map(|event| event["diff"].to_string())
        .unwrap_or_default();
    assert!(
        diffs.contains("active: inactive") && diffs.contains("enabled: true"),
        "state diff missing: {diffs}"
    );
    assert_eq!(
        booted.says(&["systemctl", "is-active", "mt-hello"]),
        "active"
    );
    assert_eq!(
        booted.says(&["systemctl", "is-enabled", "mt-hello"]),
        "enabled"
    );
    assert_eq!(property(&booted, "mt-hello", "Environment"), "GREETING=one");

    let again = booted.machinist(&start, &[]);
    ok(&again);
    assert_eq!(again.changed(), 0, "{}", again.stdout);

    write(
        &here,
        "restart.yml",
        &play(&format!("    - unit:\n        name: mt-hello\n        content: {}\n      notify: restart hello\n  handlers:\n    - name: restart hello\n      unit: {{name: mt-hello, state: restarted}}\n",
            yaml_unit("two"))
        ),
    );
    let restart = inside.join("restart.yml");
    let pid_before = property(&booted, "mt-hello", "MainPID");
    let changed = booted.machinist(&restart, &[]);
    ok(&changed);
    assert_eq!(
        changed.statuses(),
        vec![
            ("unit".to_string(), "changed".to_string()),
            ("restart hello".to_string(), "changed".to_string())
        ]
    );
    assert_ne!(
        property(&booted, "mt-hello", "MainPID"),
        pid_before,
        "not restarted"
    );
    assert_eq!(
        property(&booted, "mt-hello", "Environment"),
        "GREETING=two",
        "restarted without a daemon-reload: the old unit file is still loaded"
    );
    assert_eq!(property(&booted, "mt-hello", "NeedDaemonReload"), "no");
    let quiet = booted.machinist(&restart, &[]);
    ok(&quiet);
    assert_eq!(quiet.changed(), 0, "{}", quiet.stdout);

    write(
        &here,
        "stop.yml",
        &play("    - systemd: {name: mt-hello, state: stopped, enabled: false}\n"),
    );
    let stop = inside.join("stop.yml");
    ok(&booted.machinist(&stop, &[]));
    assert_eq!(
        booted.says(&["systemctl", "is-active", "mt-hello"]),
        "inactive"
    );
    assert_eq!(
        booted.says(&["systemctl", "is-enabled", "mt-hello"]),
        "disabled"
    );
    let stopped = booted.machinist(&stop, &[]);
    ok(&stopped);
    assert_eq!(stopped.changed(), 0, "{}", stopped.stdout);
}

#[test]
fn many_unit_files_cost_one_daemon_reload() {
    let booted = container::turn();
    let (inside, here) = booted.project("one-reload");
    let unit = serde_json::to_string(&hello_unit("x")).expect("json");
    write(
        &here,
        "site.yml",
        &play(&format!("    - unit: {{name: mt-a, content: {unit}}}\n    - unit: {{name: mt-b, content: {unit}}}\n    - unit: {{name: mt-a, state: started}}\n    - unit: {{name: mt-b, state: started}}\n")),
    );
    let before = reloads(&booted);
    let run = booted.machinist(&inside.join("site.yml"), &[]);
    ok(&run);
    assert_eq!(run.changed(), 4, "{}", run.stdout);
    for unit in ["mt-a", "mt-b"] {
        assert_eq!(booted.says(&["systemctl", "is-active", unit]), "active");
    }
    assert_eq!(
        reloads(&booted) - before,
        1,
        "one daemon-reload for the run"
    );
    for unit in ["mt-a", "mt-b"] {
        booted.exec(&["systemctl", "stop", unit]);
    }
}

/// Copy the project's playbooks/ and templates/ into the container's folder.
fn copy_project(here: &Path) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["playbooks", "templates"] {
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(project.join(dir))
            .arg(here)
            .status()
            .expect("cp");
        assert!(status.success(), "copy {dir}");
    }
}

/// Poll `check` until it holds or `timeout` passes; the last answer either way.
fn eventually(timeout: Duration, mut check: impl FnMut() -> (bool, String)) -> (bool, String) {
    let started = Instant::now();
    loop {
        let (holds, said) = check();
        if holds || started.elapsed() > timeout {
            return (holds, said);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A crypt(3) hash for the nested container's root.
const ROOT_HASH: &str = "$6$machinist$live.test.hash";

/// What the seed playbooks are given here: the nested rootfs is a debootstrapped
/// Debian standing in for the pacstrapped one (no Arch repository in the container),
/// without locale-gen or tzdata.
fn seed_vars(network: &str) -> Vec<String> {
    vec![
        "-e".into(),
        format!(
            "{{\"bootstrap\": false, \"locales\": [], \"timezone\": \"\", \"network\": \"{network}\", \"root_password_hash\": \"{ROOT_HASH}\"}}"
        ),
    ]
}

/// Run a program inside the nested container (all its namespaces).
fn in_nested(booted: &Booted, script: &str) -> String {
    booted.says(&[
        "sh",
        "-c",
        &format!(
            "nsenter -t $(machinectl show {} -p Leader --value) -a sh -c '{script}'",
            container::NESTED
        ),
    ])
}

/// The pacman cache on a filesystem with idmapped mounts (the container's own root is
/// an overlayfs, which has none here): a tmpfs, mounted once.
fn cache_on_tmpfs(booted: &Booted) {
    let mounted = booted.exec(&[
        "sh",
        "-c",
        "mkdir -p /var/cache/pacman/pkg && { mountpoint -q /var/cache/pacman/pkg || mount -t tmpfs tmpfs /var/cache/pacman/pkg; }",
    ]);
    assert!(mounted.status.success(), "{mounted:?}");
}

/// The nested container stopped, whatever an earlier test left running.
fn stop_nested(booted: &Booted) {
    let unit = format!("systemd-nspawn@{}.service", container::NESTED);
    booted.exec(&["systemctl", "stop", &unit]);
    booted.exec(&["systemctl", "reset-failed", &unit]);
}

/// Inside the booted nested container: networkd and resolved running, and
/// /etc/resolv.conf the link to resolved's file, which is there.
fn assert_nested_network_services(booted: &Booted) {
    let (running, said) = eventually(Duration::from_secs(30), || {
        let said = in_nested(
            booted,
            "systemctl is-active systemd-networkd systemd-resolved",
        );
        (
            said.lines().all(|line| line == "active") && said.lines().count() == 2,
            said,
        )
    });
    assert!(
        running,
        "networkd and resolved in the nested container: {said}"
    );
    assert_eq!(
        in_nested(booted, "readlink /etc/resolv.conf"),
        "/run/systemd/resolve/resolv.conf"
    );
    let (resolv, said) = eventually(Duration::from_secs(20), || {
        let said = in_nested(booted, "cat /etc/resolv.conf");
        (
            said.contains("generated by resolvconf") || said.contains("systemd-resolved"),
            said,
        )
    });
    assert!(
        resolv,
        "resolved's file behind the link in the nested container: {said}"
    );
}

#[test]
fn seed_playbook_makes_the_bridge_and_starts_a_nested_container() {
    let booted = container::turn();
    stop_nested(&booted);
    cache_on_tmpfs(&booted);
    let (inside, here) = booted.project("seed");
    copy_project(&here);
    let playbook = inside.join("playbooks/nspawn-container-steps.yml");
    let nested = Path::new("/var/lib/machines").join(container::NESTED);
    let vars = seed_vars("bridge");
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();

    let first = booted.machinist(&playbook, &vars);
    ok(&first);

    let (bridged, networkctl) = eventually(Duration::from_secs(20), || {
        let list = booted.says(&["networkctl", "list", "--no-pager", "--no-legend"]);
        (
            list.lines()
                .any(|line| line.contains(" br0 ") && line.contains("bridge")),
            list,
        )
    });
    assert!(bridged, "br0 is not in networkctl:\n{networkctl}");
    assert_eq!(
        booted.says(&["systemctl", "is-active", "systemd-nspawn@box.service"]),
        "active",
        "{}",
        booted.says(&["journalctl", "-u", "systemd-nspawn@box", "--no-pager"])
    );
    assert_eq!(
        booted.says(&["systemctl", "is-enabled", "systemd-nspawn@box.service"]),
        "enabled"
    );
    let resolv = booted.says(&[
        "readlink",
        &nested.join("etc/resolv.conf").display().to_string(),
    ]);
    assert_eq!(resolv, "/run/systemd/resolve/resolv.conf");
    let (registered, machines) = eventually(Duration::from_secs(20), || {
        let list = booted.says(&["machinectl", "list", "--no-pager", "--no-legend"]);
        (list.lines().any(|line| line.starts_with("box ")), list)
    });
    assert!(
        registered,
        "the nested container is not a machine:\n{machines}"
    );
    assert_nested_network_services(&booted);
    // The pacman cache, bound idmapped, is root's inside the user namespace.
    assert_eq!(
        in_nested(&booted, "stat -c %U /var/cache/pacman/pkg"),
        "root",
        "{}",
        booted.says(&["journalctl", "-u", "systemd-nspawn@box", "--no-pager"])
    );
    // The Debian root's locale where Debian reads it.
    assert_eq!(
        in_nested(&booted, "cat /etc/default/locale"),
        "LANG=en_US.UTF-8"
    );

    let second = booted.machinist(&playbook, &vars);
    ok(&second);
    assert_eq!(
        second.changed(),
        0,
        "the second run changed something:\n{}",
        second.stdout
    );

    // How far the network goes: the nested container's veth joins br0 and gets an
    // address from networkd's DHCP server there.
    let (addressed, status) = eventually(Duration::from_secs(30), || {
        let status = in_nested(&booted, "networkctl status host0 --no-pager");
        (status.contains("10.23.0."), status)
    });
    assert!(
        addressed,
        "the nested container got no address on br0:\n{status}"
    );
    stop_nested(&booted);
}

/// The role playbook with `network: veth`: no bridge, the host end ve-box handled by
/// networkd's 80-container-ve.network (an address, DHCP), the container's host0
/// addressed from it; networkd, resolved and the resolv.conf link inside.
#[test]
fn role_playbook_with_a_veth_pair_starts_a_networked_nested_container() {
    let booted = container::turn();
    stop_nested(&booted);
    cache_on_tmpfs(&booted);
    let (inside, here) = booted.project("seed-veth");
    copy_project(&here);
    let playbook = inside.join("playbooks/nspawn-container.yml");
    let vars = seed_vars("veth");
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();

    let first = booted.machinist(&playbook, &vars);
    ok(&first);
    let settings = std::fs::read_to_string(booted.root().join("etc/systemd/nspawn/box.nspawn"))
        .expect("box.nspawn");
    assert!(
        settings.contains("[Network]\nVirtualEthernet=yes\n"),
        "{settings}"
    );
    assert!(booted
        .root()
        .join("etc/systemd/network/80-container-ve.network")
        .exists());
    assert_eq!(
        booted.says(&["systemctl", "is-active", "systemd-nspawn@box.service"]),
        "active",
        "{}",
        booted.says(&["journalctl", "-u", "systemd-nspawn@box", "--no-pager"])
    );
    let (host_end, said) = eventually(Duration::from_secs(30), || {
        let said = booted.says(&["networkctl", "status", "ve-box", "--no-pager"]);
        (
            said.contains("80-container-ve.network") && said.contains("Address:"),
            said,
        )
    });
    assert!(
        host_end,
        "ve-box is not configured by 80-container-ve:\n{said}"
    );
    assert_nested_network_services(&booted);
    let (addressed, status) = eventually(Duration::from_secs(30), || {
        let status = in_nested(&booted, "networkctl status host0 --no-pager");
        (
            status.contains("Address:") && status.contains("(DHCP"),
            status,
        )
    });
    assert!(
        addressed,
        "host0 got no address over the veth pair:\n{status}"
    );

    let second = booted.machinist(&playbook, &vars);
    ok(&second);
    assert_eq!(second.changed(), 0, "{}", second.stdout);
    stop_nested(&booted);
}

/// The account and system modules on the container's own `/`: the shadow tools and
/// hostnamectl run directly there (no `--root`), `--check` predicts the first run,
/// the second changes nothing.
#[test]
fn accounts_and_hostname_on_a_running_system() {
    let booted = container::turn();
    let (inside, here) = booted.project("live-accounts");
    let old_name = booted.says(&["hostname"]);
    write(
        &here,
        "site.yml",
        "- hosts: localhost
  gather_facts: false
  tasks:
    - group: {name: mt-live}
    - user: {name: mt-live-user, groups: [mt-live], shell: /bin/sh}
    - hostname: {name: mt-live-host}
    - service: {name: systemd-journald, state: started}
",
    );
    let playbook = inside.join("site.yml");
    let check = booted.machinist(&playbook, &["--check"]);
    ok(&check);
    let first = booted.machinist(&playbook, &[]);
    ok(&first);
    assert_eq!(check.statuses(), first.statuses());
    let statuses: Vec<String> = first.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        statuses,
        ["changed", "changed", "changed", "ok"],
        "{}",
        first.stdout
    );
    let second = booted.machinist(&playbook, &[]);
    ok(&second);
    assert_eq!(second.changed(), 0, "{}", second.stdout);
    assert_eq!(booted.says(&["hostname"]), "mt-live-host");
    assert_eq!(booted.says(&["cat", "/etc/hostname"]), "mt-live-host");
    assert!(booted
        .says(&["id", "-nG", "mt-live-user"])
        .split_whitespace()
        .any(|g| g == "mt-live"));
    let cleanup = format!(
        "- hosts: localhost
  gather_facts: false
  tasks:
    - user: {{name: mt-live-user, state: absent, remove: true}}
    - group: {{name: mt-live, state: absent}}
    - hostname: {{name: {old_name}}}
"
    );
    write(&here, "cleanup.yml", &cleanup);
    ok(&booted.machinist(&inside.join("cleanup.yml"), &[]));
}
