//! Tests of the pipe, lines, fileglob and password lookups and first_found's mapping
//! terms, on real files and real shells in a temp playbook folder.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use minijinja::Value;
use serde_json::json;

use super::value_format::py_repr;
use super::Templates;

fn vars(value: serde_json::Value) -> Value {
    Value::from_serialize(value)
}

#[test]
fn pipe_and_lines_run_in_the_playbook_folder() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("here.txt"), "x").unwrap();
    let t = Templates::new();
    let ctx = vars(json!({"playbook_dir": dir.path().display().to_string()}));
    assert_eq!(
        t.render_str("{{ lookup('pipe', 'ls; echo') }}", &ctx)
            .unwrap(),
        "here.txt"
    );
    let lines = t
        .render_native(
            "{{ query('lines', 'printf \"a\\nb\\n\"', 'echo c') }}",
            &ctx,
        )
        .unwrap();
    assert_eq!(py_repr(&lines), "['a', 'b', 'c']");
    assert_eq!(
        t.render_str("{{ lookup('lines', 'printf \"a\\nb\\n\"') }}", &ctx)
            .unwrap(),
        "a,b"
    );
    let err = t
        .render_str("{{ lookup('pipe', 'exit 3') }}", &ctx)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("lookup_plugin.pipe(exit 3) returned 3"),
        "{err}"
    );
}

#[test]
fn fileglob_searches_files_then_the_folder_and_returns_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let play = dir.path();
    fs::create_dir_all(play.join("files/conf.d/sub.conf")).unwrap();
    fs::write(play.join("files/b.conf"), "").unwrap();
    fs::write(play.join("files/a.conf"), "").unwrap();
    fs::write(play.join("top.conf"), "").unwrap();
    fs::write(play.join("files/conf.d/x.conf"), "").unwrap();
    let t = Templates::new();
    let base = play.display().to_string();
    let ctx = vars(json!({"playbook_dir": base}));
    let found = t
        .render_native("{{ query('fileglob', '*.conf') }}", &ctx)
        .unwrap();
    assert_eq!(
        py_repr(&found),
        format!("['{base}/files/a.conf', '{base}/files/b.conf']")
    );
    // A folder in the pattern is looked for in files/ too; directories are left out.
    let found = t
        .render_native("{{ query('fileglob', 'conf.d/*.conf') }}", &ctx)
        .unwrap();
    assert_eq!(py_repr(&found), format!("['{base}/files/conf.d/x.conf']"));
    // Nothing found: an empty list, as Ansible's lookup() gives it.
    assert_eq!(
        t.render_str("{{ lookup('fileglob', '*.none') }}", &ctx)
            .unwrap(),
        "[]"
    );
}

#[test]
fn password_is_created_once_then_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let t = Templates::new();
    let ctx = vars(json!({"playbook_dir": dir.path().display().to_string()}));
    let first = t
        .render_str(
            "{{ lookup('password', 'creds/db length=12 chars=digits') }}",
            &ctx,
        )
        .unwrap();
    assert_eq!(first.len(), 12);
    assert!(first.chars().all(|c| c.is_ascii_digit()), "{first}");
    let stored = dir.path().join("creds/db");
    assert_eq!(fs::read_to_string(&stored).unwrap(), format!("{first}\n"));
    let mode = |path: &std::path::Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&stored), 0o600);
    assert_eq!(mode(&dir.path().join("creds")), 0o700);
    let again = t
        .render_str("{{ lookup('password', 'creds/db length=30') }}", &ctx)
        .unwrap();
    assert_eq!(again, first);

    // Defaults: 20 of letters, digits and .,:-_
    let default = t
        .render_str("{{ lookup('password', '/dev/null') }}", &ctx)
        .unwrap();
    assert_eq!(default.len(), 20);
    assert!(default
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".,:-_".contains(c)));
}

#[test]
fn password_encrypt_stores_the_salt_and_hashes_the_same_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let t = Templates::new();
    let ctx = vars(json!({"playbook_dir": dir.path().display().to_string()}));
    let term = "{{ lookup('password', 'root.pw', encrypt='sha512_crypt') }}";
    let hashed = t.render_str(term, &ctx).unwrap();
    assert!(hashed.starts_with("$6$"), "{hashed}");
    let stored = fs::read_to_string(dir.path().join("root.pw")).unwrap();
    let (password, salt) = stored.trim_end().rsplit_once(" salt=").unwrap();
    assert_eq!(salt.len(), 16);
    assert!(hashed.starts_with(&format!("$6${salt}$")));
    assert_eq!(t.render_str(term, &ctx).unwrap(), hashed);
    assert_eq!(
        t.render_str("{{ lookup('password', 'root.pw') }}", &ctx)
            .unwrap(),
        password
    );
    // ansible-core 2.19.14 gives this password for this seed.
    assert_eq!(
        t.render_str("{{ lookup('password', '/dev/null seed=web1') }}", &ctx)
            .unwrap(),
        "PHReYru8meWgwuf2LQh8"
    );
    for refused in ["ident=2b", "encrypt=bcrypt", "colour=red"] {
        let source = format!("{{{{ lookup('password', 'x.pw {refused}') }}}}");
        assert!(t.render_str(&source, &ctx).is_err(), "{refused} accepted");
    }
}

#[test]
fn first_found_takes_mappings_of_files_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    let play = dir.path();
    fs::create_dir_all(play.join("vars")).unwrap();
    fs::write(play.join("vars/Archlinux.yml"), "").unwrap();
    fs::write(play.join("vars/default.yml"), "").unwrap();
    let t = Templates::new();
    let base = play.display().to_string();
    let ctx = vars(json!({"playbook_dir": base, "os": "Archlinux"}));
    let found = t
        .render_str(
            "{{ lookup('ansible.builtin.first_found', {'files': [os ~ '.yml', 'default.yml'], 'paths': ['vars']}) }}",
            &ctx,
        )
        .unwrap();
    assert_eq!(found, format!("{base}/vars/Archlinux.yml"));
    let found = t
        .render_native(
            "{{ q('first_found', {'files': 'Debian.yml,default.yml', 'paths': 'vars'}) }}",
            &ctx,
        )
        .unwrap();
    assert_eq!(py_repr(&found), format!("['{base}/vars/default.yml']"));
    let none = t
        .render_native(
            "{{ q('first_found', {'files': ['nope.yml'], 'paths': ['vars'], 'skip': true}) }}",
            &ctx,
        )
        .unwrap();
    assert_eq!(py_repr(&none), "[]");
}

#[test]
fn ini_and_csvfile_read_files_beside_the_playbook() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("files")).unwrap();
    fs::write(
        dir.path().join("files/app.ini"),
        "[DEFAULT]\nroot = /srv\n[main]\nPath = %(root)s/app\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("files/users.csv"),
        "alice,30\n\"b, c\",41\n",
    )
    .unwrap();
    let t = Templates::new();
    let ctx = vars(json!({"playbook_dir": dir.path().display().to_string()}));
    let render = |source: &str| t.render_str(source, &ctx);
    assert_eq!(
        render("{{ lookup('ini', 'PATH', section='main', file='app.ini') }}").unwrap(),
        "/srv/app"
    );
    assert_eq!(
        render("{{ lookup('ini', 'path section=main file=app.ini interpolation=no') }}").unwrap(),
        "%(root)s/app"
    );
    let err = render("{{ lookup('ini', 'x', section='none', file='app.ini') }}").unwrap_err();
    assert!(err.to_string().contains("No section 'none'"), "{err}");
    assert_eq!(
        render("{{ lookup('csvfile', 'b, c', file='users.csv', delimiter=',') }}").unwrap(),
        "41"
    );
    assert_eq!(
        render("{{ query('csvfile', 'nobody', file='users.csv', delimiter=',') }}").unwrap(),
        "[]"
    );
}
