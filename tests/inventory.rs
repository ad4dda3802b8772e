//! Inventories end to end (issue 16): `machinist inventory --list|--graph|--host`,
//! `machinist run --list-hosts` and `--limit`, located errors in inventory files,
//! vaulted group_vars, and the refusal of hosts reached over SSH until the
//! connections exist (issue 17); plays on many hosts are tests/many_hosts.rs.
//! ansible-core's own answers on the same inventories are the inventory cases of
//! tests/ansible_compat.

mod common;

use common::Test;

const INI: &str = "\
lone

[web]
web[1:2] http_port=80

[db]
db1:5432

[prod:children]
web
db

[prod:vars]
env=production
";

fn project() -> Test {
    let test = Test::new();
    test.project_file("hosts.ini", INI);
    test.project_file("group_vars/web.yml", "role: frontend\n");
    test.project_file("host_vars/db1", "backup: true\n");
    test.playbook(
        "- name: web\n  hosts: web\n  gather_facts: false\n  tasks: []\n\
         - name: not db\n  hosts: all:!db\n  gather_facts: false\n  tasks: []\n",
    );
    test
}

#[test]
fn graph_shows_the_tree_as_ansible_inventory() {
    let test = project();
    let run = test.machinist(&["inventory", "-i", "hosts.ini", "--graph"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "@all:\n  |--@ungrouped:\n  |  |--lone\n  |--@prod:\n  |  |--@web:\n  |  |  |--web1\n  \
         |  |  |--web2\n  |  |--@db:\n  |  |  |--db1\n"
    );
    let run = test.machinist(&["inventory", "-i", "hosts.ini", "--graph", "web"]);
    assert_eq!(run.stdout, "@web:\n  |--web1\n  |--web2\n");
}

#[test]
fn list_has_groups_and_meta_hostvars() {
    let test = project();
    let run = test.machinist(&["inventory", "-i", "hosts.ini", "--list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        list["all"]["children"],
        serde_json::json!(["ungrouped", "prod"])
    );
    assert_eq!(list["prod"]["children"], serde_json::json!(["web", "db"]));
    assert_eq!(list["web"]["hosts"], serde_json::json!(["web1", "web2"]));
    let web1 = &list["_meta"]["hostvars"]["web1"];
    assert_eq!(web1["http_port"], 80);
    assert_eq!(web1["env"], "production");
    assert_eq!(web1["role"], "frontend");
    assert_eq!(list["_meta"]["hostvars"]["db1"]["ansible_port"], 5432);
    assert_eq!(list["_meta"]["hostvars"]["db1"]["backup"], true);
    assert!(
        list["_meta"]["hostvars"].get("lone").is_none(),
        "no vars, no entry"
    );
    // Python's json.dumps(indent=4, sort_keys=True).
    assert!(run
        .stdout
        .starts_with("{\n    \"_meta\": {\n        \"hostvars\": {\n"));
}

#[test]
fn host_shows_one_hosts_variables() {
    let test = project();
    let run = test.machinist(&["inventory", "-i", "hosts.ini", "--host", "web2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "{\n    \"env\": \"production\",\n    \"http_port\": 80,\n    \"role\": \"frontend\"\n}\n"
    );
    let run = test.machinist(&["inventory", "-i", "hosts.ini", "--host", "nosuch"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("nosuch"), "{}", run.stderr);
}

#[test]
fn an_action_is_required() {
    let test = project();
    let run = test.machinist(&["inventory", "-i", "hosts.ini"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("--list"), "{}", run.stderr);
}

#[test]
fn list_hosts_in_ansible_playbooks_shape() {
    let test = project();
    let run = test.machinist(&["run", "-i", "hosts.ini", "site.yml", "--list-hosts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\nplaybook: site.yml\n\n  play #1 (web): web\tTAGS: []\n    pattern: ['web']\n    \
         hosts (2):\n      web1\n      web2\n\n  play #2 (all:!db): not db\tTAGS: []\n    \
         pattern: ['all:!db']\n    hosts (3):\n      lone\n      web1\n      web2\n"
    );
    let run = test.machinist(&[
        "run",
        "-i",
        "hosts.ini",
        "site.yml",
        "--list-hosts",
        "--limit",
        "web2,lone",
    ]);
    assert!(
        run.stdout.contains("hosts (1):\n      web2\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("hosts (2):\n      lone\n      web2\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_templated_pattern_is_rendered_with_extra_vars() {
    let test = project();
    test.playbook("- hosts: \"{{ target }}\"\n  gather_facts: false\n  tasks: []\n");
    let run = test.machinist(&[
        "run",
        "-i",
        "hosts.ini",
        "site.yml",
        "--list-hosts",
        "-e",
        "target=db",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "play #1 (db): db\tTAGS: []\n    pattern: ['db']\n    hosts (1):\n      db1\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn the_inventory_beside_the_playbook_is_the_default() {
    let test = project();
    test.project_file("inventory", "[web]\nonly1\n");
    let run = test.machinist(&["run", "site.yml", "--list-hosts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("hosts (1):\n      only1\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_pattern_matching_nothing_warns() {
    let test = project();
    test.playbook("- hosts: nosuch\n  gather_facts: false\n  tasks: []\n");
    let run = test.machinist(&["run", "-i", "hosts.ini", "site.yml", "--list-hosts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("hosts (0):"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("[WARNING]: Could not match supplied host pattern, ignoring: nosuch"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_limit_that_leaves_no_host_is_an_error() {
    let test = project();
    let run = test.machinist(&[
        "run",
        "-i",
        "hosts.ini",
        "site.yml",
        "--list-hosts",
        "-l",
        "zzz",
    ]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.contains("leaves us with no hosts"),
        "{}",
        run.stderr
    );
}

#[test]
fn errors_in_inventory_files_are_located() {
    let test = project();
    test.project_file("bad.ini", "[web]\nweb1 port\n");
    let run = test.machinist(&["inventory", "-i", "bad.ini", "--list"]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr
            .contains("bad.ini:2:6: error: Expected key=value host variable assignment, got: port"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("2 | web1 port"), "{}", run.stderr);
    test.project_file(
        "bad.yml",
        "all:\n  children:\n    web:\n      hosts: [a, b]\n",
    );
    let run = test.machinist(&["inventory", "-i", "bad.yml", "--list"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("bad.yml:4:14"), "{}", run.stderr);
    let run = test.machinist(&["inventory", "-i", "nosuch.ini", "--list"]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(run.stderr.contains("-i nosuch.ini"), "{}", run.stderr);
}

#[test]
fn vaulted_group_vars_open_with_the_password() {
    let test = project();
    test.project_file("pw", "hunter2\n");
    test.project_file("group_vars/db.yml", "secret: s3cr3t-value\n");
    let encrypt = test.machinist(&[
        "vault",
        "encrypt",
        "--vault-password-file",
        "pw",
        "group_vars/db.yml",
    ]);
    assert_eq!(encrypt.code, 0, "{}", encrypt.stderr);
    let run = test.machinist(&["inventory", "-i", "hosts.ini", "--host", "db1"]);
    assert_eq!(run.code, 4, "no password: {}", run.stdout);
    let run = test.machinist(&[
        "inventory",
        "-i",
        "hosts.ini",
        "--host",
        "db1",
        "--vault-password-file",
        "pw",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let vars: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(vars.get("secret").is_some(), "{}", run.stdout);
    assert!(
        !run.stdout.contains("s3cr3t-value"),
        "a vaulted value is masked"
    );
    // A vaulted inventory file opens the same way.
    let encrypt = test.machinist(&[
        "vault",
        "encrypt",
        "--vault-password-file",
        "pw",
        "hosts.ini",
    ]);
    assert_eq!(encrypt.code, 0, "{}", encrypt.stderr);
    let run = test.machinist(&[
        "inventory",
        "-i",
        "hosts.ini",
        "--graph",
        "web",
        "--vault-password-file",
        "pw",
    ]);
    assert_eq!(
        run.stdout, "@web:\n  |--web1\n  |--web2\n",
        "{}",
        run.stderr
    );
}

#[test]
fn plays_on_hosts_whose_connection_variables_are_wrong_are_refused_before_running() {
    let test = project();
    let run = test.machinist(&["run", "-i", "hosts.ini", "site.yml", "-e", "ansible_port=x"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("ansible_port"), "{}", run.stderr);
    // localhost alone, with no inventory variables, runs as before.
    test.playbook("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n");
    let run = test.machinist(&["run", "-i", "localhost,", "site.yml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
