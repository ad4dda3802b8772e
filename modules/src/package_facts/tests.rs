//! Tests of package_facts on temp roots: a dpkg database, a pacman database, both
//! (strategy first and all), none, and the managers Ansible has and this does not.

use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use serde_json::json;

fn with_program(sandbox: &Sandbox, path: &str) -> TestResult {
    let real = sandbox.real(path);
    std::fs::create_dir_all(real.parent().ok_or("a parent")?)?;
    std::fs::write(real, "")?;
    Ok(())
}

fn dpkg_root(sandbox: &Sandbox) -> TestResult {
    with_program(sandbox, "/usr/bin/apt-get")?;
    std::fs::create_dir_all(sandbox.real("/var/lib/dpkg"))?;
    std::fs::write(
        sandbox.real("/var/lib/dpkg/status"),
        "Package: dpkg\nStatus: install ok installed\nSection: admin\nArchitecture: amd64\nVersion: 1.21.22\n",
    )?;
    Ok(())
}

fn pacman_root(sandbox: &Sandbox) -> TestResult {
    with_program(sandbox, "/usr/bin/pacman")?;
    let dir = sandbox.real("/var/lib/pacman/local/bash-5.2-1");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("desc"),
        "%NAME%\nbash\n\n%VERSION%\n5.2-1\n\n%ARCH%\nx86_64\n\n%PROVIDES%\nsh\n\n",
    )?;
    std::fs::write(sandbox.real("/var/lib/pacman/local/ALPM_DB_VERSION"), "9\n")?;
    Ok(())
}

#[test]
fn auto_reads_the_first_manager_the_target_has() -> TestResult {
    let sandbox = Sandbox::new()?;
    dpkg_root(&sandbox)?;
    pacman_root(&sandbox)?;
    let host = sandbox.host(false);
    let plan = plan_with(&PackageFactsModule, &host, json!({}))?;
    assert!(!plan.is_changed());
    assert_eq!(
        plan.data["ansible_facts"]["packages"],
        json!({"dpkg": [{"name": "dpkg", "version": "1.21.22", "arch": "amd64", "category": "admin", "source": "apt", "origin": ""}]})
    );
    let all = plan_with(&PackageFactsModule, &host, json!({"strategy": "all"}))?;
    let packages = &all.data["ansible_facts"]["packages"];
    assert_eq!(packages["bash"][0]["provides"], json!(["sh"]));
    assert_eq!(packages["dpkg"][0]["source"], "apt");
    let pacman = plan_with(&PackageFactsModule, &host, json!({"manager": "pacman"}))?;
    assert_eq!(
        pacman.data["ansible_facts"]["packages"]["bash"],
        json!([{"name": "bash", "version": "5.2-1", "arch": "x86_64", "provides": ["sh"], "source": "pacman"}])
    );
    Ok(())
}

#[test]
fn no_manager_unknown_ones_and_unread_ones_fail_as_said() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let none = plan_with(&PackageFactsModule, &host, json!({})).err();
    assert!(none
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("Could not detect a supported package manager"));
    let unknown = plan_with(&PackageFactsModule, &host, json!({"manager": "brew"})).err();
    assert_eq!(
        unknown.map(|e| e.to_string()),
        Some("Unsupported package managers requested: brew".into())
    );
    with_program(&sandbox, "/usr/bin/rpm")?;
    let host = sandbox.host(false);
    let rpm = plan_with(&PackageFactsModule, &host, json!({"manager": "dnf"})).err();
    assert!(matches!(rpm, Some(ModuleError::Refused(_))), "{rpm:?}");
    Ok(())
}

#[test]
fn apts_lists_give_the_archives_section_and_origin() -> TestResult {
    let sandbox = Sandbox::new()?;
    dpkg_root(&sandbox)?;
    let lists = sandbox.real("/var/lib/apt/lists");
    std::fs::create_dir_all(&lists)?;
    std::fs::write(
        lists.join("deb.example.org_debian_dists_stable_InRelease"),
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Example\nSuite: stable\n",
    )?;
    let packages = "Package: dpkg\nVersion: 1.21.22\nArchitecture: amd64\nSection: utils\n\n\
        Package: dpkg\nVersion: 1.0\nArchitecture: amd64\nSection: old\n";
    let mut compressed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut compressed, packages.as_bytes())?;
    std::fs::write(
        lists.join("deb.example.org_debian_dists_stable_main_binary-amd64_Packages.gz"),
        compressed.finish()?,
    )?;
    let host = sandbox.host(false);
    let plan = plan_with(&PackageFactsModule, &host, json!({"manager": "apt"}))?;
    let dpkg = &plan.data["ansible_facts"]["packages"]["dpkg"][0];
    assert_eq!(
        (dpkg["category"].as_str(), dpkg["origin"].as_str()),
        (Some("utils"), Some("Example"))
    );
    Ok(())
}
