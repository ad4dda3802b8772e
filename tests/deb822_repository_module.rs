//! `deb822_repository` through the real binary: the three checks on a temp root (a
//! key block, a key file of the target, a key downloaded from a local HTTP server, a
//! flat repository), the files compared byte for byte with what the pinned
//! ansible-core writes for the same tasks (run in a private mount namespace with a
//! copy of the tree bound over /etc/apt: the machine's own is never touched), and
//! state absent removing the file and its key.

mod common;
use common::etc_apt::apt_files;

use common::http_server::HttpServer;
use common::Test;
use std::path::Path;
use std::process::Command;

const KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGPLtest\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n";

fn tasks(key_url: &str) -> String {
    format!(
        r#"    - name: a repository with its key block
      deb822_repository:
        name: Example_Repo one
        uris: [http://deb.example/debian, http://mirror.example/debian]
        suites: bookworm
        components: main,contrib
        architectures: [amd64]
        enabled: true
        pdiffs: false
        by_hash: true
        inrelease_path: dists/x
        date_max_future: 10
        signed_by: |
          -----BEGIN PGP PUBLIC KEY BLOCK-----

          mQINBGPL
          -----END PGP PUBLIC KEY BLOCK-----
    - name: a local flat repository, with a key file of the target
      ansible.builtin.deb822_repository:
        name: local
        types: [deb, deb-src]
        uris: file:///srv/repo
        suites: ./
        trusted: true
        signed_by: /etc/apt/test-keyring.gpg
        mode: "0600"
    - name: a key downloaded
      deb822_repository:
        name: downloaded
        uris: https://example.org/debian
        suites: [stable]
        components: [main]
        signed_by: "{key_url}"
      register: downloaded
    - debug:
        msg: "{{{{ downloaded.dest }}}} {{{{ downloaded.key_filename }}}}"
"#
    )
}

/// The tree both tools start from: /etc/apt with a key file.
fn apt_tree(root: &Path) {
    std::fs::create_dir_all(root.join("etc/apt/sources.list.d")).expect("mkdir");
    std::fs::write(root.join("etc/apt/test-keyring.gpg"), "key").expect("key");
}

fn key_server() -> (tempfile::TempDir, HttpServer) {
    let served = tempfile::tempdir().expect("tempdir");
    std::fs::write(served.path().join("key.asc"), KEY).expect("key");
    let server = HttpServer::start(served.path());
    (served, server)
}

#[test]
fn repositories_and_keys_pass_the_three_checks() {
    let (_served, server) = key_server();
    let test = Test::new();
    apt_tree(&test.root());
    test.playbook(&common::play(&tasks(&server.url("/key.asc"))));
    let runs = common::three_checks_runs(&test);
    let files = apt_files(&test.root());
    let names: Vec<(&str, u32)> = files.iter().map(|(p, m, _)| (p.as_str(), *m)).collect();
    assert_eq!(
        names,
        [
            ("etc/apt/keyrings/downloaded.asc", 0o644),
            ("etc/apt/sources.list.d/downloaded.sources", 0o644),
            ("etc/apt/sources.list.d/example-repo-one.sources", 0o644),
            ("etc/apt/sources.list.d/local.sources", 0o600),
            ("etc/apt/test-keyring.gpg", 0o644),
        ]
    );
    assert_eq!(files[0].2, KEY);
    assert_eq!(
        files[3].2,
        "X-Repolib-Name: local\nSigned-By: /etc/apt/test-keyring.gpg\nSuites: ./\nTrusted: yes\nTypes: deb deb-src\nURIs: file:///srv/repo\n"
    );
    assert!(
        files[2].2.contains(
            "Signed-By:\n    -----BEGIN PGP PUBLIC KEY BLOCK-----\n    .\n    mQINBGPL\n"
        ),
        "{}",
        files[2].2
    );
    let msg = runs[1]
        .events()
        .into_iter()
        .find_map(|e| e["result"]["msg"].as_str().map(str::to_string))
        .expect("the debug message");
    assert_eq!(
        msg,
        "/etc/apt/sources.list.d/downloaded.sources /etc/apt/keyrings/downloaded.asc"
    );
}

/// A folder for PYTHONPATH holding only python-debian (and chardet, which it
/// imports), from the Debian package python3-debian: ansible-core's
/// deb822_repository imports it, and the venv does not have it.
fn python_debian() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for package in ["debian", "chardet"] {
        let installed = Path::new("/usr/lib/python3/dist-packages").join(package);
        assert!(
            installed.is_dir(),
            "{} is missing: install python3-debian (scripts/debian-packages)",
            installed.display()
        );
        std::os::unix::fs::symlink(&installed, dir.path().join(package)).expect("symlink");
    }
    dir
}

#[test]
fn the_files_are_the_ones_ansible_core_writes() {
    common::rootfs::require_root();
    let (_served, server) = key_server();
    let test = Test::new();
    apt_tree(&test.root());
    test.playbook(&common::play(&tasks(&server.url("/key.asc"))));
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let ansible_root = tempfile::tempdir().expect("tempdir");
    apt_tree(ansible_root.path());
    let python_path = python_debian();
    let playbook_bin = common::ansible_venv::tool("ansible-playbook");
    // /etc/apt is the copy's only inside this private mount namespace.
    let script = "mount --bind \"$1\" /etc/apt && shift && exec \"$@\"";
    let output = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(ansible_root.path().join("etc/apt"))
        .arg(&playbook_bin)
        .args(["-i", "localhost,", "-c", "local"])
        .arg(test.project().join("site.yml"))
        .env("PYTHONPATH", python_path.path())
        .env(
            "ANSIBLE_PYTHON_INTERPRETER",
            playbook_bin.with_file_name("python"),
        )
        .env("ANSIBLE_HOME", ansible_root.path().join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", ansible_root.path().join("tmp"))
        .output()
        .expect("unshare ansible-playbook");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(apt_files(&test.root()), apt_files(ansible_root.path()));
}

#[test]
fn absent_removes_the_sources_file_and_its_key() {
    let (_served, server) = key_server();
    let test = Test::new();
    apt_tree(&test.root());
    test.playbook(&common::play(&tasks(&server.url("/key.asc"))));
    assert_eq!(test.run(&[]).code, 0);
    test.playbook(&common::play(
        "    - deb822_repository:
        name: downloaded
        state: absent
      register: gone
    - debug:
        msg: \"{{ gone.repo is none }} {{ gone.dest }} {{ gone.key_filename }}\"
",
    ));
    let runs = common::three_checks_runs(&test);
    let msg = runs[1]
        .events()
        .into_iter()
        .find_map(|e| e["result"]["msg"].as_str().map(str::to_string))
        .expect("the debug message");
    assert_eq!(
        msg,
        "True /etc/apt/sources.list.d/downloaded.sources /etc/apt/keyrings/downloaded.gpg"
    );
    assert!(!test.root().join("etc/apt/keyrings/downloaded.asc").exists());
    assert!(!test
        .root()
        .join("etc/apt/sources.list.d/downloaded.sources")
        .exists());
}
