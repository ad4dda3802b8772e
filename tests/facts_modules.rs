//! The modules that read the target into facts (service_facts, package_facts) through
//! the real binary: on the booted container over `ansible_connection: machine` (a
//! running systemd, compared with what systemctl says inside), on the cached Debian
//! rootfs as a root (no systemd running: SysV's `service`, dpkg's database), and on a
//! pacstrapped Arch root (pacman's local database). Each with the three checks: the
//! facts feed a file, so `--check` must predict exactly what the run writes.

mod common;

use common::container;
use common::rootfs::{test_with_rootfs, three_checks_on_rootfs};
use common::{play, Test};
use serde_json::Value;

fn event(run: &common::Run, task: &str) -> Value {
    run.events()
        .into_iter()
        .find(|e| e["event"] == "task" && e["task"] == task)
        .unwrap_or_else(|| panic!("no event of {task}:\n{}\n{}", run.stdout, run.stderr))
}

#[test]
fn service_facts_in_the_booted_container_are_systemctls_answers() {
    let turn = container::turn();
    let _ = turn.exec(&["rm", "-f", "/srv/facts-running"]);
    let _ = turn.exec(&["systemctl", "mask", "mf-masked.service"]);
    let test = Test::new();
    test.project_file(
        "inventory.ini",
        &format!(
            "box ansible_connection=machine machinist_machine_pid={}\n",
            turn.leader()
        ),
    );
    test.playbook(
        r#"- hosts: box
  gather_facts: false
  tasks:
    - name: services
      service_facts:
      register: found
    - name: the running ones, written down
      copy:
        dest: /srv/facts-running
        content: "{{ ansible_facts.services | dict2items | selectattr('value.source', 'equalto', 'systemd') | selectattr('value.state', 'equalto', 'running') | map(attribute='key') | sort | join('\n') }}\n"
"#,
    );
    let tree = || common::snapshot(&turn.root().join("srv"));
    let run = |args: &[&str]| {
        let mut full = vec!["run", "site.yml", "-i", "inventory.ini", "--format", "json"];
        full.extend_from_slice(args);
        test.machinist(&full)
    };
    let before = tree();
    let check = run(&["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(tree(), before, "--check changed the container");
    let first = run(&[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(check.statuses(), first.statuses());
    assert_eq!(
        first
            .statuses()
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        ["ok", "changed"]
    );
    let second = run(&[]);
    let recap = second
        .events()
        .into_iter()
        .find(|e| e["event"] == "recap")
        .map(|e| e["hosts"]["box"]["changed"].clone());
    assert_eq!(recap, Some(Value::from(0)), "{}", second.stdout);

    let services = event(&first, "services")["result"]["ansible_facts"]["services"].clone();
    let journald = &services["systemd-journald.service"];
    assert_eq!(journald["state"], "running", "{journald}");
    assert_eq!(journald["status"], "static");
    assert_eq!(journald["source"], "systemd");
    let masked = &services["mf-masked.service"];
    assert_eq!(
        (masked["state"].as_str(), masked["status"].as_str()),
        (Some("inactive"), Some("masked")),
        "{masked}"
    );
    // Every service unit systemctl lists inside is there, running exactly when its
    // SUB state says so.
    let listed = turn.says(&[
        "systemctl",
        "list-units",
        "--type=service",
        "--all",
        "--plain",
        "--no-legend",
        "--no-pager",
    ]);
    let mut running = Vec::new();
    for line in listed.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let name = fields[0];
        assert!(services.get(name).is_some(), "{name} missing");
        if fields[3] == "running" {
            running.push(name.to_string());
            assert_eq!(services[name]["state"], "running", "{name}");
        }
    }
    running.sort();
    let written = turn.says(&["cat", "/srv/facts-running"]);
    assert_eq!(written, running.join("\n"));
    let _ = turn.exec(&["systemctl", "unmask", "mf-masked.service"]);
    let _ = turn.exec(&["rm", "-f", "/srv/facts-running"]);
}

#[test]
fn service_facts_on_a_debian_root_are_sysvs_as_ansible_reads_them_without_systemd() {
    let test = test_with_rootfs();
    test.playbook(&play(
        r#"    - name: services
      service_facts:
    - name: written down
      copy:
        dest: /root/services
        content: "{{ ansible_facts.services | to_nice_json }}\n"
"#,
    ));
    three_checks_on_rootfs(&test);
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(test.root().join("root/services")).expect("written"),
    )
    .expect("json");
    let services = written.as_object().expect("a mapping");
    assert!(!services.is_empty());
    // What the root's init scripts are, each stopped (nothing runs in a root).
    let scripts: Vec<String> = std::fs::read_dir(test.root().join("etc/init.d"))
        .expect("init.d")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for (name, service) in services {
        assert!(scripts.contains(name), "{name} is no init script");
        assert_eq!(service["source"], "sysv");
        assert_eq!(service["state"], "stopped", "{name}");
    }
}

/// (name, version, arch, provides) of each package, as Ansible's pacman backend
/// parses `pacman -Qi` (here the host's pacman on the root's database).
fn pacman_qi(root: &std::path::Path) -> Vec<Value> {
    let output = std::process::Command::new("pacman")
        .arg("--root")
        .arg(root)
        .arg("--dbpath")
        .arg(root.join("var/lib/pacman"))
        .arg("-Qi")
        .env("LC_ALL", "C")
        .output()
        .expect("pacman -Qi");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut packages = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in block.lines() {
            match line.split_once(" : ") {
                Some((key, value)) if !key.starts_with(' ') => {
                    fields.push((key.trim().to_string(), value.to_string()))
                }
                _ => {
                    if let Some(last) = fields.last_mut() {
                        last.1 = format!("{}  {}", last.1, line.trim_start());
                    }
                }
            }
        }
        let get = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        let provides = match get("Provides").as_str() {
            "None" => Value::Null,
            listed => listed
                .split("  ")
                .map(|p| Value::from(p.split('=').next().unwrap_or_default()))
                .collect(),
        };
        packages.push(serde_json::json!({
            "name": get("Name"),
            "version": get("Version"),
            "arch": get("Architecture"),
            "provides": provides,
            "source": "pacman",
        }));
    }
    packages
}

#[test]
fn package_facts_on_a_pacstrapped_root_are_pacman_qis_answers() {
    let test = Test::new();
    let conf = common::pacman_repo::local_repo(&test);
    test.playbook(&play(&format!(
        "    - pacstrap:\n        dest: /\n        packages: [base, vim]\n        ignore: [linux]\n        \
         pacman_conf: {}\n        mirrorlist: none\n        keyring: none\n",
        conf.display()
    )));
    let strapped = test.run_json(&[]);
    assert_eq!(strapped.code, 0, "{}\n{}", strapped.stdout, strapped.stderr);
    // The repository has no pacman package: a stand-in for the program Ansible's
    // backend looks for (the database is what is read).
    test.root_file("/usr/bin/pacman", "");
    test.playbook(&play(
        r#"    - name: packages
      package_facts:
        manager: [auto]
    - name: written down
      copy:
        dest: /root/packages
        content: "{{ ansible_facts.packages | to_nice_json }}\n"
"#,
    ));
    common::three_checks(&test);
    let written: Value = serde_json::from_str(&test.read("/root/packages")).expect("json");
    let expected: serde_json::Map<String, Value> = pacman_qi(&test.root())
        .into_iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                Value::Array(vec![p]),
            )
        })
        .collect();
    assert!(expected.contains_key("vim") && expected.contains_key("busybox"));
    assert_eq!(written, Value::Object(expected));
}

#[test]
fn package_facts_on_a_debian_root_read_its_dpkg_database() {
    let test = test_with_rootfs();
    test.playbook(&play(
        r#"    - name: packages
      package_facts:
    - name: written down
      copy:
        dest: /root/packages
        content: "{{ ansible_facts.packages | dict2items | map(attribute='value') | map('first') | map(attribute='name') | join(' ') }} {{ ansible_facts.packages.dpkg }}\n"
"#,
    ));
    three_checks_on_rootfs(&test);
    let written = std::fs::read_to_string(test.root().join("root/packages")).expect("written");
    let status = std::fs::read_to_string(test.root().join("var/lib/dpkg/status")).expect("status");
    let installed = status
        .split("\n\n")
        .filter(|stanza| stanza.contains("\nStatus: install ok installed"))
        .count();
    let names = written.split(" [").next().unwrap_or_default();
    assert_eq!(names.split(' ').count(), installed, "{written}");
    assert!(written.contains("'source': 'apt'"), "{written}");
}
