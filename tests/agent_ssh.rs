//! The ssh connection against real OpenSSH servers on loopback (tests/common/sshd.rs):
//! two hosts at once, the agent copied into the user's private cache and found there
//! by its hash (verified before each start), modules run as the user and, with
//! `become`, as root through sudo and its password, and as another user from a private
//! cache in that user's home (with a sudo that asks, and one that asks nothing: the
//! password never lands in the copy); a method ssh lacks (doas) refused, run0 said missing, a become user
//! without a home unreachable saying so; a stopped server, a host key that
//! is not the known one (the message names the key offered) and a server killed while
//! a file is sent are unreachable, the file old or new, never half.

mod common;

use common::sshd::{self, Sshd};
use machinist::agent::identity::AgentExe;
use machinist::connection::ssh::{Become, SshConnection, SshTarget};
use machinist::connection::{AgentSession, Setup, Unreachable};
use machinist::run::module_run::{ModuleRequest, ModuleRun};
use machinist::run::outcome::Outcome;
use machinist_modules::Builtin;
use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Mutex;

/// The tests share the user's agent cache: one at a time.
static CACHE: Mutex<()> = Mutex::new(());

fn setup() -> Setup {
    Setup {
        agent: AgentExe::at(&PathBuf::from(env!("CARGO_BIN_EXE_machinist"))).unwrap(),
        root: "/".into(),
    }
}

fn target(sshd: &Sshd, become_: Option<Become>) -> SshTarget {
    SshTarget {
        address: sshd.address.clone(),
        port: Some(sshd.port),
        user: Some(sshd::USER.into()),
        private_key_file: Some(sshd.user_key()),
        common_args: vec![
            "-F".into(),
            "/dev/null".into(),
            "-o".into(),
            format!("UserKnownHostsFile={}", sshd.known_hosts().display()),
        ],
        extra_args: vec![
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
            "-o".into(),
            "BatchMode=yes".into(),
        ],
        become_,
    }
}

fn connect(
    name: &str,
    sshd: &Sshd,
    become_: Option<Become>,
) -> (SshConnection, Result<AgentSession, Unreachable>) {
    let connection = SshConnection::new(name, target(sshd, become_)).expect("a connection");
    let session = connection.start(&setup());
    (connection, session)
}

fn copy(agent: &mut AgentSession, dest: &str, content: &str) -> Result<Outcome, Unreachable> {
    let request = ModuleRequest {
        builtin: Builtin::Copy,
        args: match json!({"dest": dest, "content": content}) {
            Value::Object(args) => args,
            _ => unreachable!(),
        },
        check: false,
        keys_read: false,
        async_limit: None,
        timeout: None,
    };
    match agent.run_module(&request, &mut |_| {})? {
        ModuleRun::Done(outcome) => Ok(outcome),
        other => panic!("{other:?}"),
    }
}

fn cache_entry() -> PathBuf {
    sshd::home()
        .join(".cache/machinist/agent")
        .join(setup().agent.sha256().unwrap())
}

#[test]
fn two_hosts_at_once_run_modules_through_an_agent_cached_once() {
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    sshd::ensure_user();
    let _ = std::fs::remove_file(cache_entry());
    let hosts = [Sshd::start(), Sshd::start()];
    // The hosts at once, each on its own thread, as parallel hosts run: both find
    // the cache empty and copy the agent, each through its own temp file and rename.
    std::thread::scope(|scope| {
        for (n, sshd) in hosts.iter().enumerate() {
            scope.spawn(move || one_host(n, sshd));
        }
    });
    // One copy in the cache, private to the user, used again without a new copy; the
    // copies of other builds beyond the newest three are gone.
    let entry = cache_entry();
    let cached = std::fs::read_dir(entry.parent().unwrap()).unwrap().count();
    assert!((1..=3).contains(&cached), "{cached} agents cached");
    let folder = std::fs::metadata(entry.parent().unwrap()).unwrap();
    assert_eq!(folder.mode() & 0o7777, 0o700);
    assert_eq!(folder.uid(), uid_of(sshd::USER));
    let copied_at = std::fs::metadata(&entry).unwrap().modified().unwrap();
    let (connection, session) = connect("web0", &hosts[0], None);
    session.expect("reachable").close();
    connection.close();
    assert_eq!(
        std::fs::metadata(&entry).unwrap().modified().unwrap(),
        copied_at
    );

    // A cached copy that is not what its name says is replaced, never run.
    std::fs::write(&entry, b"#!/bin/sh\necho tampered >&2\n").unwrap();
    let (connection, session) = connect("web0", &hosts[0], None);
    session.expect("reachable after a new copy").close();
    connection.close();
    assert_eq!(
        AgentExe::at(&entry).unwrap().sha256().unwrap(),
        setup().agent.sha256().unwrap()
    );
}

fn one_host(n: usize, sshd: &Sshd) {
    let dest = sshd::home().join(format!("agent-ssh-{n}"));
    let _ = std::fs::remove_file(&dest);
    let name = format!("web{n}");
    let (connection, session) = connect(&name, sshd, None);
    let mut agent = session.unwrap_or_else(|err| panic!("{err}\n{}", sshd.log()));
    let first = copy(&mut agent, dest.to_str().unwrap(), "over ssh\n").unwrap();
    assert!(first.changed && !first.failed, "{first:?}");
    assert!(
        !copy(&mut agent, dest.to_str().unwrap(), "over ssh\n")
            .unwrap()
            .changed
    );
    agent.close();
    connection.close();
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "over ssh\n");
    let meta = std::fs::metadata(&dest).unwrap();
    assert_eq!(
        meta.uid(),
        uid_of(sshd::USER),
        "written as the connecting user"
    );
}

fn uid_of(user: &str) -> u32 {
    let output = std::process::Command::new("id")
        .args(["-u", user])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn become_runs_the_agent_as_root_through_sudo_and_its_password() {
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let sshd = Sshd::start();
    let sudo = |password: Option<&str>| Become {
        method: "sudo".into(),
        user: "root".into(),
        password: password.map(str::to_string),
    };
    let (connection, session) = connect("web", &sshd, Some(sudo(Some(sshd::PASSWORD))));
    let mut agent = session.unwrap_or_else(|err| panic!("{err}\n{}", sshd.log()));
    let dest = "/root/agent-ssh-become";
    let _ = std::fs::remove_file(dest);
    assert!(copy(&mut agent, dest, "root\n").unwrap().changed);
    agent.close();
    connection.close();
    assert_eq!(std::fs::metadata(dest).unwrap().uid(), 0);
    std::fs::remove_file(dest).unwrap();

    // No password: sudo is asked not to prompt, and says it needs one.
    let (_connection, session) = connect("web", &sshd, Some(sudo(None)));
    let message = session.err().expect("unreachable").message;
    assert!(message.contains("password is required"), "{message}");
    // A wrong one is refused.
    let (_connection, session) = connect("web", &sshd, Some(sudo(Some("wrong"))));
    let message = session.err().expect("unreachable").message;
    assert!(message.contains("become password was refused"), "{message}");
}

#[test]
fn become_user_runs_the_agent_as_that_user_from_a_private_cache_of_its_own() {
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    sshd::ensure_become_users();
    let sshd = Sshd::start();
    let as_user = |user: &str, password: Option<&str>| Become {
        method: "sudo".into(),
        user: user.into(),
        password: password.map(str::to_string),
    };
    let cache = sshd::become_user_home().join(".cache/machinist/agent");
    let _ = std::fs::remove_dir_all(&cache);
    let dest = sshd::become_user_home().join("agent-ssh-become-user");
    let _ = std::fs::remove_file(&dest);
    let become_ = as_user(sshd::BECOME_USER, Some(sshd::PASSWORD));
    let (connection, session) = connect("web", &sshd, Some(become_.clone()));
    let mut agent = session.unwrap_or_else(|err| panic!("{err}\n{}", sshd.log()));
    assert!(
        copy(&mut agent, dest.to_str().unwrap(), "as it\n")
            .unwrap()
            .changed
    );
    agent.close();
    connection.close();
    // Written as the become user, from its cache: 0700, its own, nothing readable by
    // others; the copy is whole (the password never mixed with the bytes).
    let uid = uid_of(sshd::BECOME_USER);
    assert_eq!(std::fs::metadata(&dest).unwrap().uid(), uid);
    for folder in [cache.clone(), cache.parent().unwrap().to_path_buf()] {
        let meta = std::fs::metadata(&folder).unwrap();
        assert_eq!(
            (meta.uid(), meta.mode() & 0o7777),
            (uid, 0o700),
            "{folder:?}"
        );
    }
    let entry = cache.join(setup().agent.sha256().unwrap());
    let meta = std::fs::metadata(&entry).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o077), (uid, 0));
    assert_eq!(
        AgentExe::at(&entry).unwrap().sha256().unwrap(),
        setup().agent.sha256().unwrap()
    );
    let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(entries.len(), 1, "no temp file left: {entries:?}");

    // Started again from the cache, not copied again.
    let copied_at = meta.modified().unwrap();
    let (connection, session) = connect("web", &sshd, Some(become_));
    session.expect("reachable").close();
    connection.close();
    let again = std::fs::metadata(&entry).unwrap().modified().unwrap();
    assert_eq!(again, copied_at);

    // A wrong password is refused; none, sudo says it needs one.
    let (_connection, session) =
        connect("web", &sshd, Some(as_user(sshd::BECOME_USER, Some("no"))));
    let message = session.err().expect("unreachable").message;
    assert!(message.contains("become password was refused"), "{message}");
    let (_connection, session) = connect("web", &sshd, Some(as_user(sshd::BECOME_USER, None)));
    let message = session.err().expect("unreachable").message;
    assert!(message.contains("password is required"), "{message}");
    std::fs::remove_file(&dest).unwrap();
}

#[test]
fn a_password_sudo_never_asks_for_stays_out_of_the_copied_agent() {
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    sshd::ensure_become_users();
    let sshd = Sshd::start();
    let home = PathBuf::from(format!("/home/{}", sshd::NOPASSWD_USER));
    let cache = home.join(".cache/machinist/agent");
    let _ = std::fs::remove_dir_all(&cache);
    // A password given, a sudo that asks none (NOPASSWD): the bytes are sent once the
    // script reads them, with no password line before them.
    let become_ = Become {
        method: "sudo".into(),
        user: sshd::NOPASSWD_USER.into(),
        password: Some(sshd::PASSWORD.into()),
    };
    let (connection, session) = connect("web", &sshd, Some(become_));
    let mut agent = session.unwrap_or_else(|err| panic!("{err}\n{}", sshd.log()));
    let dest = home.join("nopasswd");
    assert!(
        copy(&mut agent, dest.to_str().unwrap(), "x\n")
            .unwrap()
            .changed
    );
    agent.close();
    connection.close();
    let entry = cache.join(setup().agent.sha256().unwrap());
    assert_eq!(
        AgentExe::at(&entry).unwrap().sha256().unwrap(),
        setup().agent.sha256().unwrap()
    );
    assert_eq!(
        std::fs::metadata(&dest).unwrap().uid(),
        uid_of(sshd::NOPASSWD_USER)
    );
    std::fs::remove_file(&dest).unwrap();
}

#[test]
fn a_become_user_without_a_home_is_unreachable_and_told_why() {
    sshd::ensure_become_users();
    let sshd = Sshd::start();
    let become_ = Become {
        method: "sudo".into(),
        user: sshd::HOMELESS_USER.into(),
        password: Some(sshd::PASSWORD.into()),
    };
    let (_connection, session) = connect("web", &sshd, Some(become_));
    let message = session.err().expect("unreachable").message;
    assert!(
        message.contains("machinist-homeless-t needs a home folder it can write"),
        "{message}"
    );
    assert!(!message.contains(sshd::PASSWORD), "{message}");
}

#[test]
fn an_unknown_method_is_refused_saying_why_and_run0_where_the_host_lacks_it() {
    let sshd = Sshd::start();
    let method = |method: &str| Become {
        method: method.into(),
        user: "root".into(),
        password: None,
    };
    let refused = SshConnection::new("web", target(&sshd, Some(method("doas"))))
        .err()
        .expect("doas refused")
        .message;
    assert!(
        refused.contains("become_method doas is not supported over ssh (sudo and su are)"),
        "{refused}"
    );
    // Debian 12's systemd (252) has no run0: found out on the host.
    let (_connection, session) = connect("web", &sshd, Some(method("run0")));
    let message = session.err().expect("unreachable").message;
    assert!(message.contains("run0 is not on this host"), "{message}");
}

#[test]
fn a_stopped_server_is_unreachable() {
    let mut sshd = Sshd::start();
    sshd.kill();
    let (_connection, session) = connect("down", &sshd, None);
    let err = session.err().expect("unreachable");
    assert_eq!(err.host, "down");
    assert!(
        err.message.contains("Connection refused"),
        "{}",
        err.message
    );
}

#[test]
fn a_host_key_that_is_not_the_known_one_is_unreachable_and_named() {
    let sshd = Sshd::start();
    sshd.forget_host_key_for_another();
    let (_connection, session) = connect("spoofed", &sshd, None);
    let message = session.err().expect("unreachable").message;
    assert!(
        message.contains("host key verification failed"),
        "{message}"
    );
    assert!(message.contains(&sshd.host_fingerprint()), "{message}");
    assert!(message.contains("ED25519"), "{message}");
}

#[test]
fn a_server_killed_while_a_file_is_sent_leaves_it_old_or_new() {
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let mut sshd = Sshd::start();
    let dest = sshd::home().join("agent-ssh-killed");
    std::fs::write(&dest, "old\n").unwrap();
    let (connection, session) = connect("web", &sshd, None);
    let mut agent = session.unwrap_or_else(|err| panic!("{err}\n{}", sshd.log()));
    let content: String = "new content line\n".repeat(4 << 20);
    let run = std::thread::scope(|scope| {
        let sending = scope.spawn(|| copy(&mut agent, dest.to_str().unwrap(), &content));
        std::thread::sleep(std::time::Duration::from_millis(150));
        sshd.kill();
        sending.join().unwrap()
    });
    drop(agent);
    drop(connection);
    let now = std::fs::read_to_string(&dest).unwrap();
    assert!(
        now == "old\n" || now == content,
        "half a file: {} bytes",
        now.len()
    );
    match run {
        Err(err) => assert!(
            err.message.contains("closed") || err.message.contains("send"),
            "{}",
            err.message
        ),
        Ok(outcome) => assert_eq!(now, content, "{outcome:?}"),
    }
    let leftovers: Vec<_> = std::fs::read_dir(sshd::home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("agent-ssh-killed") && name != "agent-ssh-killed")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_file(&dest).unwrap();
}

/// The cost of one no-change file task on an established ssh connection (loopback),
/// printed: `cargo test --release --test agent_ssh per_request -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn per_request_cost_on_an_established_connection() {
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let sshd = Sshd::start();
    let (connection, session) = connect("web", &sshd, None);
    let mut agent = session.expect("reachable");
    let dest = sshd::home().join("agent-ssh-bench");
    copy(&mut agent, dest.to_str().unwrap(), "x\n").unwrap();
    let rounds = 2000;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        assert!(
            !copy(&mut agent, dest.to_str().unwrap(), "x\n")
                .unwrap()
                .changed
        );
    }
    let each = started.elapsed() / rounds;
    eprintln!("ssh (loopback): {each:?} per no-change copy task ({rounds} rounds)");
    agent.close();
    connection.close();
}

#[test]
fn inventory_variables_reach_a_root_on_an_ssh_host() {
    use machinist::connection::target::connect;
    use machinist::inventory::connection::Target;
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let sshd = Sshd::start();
    let root = sshd::home().join("agent-ssh-root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let chown = std::process::Command::new("chown")
        .args(["-R", &format!("{0}:{0}", sshd::USER)])
        .arg(&root)
        .status()
        .unwrap();
    assert!(chown.success());
    let vars = common::ssh_hosts::ssh_vars(&sshd, &root);
    let vars = minijinja::Value::from_serialize(&vars);
    let target = Target::read("web", &vars).unwrap();
    let mut connected = connect(&target, &setup()).expect("reachable");
    assert!(
        copy(&mut connected.session, "/etc/motd", "rooted\n")
            .unwrap()
            .changed
    );
    connected.close();
    assert_eq!(
        std::fs::read_to_string(root.join("etc/motd")).unwrap(),
        "rooted\n"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn check_mode_and_diffs_over_ssh_equal_the_local_ones() {
    use machinist::run::module_run::run_module;
    use machinist_modules::{Host, HostOptions};
    let _cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let sshd = Sshd::start();
    let remote = sshd::home().join("agent-ssh-compare");
    let local = tempfile::tempdir().unwrap();
    for check in [true, false] {
        let _ = std::fs::remove_dir_all(&remote);
        for root in [remote.as_path(), local.path()] {
            let _ = std::fs::remove_dir_all(root.join("etc"));
            std::fs::create_dir_all(root.join("etc")).unwrap();
            std::fs::write(root.join("etc/motd"), "old\n").unwrap();
        }
        let chown = std::process::Command::new("chown")
            .args(["-R", &format!("{0}:{0}", sshd::USER)])
            .arg(&remote)
            .status()
            .unwrap();
        assert!(chown.success());
        let connection = SshConnection::new("web", target(&sshd, None)).unwrap();
        let setup = Setup {
            root: remote.clone(),
            ..setup()
        };
        let mut agent = connection.start(&setup).expect("reachable");
        let host = Host::new(HostOptions {
            root: local.path().to_path_buf(),
        })
        .unwrap();
        let tasks = [
            (
                Builtin::File,
                json!({"path": "/etc/app", "state": "directory", "mode": "0750"}),
            ),
            (
                Builtin::Copy,
                json!({"dest": "/etc/motd", "content": "new\n"}),
            ),
            (
                Builtin::Copy,
                json!({"dest": "/etc/app/x.conf", "content": "x = 1\n"}),
            ),
            (
                Builtin::Template,
                json!({"dest": "/etc/app/t", "content": "rendered\n"}),
            ),
        ];
        for (builtin, args) in tasks {
            let Value::Object(args) = args else {
                unreachable!()
            };
            let request = ModuleRequest {
                builtin,
                args,
                check,
                keys_read: true,
                async_limit: None,
                timeout: None,
            };
            let here = match run_module(&host, &request, &mut |_| {}) {
                ModuleRun::Done(outcome) => outcome,
                other => panic!("{other:?}"),
            };
            let there = match agent.run_module(&request, &mut |_| {}).expect("reachable") {
                ModuleRun::Done(outcome) => outcome,
                other => panic!("{other:?}"),
            };
            // Owners differ (root here, the ssh user there): compare what does not.
            let shape = |o: &Outcome| {
                let mut value = o.registered();
                if let Some(map) = value.as_object_mut() {
                    for key in ["uid", "gid", "owner", "group"] {
                        map.remove(key);
                    }
                }
                value
            };
            assert_eq!(shape(&here), shape(&there), "{builtin:?}, check: {check}");
            assert_eq!(here.diff, there.diff, "{builtin:?}, check: {check}");
        }
        agent.close();
        connection.close();
        let motd = std::fs::read_to_string(remote.join("etc/motd")).unwrap();
        assert_eq!(motd, if check { "old\n" } else { "new\n" });
    }
    std::fs::remove_dir_all(&remote).unwrap();
}
