//! Tests of git's pure parts: ssh's command line, HEAD files, paths, and the result of
//! a real run. The module is tested end to end in tests/git_module.rs against
//! repositories made by the test.

use super::remote::head_splitter;
use super::*;

fn args(yaml: serde_json::Value) -> Args {
    serde_json::from_value(yaml).expect("args")
}

#[test]
fn ssh_gets_ansibles_options() {
    let plain = args(serde_json::json!({"repo": "x", "dest": "/d"}));
    assert_eq!(ssh_options(&plain), " -o BatchMode=yes");
    let keyed = args(serde_json::json!({
        "repo": "x", "dest": "/d", "key_file": "/root/.ssh/deploy", "accept_hostkey": true,
    }));
    assert_eq!(
        ssh_options(&keyed),
        " -o StrictHostKeyChecking=no -o BatchMode=yes  -i /root/.ssh/deploy -o IdentitiesOnly=yes"
    );
    let opts = args(serde_json::json!({
        "repo": "x", "dest": "/d", "ssh_opts": "-o Port=2222", "accept_newhostkey": true,
    }));
    assert_eq!(
        ssh_options(&opts),
        " -o Port=2222 -o StrictHostKeyChecking=accept-new -o BatchMode=yes"
    );
}

#[test]
fn head_files_name_their_branch() {
    assert_eq!(head_splitter("ref: refs/heads/main\n", "origin"), "main");
    assert_eq!(
        head_splitter("ref: refs/heads/feature/x\n", "origin"),
        "feature/x"
    );
    assert_eq!(
        head_splitter("ref: refs/remotes/origin/dev\n", "origin"),
        "dev"
    );
}

#[test]
fn dest_is_made_absolute_and_normal() {
    assert_eq!(absolute("srv/app/../repo/"), PathBuf::from("/srv/repo"));
    assert_eq!(absolute("/../../etc"), PathBuf::from("/etc"));
}

#[test]
fn what_is_not_done_is_refused() {
    for extra in [
        serde_json::json!({"archive": "/tmp/a.zip"}),
        serde_json::json!({"verify_commit": true}),
        serde_json::json!({"track_submodules": true}),
        serde_json::json!({"separate_git_dir": "/x"}),
        serde_json::json!({"accept_hostkey": true, "accept_newhostkey": true}),
        serde_json::json!({"version": "--upload-pack=touch /x"}),
    ] {
        let mut given = serde_json::json!({"repo": "x", "dest": "/d"});
        for (key, value) in extra.as_object().expect("object") {
            given[key] = value.clone();
        }
        assert!(
            matches!(
                refuse_unsupported(&args(given.clone())),
                Err(ModuleError::InvalidArgs { .. })
            ),
            "{given}"
        );
    }
}

#[test]
fn a_real_run_registers_what_rev_parse_printed() {
    let step = |words: &[&str]| {
        Op::Run(RunSpec {
            argv: words.iter().map(|word| word.to_string()).collect(),
            ..RunSpec::default()
        })
    };
    let ops = vec![
        step(&["git", "clone", "--", "file:///r", "/d"]),
        step(&["git", "-C", "/d", "rev-parse", "HEAD"]),
    ];
    let ran = |rc: i32| OpOutput {
        rc: Some(rc),
        stdout: "0123\n".into(),
        stderr: String::new(),
    };
    assert_eq!(
        after_of_run(&ops, &[ran(0), ran(0)]).as_deref(),
        Some("0123")
    );
    assert_eq!(after_of_run(&ops, &[ran(128), OpOutput::default()]), None);
    let failed = OpOutput {
        rc: Some(128),
        stdout: String::new(),
        stderr: "fatal: repository not found\n".into(),
    };
    let Op::Run(clone) = &ops[0] else {
        unreachable!()
    };
    assert_eq!(
        failure(clone, &failed),
        "Failed to run git clone: fatal: repository not found"
    );
}
