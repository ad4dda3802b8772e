//! Copy's `src:` files (issue 13, issue 18): streamed, never read whole (a 242 MB
//! text file took 1.19 GB and its JSON diff carried the whole file); binary files
//! copied byte for byte (refused before); the diff of a binary or big file a summary,
//! size and sha256, before and after, in human and JSON output. A directory (issue 15)
//! copied as Ansible's copy copies it: the folder or its contents, the three checks.

mod common;
use common::play;

use common::rusage::measure;
use common::{busybox_root, three_checks_runs, Test};

fn binary_bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect()
}

fn write_project_bytes(test: &Test, name: &str, bytes: &[u8]) {
    let path = test.project().join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn binary_files_are_copied_byte_for_byte_with_the_three_checks() {
    let test = Test::new();
    let bytes = binary_bytes(300_000, 7);
    write_project_bytes(&test, "files/blob.bin", &bytes);
    test.root_file("etc/.keep", "");
    test.playbook(&play(
        "    - copy: {src: blob.bin, dest: /etc/blob.bin, mode: \"0600\"}\n",
    ));
    let runs = three_checks_runs(&test);
    assert_eq!(
        std::fs::read(test.root().join("etc/blob.bin")).expect("copied"),
        bytes
    );
    assert_eq!(test.mode("/etc/blob.bin"), 0o600);
    let check = &runs[0];
    let digest = sha256_hex(&bytes);
    assert!(
        check
            .stdout
            .contains(&format!("(binary, 300000 bytes, sha256 {digest})")),
        "{}",
        check.stdout
    );

    // Changed on the target: the diff is both summaries.
    let other = binary_bytes(300_000, 8);
    std::fs::write(test.root().join("etc/blob.bin"), &other).expect("write");
    let run = test.run(&["--check", "--diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before = format!("-(binary, 300000 bytes, sha256 {})", sha256_hex(&other));
    let after = format!("+(binary, 300000 bytes, sha256 {digest})");
    assert!(
        run.stdout.contains(&before) && run.stdout.contains(&after),
        "{}",
        run.stdout
    );
}

#[test]
fn a_big_copy_streams_and_its_json_diff_is_a_summary() {
    let test = Test::new();
    // Made by `yes`, read in chunks: the test process stays small (a run's peak RSS
    // counts what it shared with it before exec).
    let path = test.project().join("files/big.txt");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let size = 40 * 1024 * 1024;
    let made = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "yes 0123456789abcdef0123456789abcdef | head -c {size} > '{}'",
            path.display()
        ))
        .status()
        .expect("sh");
    assert!(made.success());
    let digest = file_sha256_hex(&path);
    test.playbook(&play("    - copy: {src: big.txt, dest: /big.txt}\n"));
    let root = test.root().display().to_string();
    let run = measure(test.command(&[
        "run", "site.yml", "--root", &root, "--diff", "--format", "json",
    ]));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.code, 0, "{}", String::from_utf8_lossy(&run.stderr));
    // Progress events (one per MiB written) aside, the output is a few lines.
    let reported: usize = stdout
        .lines()
        .filter(|line| !line.starts_with(r#"{"event":"progress""#))
        .map(str::len)
        .sum();
    assert!(
        reported < 4096,
        "the JSON output carries the file: {reported} bytes"
    );
    assert!(
        stdout.contains(&format!("({size} bytes, sha256 {digest})")),
        "{stdout}"
    );
    // A run is ~15 MB; a 40 MiB file read whole would be three times that and more.
    assert!(
        run.max_rss_kb < 48 * 1024,
        "peak RSS {} KiB",
        run.max_rss_kb
    );
    assert_eq!(file_sha256_hex(&test.root().join("big.txt")), digest);
    let again = measure(test.command(&["run", "site.yml", "--root", &root, "--format", "json"]));
    assert_eq!(again.code, 0);
    assert!(String::from_utf8_lossy(&again.stdout).contains(r#""status":"ok""#));
    assert!(
        again.max_rss_kb < 48 * 1024,
        "peak RSS {} KiB",
        again.max_rss_kb
    );
}

#[test]
fn text_copies_still_show_a_text_diff() {
    let test = Test::new();
    test.project_file("files/motd", "hello\n");
    test.root_file("etc/motd", "bye\n");
    test.playbook(&play("    - copy: {src: motd, dest: /etc/motd}\n"));
    let run = test.run(&["--diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("-bye\n+hello\n"), "{}", run.stdout);
    assert_eq!(test.read("/etc/motd"), "hello\n");
}

/// A file's sha256, read in chunks.
fn file_sha256_hex(path: &std::path::Path) -> String {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path).expect("open");
    let mut digest = sha2::Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file.read(&mut buffer).expect("read");
        if read == 0 {
            break;
        }
        digest.update(&buffer[..read]);
    }
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `validate` on a copy of a `src:` file checks the new bytes inside the root before
/// they replace the old; a refusal keeps the old file.
#[test]
fn a_validated_copy_checks_the_src_bytes_first() {
    let test = Test::new();
    busybox_root(&test);
    test.project_file("files/conf", "good\n");
    test.root_file("etc/conf", "old\n");
    test.playbook(
        &play("    - copy:\n        src: conf\n        dest: /etc/conf\n        validate: /bin/sh -c 'cat \"$1\" > /tmp/validated' sh %s\n"),
    );
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("/etc/conf"), "good\n");
    assert_eq!(test.read("/tmp/validated"), "good\n");
    test.project_file("files/conf", "bad\n");
    test.playbook(&play(
        "    - copy: {src: conf, dest: /etc/conf, validate: /bin/false %s}\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("/etc/conf"), "good\n");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_dest_that_is_a_directory_without_a_slash_gets_the_file_inside_with_the_three_checks() {
    let test = Test::new();
    test.project_file("files/motd", "hello\n");
    test.playbook(&play(
        "    - file: {path: /etc/conf, state: directory}\n    - copy: {src: motd, dest: /etc/conf}\n",
    ));
    common::three_checks(&test);
    assert_eq!(test.read("etc/conf/motd"), "hello\n");
}

/// A source tree of files/: nested, an empty folder, a link to a file inside it.
fn source_tree(test: &Test) {
    test.project_file("files/confdir/a.conf", "a\n");
    test.project_file("files/confdir/sub/b.conf", "b\n");
    std::fs::create_dir_all(test.project().join("files/confdir/empty")).expect("mkdir");
    std::os::unix::fs::symlink("a.conf", test.project().join("files/confdir/link.conf"))
        .expect("symlink");
}

#[test]
fn a_directory_is_copied_as_ansible_copies_it_with_the_three_checks() {
    let test = Test::new();
    source_tree(&test);
    test.root_file("etc/keep", "");
    test.playbook(&play(concat!(
        "    - copy: {src: confdir, dest: /etc/app}\n",
        "    - copy: {src: confdir/, dest: /srv/flat/, mode: \"0600\", directory_mode: \"0700\"}\n",
        "      register: flat\n",
        "    - debug: {msg: \"{{ flat.dest }} {{ flat.src is match('.*/files/confdir/$') }} {{ flat.changed }}\"}\n",
    )));
    let runs = three_checks_runs(&test);
    // --check --diff lists exactly what the run makes, one entry per path.
    let check = &runs[0];
    for path in [
        "/etc/app/confdir/sub/b.conf",
        "/srv/flat/empty",
        "/srv/flat/link.conf",
    ] {
        assert!(check.stdout.contains(path), "{path}: {}", check.stdout);
    }
    assert!(
        runs[1].stdout.contains("/srv/flat/ True True"),
        "{}",
        runs[1].stdout
    );
    assert_eq!(test.read("etc/app/confdir/a.conf"), "a\n");
    assert_eq!(test.read("etc/app/confdir/sub/b.conf"), "b\n");
    // The link is followed: a file with its target's content.
    assert_eq!(test.read("etc/app/confdir/link.conf"), "a\n");
    assert!(test.root().join("etc/app/confdir/empty").is_dir());
    assert_eq!(test.mode("etc/app/confdir/a.conf"), 0o644);
    assert_eq!(test.mode("etc/app/confdir/sub"), 0o755);
    assert_eq!(test.read("srv/flat/sub/b.conf"), "b\n");
    assert_eq!(test.mode("srv/flat/sub/b.conf"), 0o600);
    assert_eq!(test.mode("srv/flat"), 0o700);
    assert_eq!(test.mode("srv/flat/empty"), 0o700);
    assert!(!test.root().join("srv/flat/confdir").exists());
}

#[test]
fn a_changed_file_in_a_copied_directory_is_the_only_change_and_force_no_keeps_it() {
    let test = Test::new();
    source_tree(&test);
    test.playbook(&play("    - copy: {src: confdir/, dest: /etc/app/}\n"));
    assert_eq!(test.run(&[]).code, 0);
    test.root_file("etc/app/sub/b.conf", "local\n");
    let run = test.run(&["--check", "--diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("-local\n+b\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("a.conf"), "{}", run.stdout);
    assert_eq!(test.read("etc/app/sub/b.conf"), "local\n");
    test.playbook(&play(
        "    - copy: {src: confdir/, dest: /etc/app/, force: false}\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(test.read("etc/app/sub/b.conf"), "local\n");
    assert_eq!(run.changed(), 0, "{}", run.stdout);
}

#[test]
fn a_link_out_of_the_copied_directory_is_refused_before_anything_is_written() {
    let test = Test::new();
    test.project_file("files/confdir/a.conf", "a\n");
    test.project_file("secret", "s3cret\n");
    std::os::unix::fs::symlink(
        test.project().join("secret"),
        test.project().join("files/confdir/leak"),
    )
    .expect("symlink");
    test.playbook(&play("    - copy: {src: confdir, dest: /etc/}\n"));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("outside the copied directory"), "{said}");
    assert!(!test.root().join("etc/confdir").exists());
}

#[test]
fn a_vaulted_file_in_a_copied_directory_is_refused_and_backup_keeps_replaced_files() {
    let test = Test::new();
    test.project_file("files/confdir/a.conf", "new\n");
    test.root_file("etc/app/a.conf", "old\n");
    test.playbook(&play(
        "    - copy: {src: confdir/, dest: /etc/app, backup: true}\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(test.read("etc/app/a.conf"), "new\n");
    let backups: Vec<_> = std::fs::read_dir(test.root().join("etc/app"))
        .expect("read_dir")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("a.conf."))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(
        std::fs::read_to_string(backups[0].path()).expect("backup"),
        "old\n"
    );

    test.project_file("files/confdir/secret", "$ANSIBLE_VAULT;1.1;AES256\n6162\n");
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("is vaulted: a vaulted file inside a copied directory is not decrypted yet"),
        "{said}"
    );
    assert!(!test.root().join("etc/app/secret").exists());
}

#[test]
fn only_copy_takes_a_directory_and_local_follow_false_with_remote_src_is_refused() {
    let test = Test::new();
    test.project_file("files/confdir/a", "a\n");
    test.playbook(&play("    - file: {src: confdir, dest: /etc/x}\n"));
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(
        run.stderr.contains("only copy copies a directory"),
        "{}",
        run.stderr
    );
    test.root_file("etc/d/a", "a\n");
    test.playbook(&play(
        "    - copy: {src: /etc/d, dest: /srv/, remote_src: true, local_follow: false}\n",
    ));
    let run = test.run(&[]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("local_follow: false with remote_src is not supported"),
        "{said}"
    );
}

/// `local_follow: false`: the source tree's symlinks are copied as links to what they
/// read (relative, to a directory, out of the tree), not followed; the three checks.
#[test]
fn local_follow_false_copies_links_as_links_with_the_three_checks() {
    let test = Test::new();
    source_tree(&test);
    std::os::unix::fs::symlink("sub", test.project().join("files/confdir/sublink"))
        .expect("symlink");
    std::os::unix::fs::symlink("/etc/passwd", test.project().join("files/confdir/out"))
        .expect("symlink");
    // Its link target must exist on the target (as Ansible's file state=link wants).
    test.root_file("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    test.playbook(&play(
        "    - copy: {src: confdir/, dest: /etc/app, local_follow: false, mode: \"0600\"}\n",
    ));
    three_checks_runs(&test);
    let link = |name: &str| {
        std::fs::read_link(test.root().join("etc/app").join(name))
            .expect("a link")
            .display()
            .to_string()
    };
    assert_eq!(link("link.conf"), "a.conf");
    assert_eq!(link("sublink"), "sub");
    assert_eq!(link("out"), "/etc/passwd");
    assert_eq!(test.read("etc/app/sub/b.conf"), "b\n");
    assert_eq!(test.mode("etc/app/a.conf"), 0o600);
}

/// copy's `remote_src`: `src` is a file or directory of the target, copied there as a
/// controller copy of the same bytes would be (mode, owner, backup, the three checks).
#[test]
fn remote_src_copies_files_and_directories_of_the_target_with_the_three_checks() {
    let test = Test::new();
    test.root_file("etc/skel/.bashrc", "alias ll='ls -l'\n");
    test.root_file("etc/skel/.config/app.conf", "a = 1\n");
    test.root_file(
        "etc/passwd",
        "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
    );
    test.root_file("etc/group", "root:x:0:\nalice:x:1000:\n");
    test.root_file("home/alice/.profile", "old\n");
    test.root_file("srv/.keep", "");
    std::fs::set_permissions(
        test.root().join("etc/skel/.bashrc"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .expect("chmod");
    test.playbook(&play(concat!(
        "    - copy: {src: /etc/skel/.bashrc, dest: /home/alice/.bashrc, remote_src: true, owner: alice, group: alice, mode: preserve}\n",
        "      register: one\n",
        "    - debug: {msg: \"{{ one.src }} {{ one.dest }} {{ one.mode }}\"}\n",
        "    - copy: {src: /etc/skel/.bashrc, dest: /home/alice/.profile, remote_src: yes, backup: true}\n",
        "    - copy: {src: /etc/skel/, dest: /srv/flat, remote_src: true, directory_mode: \"0700\"}\n",
        "    - copy: {src: /etc/skel, dest: /srv/, remote_src: true}\n",
    )));
    let runs = three_checks_runs(&test);
    let check = &runs[0];
    assert!(
        check
            .stdout
            .contains(r#""before":"old\n","after":"alias ll='ls -l'\n""#),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("/srv/flat/.config/app.conf"),
        "{}",
        check.stdout
    );
    assert!(
        runs[1]
            .stdout
            .contains("/etc/skel/.bashrc /home/alice/.bashrc 0640"),
        "{}",
        runs[1].stdout
    );
    assert_eq!(test.read("home/alice/.bashrc"), "alias ll='ls -l'\n");
    assert_eq!(test.mode("home/alice/.bashrc"), 0o640);
    let owner = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata(test.root().join("home/alice/.bashrc")).expect("stat"),
    );
    assert_eq!(owner, 1000);
    assert_eq!(test.read("home/alice/.profile"), "alias ll='ls -l'\n");
    let backups = std::fs::read_dir(test.root().join("home/alice"))
        .expect("list")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(".profile."))
        .count();
    assert_eq!(backups, 1, "the replaced .profile is kept");
    assert_eq!(test.read("srv/flat/.config/app.conf"), "a = 1\n");
    assert_eq!(test.mode("srv/flat"), 0o700);
    assert_eq!(test.read("srv/skel/.bashrc"), "alias ll='ls -l'\n");
    assert_eq!(test.mode("srv/skel/.config"), 0o755);
}

/// copy's `remote_src` streams a file of the target: one larger than the run's memory
/// limit (and than the 64 MiB it refused before) is copied under `--max-memory 64M`
/// (held whole, the run would stop: exit 2), `--check` predicts it and writes
/// nothing, and the rerun compares by digest and changes nothing.
#[test]
fn remote_src_streams_a_file_larger_than_the_memory_limit() {
    use std::os::unix::fs::FileExt;
    let test = Test::new();
    test.root_file("srv/.keep", "");
    let size: u64 = 96 << 20;
    let big = std::fs::File::create(test.root().join("srv/big")).expect("create");
    big.set_len(size).expect("size");
    big.write_all_at(b"the end", size - 7).expect("write");
    test.playbook(&play(
        "    - name: Big\n      copy: {src: /srv/big, dest: /srv/copy, remote_src: true}\n",
    ));
    let limit = ["--format", "json", "--max-memory", "64M"];
    let checked = test.run(&[&["--check"][..], &limit].concat());
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    assert_eq!(checked.changed(), 1, "{}", checked.stdout);
    assert!(!test.root().join("srv/copy").exists(), "--check wrote");
    let started = std::time::Instant::now();
    let ran = test.run(&limit);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    eprintln!(
        "copied {} MiB on the target in {:?}",
        size >> 20,
        started.elapsed()
    );
    assert_eq!(ran.changed(), 1, "{}", ran.stdout);
    let copy = std::fs::File::open(test.root().join("srv/copy")).expect("copied");
    assert_eq!(copy.metadata().expect("stat").len(), size);
    let mut end = [0u8; 7];
    copy.read_exact_at(&mut end, size - 7).expect("read");
    assert_eq!(&end, b"the end");
    let again = test.run(&limit);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(again.changed(), 0, "{}", again.stdout);
}

/// A validated remote copy checks the target's bytes first; a missing source fails
/// with Ansible's message; only copy takes remote_src.
#[test]
fn remote_src_validates_and_refuses_what_it_cannot_copy() {
    let test = Test::new();
    busybox_root(&test);
    test.root_file("etc/new.conf", "good\n");
    test.root_file("etc/conf", "old\n");
    test.playbook(&play(
        "    - copy: {src: /etc/new.conf, dest: /etc/conf, remote_src: true, validate: /bin/false %s}\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("etc/conf"), "old\n");
    test.playbook(&play(
        "    - copy: {src: /etc/missing, dest: /etc/conf, remote_src: true}\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("Source /etc/missing not found"), "{said}");
    test.playbook(&play(
        "    - file: {src: /etc/new.conf, dest: /etc/link, state: link, remote_src: true}\n",
    ));
    let run = test.run(&[]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("file takes no remote_src"), "{said}");
}
