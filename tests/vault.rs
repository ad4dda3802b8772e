//! Vault (issue 19): Ansible Vault files and `!vault` values, checked against
//! ansible-vault itself (the pinned ansible-core venv) both ways; the secrets they
//! hold never reach an output (human and JSON, `--diff -vvv`, RUST_LOG=trace,
//! errors); the password sources (files, scripts, `*-client` scripts, the
//! environment, prompts refused without a terminal); `machinist vault` editing in a
//! private temp file; and `vars_prompt` asked on a real pseudo-terminal (`script`).

mod common;

use common::{ansible_venv, busybox_root, Test};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "hunter2-Vq7Rm";
const INLINE_SECRET: &str = "tok-Inl9Kq3";
const PASSWORD: &str = "correct horse";

/// Run a tool of the venv in `dir`; its stdout, or a panic with its stderr.
fn ansible(tool: &str, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(ansible_venv::tool(tool))
        .args(args)
        .current_dir(dir)
        .env("ANSIBLE_LOCAL_TEMP", dir.join(".ansible-tmp"))
        .env("ANSIBLE_HOME", dir.join(".ansible-home"))
        .output()
        .expect("run the ansible tool");
    assert!(
        output.status.success(),
        "{tool} {args:?}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The test's machinist without a controlling terminal (so nothing may be asked).
fn detached(test: &Test, args: &[&str]) -> common::Run {
    let mut command = test.command(args);
    // SAFETY: setsid is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .expect("run machinist");
    common::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: test.filter(&output.stdout),
        stderr: test.filter(&output.stderr),
    }
}

fn project_text(test: &Test, name: &str) -> String {
    std::fs::read_to_string(test.project().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// An executable file in the project, written by `install` (a child process): a
/// file this multi-threaded process had open for writing could be inherited by a
/// child another test forks meanwhile, and exec would fail (ETXTBSY).
fn executable(test: &Test, name: &str, body: &str) {
    let draft = test.outside().join(format!("{name}.draft"));
    std::fs::write(&draft, body).expect("write");
    let installed = Command::new("install")
        .args(["-m", "700"])
        .arg(&draft)
        .arg(test.project().join(name))
        .status()
        .expect("install");
    assert!(installed.success());
}

fn password_files(test: &Test) {
    test.project_file("pw", &format!("{PASSWORD}\n"))
        .project_file("pw-prod", "prod-pass\n");
}

#[test]
fn files_ansible_vault_encrypts_open_in_machinist() {
    let test = Test::new();
    password_files(&test);
    let dir = test.project();
    test.project_file("plain.yml", &format!("secret: {SECRET}\n"))
        .project_file("labelled.yml", &format!("secret: {SECRET}-prod\n"));
    ansible(
        "ansible-vault",
        &dir,
        &["encrypt", "--vault-password-file", "pw", "plain.yml"],
    );
    ansible(
        "ansible-vault",
        &dir,
        &["encrypt", "--vault-id", "prod@pw-prod", "labelled.yml"],
    );
    assert!(project_text(&test, "labelled.yml").starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
    let view = test.machinist(&["vault", "view", "--vault-password-file", "pw", "plain.yml"]);
    assert_eq!(
        (view.code, view.stdout.as_str()),
        (0, format!("secret: {SECRET}\n").as_str()),
        "{}",
        view.stderr
    );
    // Several ids: the labelled one is tried first, any other after.
    for ids in [
        ["--vault-id", "dev@pw", "--vault-id", "prod@pw-prod"],
        ["--vault-id", "other@pw-prod", "--vault-id", "dev@pw"],
    ] {
        let mut args = vec!["vault", "view"];
        args.extend(ids);
        args.push("labelled.yml");
        let view = test.machinist(&args);
        assert_eq!(
            view.stdout,
            format!("secret: {SECRET}-prod\n"),
            "{ids:?}: {}",
            view.stderr
        );
    }
    let decrypt = test.machinist(&[
        "vault",
        "decrypt",
        "--vault-id",
        "prod@pw-prod",
        "labelled.yml",
    ]);
    assert_eq!(decrypt.code, 0, "{}", decrypt.stderr);
    assert_eq!(
        project_text(&test, "labelled.yml"),
        format!("secret: {SECRET}-prod\n")
    );
    // An inline value from encrypt_string, in a vars file machinist loads.
    let inline = ansible(
        "ansible-vault",
        &dir,
        &[
            "encrypt_string",
            "--vault-id",
            "prod@pw-prod",
            "--name",
            "token",
            INLINE_SECRET,
        ],
    );
    test.project_file("inline.yml", &inline);
    busybox_root(&test);
    test.root_file("/etc/hostname", "target\n");
    test.playbook("- hosts: localhost\n  gather_facts: false\n  vars_files: [inline.yml]\n  tasks:\n    - copy: {dest: /etc/token, content: \"{{ token }}\"}\n");
    let run = test.run(&["--vault-id", "prod@pw-prod"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(test.read("/etc/token"), INLINE_SECRET);
}

#[test]
fn files_machinist_encrypts_open_in_ansible_vault() {
    let test = Test::new();
    password_files(&test);
    let dir = test.project();
    test.project_file("plain.yml", &format!("secret: {SECRET}\n"))
        .project_file("labelled.yml", &format!("secret: {SECRET}\n"));
    let run = test.machinist(&[
        "vault",
        "encrypt",
        "--vault-password-file",
        "pw",
        "plain.yml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "Encryption successful\n");
    let run = test.machinist(&[
        "vault",
        "encrypt",
        "--vault-id",
        "prod@pw-prod",
        "labelled.yml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = project_text(&test, "plain.yml");
    assert!(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), "{text}");
    assert!(text.lines().all(|line| line.len() <= 80));
    assert_eq!(
        ansible(
            "ansible-vault",
            &dir,
            &["view", "--vault-password-file", "pw", "plain.yml"]
        ),
        format!("secret: {SECRET}\n")
    );
    assert_eq!(
        ansible(
            "ansible-vault",
            &dir,
            &["view", "--vault-id", "prod@pw-prod", "labelled.yml"]
        ),
        format!("secret: {SECRET}\n")
    );
    // rekey: the new password opens it in ansible-vault, the old one no more.
    test.project_file("pw-new", "new-pass\n");
    let run = test.machinist(&[
        "vault",
        "rekey",
        "--vault-password-file",
        "pw",
        "--new-vault-password-file",
        "pw-new",
        "plain.yml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        ansible(
            "ansible-vault",
            &dir,
            &["view", "--vault-password-file", "pw-new", "plain.yml"]
        ),
        format!("secret: {SECRET}\n")
    );
    // encrypt_string: ansible-playbook reads the value machinist wrote.
    let run = test.machinist(&[
        "vault",
        "encrypt_string",
        "--vault-id",
        "prod@pw-prod",
        "--name",
        "token",
        INLINE_SECRET,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("token: !vault |\n          $ANSIBLE_VAULT;1.2;AES256;prod\n"),
        "{}",
        run.stdout
    );
    test.project_file("inline.yml", &run.stdout);
    let python = ansible_venv::tool("python3");
    let interpreter = format!("ansible_python_interpreter={}", python.display());
    test.project_file("show.yml", "- hosts: localhost\n  gather_facts: false\n  vars_files: [inline.yml]\n  tasks:\n    - copy: {dest: \"{{ playbook_dir }}/out\", content: \"{{ token }}\"}\n");
    ansible(
        "ansible-playbook",
        &dir,
        &[
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            &interpreter,
            "--vault-id",
            "prod@pw-prod",
            "show.yml",
        ],
    );
    assert_eq!(project_text(&test, "out"), INLINE_SECRET);
    // stdin to stdout.
    let mut child = test
        .command(&["vault", "encrypt", "--vault-password-file", "pw", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"piped: 1\n")
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    std::fs::write(dir.join("piped.yml"), &output.stdout).expect("write");
    assert_eq!(
        ansible(
            "ansible-vault",
            &dir,
            &["view", "--vault-password-file", "pw", "piped.yml"]
        ),
        "piped: 1\n"
    );
}

/// A project whose secrets come vaulted three ways: a vaulted vars file (by
/// ansible-vault), an inline value (by ansible-vault encrypt_string) and `-e @file`.
fn vaulted_project(test: &Test) {
    password_files(test);
    busybox_root(test);
    let dir = test.project();
    test.project_file("vars.yml", &format!("db_password: {SECRET}\n"))
        .project_file("extra.yml", &format!("extra_secret: {SECRET}-extra\n"));
    ansible(
        "ansible-vault",
        &dir,
        &[
            "encrypt",
            "--vault-password-file",
            "pw",
            "vars.yml",
            "extra.yml",
        ],
    );
    let inline = ansible(
        "ansible-vault",
        &dir,
        &[
            "encrypt_string",
            "--vault-id",
            "prod@pw-prod",
            INLINE_SECRET,
        ],
    );
    let inline: String = inline
        .lines()
        .map(|line| format!("      {line}\n"))
        .collect();
    test.project_file(
        "templates/app.conf.j2",
        "password = {{ db_password }}\ntoken = {{ api_token }}\n",
    );
    test.playbook(&format!(
        "- hosts: localhost\n  vars_files: [vars.yml]\n  vars:\n    api_token: {}\n  tasks:\n    - debug: var=db_password\n    - debug: {{msg: \"token {{{{ api_token }}}} {{{{ extra_secret }}}}\"}}\n    - template: {{src: app.conf.j2, dest: /etc/app.conf}}\n    - copy: {{dest: /etc/token, content: \"{{{{ api_token }}}}\"}}\n      register: written\n    - debug: var=written\n    - fail: {{msg: \"bad {{{{ db_password }}}}\"}}\n      ignore_errors: true\n    - command: {{argv: [echo, \"{{{{ extra_secret }}}}\"], creates: /nothing}}\n      register: echoed\n    - debug: var=echoed\n    - copy: {{dest: /missing/dir/f, content: \"{{{{ db_password }}}}\"}}\n      ignore_errors: true\n",
        inline.trim_start()
    ));
    test.root_file("/etc/app.conf", "password = old\n");
}

#[test]
fn a_vaulted_playbook_runs_and_never_shows_a_secret() {
    let test = Test::new();
    vaulted_project(&test);
    let root = test.root();
    let mut leaks = Vec::new();
    for check in [true, false] {
        for json in [false, true] {
            let mut args = vec![
                "run",
                "site.yml",
                "--root",
                root.to_str().expect("utf-8"),
                "-e",
                "@extra.yml",
                "--vault-password-file",
                "pw",
                "--vault-id",
                "prod@pw-prod",
                "--diff",
                "-vvv",
            ];
            if check {
                args.push("--check");
            }
            if json {
                args.extend(["--format", "json"]);
            }
            let run = test.machinist_env(&args, &[("RUST_LOG", "trace")]);
            assert_eq!(run.code, 0, "{args:?}\n{}\n{}", run.stdout, run.stderr);
            let output = format!("{}\n{}", run.stdout, run.stderr);
            for secret in [SECRET, INLINE_SECRET] {
                if output.contains(secret) {
                    leaks.push(format!("{args:?}:\n{output}"));
                }
            }
            if !check && !json {
                assert!(
                    run.stdout.contains("\"db_password\": \"********\""),
                    "{}",
                    run.stdout
                );
                assert!(
                    run.stdout.contains(
                        "-(old content hidden)\n+(content hidden: it holds a vaulted value)"
                    ),
                    "{}",
                    run.stdout
                );
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "a vaulted secret leaked:\n\n{}",
        leaks.join("\n\n")
    );
    assert_eq!(
        test.read("/etc/app.conf"),
        format!("password = {SECRET}\ntoken = {INLINE_SECRET}\n")
    );
    assert_eq!(test.read("/etc/token"), INLINE_SECRET);
}

#[test]
fn errors_name_the_problem_and_never_the_secret() {
    let test = Test::new();
    vaulted_project(&test);
    test.project_file("wrong", "nope\n");
    let root = test.root();
    let root = root.to_str().expect("utf-8");
    // No password: refused before anything runs.
    let run = detached(
        &test,
        &["run", "site.yml", "--root", root, "-e", "@extra.yml"],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("extra.yml:1:1: error: cannot open this vaulted file: this is vaulted, but no vault password was given"), "{}", run.stderr);
    // A wrong password: which file, no secret.
    let run = detached(
        &test,
        &[
            "run",
            "site.yml",
            "--root",
            root,
            "--vault-password-file",
            "wrong",
        ],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("error: cannot open this !vault value: decryption failed: no vault secret given could decrypt it (tried: default)"), "{}", run.stderr);
    // A template error quoting a vaulted value.
    test.project_file("bad.yml", "- hosts: localhost\n  gather_facts: false\n  vars_files: [vars.yml]\n  tasks:\n    - debug: {msg: \"{{ db_password | no_such_filter }}\"}\n    - copy: {dest: /etc/x, content: \"{{ db_password ~ undefined_thing }}\"}\n");
    let run = detached(
        &test,
        &[
            "run",
            "bad.yml",
            "--root",
            root,
            "--vault-password-file",
            "pw",
            "-vvv",
        ],
    );
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    // A YAML error inside a vaulted file is placed in its decrypted text.
    test.project_file("broken.yml", &format!("a: [{SECRET}\n"));
    ansible(
        "ansible-vault",
        &test.project(),
        &["encrypt", "--vault-password-file", "pw", "broken.yml"],
    );
    let run = detached(
        &test,
        &[
            "run",
            "site.yml",
            "--root",
            root,
            "--vault-password-file",
            "pw",
            "-e",
            "@broken.yml",
        ],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "broken.yml:1:1: error: in this vaulted file's decrypted text, line 2, column 1: "
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    // Prompting without a terminal: a clear refusal.
    let run = detached(
        &test,
        &["run", "site.yml", "--root", root, "--ask-vault-pass"],
    );
    assert_eq!(run.code, 4);
    assert!(
        run.stderr
            .contains("--ask-vault-pass needs a terminal to ask on, and there is none"),
        "{}",
        run.stderr
    );
    let run = detached(
        &test,
        &["vault", "view", "--vault-id", "dev@prompt", "vars.yml"],
    );
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("needs a terminal"), "{}", run.stderr);
    let run = detached(
        &test,
        &[
            "vault",
            "view",
            "--vault-password-file",
            "wrong",
            "vars.yml",
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (4, ""));
    assert_eq!(run.stderr, "machinist: error: vars.yml: decryption failed: no vault secret given could decrypt it (tried: default)\n");
}

#[test]
fn password_scripts_client_scripts_and_the_environment() {
    let test = Test::new();
    password_files(&test);
    let dir = test.project();
    test.project_file("v.yml", "x: 1\n");
    ansible(
        "ansible-vault",
        &dir,
        &["encrypt", "--vault-id", "prod@pw-prod", "v.yml"],
    );
    let script = |name: &str, body: &str| {
        test.project_file(name, body);
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
    };
    script("pass.sh", "#!/bin/sh\necho prod-pass\n");
    script("keys-client.py", "#!/bin/sh\n[ \"$1\" = --vault-id ] || exit 1\ncase \"$2\" in prod) echo prod-pass ;; *) exit 2 ;; esac\n");
    script("failing.sh", "#!/bin/sh\nexit 3\n");
    let view = |args: &[&str], env: &[(&str, &str)]| {
        let mut full = vec!["vault", "view"];
        full.extend_from_slice(args);
        full.push("v.yml");
        test.machinist_env(&full, env)
    };
    assert_eq!(
        view(&["--vault-password-file", "pass.sh"], &[]).stdout,
        "x: 1\n"
    );
    assert_eq!(
        view(&["--vault-id", "prod@keys-client.py"], &[]).stdout,
        "x: 1\n"
    );
    let unknown = view(&["--vault-id", "dev@keys-client.py"], &[]);
    assert_eq!(unknown.code, 4);
    assert!(
        unknown.stderr.contains("knows no vault id 'dev' (exit 2)"),
        "{}",
        unknown.stderr
    );
    let failing = view(&["--vault-password-file", "failing.sh"], &[]);
    assert_eq!(failing.code, 4);
    assert!(
        failing
            .stderr
            .contains("failing.sh failed: it ended with exit status: 3"),
        "{}",
        failing.stderr
    );
    let pw_prod = dir.join("pw-prod");
    let pw_prod = pw_prod.to_str().expect("utf-8");
    assert_eq!(
        view(&[], &[("ANSIBLE_VAULT_PASSWORD_FILE", pw_prod)]).stdout,
        "x: 1\n"
    );
    let list = format!("prod@{pw_prod}");
    assert_eq!(
        view(&[], &[("ANSIBLE_VAULT_IDENTITY_LIST", &list)]).stdout,
        "x: 1\n"
    );
}

#[test]
fn edit_and_create_use_a_private_temp_file_and_rewrite_only_changes() {
    let test = Test::new();
    password_files(&test);
    let dir = test.project();
    // The editor records the modes of the file and its folder, then appends a line.
    executable(&test, "editor.sh", "#!/bin/sh\nstat -c '%a' \"$1\" \"$(dirname \"$1\")\" | tr '\\n' ' ' > \"$MODES\"\necho 'added: 2' >> \"$1\"\n");
    executable(&test, "noop.sh", "#!/bin/sh\ntrue\n");
    let modes = dir.join("modes");
    let tmp = test.outside().join("tmp");
    std::fs::create_dir(&tmp).expect("mkdir");
    let env = |editor: &str| -> Vec<(String, String)> {
        vec![
            (
                "EDITOR".into(),
                dir.join(editor).to_str().expect("utf-8").into(),
            ),
            ("MODES".into(), modes.to_str().expect("utf-8").into()),
            ("TMPDIR".into(), tmp.to_str().expect("utf-8").into()),
        ]
    };
    let run_with = |args: &[&str], editor: &str| {
        let env = env(editor);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        test.machinist_env(args, &env)
    };
    let run = run_with(
        &["vault", "create", "--vault-id", "prod@pw-prod", "new.yml"],
        "editor.sh",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&modes).expect("modes"), "600 700 ");
    assert_eq!(
        ansible(
            "ansible-vault",
            &dir,
            &["view", "--vault-id", "prod@pw-prod", "new.yml"]
        ),
        "added: 2\n"
    );
    assert_eq!(
        std::fs::metadata(dir.join("new.yml"))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let run = run_with(
        &["vault", "create", "--vault-id", "prod@pw-prod", "new.yml"],
        "editor.sh",
    );
    assert_eq!(run.code, 4, "create refuses an existing file");
    // An unchanged edit leaves the bytes alone; a change is re-encrypted with the
    // id that opened the file.
    let before = std::fs::read(dir.join("new.yml")).expect("read");
    let run = run_with(
        &[
            "vault",
            "edit",
            "--vault-id",
            "dev@pw",
            "--vault-id",
            "prod@pw-prod",
            "new.yml",
        ],
        "noop.sh",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read(dir.join("new.yml")).expect("read"), before);
    let run = run_with(
        &[
            "vault",
            "edit",
            "--vault-id",
            "dev@pw",
            "--vault-id",
            "prod@pw-prod",
            "new.yml",
        ],
        "editor.sh",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(project_text(&test, "new.yml").starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
    assert_eq!(
        ansible(
            "ansible-vault",
            &dir,
            &["view", "--vault-id", "prod@pw-prod", "new.yml"]
        ),
        "added: 2\nadded: 2\n"
    );
    // No temp folder is left behind.
    assert_eq!(std::fs::read_dir(&tmp).expect("tmp").count(), 0);
}

/// A run of machinist under `script` (a pseudo-terminal): each answer is typed
/// once its question shows, as a person would; everything the terminal showed.
fn on_a_terminal(test: &Test, args: &str, answers: &[(&str, &str)]) -> (i32, String) {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_machinist"));
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(test.project())
        .env("NO_COLOR", "1")
        .env("MACHINIST_LOCK_DIR", test.lock_dir())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("script (util-linux) runs machinist on a pty");
    let shown = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = {
        let shown = Arc::clone(&shown);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown
                    .lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let mut seen = 0;
    for (question, answer) in answers {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = shown.lock().expect("lock").clone();
            if let Some(at) = text[seen..].find(question) {
                seen += at + question.len();
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no question {question:?} in:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The terminal has turned echo off by the time the question is written.
        std::thread::sleep(Duration::from_millis(100));
        stdin
            .write_all(format!("{answer}\n").as_bytes())
            .expect("type");
    }
    let status = child.wait().expect("wait");
    drop(stdin);
    reader.join().expect("reader");
    let text = shown.lock().expect("lock").clone();
    (status.code().unwrap_or(-1), text.replace('\r', ""))
}

#[test]
fn vars_prompt_asks_on_a_terminal_and_hides_private_answers() {
    let test = Test::new();
    busybox_root(&test);
    test.root_file("/etc/hostname", "target\n");
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars_prompt:\n    - name: root_hash\n      prompt: Root password\n      confirm: true\n      encrypt: sha512_crypt\n      salt: saltsalt\n    - name: who\n      prompt: Your name\n      private: false\n      default: nobody\n    - name: token\n  tasks:\n    - copy: {dest: /etc/shadow-line, content: \"root:{{ root_hash }}\\n\"}\n    - copy: {dest: /etc/who, content: \"{{ who }} {{ token }}\"}\n    - debug: {msg: \"token is {{ token }}\"}\n",
    );
    let root = test.root();
    let args = format!("run site.yml --root {} --diff", root.display());
    let (code, shown) = on_a_terminal(
        &test,
        &args,
        &[
            ("Root password: ", "password"),
            ("confirm Root password: ", "passwort"),
            ("Root password: ", "password"),
            ("confirm Root password: ", "password"),
            ("Your name [nobody]: ", ""),
            ("token: ", "Tk-91xQ"),
        ],
    );
    assert_eq!(code, 0, "{shown}");
    assert_eq!(
        test.read("/etc/shadow-line"),
        "root:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/\n"
    );
    assert_eq!(test.read("/etc/who"), "nobody Tk-91xQ");
    // Private answers were not echoed, nor printed afterwards.
    assert!(
        !shown.contains("password\n") && !shown.contains("Tk-91xQ"),
        "{shown}"
    );
    assert!(shown.contains("\"msg\": \"token is ********\""), "{shown}");
    assert!(
        shown.contains("***** VALUES ENTERED DO NOT MATCH ****"),
        "{shown}"
    );
    // Before the play's banner, as ansible-playbook asks.
    assert!(
        shown.find("token: ") < shown.find("PLAY [localhost]"),
        "{shown}"
    );
    // Without a terminal: refused before anything runs, unless -e answers.
    let root = root.to_str().expect("utf-8");
    let run = detached(&test, &["run", "site.yml", "--root", root]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("site.yml:4:11: error: vars_prompt 'root_hash' needs a terminal to ask on, and there is none; give it with -e root_hash=VALUE"), "{}", run.stderr);
    // A prompt with a default is not asked for: it takes its default, as
    // ansible-playbook does when it is not interactive.
    assert!(!run.stderr.contains("'who'"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let run = detached(
        &test,
        &[
            "run",
            "site.yml",
            "--root",
            root,
            "-e",
            "root_hash=x token=z",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(test.read("/etc/who"), "nobody z");
    assert!(
        run.stdout.contains(
            "Not prompting as we are not in interactive mode: vars_prompt 'who' takes its default"
        ) || run.stderr.contains(
            "Not prompting as we are not in interactive mode: vars_prompt 'who' takes its default"
        ),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let run = detached(
        &test,
        &[
            "run",
            "site.yml",
            "--root",
            root,
            "-e",
            "root_hash=x who=y token=z",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(test.read("/etc/who"), "y z");
}

#[test]
fn ask_vault_pass_reads_the_terminal() {
    let test = Test::new();
    password_files(&test);
    let dir = test.project();
    test.project_file("v.yml", &format!("secret: {SECRET}\n"));
    ansible(
        "ansible-vault",
        &dir,
        &["encrypt", "--vault-password-file", "pw", "v.yml"],
    );
    let (code, shown) = on_a_terminal(
        &test,
        "vault view --ask-vault-pass v.yml",
        &[("Vault password: ", PASSWORD)],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains(&format!("secret: {SECRET}")), "{shown}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    // Ctrl-C at the prompt: the command stops (130) once the line ends, echo back on.
    let (code, shown) = on_a_terminal(
        &test,
        "vault view --ask-vault-pass v.yml",
        &[("Vault password: ", "\u{3}")],
    );
    assert_eq!(code, 130, "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    let (code, shown) = on_a_terminal(
        &test,
        "vault encrypt_string --vault-id dev@prompt -n k abc",
        &[
            ("New Vault password (dev): ", "p1"),
            ("Confirm New Vault password (dev): ", "p1"),
        ],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("k: !vault |\n          $ANSIBLE_VAULT;1.2;AES256;dev\n"),
        "{shown}"
    );
}

#[test]
fn roles_take_vaulted_defaults_and_vars() {
    let test = Test::new();
    password_files(&test);
    busybox_root(&test);
    test.root_file("/etc/hostname", "target\n");
    let dir = test.project();
    test.project_file("roles/keeper/defaults/main.yml", &format!("keeper_password: {SECRET}\n"))
        .project_file("roles/keeper/tasks/main.yml", "- copy: {dest: /etc/keeper, content: \"{{ keeper_password }} {{ keeper_token }}\\n\"}\n- debug: var=keeper_token\n");
    ansible(
        "ansible-vault",
        &dir,
        &[
            "encrypt",
            "--vault-password-file",
            "pw",
            "roles/keeper/defaults/main.yml",
        ],
    );
    let inline = ansible(
        "ansible-vault",
        &dir,
        &[
            "encrypt_string",
            "--vault-password-file",
            "pw",
            "--name",
            "keeper_token",
            INLINE_SECRET,
        ],
    );
    test.project_file("roles/keeper/vars/main.yml", &inline);
    test.playbook("- hosts: localhost\n  gather_facts: false\n  roles: [keeper]\n");
    let run = test.run(&["--vault-password-file", "pw", "--diff"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        test.read("/etc/keeper"),
        format!("{SECRET} {INLINE_SECRET}\n")
    );
    for secret in [SECRET, INLINE_SECRET] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("\"keeper_token\": \"********\""),
        "{}",
        run.stdout
    );
}

#[test]
fn vaulted_sources_and_lookups_are_used_decrypted() {
    let test = Test::new();
    password_files(&test);
    busybox_root(&test);
    test.root_file("/etc/hostname", "target\n");
    let dir = test.project();
    test.project_file("files/key.pem", &format!("-----KEY-----\n{SECRET}\n"))
        .project_file(
            "templates/conf.j2",
            &format!("user={{{{ user }}}} key={INLINE_SECRET}\n"),
        )
        .project_file("token.txt", &format!("{SECRET}-looked-up\n"));
    ansible(
        "ansible-vault",
        &dir,
        &[
            "encrypt",
            "--vault-password-file",
            "pw",
            "files/key.pem",
            "templates/conf.j2",
            "token.txt",
        ],
    );
    test.playbook("- hosts: localhost\n  gather_facts: false\n  vars: {user: alice}\n  tasks:\n    - copy: {src: key.pem, dest: /etc/key.pem, mode: '0600'}\n    - template: {src: conf.j2, dest: /etc/app.conf}\n    - copy: {dest: /etc/token, content: \"{{ lookup('file', 'token.txt') }}\"}\n");
    let run = test.run(&["--vault-password-file", "pw", "--diff", "-vvv"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        test.read("/etc/key.pem"),
        format!("-----KEY-----\n{SECRET}\n")
    );
    assert_eq!(
        test.read("/etc/app.conf"),
        format!("user=alice key={INLINE_SECRET}\n")
    );
    assert_eq!(test.read("/etc/token"), format!("{SECRET}-looked-up"));
    for secret in [SECRET, INLINE_SECRET] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{}",
            run.stdout
        );
    }
    let run = detached(
        &test,
        &[
            "run",
            "site.yml",
            "--root",
            test.root().to_str().expect("utf-8"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("key.pem: this is vaulted, but no vault password was given"),
        "{}",
        run.stdout
    );
}
