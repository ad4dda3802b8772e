//! Unit tests of the firstboot module: argument checks, reading what a root has, and
//! the three checks with the real systemd-firstboot on temp roots — the first plan
//! changes, check mode touches no byte yet predicts the files for the next plan, the
//! second plan is ok — with the password nowhere in the plan.

use super::*;
use crate::test_support::{apply, snapshot, Sandbox, TestResult};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

fn args(value: serde_json::Value) -> Args {
    serde_json::from_value(value).unwrap_or_else(|err| panic!("args: {err}"))
}

fn everything() -> Args {
    args(json!({
        "locale": "en_US.UTF-8",
        "keymap": "us",
        "timezone": "Europe/Berlin",
        "hostname": "box",
        "root_password": PASSWORD,
        "machine_id": "0123456789ABCDEF0123456789abcdef",
    }))
}

/// Everything a plan could show: summaries, diffs, message, data, ops' command lines.
fn shown(plan: &Plan) -> String {
    let mut text = format!("{:?} {:?}", plan.msg, plan.data);
    for change in &plan.changes {
        text.push_str(&format!("{} {:?}", change.summary, change.diff));
    }
    text
}

#[test]
fn password_and_hash_together_are_refused() {
    let both = args(json!({"root_password": "a", "root_password_hash": "$6$x$y"}));
    assert!(check_args(&both).is_err());
}

#[test]
fn an_unknown_timezone_is_refused_while_planning() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(true);
    for zone in ["Nowhere/Land", "../../etc/passwd"] {
        let refused = FirstbootModule.plan(&args(json!({"timezone": zone})), &host);
        assert!(
            matches!(&refused, Err(ModuleError::InvalidArgs { field: Some(f), .. }) if f == "timezone"),
            "{zone}: {refused:?}"
        );
    }
    Ok(())
}

#[test]
fn machine_ids_are_normalised_and_checked() -> Result<(), ModuleError> {
    let uuid = args(json!({"machine_id": "01234567-89AB-CDEF-0123-456789ABCDEF"}));
    assert_eq!(
        check_args(&uuid)?.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert!(check_args(&args(json!({"machine_id": "xyz"}))).is_err());
    Ok(())
}

#[test]
fn settings_are_read_from_their_files() {
    assert_eq!(
        current::assignment("# c\nLANG=\"de_DE.UTF-8\"\nLC_TIME=C\n", "LANG").as_deref(),
        Some("de_DE.UTF-8")
    );
    assert_eq!(
        current::zone_of("/usr/share/zoneinfo/Etc/UTC").as_deref(),
        Some("Etc/UTC")
    );
    assert_eq!(current::zone_of("/etc/whatever"), None);
    let shadow = "root:*:20000:0:99999:7:::\nbin:!:20000::::::\n";
    assert_eq!(current::root_hash(shadow), Some("*"));
    assert_eq!(
        current::with_root_hash(Some(shadow), "$6$s$h"),
        "root:$6$s$h:20000:0:99999:7:::\nbin:!:20000::::::\n"
    );
    assert!(current::with_root_hash(None, "$6$s$h").starts_with("root:$6$s$h:"));
}

#[test]
fn three_checks_with_the_real_systemd_firstboot() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/shadow"), "root:*:20000:0:99999:7:::\n")?;
    std::fs::write(
        sandbox.real("/etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\n",
    )?;
    std::fs::write(sandbox.real("/etc/hostname"), "old\n")?;
    let args = everything();

    let before = snapshot(&sandbox.root);
    let checking = sandbox.host(true);
    let predicted = FirstbootModule.plan(&args, &checking)?;
    assert!(predicted.is_changed());
    let text = shown(&predicted);
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains("$6$"), "the hash is shown: {text}");
    assert!(text.contains("root password: changed"), "{text}");
    assert!(text.contains("hostname: old"), "{text}");
    apply(&checking, &predicted)?;
    assert_eq!(
        snapshot(&sandbox.root),
        before,
        "check mode touched the disk"
    );
    let after_check = FirstbootModule.plan(&args, &checking)?;
    assert!(!after_check.is_changed(), "{:?}", after_check.changes);

    let host = sandbox.host(false);
    let first = FirstbootModule.plan(&args, &host)?;
    apply(&host, &first)?;
    let shadow = std::fs::read_to_string(sandbox.real("/etc/shadow"))?;
    let hash = current::root_hash(&shadow).unwrap_or_default();
    assert!(Secret::new(PASSWORD).matches_hash(hash), "{shadow}");
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/hostname"))?,
        "box\n"
    );
    let second = FirstbootModule.plan(&args, &sandbox.host(false))?;
    assert!(!second.is_changed(), "{:?}", second.changes);
    Ok(())
}

#[test]
fn only_the_differing_setting_is_forced() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/hostname"), "old\n")?;
    std::fs::write(sandbox.real("/etc/locale.conf"), "LANG=en_US.UTF-8\n")?;
    let host = sandbox.host(false);
    let wanted = json!({"hostname": "box", "locale": "en_US.UTF-8", "timezone": "Etc/UTC"});
    std::os::unix::fs::symlink(
        "../usr/share/zoneinfo/Etc/UTC",
        sandbox.real("/etc/localtime"),
    )?;
    let plan = FirstbootModule.plan(&args(wanted), &host)?;
    let argv: Vec<String> = plan
        .changes
        .iter()
        .flat_map(|c| &c.ops)
        .find_map(|op| match op {
            Op::Run(spec) => Some(spec.argv.clone()),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(argv[2..], ["--force", "--hostname=box"]);
    Ok(())
}

/// An Arch root gets /etc/locale.conf and /etc/vconsole.conf, a Debian one
/// /etc/default/locale, whatever this controller's systemd-firstboot writes; the
/// keymap and locale never reach systemd-firstboot's command line.
#[test]
fn the_locale_goes_where_the_roots_distribution_reads_it() -> TestResult {
    let cases = [
        ("ID=arch\n", "/etc/locale.conf", "/etc/default/locale"),
        ("ID=debian\n", "/etc/default/locale", "/etc/locale.conf"),
        (
            "ID=ubuntu\nID_LIKE=debian\n",
            "/etc/default/locale",
            "/etc/locale.conf",
        ),
        ("ID=\"fedora\"\n", "/etc/locale.conf", "/etc/default/locale"),
    ];
    for (release, wanted, unwanted) in cases {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/usr/lib"))?;
        std::fs::write(sandbox.real("/usr/lib/os-release"), release)?;
        std::os::unix::fs::symlink("../usr/lib/os-release", sandbox.real("/etc/os-release"))?;
        let settings =
            args(json!({"locale": "de_DE.UTF-8", "keymap": "de-latin1", "hostname": "box"}));
        let host = sandbox.host(false);
        let plan = FirstbootModule.plan(&settings, &host)?;
        let flags = plan
            .data
            .get("cmd")
            .map(|cmd| cmd.to_string())
            .unwrap_or_default();
        assert!(
            !flags.contains("--locale") && !flags.contains("--keymap"),
            "{flags}"
        );
        apply(&host, &plan)?;
        assert_eq!(
            std::fs::read_to_string(sandbox.real(wanted))?,
            "LANG=de_DE.UTF-8\n",
            "{release}"
        );
        assert!(
            !sandbox.real(unwanted).exists(),
            "{release}: {unwanted} written"
        );
        assert_eq!(
            std::fs::read_to_string(sandbox.real("/etc/vconsole.conf"))?,
            "KEYMAP=de-latin1\n"
        );
        assert!(
            !FirstbootModule.plan(&settings, &host)?.is_changed(),
            "{release}"
        );
    }
    Ok(())
}

#[test]
fn os_release_families_decide_the_conventions() {
    use super::conventions::{Conventions, DEFAULT_LOCALE, LOCALE_CONF};
    let locale = |text: &str| Conventions::from_os_release(text).locale_file;
    assert_eq!(locale("ID=arch\nID_LIKE=\"\"\n"), LOCALE_CONF);
    assert_eq!(locale(""), LOCALE_CONF);
    assert_eq!(
        locale("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"),
        DEFAULT_LOCALE
    );
    assert_eq!(locale("ID=debian\n"), DEFAULT_LOCALE);
}

#[test]
fn a_given_hash_is_compared_as_is_and_masked() -> TestResult {
    let sandbox = Sandbox::new()?;
    let hash = "$6$salt$abcdefghijklmnop";
    std::fs::write(
        sandbox.real("/etc/shadow"),
        format!("root:{hash}:1::::::\n"),
    )?;
    let host = sandbox.host(false);
    let same = FirstbootModule.plan(&args(json!({"root_password_hash": hash})), &host)?;
    assert!(!same.is_changed());
    let other = FirstbootModule.plan(&args(json!({"root_password_hash": "$6$x$y"})), &host)?;
    assert!(other.is_changed());
    assert!(!shown(&other).contains("$6$x$y"), "{}", shown(&other));
    Ok(())
}

#[test]
fn locales_enable_lines_and_run_locale_gen_only_on_change() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/locale.gen"), "#en_US.UTF-8 UTF-8\n")?;
    let host = sandbox.host(false);
    let wanted = args(json!({"locales": ["en_US.UTF-8 UTF-8"]}));
    let plan = FirstbootModule.plan(&wanted, &host)?;
    let ops: Vec<&Op> = plan.changes.iter().flat_map(|c| &c.ops).collect();
    assert!(matches!(ops[0], Op::WriteFile { content, .. } if content == b"en_US.UTF-8 UTF-8\n"));
    assert!(
        matches!(ops[1], Op::Run(spec) if spec.argv == ["locale-gen"] && spec.place == Place::Target)
    );
    std::fs::write(sandbox.real("/etc/locale.gen"), "en_US.UTF-8 UTF-8\n")?;
    assert!(!FirstbootModule.plan(&wanted, &host)?.is_changed());
    Ok(())
}

#[test]
fn an_absolute_localtime_link_is_replaced_not_refused() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::os::unix::fs::symlink(
        "/usr/share/zoneinfo/Etc/UTC",
        sandbox.real("/etc/localtime"),
    )?;
    let host = sandbox.host(false);
    let plan = FirstbootModule.plan(&args(json!({"timezone": "Europe/Berlin"})), &host)?;
    apply(&host, &plan)?;
    assert_eq!(
        std::fs::read_link(sandbox.real("/etc/localtime"))?,
        Path::new("../usr/share/zoneinfo/Europe/Berlin")
    );
    Ok(())
}

#[test]
fn an_etc_leading_out_of_the_root_never_writes_out() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::remove_dir(sandbox.real("/etc"))?;
    std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/etc"))?;
    let host = sandbox.host(false);
    let decoy = sandbox.decoy_snapshot();
    // systemd-firstboot runs jailed: the link leads nowhere there, so it fails.
    let plan = FirstbootModule.plan(&args(json!({"hostname": "x"})), &host)?;
    let ops: Vec<Op> = plan.changes.into_iter().flat_map(|c| c.ops).collect();
    let outputs = host.apply(&ops)?;
    assert!(
        outputs.iter().any(|out| out.rc.is_some_and(|rc| rc != 0)),
        "{outputs:?}"
    );
    assert_eq!(sandbox.decoy_snapshot(), decoy);
    Ok(())
}
