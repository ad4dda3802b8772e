//! A project's ansible.cfg read as ansible-playbook reads it: its inventory, roles
//! path and forks used when no flag says otherwise, the settings machinist does not
//! follow named in warnings, and a world-writable folder's file refused.

mod common;

use common::Test;
use std::os::unix::fs::PermissionsExt;

const PLAYBOOK: &str = "- hosts: web\n  gather_facts: false\n  roles: [shared]\n";

fn project(test: &Test) {
    test.playbook(PLAYBOOK);
    test.project_file(
        "inventory/hosts.ini",
        "[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\n",
    );
    test.project_file(
        "elsewhere/shared/tasks/main.yml",
        "- name: say\n  debug: {msg: \"{{ inventory_hostname }} from the shared role\"}\n",
    );
    test.project_file(
        "ansible.cfg",
        "[defaults]\ninventory = inventory/hosts.ini\nroles_path = elsewhere\nforks = 1\nretry_files_enabled = False\ncallbacks_enabled = profile_tasks\n\n[ssh_connection]\npipelining = True\n",
    );
}

#[test]
fn the_projects_ansible_cfg_gives_inventory_and_roles_path() {
    let test = Test::new();
    project(&test);
    let run = test.machinist(&["run", "site.yml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("\"msg\": \"w1 from the shared role\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"msg\": \"w2 from the shared role\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "[WARNING]: ansible.cfg:6: [defaults] callbacks_enabled is not read by machinist"
        ),
        "{}",
        run.stderr
    );
    // Settings with nothing to do in machinist are no warning.
    assert!(!run.stderr.contains("pipelining"), "{}", run.stderr);
    assert!(!run.stderr.contains("retry_files"), "{}", run.stderr);

    // A flag wins over the file.
    let run = test.machinist(&["run", "site.yml", "-i", "w9,", "-c", "local"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("w1"), "{}", run.stdout);

    // The inventory command reads it too.
    let listed = test.machinist(&["inventory", "--graph"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("w2"), "{}", listed.stdout);
}

#[test]
fn ansible_config_names_the_file_and_a_world_writable_folder_is_not_trusted() {
    let test = Test::new();
    project(&test);
    let project_dir = test.project();
    let cfg = project_dir.join("ansible.cfg");
    let moved = test.outside().join("elsewhere.cfg");
    std::fs::rename(&cfg, &moved).expect("move the file");
    // Relative paths in it are the file's folder's: here, the test's folder.
    std::fs::write(
        &moved,
        "[defaults]\ninventory = project/inventory/hosts.ini\nroles_path = project/elsewhere\n",
    )
    .expect("write");
    let run = test.machinist_env(
        &["run", "site.yml"],
        &[("ANSIBLE_CONFIG", moved.to_str().expect("utf-8"))],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("w1 from the shared role"),
        "{}",
        run.stdout
    );

    // In a world-writable folder, ./ansible.cfg is not read (as Ansible).
    std::fs::rename(&moved, &cfg).expect("move back");
    std::fs::set_permissions(&project_dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let run = test.machinist(&["run", "site.yml"]);
    std::fs::set_permissions(&project_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains("from the shared role"),
        "{}",
        run.stdout
    );
}
