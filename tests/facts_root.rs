//! The facts roles read, gathered from a local root through the real binary: the
//! distribution's version, release, lsb and package manager, the user's entry and the
//! resolver come from the ROOT's files (not this machine's), while processors, memory,
//! uptime and date_time are the kernel's and the clock's; an offline root has no
//! network (empty address lists) and runs no tools (capsh, vgs, lspci: Ansible's
//! answers without them); its release file is its own. Gathering changes nothing, in --check too.

mod common;
use common::Test;

fn facts_play(asserts: &str) -> String {
    format!("- hosts: localhost\n  gather_facts: true\n  tasks:\n    - assert:\n        that:\n{asserts}")
}

fn run_ok(test: &Test, args: &[&str], env: &[(&str, &str)]) {
    let root = test.root();
    let mut full = vec!["run", "site.yml", "--root", root.to_str().expect("utf-8")];
    full.extend_from_slice(args);
    let run = test.machinist_env(&full, env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("changed: ["), "{}", run.stdout);
}

#[test]
fn a_debian_roots_distribution_user_and_resolver() {
    let test = Test::new();
    test.root_file(
        "/etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
         VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n",
    );
    test.root_file("/etc/debian_version", "12.7\n");
    test.root_file("/usr/bin/apt-get", "");
    test.root_file(
        "/etc/passwd",
        "root:x:0:0:Root of the box:/srv/roothome:/bin/zsh\n\
         alice:x:1234:1235:Alice,,,:/home/alice:/bin/fish\n",
    );
    test.root_file(
        "/etc/resolv.conf",
        "nameserver 192.0.2.53\nsearch box.example\noptions ndots:2\n",
    );
    test.playbook(&facts_play(
        "          - ansible_distribution == 'Debian'\n\
         \x20         - ansible_distribution_version == '12.7'\n\
         \x20         - ansible_distribution_major_version == '12'\n\
         \x20         - ansible_distribution_minor_version == '7'\n\
         \x20         - ansible_distribution_release == 'bookworm'\n\
         \x20         - ansible_pkg_mgr == 'apt'\n\
         \x20         - ansible_lsb == {}\n\
         \x20         - ansible_user_id == 'alice'\n\
         \x20         - ansible_user_uid == 1234 and ansible_user_gid == 1235\n\
         \x20         - ansible_user_dir == '/home/alice' and ansible_user_shell == '/bin/fish'\n\
         \x20         - ansible_user_gecos == 'Alice,,,'\n\
         \x20         - ansible_env.USER == 'alice'\n\
         \x20         - \"ansible_dns == {'nameservers': ['192.0.2.53'], 'search': ['box.example'], 'options': {'ndots': '2'}}\"\n\
         \x20         - ansible_facts.dns.nameservers == ['192.0.2.53']\n\
         \x20         - ansible_processor_vcpus > 0 and ansible_memtotal_mb > 0\n\
         \x20         - ansible_uptime_seconds is number\n\
         \x20         - ansible_date_time.year | int >= 2024\n\
         \x20         - ansible_all_ipv4_addresses == [] and ansible_interfaces == []\n\
         \x20         - ansible_default_ipv6 == {} and ansible_mounts == [] and ansible_local == {}\n\
         \x20         - ansible_distribution_file_path == '/etc/os-release'\n\
         \x20         - ansible_distribution_file_variety == 'Debian' and ansible_distribution_file_parsed\n\
         \x20         - ansible_lvm == 'N/A' and ansible_system_capabilities == 'N/A'\n\
         \x20         - ansible_system_capabilities_enforced == 'N/A'\n\
         \x20         - ansible_devices.values() | map(attribute='host') | reject('eq', '') | list == []\n",
    ));
    let as_alice = [("USER", "alice"), ("LOGNAME", "alice")];
    run_ok(&test, &[], &as_alice);
    run_ok(&test, &["--check"], &as_alice);
}

#[test]
fn an_arch_roots_package_manager_and_missing_version() {
    let test = Test::new();
    test.root_file(
        "/etc/os-release",
        "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n",
    );
    test.root_file("/usr/bin/pacman", "");
    // pacman's filesystem package ships it empty: ansible-core's release file then.
    test.root_file("/etc/arch-release", "");
    test.root_file(
        "/etc/lsb-release",
        "DISTRIB_ID=\"Arch\"\nDISTRIB_RELEASE=\"rolling\"\nDISTRIB_DESCRIPTION=\"Arch Linux\"\n",
    );
    test.root_file("/etc/passwd", "root:x:0:0::/root:/usr/bin/bash\n");
    test.playbook(&facts_play(
        "          - ansible_distribution == 'Archlinux'\n\
         \x20         - ansible_pkg_mgr == 'pacman'\n\
         \x20         - ansible_distribution_release == 'NA'\n\
         \x20         - ansible_distribution_version == 'rolling'\n\
         \x20         - ansible_distribution_minor_version is not defined\n\
         \x20         - \"ansible_lsb == {'id': 'Arch', 'release': 'rolling', 'description': 'Arch Linux', 'major_release': 'rolling'}\"\n\
         \x20         - ansible_dns == {}\n\
         \x20         - ansible_distribution_file_path == '/etc/arch-release'\n\
         \x20         - ansible_distribution_file_variety == 'Archlinux'\n\
         \x20         - ansible_distribution_file_parsed is not defined\n\
         \x20         - ansible_user_id == 'nobody-in-this-root'\n\
         \x20         - (ansible_real_user_id == 0) == (ansible_user_dir | default('') == '/root')\n",
    ));
    // A name the root's passwd lacks: its entry is the uid's, as Python's getpwnam
    // failing over to getpwuid.
    let stranger = [
        ("USER", "nobody-in-this-root"),
        ("LOGNAME", "nobody-in-this-root"),
    ];
    run_ok(&test, &[], &stranger);
}
