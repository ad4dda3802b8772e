//! Permissions (issue 7), proven on the system calls themselves (strace, installed by
//! .ci/run): a file is created with no permission bit beyond the requested mode,
//! under umask 0 too (never world-readable for a moment); its owner and group are set
//! before its mode (chown clears setuid), both before the rename that makes it
//! visible; a directory is created with no more than its mode and then given exactly
//! that mode, so neither umask 0 nor a setgid parent loosens it; and the final modes
//! and owners are exact, setuid included.

mod common;

use common::Test;
use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;

/// What the playbook asks for: (path in the root, mode, owner uid).
const WANTED: &[(&str, u32, u32)] = &[
    ("/srv/secret", 0o600, 4242),
    ("/srv/suid", 0o4755, 4242),
    ("/srv/rendered", 0o640, 0),
    ("/srv/private/keys", 0o700, 4242),
    ("/srv/touched", 0o4750, 4242),
];

const PLAYBOOK: &str = r##"- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {dest: /srv/secret, content: "s\n", mode: "0600", owner: "4242", group: "4242"}
    - copy: {dest: /srv/suid, content: "#!/bin/sh\n", mode: "04755", owner: "4242"}
    - template: {src: t.j2, dest: /srv/rendered, mode: "u=rw,g=r,o="}
    - file: {path: /srv/private/keys, state: directory, mode: "0700", owner: "4242"}
    - file: {path: /srv/touched, state: touch, mode: "04750", owner: "4242"}
"##;

/// One traced system call: its name, arguments (as strace prints them) and result.
#[derive(Debug)]
struct Call {
    name: String,
    args: Vec<String>,
    result: String,
}

fn parse(trace: &str) -> Vec<Call> {
    let line = regex::Regex::new(r"^\d+\s+(\w+)\((.*)\)\s+=\s+(-?\w+)").expect("regex");
    trace
        .lines()
        .filter_map(|text| {
            let found = line.captures(text)?;
            Some(Call {
                name: found[1].to_string(),
                args: split_args(&found[2]),
                result: found[3].to_string(),
            })
        })
        .collect()
}

/// strace's argument list, split at the top-level commas (`{…}` kept whole).
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let (mut depth, mut quoted, mut current) = (0, false, String::new());
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                args.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    args.push(current.trim().to_string());
    args
}

fn octal(text: &str) -> u32 {
    u32::from_str_radix(text.trim_start_matches("0o"), 8).unwrap_or(u32::MAX)
}

fn unquote(text: &str) -> &str {
    text.trim_matches('"')
}

/// The final name a temp file (`.NAME.machinist-PID-N~`) or a plain name stands for.
fn final_name(name: &str) -> String {
    match name
        .strip_prefix('.')
        .and_then(|rest| rest.split(".machinist-").next())
    {
        Some(stem) if name.ends_with('~') => stem.to_string(),
        _ => name.to_string(),
    }
}

#[test]
fn modes_and_owners_are_right_from_the_first_byte() {
    assert!(
        Command::new("strace").arg("-V").output().is_ok(),
        "strace is missing: install it (scripts/test does)"
    );
    let test = Test::new();
    test.project_file("templates/t.j2", "x\n")
        .playbook(PLAYBOOK);
    std::fs::create_dir_all(test.root().join("srv")).expect("srv");
    // A setgid parent: a new directory inherits the bit unless its mode is set exactly.
    std::fs::set_permissions(
        test.root().join("srv"),
        std::fs::Permissions::from_mode(0o2775),
    )
    .expect("chmod");
    let trace = test.outside().join("trace");
    let root = test.root();
    let status = Command::new("sh")
        .args([
            "-c",
            r#"umask 0 && exec strace -f -qq -o "$0" -e trace=openat,fchown,fchownat,fchmod,fchmodat,renameat,renameat2,mkdirat "$@""#,
        ])
        .arg(&trace)
        .args([env!("CARGO_BIN_EXE_machinist"), "run", "site.yml", "--root"])
        .arg(&root)
        .current_dir(test.project())
        .env("MACHINIST_LOCK_DIR", test.lock_dir())
        .status()
        .expect("strace machinist");
    assert!(status.success(), "{status:?}");
    let calls = parse(&std::fs::read_to_string(&trace).expect("trace"));
    let wanted: HashMap<String, (u32, u32)> = WANTED
        .iter()
        .map(|(path, mode, uid)| {
            (
                path.rsplit('/').next().expect("name").to_string(),
                (*mode, *uid),
            )
        })
        .collect();

    // fd → (final name, what happened to it so far).
    let mut open: HashMap<String, (String, Vec<String>)> = HashMap::new();
    let mut checked = Vec::new();
    for call in &calls {
        match call.name.as_str() {
            "openat"
                if call
                    .args
                    .get(2)
                    .is_some_and(|flags| flags.contains("O_CREAT")) =>
            {
                let name = final_name(unquote(&call.args[1]));
                let (mode, _) = wanted[&name];
                let created = octal(&call.args[3]);
                assert_eq!(
                    created & !(mode & 0o777),
                    0,
                    "{name} created {created:o}, asked {mode:o}"
                );
                open.insert(
                    call.result.clone(),
                    (name.clone(), vec![format!("create {created:o}")]),
                );
            }
            "mkdirat" => {
                let name = unquote(&call.args[1]).to_string();
                if let Some((mode, _)) = wanted.get(&name) {
                    let created = octal(&call.args[2]);
                    assert_eq!(
                        created & !mode,
                        0,
                        "{name} made {created:o}, asked {mode:o}"
                    );
                    checked.push(name);
                }
            }
            "openat"
                if call
                    .args
                    .get(2)
                    .is_some_and(|flags| flags.contains("O_DIRECTORY")) =>
            {
                let name = unquote(&call.args[1]).to_string();
                if wanted.contains_key(&name) {
                    open.insert(call.result.clone(), (name, vec!["opened".into()]));
                }
            }
            "fchown" | "fchmod" => {
                if let Some((_, events)) = open.get_mut(&call.args[0]) {
                    events.push(format!("{} {}", call.name, call.args[1..].join(" ")));
                }
            }
            "renameat" | "renameat2" => {
                let name = unquote(&call.args[3]).to_string();
                if let Some((mode, uid)) = wanted.get(&name) {
                    let (_, events) = open
                        .values()
                        .find(|(file, _)| *file == name)
                        .unwrap_or_else(|| panic!("{name} renamed, never created"));
                    let chown = events.iter().position(|e| e.starts_with("fchown"));
                    let chmod = events
                        .iter()
                        .position(|e| *e == format!("fchmod 0{mode:o}"));
                    assert!(
                        chmod.is_some(),
                        "{name} not given mode {mode:o} before the rename: {events:?}"
                    );
                    if *uid != 0 {
                        assert!(
                            chown < chmod && chown.is_some(),
                            "{name}: owner after mode: {events:?}"
                        );
                    }
                    checked.push(name);
                }
            }
            _ => {}
        }
    }
    for (path, mode, uid) in WANTED {
        let meta = std::fs::symlink_metadata(root.join(&path[1..])).expect("made");
        assert_eq!(
            (meta.permissions().mode() & 0o7777, meta.uid()),
            (*mode, *uid),
            "{path}"
        );
    }
    for name in ["secret", "suid", "rendered", "keys"] {
        assert!(
            checked.iter().any(|c| c == name),
            "{name} was never seen being made"
        );
    }
}
