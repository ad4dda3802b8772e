//! The facts the network and hardware subsets add (issue 17's facts roles read),
//! gathered over the `machine` connection inside the booted debootstrapped container
//! (tests/common/container.rs) and compared with what the container's own tools and
//! files say: each interface's facts (`ansible_lo`, `ansible_host0`…) against
//! /sys/class/net and `ip`, `default_ipv4`/`default_ipv6`, `mounts` against its
//! /proc/self/mounts and `stat -f`, `devices` and the DMI facts against the
//! container's /sys/block and /sys/devices/virtual/dmi/id, and a play's
//! `gather_subset`, `fact_path` and local facts through a playbook run against the
//! container.

mod common;

use common::container;
use common::{Run, Test};
use machinist::agent::identity::AgentExe;
use machinist::connection::{machine, Setup};
use serde_json::{json, Value};
use std::path::PathBuf;

fn setup() -> Setup {
    Setup {
        agent: AgentExe::at(&PathBuf::from(env!("CARGO_BIN_EXE_machinist"))).unwrap(),
        root: "/".into(),
    }
}

#[test]
fn interfaces_and_mounts_are_the_containers() {
    let turn = container::turn();
    let mut agent = machine::start("box", "box", Some(turn.leader()), &setup()).expect("reachable");
    let facts = agent.gather_facts(&Default::default()).expect("reachable");
    agent.close();
    let namespaced = &facts["ansible_facts"];

    // Each device of the container's network namespace, with its facts.
    let mut devices: Vec<String> = turn
        .says(&["ls", "/sys/class/net"])
        .split_whitespace()
        .map(String::from)
        .collect();
    devices.sort();
    let mut listed: Vec<String> = facts["ansible_interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .map(|name| name.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, devices, "{facts:#?}");
    for device in &devices {
        let name = device.replace(['-', ':'], "_");
        let fact = &facts[format!("ansible_{name}").as_str()];
        assert_eq!(fact, &namespaced[name.as_str()]);
        assert_eq!(fact["device"], device.as_str(), "{fact}");
        let sys = |file: &str| turn.says(&["cat", &format!("/sys/class/net/{device}/{file}")]);
        assert_eq!(fact["mtu"], sys("mtu").parse::<i64>().unwrap(), "{fact}");
        assert_eq!(fact["active"], sys("operstate") != "down", "{fact}");
        let mac = sys("address");
        if mac != "00:00:00:00:00:00" {
            assert_eq!(fact["macaddress"], mac.as_str(), "{fact}");
        }
        // Every IPv4 and IPv6 address `ip` lists on the device, with its prefix
        // (this machine's `ip` in the container's network namespace: the container
        // has none).
        let said = ip_in(turn.leader(), &["-o", "addr", "show", "dev", device]);
        let mut from_ip: Vec<String> = said
            .lines()
            .filter_map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "inet" || *w == "inet6")?;
                Some(words.get(at + 1)?.to_string())
            })
            .collect();
        let mut from_facts: Vec<String> = fact["ipv4"]
            .as_object()
            .into_iter()
            .chain(
                fact["ipv4_secondaries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_object),
            )
            .chain(
                fact["ipv6"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_object),
            )
            .map(|address| {
                format!(
                    "{}/{}",
                    address["address"].as_str().unwrap(),
                    address["prefix"].as_str().unwrap()
                )
            })
            .collect();
        from_ip.sort();
        from_facts.sort();
        assert_eq!(from_facts, from_ip, "{device}: {said}\n{fact}");
    }
    assert_eq!(facts["ansible_lo"]["type"], "loopback");
    assert_eq!(facts["ansible_lo"]["ipv4"]["address"], "127.0.0.1");
    assert_eq!(facts["ansible_lo"]["ipv4"]["prefix"], "8");

    // The default routes, when the container has them, name an interface it has
    // and one of that interface's addresses.
    for (key, family) in [
        ("ansible_default_ipv4", "ipv4"),
        ("ansible_default_ipv6", "ipv6"),
    ] {
        let route = &facts[key];
        assert!(route.is_object(), "{key}: {route}");
        if let Some(interface) = route["interface"].as_str() {
            let fact = &namespaced[interface.replace('-', "_").as_str()];
            let addresses = match &fact[family] {
                Value::Array(list) => list.clone(),
                one => vec![one.clone()],
            };
            assert!(
                addresses.iter().any(|a| a["address"] == route["address"]),
                "{key}: {route}\n{fact}"
            );
        }
    }

    // The mounts with a path for a source, as /proc/self/mounts lists them inside,
    // each with the size statfs gives inside.
    let table = turn.says(&["cat", "/proc/self/mounts"]);
    let expected: Vec<(String, String)> = table
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let (device, mount, fstype) = (fields.first()?, fields.get(1)?, fields.get(2)?);
            let path_source = device.starts_with('/') || device.contains(":/");
            (path_source && *fstype != "none").then(|| (mount.to_string(), device.to_string()))
        })
        .collect();
    let mounts = facts["ansible_mounts"].as_array().expect("mounts");
    let found: Vec<(String, String)> = mounts
        .iter()
        .map(|m| {
            (
                m["mount"].as_str().unwrap().to_string(),
                m["device"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found, expected, "{table}");
    assert!(
        !mounts.is_empty(),
        "the container has no mount with a path source: {table}"
    );
    for mount in mounts {
        let point = mount["mount"].as_str().unwrap();
        let statfs = turn.says(&["stat", "-f", "-c", "%b %s %c", point]);
        let numbers: Vec<u64> = statfs
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(mount["block_total"], numbers[0], "{point}: {mount}");
        assert_eq!(mount["block_size"], numbers[1], "{point}: {mount}");
        assert_eq!(mount["inode_total"], numbers[2], "{point}: {mount}");
        assert!(mount["uuid"].is_string(), "{mount}");
        assert!(
            mount["options"].as_str().unwrap().starts_with("r"),
            "{mount}"
        );
    }
}

#[test]
fn devices_and_dmi_are_what_the_containers_sys_shows() {
    let turn = container::turn();
    let mut agent = machine::start("box", "box", Some(turn.leader()), &setup()).expect("reachable");
    let facts = agent.gather_facts(&Default::default()).expect("reachable");
    agent.close();

    // Every block device the container's /sys/block lists, with its size in sectors
    // (512-byte ones there) and its scheduler as the kernel marks it.
    let mut blocks: Vec<String> = turn
        .says(&["ls", "/sys/block"])
        .split_whitespace()
        .map(String::from)
        .collect();
    blocks.sort();
    let devices = facts["ansible_devices"].as_object().expect("devices");
    let mut listed: Vec<String> = devices.keys().cloned().collect();
    listed.sort();
    assert_eq!(listed, blocks);
    for (name, device) in devices {
        let size: u64 = turn
            .says(&["cat", &format!("/sys/block/{name}/size")])
            .trim()
            .parse()
            .unwrap();
        let sectorsize: u64 = device["sectorsize"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            device["sectors"],
            size * 512 / sectorsize,
            "{name}: {device}"
        );
        let scheduler = turn.exec(&["cat", &format!("/sys/block/{name}/queue/scheduler")]);
        let scheduler = String::from_utf8_lossy(&scheduler.stdout).to_string();
        let marked = scheduler
            .split_whitespace()
            .find_map(|word| word.strip_prefix('[')?.strip_suffix(']'))
            .unwrap_or_default();
        assert_eq!(device["scheduler_mode"], marked, "{name}: {scheduler}");
        assert_eq!(
            device["links"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["ids", "uuids", "labels", "masters"]
        );
        assert!(device["size"].as_str().unwrap().contains(' '), "{device}");
    }
    assert!(facts["ansible_device_links"]["masters"].is_object());

    // DMI as the container sees the firmware's tables, NA without them.
    let dmi = "/sys/devices/virtual/dmi/id";
    let has_tables = turn
        .exec(&["test", "-e", &format!("{dmi}/product_name")])
        .status
        .success();
    for (fact, file) in [
        ("product_name", "product_name"),
        ("system_vendor", "sys_vendor"),
        ("bios_vendor", "bios_vendor"),
    ] {
        let expected = match has_tables {
            true => turn
                .says(&["cat", &format!("{dmi}/{file}")])
                .trim()
                .to_string(),
            false => "NA".to_string(),
        };
        let expected = if expected.is_empty() {
            "NA".to_string()
        } else {
            expected
        };
        assert_eq!(facts[&format!("ansible_{fact}")], json!(expected), "{fact}");
    }
    assert!(facts["ansible_form_factor"].is_string());
    assert!(facts["ansible_memory_mb"]["real"]["total"].is_u64());
    assert!(facts["ansible_flags"].is_array());
}

/// `ip ARGS` run in the network namespace of the process `leader`.
fn ip_in(leader: u32, args: &[&str]) -> String {
    let output = std::process::Command::new("nsenter")
        .args(["-t", &leader.to_string(), "-n", "ip"])
        .args(args)
        .output()
        .expect("run nsenter");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "-i", "inventory.yml", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

#[test]
fn a_plays_subsets_and_local_facts_over_the_machine_connection() {
    let turn = container::turn();
    let facts_dir = "/srv/facts2-local";
    let _ = turn.exec(&["rm", "-rf", facts_dir]);
    assert!(turn.exec(&["mkdir", "-p", facts_dir]).status.success());
    let write = |name: &str, content: &str, mode: &str| {
        let path = format!("{facts_dir}/{name}");
        let script = format!("printf '%s' \"$1\" > {path} && chmod {mode} {path}");
        let done = turn.exec(&["sh", "-c", &script, "sh", content]);
        assert!(done.status.success(), "{done:?}");
    };
    write("app.fact", "{\"port\": 8080}", "0644");
    write(
        "where.fact",
        "#!/bin/sh\necho \"{\\\"host\\\": \\\"$(hostname)\\\"}\"\n",
        "0755",
    );
    let test = Test::new();
    test.project_file(
        "inventory.yml",
        &json!({"all": {"hosts": {"box": {
            "ansible_connection": "machine",
            "machinist_machine_pid": turn.leader(),
        }}}})
        .to_string(),
    );
    let playbook = r#"- hosts: box
  gather_subset: ['!all', '!min', 'network', 'hardware']
  fact_path: FACTS_DIR
  gather_timeout: 5
  tasks:
    - name: Said
      debug:
        msg:
          - "{{ ansible_lo.ipv4.address }} {{ ansible_mounts | length > 0 }} {{ ansible_hostname is defined }} {{ ansible_lsb is defined }} {{ ansible_local is defined }}"
    - name: Local
      setup: {gather_subset: ['!all'], fact_path: FACTS_DIR}
    - name: Read
      debug: {msg: "{{ ansible_local.app.port }} {{ ansible_local.where.host == ansible_hostname }}"}
"#;
    test.playbook(&playbook.replace("FACTS_DIR", facts_dir));
    let ran = run(&test, &[]);
    let _ = turn.exec(&["rm", "-rf", facts_dir]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let said = |task: &str| {
        events
            .iter()
            .find(|e| e["event"] == "task" && e["host"] == "box" && e["task"] == task)
            .unwrap_or_else(|| panic!("no event of {task}: {}", ran.stdout))["result"]["msg"]
            .clone()
    };
    assert_eq!(said("Said"), json!(["127.0.0.1 True True False False"]));
    assert_eq!(said("Read"), "8080 True");
}
