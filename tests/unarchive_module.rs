//! `unarchive` through the real binary: archives made by the real GNU tar, zstd and
//! Python's zipfile/tarfile, unpacked from files/ or from inside the root; the three
//! checks per format, creates, list_files, include/exclude, --strip-components, and
//! hostile archives (members climbing out of dest, absolute, below a link).

mod common;
use common::play;

use common::{three_checks, Test};
use std::path::Path;
use std::process::Command;

/// A tree to archive: site/index.html, site/css/a.css (0600), site/latest -> index.html.
fn tree(dir: &Path) {
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("css")).expect("mkdir");
    std::fs::write(site.join("index.html"), "<h1>hi</h1>\n").expect("write");
    std::fs::write(site.join("css/a.css"), "body {}\n").expect("write");
    std::fs::set_permissions(
        site.join("css/a.css"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    std::os::unix::fs::symlink("index.html", site.join("latest")).expect("symlink");
}

fn run(program: &str, args: &[&str], dir: &Path) {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// `site` archived as `name` (its format from the extension) into `into`.
fn archive(into: &Path, name: &str) {
    let work = tempfile::tempdir().expect("tempdir");
    tree(work.path());
    let out = into.join(name);
    std::fs::create_dir_all(into).expect("mkdir");
    let out = out.to_str().expect("utf-8");
    let owner = ["--owner=0", "--group=0", "--numeric-owner"];
    let tar = |flag: &str| {
        let mut args = vec![flag, out];
        args.extend(owner);
        args.push("site");
        run("tar", &args, work.path());
    };
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("gz") => tar("-czf"),
        Some("xz") => tar("-cJf"),
        Some("bz2") => tar("-cjf"),
        Some("zst") => {
            let mut args = vec!["--zstd", "-cf", out];
            args.extend(owner);
            args.push("site");
            run("tar", &args, work.path());
        }
        Some("zip") => run(
            "python3",
            &[
                "-c",
                "import shutil,sys; shutil.make_archive(sys.argv[1][:-4], 'zip', '.', 'site')",
                out,
            ],
            work.path(),
        ),
        _ => tar("-cf"),
    }
}

fn assert_site(test: &Test, zip: bool) {
    assert_eq!(test.read("srv/site/index.html"), "<h1>hi</h1>\n");
    assert_eq!(test.read("srv/site/css/a.css"), "body {}\n");
    if !zip {
        assert_eq!(test.mode("srv/site/css/a.css"), 0o600);
        let link = std::fs::read_link(test.root().join("srv/site/latest")).expect("link");
        assert_eq!(link, Path::new("index.html"));
    }
}

#[test]
fn every_format_from_files_three_checks() {
    for name in [
        "site.tar.gz",
        "site.tar.xz",
        "site.tar.zst",
        "site.tar.bz2",
        "site.tar",
        "site.zip",
    ] {
        let test = Test::new();
        test.root_file("srv/.keep", "");
        archive(&test.project().join("files"), name);
        test.playbook(&play(&format!(
            "    - unarchive: {{src: {name}, dest: /srv}}\n      register: r\n    - assert: {{that: [\"r.dest == '/srv'\", \"r.handler is string\"]}}\n"
        )));
        three_checks(&test);
        assert_site(&test, name.ends_with(".zip"));
    }
}

#[test]
fn a_changed_member_is_rewritten_and_shown() {
    let test = Test::new();
    archive(&test.project().join("files"), "site.tar.gz");
    test.root_file("srv/site/index.html", "old\n");
    test.root_file("srv/site/css/a.css", "body {}\n");
    test.playbook(&play("    - unarchive: {src: site.tar.gz, dest: /srv}\n"));
    let run = test.run_json(&["--diff"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let diff = &run.events()[1]["diff"][0];
    let after = diff["after"].as_str().unwrap_or_default();
    assert!(
        after.contains("/srv/site/index.html: file, 0644, 12 bytes"),
        "{after}"
    );
    assert!(after.contains("/srv/site/css/a.css: mode 0600"), "{after}");
    assert!(diff["before"]
        .as_str()
        .unwrap_or_default()
        .contains("/srv/site/index.html: file, 0644, 4 bytes"));
    assert_site(&test, false);
}

#[test]
fn remote_src_creates_list_files_strip_and_filters() {
    let test = Test::new();
    archive(&test.root().join("var/lib"), "site.tar.xz");
    test.root_file("srv/.keep", "");
    test.root_file("opt/.keep", "");
    test.playbook(&play(
        "    - unarchive:\n        src: /var/lib/site.tar.xz\n        dest: /srv\n        remote_src: true\n        creates: /srv/site/index.html\n        list_files: true\n      register: r\n    - assert: {that: [\"'site/index.html' in r.files\"]}\n      when: r is not skipped\n    - unarchive:\n        src: /var/lib/site.tar.xz\n        dest: /opt\n        remote_src: yes\n        extra_opts: ['--strip-components=1']\n        exclude: ['*.css']\n",
    ));
    three_checks(&test);
    assert_site(&test, false);
    assert_eq!(test.read("opt/index.html"), "<h1>hi</h1>\n");
    assert!(!test.root().join("opt/css/a.css").exists());
    let again = test.run_json(&[]);
    assert_eq!(again.statuses()[0].1, "skipped", "{}", again.stdout);
}

#[test]
fn unsupported_options_are_refused() {
    let test = Test::new();
    archive(&test.project().join("files"), "site.tar.gz");
    test.root_file("srv/.keep", "");
    for (opt, said) in [
        ("extra_opts: ['--no-same-owner']", "is not supported"),
        ("keep_newer: true", "keep_newer is not supported"),
    ] {
        test.playbook(&play(&format!(
            "    - unarchive: {{src: site.tar.gz, dest: /srv, {opt}}}\n"
        )));
        let before = test.tree();
        let run = test.run_json(&[]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(run.stdout.contains(said), "{}", run.stdout);
        assert_eq!(test.tree(), before);
    }
}

#[test]
fn hostile_members_are_refused_and_nothing_written() {
    let script = r#"
import io, sys, tarfile
def add(t, name, data=b"x", link=None):
    info = tarfile.TarInfo(name)
    if link is not None:
        info.type = tarfile.SYMTYPE
        info.linkname = link
        t.addfile(info)
    else:
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
for out, members in [
    ("climb.tar", [("ok", None), ("../evil", None)]),
    ("absolute.tar", [("/abs-evil", None)]),
    ("below-link.tar", [("link", "/etc"), ("link/evil", None)]),
]:
    with tarfile.open(sys.argv[1] + "/" + out, "w", format=tarfile.GNU_FORMAT) as t:
        for name, link in members:
            add(t, name, link=link)
"#;
    let test = Test::new();
    let files = test.project().join("files");
    std::fs::create_dir_all(&files).expect("mkdir");
    run(
        "python3",
        &["-c", script, files.to_str().expect("utf-8")],
        &files,
    );
    test.root_file("srv/.keep", "");
    test.root_file("etc/.keep", "");
    for (name, said) in [
        ("climb.tar", "climbs out"),
        ("absolute.tar", "is absolute"),
        ("below-link.tar", "under a symlink"),
    ] {
        test.playbook(&play(&format!(
            "    - unarchive: {{src: {name}, dest: /srv}}\n"
        )));
        let before = test.tree();
        let run = test.run_json(&[]);
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        assert!(run.stdout.contains(said), "{name}: {}", run.stdout);
        assert_eq!(test.tree(), before, "{name} wrote something");
    }
}

#[test]
fn a_missing_archive_stops_the_run_before_it_starts() {
    let test = Test::new();
    test.root_file("srv/.keep", "");
    test.playbook(&play(
        "    - unarchive: {src: nowhere.tar.gz, dest: /srv}\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("could not find file 'nowhere.tar.gz'"),
        "{}",
        run.stderr
    );
}
