//! Tests of the `file` module against temp roots. Every state gets the three checks:
//! the first plan+apply is `changed`, the second plan is `ok`, and in check mode
//! applying changes no byte on disk while a second plan on the same host sees the
//! overlay and is `ok`.

use super::*;
use crate::test_support::{apply, Sandbox, TestResult};
use crate::Diff;
use serde_json::{json, Value};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

fn plan(host: &Host, args: &Value) -> Result<Plan, ModuleError> {
    crate::test_support::plan_with(&FileModule, host, args.clone())
}

/// The three checks (see `test_support::three_checks`).
fn three_checks(
    setup: fn(&Sandbox) -> TestResult,
    args: Value,
) -> Result<(Sandbox, Plan), Box<dyn std::error::Error>> {
    crate::test_support::three_checks(&FileModule, setup, args)
}

fn nothing(_: &Sandbox) -> TestResult {
    Ok(())
}

fn mode_of(path: &std::path::Path) -> Result<u32, std::io::Error> {
    Ok(std::fs::symlink_metadata(path)?.mode() & 0o7777)
}

fn diffs(plan: &Plan) -> Vec<&Diff> {
    plan.changes
        .iter()
        .filter_map(|change| change.diff.as_ref())
        .collect()
}

fn error_of(result: Result<Plan, ModuleError>) -> String {
    match result {
        Ok(plan) => format!("unexpected plan: {:?}", plan.changes),
        Err(err) => err.to_string(),
    }
}

#[test]
fn content_creates_a_file() -> TestResult {
    let (sandbox, first) = three_checks(
        nothing,
        json!({"path": "/etc/hostname", "content": "box\n"}),
    )?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/hostname"))?,
        "box\n"
    );
    assert_eq!(mode_of(&sandbox.real("/etc/hostname"))?, 0o644);
    // A new file has no `before` header, as Ansible's copy and template.
    assert_eq!(
        diffs(&first),
        [&Diff {
            before_header: String::new(),
            ..Diff::of_path("/etc/hostname", "", "box\n")
        }]
    );
    // Written: its MD5, as Ansible's copy module registers it.
    assert_eq!(first.data["md5sum"], "19a86833023ec6d40d08fad62097ae5b");
    assert_eq!(first.data["state"], "file");
    assert_eq!(first.data["mode"], "0644");
    assert_eq!(first.data["size"], 4);
    assert_eq!(first.data["dest"], "/etc/hostname");
    Ok(())
}

fn old_hosts(sandbox: &Sandbox) -> TestResult {
    std::fs::write(sandbox.real("/etc/hosts"), "old\n")?;
    std::fs::set_permissions(
        sandbox.real("/etc/hosts"),
        std::fs::Permissions::from_mode(0o640),
    )?;
    Ok(())
}

#[test]
fn content_replaces_a_file_keeping_its_mode_with_a_backup() -> TestResult {
    let args = json!({"path": "/etc/hosts", "content": "new\n", "backup": true});
    let (sandbox, first) = three_checks(old_hosts, args)?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/hosts"))?,
        "new\n"
    );
    assert_eq!(mode_of(&sandbox.real("/etc/hosts"))?, 0o640);
    assert_eq!(
        diffs(&first),
        [&Diff::of_path("/etc/hosts", "old\n", "new\n")]
    );
    let backup = first.data["backup_file"].as_str().ok_or("no backup_file")?;
    assert!(
        backup.starts_with("/etc/hosts.") && backup.ends_with('~'),
        "{backup}"
    );
    assert_eq!(std::fs::read_to_string(sandbox.real(backup))?, "old\n");
    assert_eq!(mode_of(&sandbox.real(backup))?, 0o640);
    Ok(())
}

#[test]
fn force_false_only_creates_missing_files() -> TestResult {
    let sandbox = Sandbox::new()?;
    old_hosts(&sandbox)?;
    let host = sandbox.host(false);
    let kept = plan(
        &host,
        &json!({"path": "/etc/hosts", "content": "new\n", "force": false}),
    )?;
    assert!(!kept.is_changed());
    let made = plan(
        &host,
        &json!({"path": "/etc/other", "content": "x", "force": false}),
    )?;
    assert!(made.is_changed());
    Ok(())
}

#[test]
fn mode_of_an_existing_file() -> TestResult {
    let (sandbox, first) =
        three_checks(old_hosts, json!({"path": "/etc/hosts", "mode": "u=rw,go="}))?;
    assert_eq!(mode_of(&sandbox.real("/etc/hosts"))?, 0o600);
    assert_eq!(
        diffs(&first),
        [&Diff::of_path("/etc/hosts", "mode: 0640\n", "mode: 0600\n")]
    );
    assert_eq!(first.changes[0].summary, "/etc/hosts: mode 0640 -> 0600");
    Ok(())
}

fn with_users(sandbox: &Sandbox) -> TestResult {
    std::fs::write(
        sandbox.real("/etc/passwd"),
        "root:x:0:0::/root:/bin/sh\nhttp:x:33:33::/srv/http:/bin/false\n",
    )?;
    std::fs::write(
        sandbox.real("/etc/group"),
        "root:x:0:\nhttp:x:33:\nlog:x:19:\n",
    )?;
    std::os::unix::fs::chown(sandbox.real("/etc/passwd"), Some(0), Some(0))?;
    std::fs::create_dir(sandbox.real("/srv"))?;
    std::os::unix::fs::chown(sandbox.real("/srv"), Some(0), Some(0))?;
    Ok(())
}

#[test]
fn owner_and_group_by_name_from_the_target() -> TestResult {
    let args = json!({"path": "/srv", "owner": "http", "group": "log"});
    let (sandbox, first) = three_checks(with_users, args)?;
    let meta = std::fs::metadata(sandbox.real("/srv"))?;
    assert_eq!((meta.uid(), meta.gid()), (33, 19));
    let expected = Diff::of_path(
        "/srv",
        "owner: root\ngroup: root\n",
        "owner: http\ngroup: log\n",
    );
    assert_eq!(diffs(&first), [&expected]);
    assert_eq!(
        (first.data["owner"].clone(), first.data["uid"].clone()),
        (json!("http"), json!(33))
    );
    let host = sandbox.host(false);
    let unknown = plan(&host, &json!({"path": "/srv", "owner": "nobody"}));
    assert!(error_of(unknown).contains("owner 'nobody' does not exist in the target's /etc/passwd"));
    Ok(())
}

#[test]
fn content_needs_an_existing_parent_directory() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let missing = plan(&host, &json!({"path": "/nope/file", "content": "x"}));
    assert_eq!(
        error_of(missing),
        "Destination directory /nope does not exist"
    );
    // In check mode, a directory made by an earlier task counts.
    let host = sandbox.host(true);
    apply(
        &host,
        &plan(&host, &json!({"path": "/nope", "state": "directory"}))?,
    )?;
    assert!(plan(&host, &json!({"path": "/nope/file", "content": "x"}))?.is_changed());
    Ok(())
}

fn resolv_link(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/run/systemd/resolve"))?;
    symlink(
        "/run/systemd/resolve/stub-resolv.conf",
        sandbox.real("/etc/resolv.conf"),
    )?;
    Ok(())
}

#[test]
fn content_through_an_absolute_symlink_stays_in_the_root() -> TestResult {
    let args = json!({"path": "/etc/resolv.conf", "content": "nameserver 9.9.9.9\n"});
    let (sandbox, _) = three_checks(resolv_link, args)?;
    let written = std::fs::read_to_string(sandbox.real("/run/systemd/resolve/stub-resolv.conf"))?;
    assert_eq!(written, "nameserver 9.9.9.9\n");
    assert!(std::fs::symlink_metadata(sandbox.real("/etc/resolv.conf"))?
        .file_type()
        .is_symlink());
    Ok(())
}

#[test]
fn content_with_follow_false_replaces_the_link() -> TestResult {
    let args =
        json!({"path": "/etc/resolv.conf", "content": "nameserver 9.9.9.9\n", "follow": false});
    let (sandbox, _) = three_checks(resolv_link, args)?;
    assert!(std::fs::symlink_metadata(sandbox.real("/etc/resolv.conf"))?.is_file());
    assert!(!sandbox
        .real("/run/systemd/resolve/stub-resolv.conf")
        .exists());
    Ok(())
}

#[test]
fn binary_content_before_is_summarised() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/blob"), [0xff, 0x00, 0xfe])?;
    let host = sandbox.host(false);
    let first = plan(&host, &json!({"path": "/etc/blob", "content": "text\n"}))?;
    let diff = diffs(&first)[0];
    assert!(
        diff.before.starts_with("(binary, 3 bytes, sha256 "),
        "{}",
        diff.before
    );
    Ok(())
}

#[test]
fn directories_are_made_with_every_missing_parent() -> TestResult {
    let args = json!({"path": "/srv/www/htdocs", "state": "directory", "mode": "0750"});
    let (sandbox, first) = three_checks(nothing, args)?;
    assert_eq!(mode_of(&sandbox.real("/srv"))?, 0o755);
    assert_eq!(mode_of(&sandbox.real("/srv/www"))?, 0o755);
    assert_eq!(mode_of(&sandbox.real("/srv/www/htdocs"))?, 0o750);
    let expected = Diff::of_path(
        "/srv/www/htdocs",
        "state: absent\n",
        "state: directory\nmode: 0750\n",
    );
    assert_eq!(diffs(&first), [&expected]);
    assert_eq!(first.data["state"], "directory");
    Ok(())
}

fn private_tree(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/srv/site/css"))?;
    std::fs::write(sandbox.real("/srv/site/index.html"), "hi")?;
    std::fs::write(sandbox.real("/srv/site/run.sh"), "#!/bin/sh")?;
    symlink("index.html", sandbox.real("/srv/site/home.html"))?;
    let modes = [
        ("/srv/site", 0o700),
        ("/srv/site/css", 0o700),
        ("/srv/site/index.html", 0o600),
        ("/srv/site/run.sh", 0o700),
    ];
    for (path, mode) in modes {
        std::fs::set_permissions(sandbox.real(path), std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[test]
fn recurse_applies_symbolic_modes_below() -> TestResult {
    let args =
        json!({"path": "/srv/site", "state": "directory", "recurse": true, "mode": "u=rwX,go=rX"});
    let (sandbox, first) = three_checks(private_tree, args)?;
    assert_eq!(mode_of(&sandbox.real("/srv/site"))?, 0o755);
    assert_eq!(mode_of(&sandbox.real("/srv/site/css"))?, 0o755);
    assert_eq!(mode_of(&sandbox.real("/srv/site/index.html"))?, 0o644);
    assert_eq!(mode_of(&sandbox.real("/srv/site/run.sh"))?, 0o755);
    assert_eq!(first.changes.len(), 4);
    Ok(())
}

#[test]
fn directory_over_a_file_is_an_error() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/file"), "x")?;
    let host = sandbox.host(false);
    let result = plan(
        &host,
        &json!({"path": "/etc/file/sub", "state": "directory"}),
    );
    assert!(error_of(result).contains("/etc/file exists and is not a directory"));
    Ok(())
}

fn zoneinfo(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/usr/share/zoneinfo"))?;
    std::fs::write(sandbox.real("/usr/share/zoneinfo/UTC"), "TZif")?;
    std::fs::write(sandbox.real("/usr/share/zoneinfo/CET"), "TZif")?;
    Ok(())
}

#[test]
fn links_are_made() -> TestResult {
    let args = json!({"path": "/etc/localtime", "state": "link", "src": "/usr/share/zoneinfo/UTC"});
    let (sandbox, first) = three_checks(zoneinfo, args)?;
    assert_eq!(
        std::fs::read_link(sandbox.real("/etc/localtime"))?,
        std::path::Path::new("/usr/share/zoneinfo/UTC")
    );
    let expected = Diff::of_path(
        "/etc/localtime",
        "state: absent\n",
        "state: link\nsrc: /usr/share/zoneinfo/UTC\n",
    );
    assert_eq!(diffs(&first), [&expected]);
    assert_eq!(first.data["src"], "/usr/share/zoneinfo/UTC");
    Ok(())
}

fn wrong_link(sandbox: &Sandbox) -> TestResult {
    zoneinfo(sandbox)?;
    symlink("../usr/share/zoneinfo/CET", sandbox.real("/etc/localtime"))?;
    Ok(())
}

#[test]
fn wrong_links_are_replaced_and_relative_targets_kept_verbatim() -> TestResult {
    let args =
        json!({"path": "/etc/localtime", "state": "link", "src": "../usr/share/zoneinfo/UTC"});
    let (sandbox, first) = three_checks(wrong_link, args)?;
    assert_eq!(
        std::fs::read_link(sandbox.real("/etc/localtime"))?,
        std::path::Path::new("../usr/share/zoneinfo/UTC")
    );
    assert_eq!(
        diffs(&first)[0].before,
        "state: link\nsrc: ../usr/share/zoneinfo/CET\n"
    );
    Ok(())
}

fn file_in_the_way(sandbox: &Sandbox) -> TestResult {
    zoneinfo(sandbox)?;
    std::fs::write(sandbox.real("/etc/localtime"), "old")?;
    Ok(())
}

#[test]
fn a_file_becomes_a_link_only_with_force() -> TestResult {
    let sandbox = Sandbox::new()?;
    file_in_the_way(&sandbox)?;
    let host = sandbox.host(false);
    let refused = plan(
        &host,
        &json!({"path": "/etc/localtime", "state": "link", "src": "/usr/share/zoneinfo/UTC"}),
    );
    let message = error_of(refused);
    assert!(
        message.contains("refusing to convert from file to symlink for /etc/localtime"),
        "{message}"
    );
    let args = json!({"path": "/etc/localtime", "state": "link", "src": "/usr/share/zoneinfo/UTC", "force": true});
    three_checks(file_in_the_way, args)?;
    Ok(())
}

#[test]
fn a_dangling_link_needs_force() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let args = json!({"path": "/etc/resolv.conf", "state": "link", "src": "/run/systemd/resolve/stub-resolv.conf"});
    let message = error_of(plan(&host, &args));
    assert!(message.contains("use force: true"), "{message}");
    let args = json!({"path": "/etc/resolv.conf", "state": "link", "src": "/run/systemd/resolve/stub-resolv.conf", "force": true});
    three_checks(nothing, args)?;
    Ok(())
}

fn empty_dir_in_the_way(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir(sandbox.real("/etc/conf.d"))?;
    Ok(())
}

#[test]
fn an_empty_directory_becomes_a_link_with_force() -> TestResult {
    let args = json!({"path": "/etc/conf.d", "state": "link", "src": "/nowhere", "force": true});
    let (sandbox, _) = three_checks(empty_dir_in_the_way, args)?;
    assert!(std::fs::symlink_metadata(sandbox.real("/etc/conf.d"))?
        .file_type()
        .is_symlink());
    Ok(())
}

fn one_file(sandbox: &Sandbox) -> TestResult {
    std::fs::write(sandbox.real("/etc/original"), "data")?;
    Ok(())
}

#[test]
fn hard_links_are_made() -> TestResult {
    let args = json!({"path": "/etc/copy", "state": "hard", "src": "/etc/original"});
    let (sandbox, first) = three_checks(one_file, args)?;
    let original = std::fs::metadata(sandbox.real("/etc/original"))?;
    let copy = std::fs::metadata(sandbox.real("/etc/copy"))?;
    assert_eq!(original.ino(), copy.ino());
    assert_eq!(first.data["state"], "hard");
    let host = sandbox.host(false);
    let missing = plan(
        &host,
        &json!({"path": "/etc/x", "state": "hard", "src": "/etc/none"}),
    );
    assert_eq!(error_of(missing), "src file /etc/none does not exist");
    Ok(())
}

fn a_tree(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/srv/a/b"))?;
    std::fs::write(sandbox.real("/srv/a/b/f"), "x")?;
    symlink(&sandbox.decoy, sandbox.real("/srv/a/out"))?;
    Ok(())
}

#[test]
fn absent_removes_trees_without_following_links() -> TestResult {
    let (sandbox, first) = three_checks(a_tree, json!({"path": "/srv/a", "state": "absent"}))?;
    assert!(!sandbox.real("/srv/a").exists());
    assert!(sandbox.decoy.join("secret").exists());
    let expected = Diff::of_path("/srv/a", "state: directory\n", "state: absent\n");
    assert_eq!(diffs(&first), [&expected]);
    let host = sandbox.host(false);
    assert!(!plan(&host, &json!({"path": "/srv/a", "state": "absent"}))?.is_changed());
    Ok(())
}

#[test]
fn touch_creates_once() -> TestResult {
    let args = json!({"path": "/etc/flag", "state": "touch", "mode": "0600"});
    let (sandbox, first) = three_checks(nothing, args)?;
    assert_eq!(std::fs::read(sandbox.real("/etc/flag"))?, b"");
    assert_eq!(mode_of(&sandbox.real("/etc/flag"))?, 0o600);
    assert_eq!(
        diffs(&first),
        [&Diff::of_path(
            "/etc/flag",
            "state: absent\n",
            "state: file\n"
        )]
    );
    Ok(())
}

#[test]
fn state_is_inferred_from_the_path() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    assert_eq!(
        error_of(plan(&host, &json!({"path": "/x"}))),
        "path /x does not exist; give content, or state=touch/directory"
    );
    let dir = plan(&host, &json!({"path": "/etc", "mode": "0700"}))?;
    assert_eq!(dir.data["state"], "directory");
    Ok(())
}

#[test]
fn unresolved_sources_and_misplaced_arguments_are_refused() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let template = plan(&host, &json!({"path": "/etc/x", "template": "x.j2"}));
    assert!(error_of(template).contains("rendered by the runner"));
    let src = plan(
        &host,
        &json!({"path": "/etc/x", "src": "x.conf", "state": "file"}),
    );
    assert!(error_of(src).contains("read by the runner into content"));
    let content = plan(
        &host,
        &json!({"path": "/etc/x", "content": "x", "state": "directory"}),
    );
    assert!(error_of(content).contains("content is only used with state=file"));
    let number = plan(&host, &json!({"path": "/etc", "mode": 755}));
    assert!(error_of(number).starts_with("mode 755 is a number"));
    Ok(())
}

#[test]
fn touch_with_a_timestamp_three_checks() -> TestResult {
    let (sandbox, _) = three_checks(
        nothing,
        json!({"path": "/etc/stamp", "state": "touch", "modification_time": "202001020304.05",
               "access_time": "2020-01-02", "access_time_format": "%Y-%m-%d"}),
    )?;
    let meta = std::fs::metadata(sandbox.real("/etc/stamp"))?;
    assert_eq!(meta.mtime(), 1_577_934_245);
    assert_eq!(meta.atime(), 1_577_923_200);
    Ok(())
}

#[test]
fn an_existing_directory_gets_its_time_and_keeps_it() -> TestResult {
    let (sandbox, first) = three_checks(
        |sandbox| Ok(std::fs::create_dir(sandbox.real("/etc/d"))?),
        json!({"path": "/etc/d", "state": "directory", "modification_time": "197001010000.10"}),
    )?;
    assert_eq!(std::fs::metadata(sandbox.real("/etc/d"))?.mtime(), 10);
    assert!(matches!(
        first.changes[0].ops[0],
        crate::Op::SetTimes { atime: None, .. }
    ));
    Ok(())
}

#[test]
fn now_changes_every_time_and_links_refuse_times() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), "x")?;
    let host = sandbox.host(false);
    let args = json!({"path": "/etc/f", "state": "file", "modification_time": "now"});
    let first = plan(&host, &args)?;
    apply(&host, &first)?;
    assert!(plan(&host, &args)?.is_changed());
    let preserved = json!({"path": "/etc/f", "state": "touch", "modification_time": "preserve"});
    assert!(!plan(&host, &preserved)?.is_changed());
    let link =
        json!({"path": "/etc/l", "state": "link", "src": "/etc/f", "modification_time": "now"});
    assert!(error_of(plan(&host, &link)).contains("not supported with state=link"));
    let bad = json!({"path": "/etc/f", "modification_time": "yesterday"});
    assert!(error_of(plan(&host, &bad)).contains("Error while obtaining timestamp"));
    Ok(())
}

#[test]
fn validate_checks_copied_content_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/bin"))?;
    crate::test_support::copy_executable(
        std::path::Path::new("/bin/busybox"),
        &sandbox.real("/bin/busybox"),
    )?;
    symlink("busybox", sandbox.real("/bin/grep"))?;
    std::fs::write(sandbox.real("/etc/sudoers"), "old\n")?;
    let host = sandbox.host(false);
    let refused =
        json!({"path": "/etc/sudoers", "content": "bad\n", "validate": "/bin/grep -q good %s"});
    let first = plan(&host, &refused)?;
    let err = apply(&host, &first).err().map(|err| err.to_string());
    let err = err.unwrap_or_default();
    assert!(err.starts_with("failed to validate: rc:1"), "{err}");
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/sudoers"))?,
        "old\n"
    );
    let accepted =
        json!({"path": "/etc/sudoers", "content": "good\n", "validate": "/bin/grep -q good %s"});
    apply(&host, &plan(&host, &accepted)?)?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/sudoers"))?,
        "good\n"
    );
    let without_content = json!({"path": "/etc/sudoers", "validate": "true %s"});
    assert!(error_of(plan(&host, &without_content)).contains("validate checks new content"));
    Ok(())
}
