//! Tests of ini_file: the text community.general 11's ini_file leaves (each case's
//! expected text is what that module wrote for the same input and arguments), and
//! the module on temp roots with the three checks.

use super::lines::{edit, Wanted};
use super::*;
use crate::test_support::{three_checks, Sandbox, TestResult};
use serde_json::json;

fn wanted<'a>(section: Option<&'a str>, option: Option<&'a str>, values: &[&str]) -> Wanted<'a> {
    Wanted {
        section,
        option,
        values: values.iter().map(|v| Some(v.to_string())).collect(),
        state: State::Present,
        exclusive: true,
        allow_no_value: false,
        no_extra_spaces: false,
        ignore_spaces: false,
        modify_inactive_option: true,
    }
}

fn edited(text: &str, wanted: &Wanted) -> (String, bool, &'static str) {
    let edited = edit(text, wanted).expect("edit");
    (edited.text, edited.changed, edited.msg)
}

#[test]
fn an_option_is_added_after_the_sections_last_setting() {
    let conf = "[options]\nHoldPkg = pacman\n#ParallelDownloads = 5\n\n[core]\nInclude = x\n";
    assert_eq!(
        edited(
            conf,
            &wanted(Some("options"), Some("ParallelDownloads"), &["5"])
        ),
        (
            "[options]\nHoldPkg = pacman\nParallelDownloads = 5\n\n[core]\nInclude = x\n".into(),
            true,
            "option changed"
        )
    );
    let mut active_only = wanted(Some("options"), Some("ParallelDownloads"), &["5"]);
    active_only.modify_inactive_option = false;
    assert_eq!(
        edited(conf, &active_only).0,
        "[options]\nHoldPkg = pacman\nParallelDownloads = 5\n#ParallelDownloads = 5\n\n[core]\nInclude = x\n"
    );
    let done = "[options]\nParallelDownloads = 5\n";
    assert_eq!(
        edited(
            done,
            &wanted(Some("options"), Some("ParallelDownloads"), &["5"])
        ),
        (done.into(), false, "OK")
    );
}

#[test]
fn a_new_file_and_a_new_section_as_community_general_writes_them() {
    assert_eq!(
        edited(
            "",
            &wanted(Some("Service"), Some("LimitNOFILE"), &["65536"])
        ),
        (
            "\n[Service]\nLimitNOFILE = 65536\n".into(),
            true,
            "section and option added"
        )
    );
    assert_eq!(
        edited("", &wanted(None, Some("memory_limit"), &["256M"])),
        ("memory_limit = 256M\n\n".into(), true, "option added")
    );
    let mut tight = wanted(Some("a"), Some("k"), &["v"]);
    tight.no_extra_spaces = true;
    assert_eq!(edited("x = 1", &tight).0, "x = 1\n[a]\nk=v\n");
    let mut section_only = wanted(Some("b"), None, &[]);
    section_only.allow_no_value = true;
    assert_eq!(
        edited("[a]\n", &section_only),
        ("[a]\n[b]\n".into(), true, "only section added")
    );
}

#[test]
fn values_keep_matching_lines_rewrite_others_and_drop_the_rest() {
    let text = "[s]\nk = a\nk = x\nk = y\nk = b\n";
    assert_eq!(
        edited(text, &wanted(Some("s"), Some("k"), &["b", "c", "a"])).0,
        "[s]\nk = a\nk = c\nk = b\n"
    );
    let mut keep_others = wanted(Some("s"), Some("k"), &["z"]);
    keep_others.exclusive = false;
    assert_eq!(
        edited(text, &keep_others).0,
        "[s]\nk = a\nk = x\nk = y\nk = b\nk = z\n"
    );
}

#[test]
fn absent_removes_options_or_the_section() {
    let text = "[s]\nk = a\n#k = old\nk = b\nother = 1\n[t]\nk = c\n";
    let mut gone = wanted(Some("s"), Some("k"), &[]);
    gone.state = State::Absent;
    assert_eq!(
        edited(text, &gone),
        (
            "[s]\n#k = old\nother = 1\n[t]\nk = c\n".into(),
            true,
            "option changed"
        )
    );
    let mut one = wanted(Some("s"), Some("k"), &["b"]);
    one.state = State::Absent;
    one.exclusive = false;
    assert_eq!(
        edited(text, &one).0,
        "[s]\nk = a\n#k = old\nother = 1\n[t]\nk = c\n"
    );
    let mut section = wanted(Some("s"), None, &[]);
    section.state = State::Absent;
    assert_eq!(
        edited(text, &section),
        ("[t]\nk = c\n".into(), true, "section removed")
    );
}

#[test]
fn ignore_spaces_and_allow_no_value() {
    let mut spaced = wanted(Some("s"), Some("k"), &["v"]);
    spaced.ignore_spaces = true;
    assert_eq!(
        edited("[s]\nk=v\n", &spaced),
        ("[s]\nk=v\n".into(), false, "OK")
    );
    assert_eq!(
        edited("[s]\nk=v\n", &wanted(Some("s"), Some("k"), &["v"])).0,
        "[s]\nk = v\n"
    );
    let mut bare = wanted(Some("mysqld"), Some("skip-name-resolve"), &[]);
    bare.allow_no_value = true;
    assert_eq!(
        edited("[mysqld]\nport = 3306\n", &bare).0,
        "[mysqld]\nport = 3306\nskip-name-resolve\n"
    );
    assert_eq!(
        edited("[mysqld]\nskip-name-resolve\n", &bare),
        ("[mysqld]\nskip-name-resolve\n".into(), false, "OK")
    );
}

#[test]
fn the_module_passes_the_three_checks_and_reports_as_ansible() -> TestResult {
    let args = json!({
        "path": "/etc/pacman.conf",
        "section": "options",
        "option": "ParallelDownloads",
        "value": 5,
        "mode": "0644",
        "backup": true,
    });
    let (sandbox, first) = three_checks(
        &IniFileModule,
        |sandbox| {
            std::fs::write(
                sandbox.real("/etc/pacman.conf"),
                "[options]\r\nHoldPkg = pacman\r\n",
            )?;
            Ok(())
        },
        args,
    )?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/pacman.conf"))?,
        "[options]\nHoldPkg = pacman\nParallelDownloads = 5\n"
    );
    assert_eq!(first.msg.as_deref(), Some("option added"));
    assert_eq!(first.data["path"], "/etc/pacman.conf");
    assert!(first.data["backup_file"]
        .as_str()
        .is_some_and(|b| b.starts_with("/etc/pacman.conf.")));
    Ok(())
}

#[test]
fn missing_files_and_bad_arguments_fail_as_ansible() -> TestResult {
    use crate::test_support::plan_with;
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let missing = json!({"path": "/etc/none.ini", "section": "a", "option": "b", "value": "c", "create": false});
    assert_eq!(
        plan_with(&IniFileModule, &host, missing)
            .err()
            .map(|e| e.to_string()),
        Some("Destination /etc/none.ini does not exist!".into())
    );
    let no_value = json!({"path": "/etc/x.ini", "section": "a", "option": "b"});
    assert!(plan_with(&IniFileModule, &host, no_value).is_err());
    let both = json!({"path": "/etc/x.ini", "option": "b", "value": "c", "values": ["d"]});
    assert!(plan_with(&IniFileModule, &host, both).is_err());
    let nothing = json!({"path": "/etc/x.ini", "section": "a", "state": "absent", "mode": "0600"});
    let plan = plan_with(&IniFileModule, &host, nothing)?;
    assert!(!plan.is_changed());
    Ok(())
}
