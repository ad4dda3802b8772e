//! Sharing roles (issue 5): `machinist role install|list|init` with the real `git` and
//! `tar`, against repositories each test makes with `git init` in a temp folder. Commit
//! dates are fixed, so commit ids (and the output that shows them) are the same on every
//! machine; temp paths print as [TMP].

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Env {
    dir: tempfile::TempDir,
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::Builder::new()
            .prefix("machinist-roles")
            .tempdir()
            .expect("temp dir");
        for sub in ["project", "home", "repos"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        Env { dir }
    }

    fn tmp(&self) -> &Path {
        self.dir.path()
    }

    /// The folder `machinist` runs in.
    fn project(&self) -> PathBuf {
        self.tmp().join("project")
    }

    fn write(&self, path: &Path, content: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
    }

    fn requirements(&self, yaml: &str) {
        self.write(&self.project().join("requirements.yml"), yaml);
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.project().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("HOME", self.tmp().join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.org")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.org")
            .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
            .env("NO_COLOR", "1")
            .env_remove("MACHINIST_ROLES_PATH")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        command
    }

    fn git(&self, repo: &Path, args: &[&str]) -> String {
        let output = self
            .command("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .expect("run git");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// A new repository `repos/NAME` on branch main.
    fn repo(&self, name: &str) -> PathBuf {
        let repo = self.tmp().join("repos").join(name);
        let out = self
            .command("git")
            .args(["-c", "init.defaultBranch=main", "init", "-q"])
            .arg(&repo)
            .output()
            .expect("git init");
        assert!(out.status.success());
        repo
    }

    /// Commit a role whose only task prints `msg`; the commit id.
    fn commit(&self, repo: &Path, msg: &str) -> String {
        self.write(
            &repo.join("tasks/main.yml"),
            &format!("- debug:\n    msg: {msg}\n"),
        );
        self.git(repo, &["add", "-A"]);
        self.git(repo, &["commit", "-q", "-m", msg]);
        self.git(repo, &["rev-parse", "HEAD"])
    }

    /// Start `machinist ARGS` in the project folder.
    fn spawn(&self, args: &[&str]) -> Command {
        let mut command = self.command(env!("CARGO_BIN_EXE_machinist"));
        command.args(args).current_dir(self.project());
        command
    }

    fn machinist(&self, args: &[&str]) -> Run {
        let output = self.spawn(args).output().expect("run machinist");
        let tmp = self.tmp().to_string_lossy().into_owned();
        let filter = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(&tmp, "[TMP]");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: filter(&output.stdout),
            stderr: filter(&output.stderr),
        }
    }

    /// `machinist ARGS`, which must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let run = self.machinist(args);
        assert_eq!(run.code, 0, "{run:#?}");
        run.stdout
    }

    fn install(&self) -> String {
        self.ok(&["role", "install", "-r", "requirements.yml"])
    }

    /// The installed role's task message.
    fn installed_msg(&self, role: &str) -> String {
        let tasks = self.read(&format!("roles/{role}/tasks/main.yml"));
        tasks
            .trim()
            .rsplit("msg: ")
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Every name in the project's roles folder, dot-files included.
    fn roles_folder(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.project().join("roles"))
            .map(|dir| {
                dir.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// The `commit:` lines of the lock, in order.
fn locked_commits(lock: &str) -> Vec<String> {
    lock.lines()
        .filter_map(|l| l.trim().strip_prefix("commit: "))
        .map(|c| c.trim_matches('"').to_string())
        .collect()
}

/// A repository `web`: `one` (tagged v1) then `two` on main; `three` on branch dev.
fn web_repo(env: &Env) -> (PathBuf, [String; 3]) {
    let repo = env.repo("web");
    let one = env.commit(&repo, "one");
    env.git(&repo, &["tag", "-a", "v1", "-m", "v1"]);
    let two = env.commit(&repo, "two");
    env.git(&repo, &["checkout", "-q", "-b", "dev"]);
    let three = env.commit(&repo, "three");
    env.git(&repo, &["checkout", "-q", "main"]);
    (repo, [one, two, three])
}

#[test]
fn installs_by_branch_tag_and_commit() {
    let env = Env::new();
    let (repo, [one, two, three]) = web_repo(&env);
    let url = format!("file://{}", repo.display());
    env.requirements(&format!(
        "roles:\n  - src: git+{url}\n  - src: {url}\n    name: web_dev\n    version: dev\n  - src: {url}\n    name: web_v1\n    version: v1\n  - name: web_pinned\n    src: ../repos/web\n    scm: git\n    version: {}\n",
        &one[..10]
    ));
    let out = env.install();
    assert_eq!(
        out.lines().filter(|l| l.contains(": installed ")).count(),
        4,
        "{out}"
    );
    assert_eq!(env.installed_msg("web"), "two");
    assert_eq!(env.installed_msg("web_dev"), "three");
    assert_eq!(env.installed_msg("web_v1"), "one");
    assert_eq!(env.installed_msg("web_pinned"), "one");
    assert!(!env.project().join("roles/web/.git").exists());
    let lock = env.read("machinist.lock");
    assert_eq!(locked_commits(&lock), [two.as_str(), &three, &one, &one]);
    assert!(
        lock.contains(&format!("    version: \"{}\"\n", &one[..10])),
        "{lock}"
    );
    assert!(env
        .read("roles/web_v1/.machinist-install.yml")
        .contains(&format!("commit: \"{one}\"")),);
}

#[test]
fn the_lock_reproduces_a_commit_after_the_branch_moved_and_update_moves_it() {
    let env = Env::new();
    let (repo, [_, two, _]) = web_repo(&env);
    env.requirements(&format!(
        "- src: git+file://{}\n  version: main\n",
        repo.display()
    ));
    env.install();
    let lock = env.read("machinist.lock");
    let four = env.commit(&repo, "four");

    // A fresh checkout of the project: the lock, no roles.
    std::fs::remove_dir_all(env.project().join("roles")).expect("rm roles");
    let out = env.install();
    assert!(
        out.contains(&format!("installed main @ {}", &two[..12])),
        "{out}"
    );
    assert_eq!(env.installed_msg("web"), "two");
    assert_eq!(env.read("machinist.lock"), lock, "install rewrote the lock");

    let out = env.ok(&["role", "install", "-r", "requirements.yml", "--update"]);
    assert_eq!(env.installed_msg("web"), "four");
    assert_eq!(locked_commits(&env.read("machinist.lock")), [four.as_str()]);
    assert!(
        out.contains(&format!("(was main @ {})", &two[..12])),
        "{out}"
    );
    assert!(out.contains("- wrote machinist.lock"), "{out}");

    // A locked commit the remote no longer has is bad input, not a silent move.
    env.git(&repo, &["reset", "-q", "--hard", &two]);
    env.git(&repo, &["tag", "-d", "v1"]);
    env.git(&repo, &["branch", "-D", "dev"]);
    env.git(&repo, &["reflog", "expire", "--expire=now", "--all"]);
    env.git(&repo, &["gc", "-q", "--prune=now"]);
    std::fs::remove_dir_all(env.project().join("roles")).expect("rm roles");
    let run = env.machinist(&["role", "install", "-r", "requirements.yml"]);
    assert_eq!(run.code, 4, "{run:#?}");
    assert!(
        run.stderr
            .contains(&format!("commit {four} pinned by machinist.lock is not in")),
        "{run:#?}"
    );
    assert_eq!(env.roles_folder(), [".machinist-install-lock"]);
}

#[test]
fn a_second_install_changes_nothing_and_force_reinstalls() {
    let env = Env::new();
    let (repo, [_, two, _]) = web_repo(&env);
    env.requirements(&format!(
        "- src: git+file://{}\n  version: main\n",
        repo.display()
    ));
    env.install();
    let lock_path = env.project().join("machinist.lock");
    let modified = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .expect("mtime")
    };
    let (lock_before, role_before) = (
        modified(&lock_path),
        modified(&env.project().join("roles/web")),
    );

    let again = env.install();
    assert_eq!(
        again,
        format!("- web: already installed (main @ {})\n", &two[..12])
    );
    assert_eq!(modified(&lock_path), lock_before);
    assert_eq!(modified(&env.project().join("roles/web")), role_before);

    std::fs::write(env.project().join("roles/web/tasks/main.yml"), "edited\n").expect("edit");
    let forced = env.ok(&["role", "install", "-r", "requirements.yml", "--force"]);
    assert_eq!(
        forced,
        format!(
            "- web: fetching git+file://[TMP]/repos/web\n- web: installed main @ {} into roles/web (reinstalled)\n",
            &two[..12]
        )
    );
    assert_eq!(env.installed_msg("web"), "two");
    assert_eq!(env.roles_folder(), [".machinist-install-lock", "web"]);
}

/// A role's dependencies come with it, as ansible-galaxy installs them: `meta/main.yml`
/// entries with a `src` (its parameters ignored), the string form, and
/// `meta/requirements.yml`; a dependency naming only a role is left to the search path;
/// a role asked for at the top wins over a dependency of the same name; the lock pins
/// them all, a second install changes nothing, and `--no-deps` installs only the role.
#[test]
fn installs_a_roles_dependencies_and_pins_them() {
    let env = Env::new();
    let (web, [web_one, web_two, _]) = web_repo(&env);
    let db = env.repo("db");
    let db_one = env.commit(&db, "db one");
    env.git(&db, &["tag", "v1"]);
    env.commit(&db, "db two");
    let cache = env.repo("cache");
    let cache_one = env.commit(&cache, "cache");
    let base = env.repo("base");
    env.write(
        &base.join("meta/requirements.yml"),
        &format!(
            "- src: git+file://{}
",
            cache.display()
        ),
    );
    let base_one = env.commit(&base, "base");
    let app = env.repo("app");
    env.write(
        &app.join("meta/main.yml"),
        &format!(
            "galaxy_info: {{author: test}}
dependencies:
  - role: common
  - common_too
  - src: git+file://{db}
    version: v1
    name: database
    db_port: 5432
    tags: [db]
  - git+file://{base},main
  - src: git+file://{web}
    version: v1
",
            db = db.display(),
            base = base.display(),
            web = web.display(),
        ),
    );
    let app_one = env.commit(&app, "app");
    env.requirements(&format!(
        "- src: git+file://{}
- src: git+file://{}
",
        app.display(),
        web.display()
    ));
    let out = env.install();
    let short = |commit: &str| commit[..12].to_string();
    let from = |repo: &str| format!("git+file://[TMP]/repos/{repo}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            format!("- app: fetching {}", from("app")),
            format!("- app: installed {} into roles/app", short(&app_one)),
            format!(
                "- web: app depends on it from {} (version v1); keeping {}, asked for first",
                from("web"),
                from("web")
            ),
            format!("- web: fetching {}", from("web")),
            format!("- web: installed {} into roles/web", short(&web_two)),
            "- database: a dependency of app".to_string(),
            format!("- database: fetching {}", from("db")),
            format!(
                "- database: installed v1 @ {} into roles/database",
                short(&db_one)
            ),
            "- base: a dependency of app".to_string(),
            format!("- base: fetching {}", from("base")),
            format!(
                "- base: installed main @ {} into roles/base",
                short(&base_one)
            ),
            "- cache: a dependency of base".to_string(),
            format!("- cache: fetching {}", from("cache")),
            format!("- cache: installed {} into roles/cache", short(&cache_one)),
            "- wrote machinist.lock".to_string(),
        ]
    );
    assert_eq!(env.installed_msg("database"), "db one");
    assert_eq!(env.installed_msg("web"), "two");
    assert_ne!(web_one, web_two);
    let lock = env.read("machinist.lock");
    assert_eq!(
        locked_commits(&lock),
        [app_one, web_two, db_one, base_one, cache_one]
    );

    let again = env.install();
    assert!(
        again.lines().all(|line| line.contains("already installed")
            || line.contains("a dependency of")
            || line.contains("keeping")),
        "{again}"
    );
    assert_eq!(env.read("machinist.lock"), lock);

    std::fs::remove_dir_all(env.project().join("roles")).expect("rm roles");
    let bare = env.ok(&["role", "install", "-r", "requirements.yml", "--no-deps"]);
    assert!(!bare.contains("database"), "{bare}");
    assert_eq!(
        env.roles_folder(),
        [".machinist-install-lock", "app", "web"]
    );
}

#[test]
fn installs_from_a_path_and_a_tarball() {
    let env = Env::new();
    let src = env.tmp().join("src");
    env.write(
        &src.join("local_role/tasks/main.yml"),
        "- debug:\n    msg: local\n",
    );
    env.write(
        &src.join("tarred/tasks/main.yml"),
        "- debug:\n    msg: tarred\n",
    );
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(env.project().join("tarred-1.0.tar.gz"))
        .arg("-C")
        .arg(&src)
        .arg("tarred")
        .status()
        .expect("tar");
    assert!(tar.success());
    env.requirements(&format!(
        "- src: {}/local_role\n- src: tarred-1.0.tar.gz\n  name: tarred\n- src: file://[P]/tarred-1.0.tar.gz\n  name: tarred_url\n",
        src.display()
    ).replace("[P]", &env.project().to_string_lossy()));
    env.install();
    assert_eq!(env.installed_msg("local_role"), "local");
    assert_eq!(env.installed_msg("tarred"), "tarred");
    assert_eq!(env.installed_msg("tarred_url"), "tarred");
    let bytes = std::fs::read(env.project().join("tarred-1.0.tar.gz")).expect("read");
    let sha: String = <sha2::Sha256 as sha2::Digest>::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let lock = env.read("machinist.lock");
    assert_eq!(
        lock.matches(&format!("sha256: \"{sha}\"")).count(),
        2,
        "{lock}"
    );
    assert!(lock.contains("tree_sha256: "), "{lock}");
    assert!(env
        .install()
        .lines()
        .all(|l| l.contains("already installed")));

    // The folder changes: the lock pins its old content, so install refuses until --update.
    env.write(
        &src.join("local_role/tasks/main.yml"),
        "- debug:\n    msg: local2\n",
    );
    let run = env.machinist(&["role", "install", "-r", "requirements.yml"]);
    assert_eq!(run.code, 4, "{run:#?}");
    assert!(run.stderr.starts_with("requirements.yml:1:8: error: [TMP]/src/local_role no longer matches machinist.lock (tree sha256:"), "{}", run.stderr);
    env.ok(&["role", "install", "-r", "requirements.yml", "--update"]);
    assert_eq!(env.installed_msg("local_role"), "local2");
}

#[test]
fn installs_sources_given_on_the_command_line_without_a_lock() {
    let env = Env::new();
    let (repo, [one, ..]) = web_repo(&env);
    let arg = format!("git+file://{},v1,first", repo.display());
    let out = env.ok(&["role", "install", "-p", "shared", &arg]);
    assert_eq!(
        out,
        format!(
            "- first: fetching git+file://[TMP]/repos/web\n- first: installed v1 @ {} into shared/first\n",
            &one[..12]
        )
    );
    assert!(!env.project().join("machinist.lock").exists());
}

#[test]
fn a_stale_temp_folder_is_never_a_role_and_is_cleaned() {
    let env = Env::new();
    let (repo, _) = web_repo(&env);
    env.requirements(&format!("- src: git+file://{}\n", repo.display()));
    let stale = env.project().join("roles/.machinist-tmp-web-4242-1");
    env.write(&stale.join("tasks/main.yml"), "- debug: {msg: half");
    assert_eq!(
        env.ok(&["role", "list", "-p", "roles"]),
        "no roles found; looked in: roles\n"
    );
    let out = env.install();
    assert!(
        out.starts_with(
            "- removed roles/.machinist-tmp-web-4242-1, left by an interrupted install\n"
        ),
        "{out}"
    );
    assert_eq!(env.roles_folder(), [".machinist-install-lock", "web"]);
}

#[test]
fn an_install_killed_mid_clone_leaves_nothing_a_later_run_picks_up() {
    let env = Env::new();
    let (repo, _) = web_repo(&env);
    env.requirements(&format!("- src: git+file://{}\n", repo.display()));
    // Make the clone hang while it transfers: git runs this hook from the (protected)
    // global config of HOME in place of `git pack-objects`.
    let started = env.tmp().join("clone-started");
    let hook = env.tmp().join("slow-pack.sh");
    env.write(
        &hook,
        &format!(
            "#!/bin/sh\ntouch '{}'\nsleep 60\nexec \"$@\"\n",
            started.display()
        ),
    );
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let gitconfig = env.tmp().join("home/.gitconfig");
    env.write(
        &gitconfig,
        &format!("[uploadpack]\n\tpackObjectsHook = {}\n", hook.display()),
    );

    let mut child = env
        .spawn(&["role", "install", "-r", "requirements.yml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !started.exists() {
        assert!(Instant::now() < deadline, "the clone never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let group = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process_group(group, rustix::process::Signal::KILL).expect("kill");
    child.wait().expect("wait");

    let left = env.roles_folder();
    assert!(
        left.iter().any(|n| n.starts_with(".machinist-tmp-web-")),
        "the kill came too late to test anything: {left:?}"
    );
    assert!(!left.contains(&"web".to_string()), "{left:?}");
    assert!(!env.project().join("machinist.lock").exists());
    assert!(env
        .ok(&["role", "list", "-p", "roles"])
        .starts_with("no roles found"));

    std::fs::remove_file(&gitconfig).expect("rm gitconfig");
    let out = env.install();
    assert!(
        out.starts_with("- removed roles/.machinist-tmp-web-"),
        "{out}"
    );
    assert_eq!(env.roles_folder(), [".machinist-install-lock", "web"]);
    assert_eq!(env.installed_msg("web"), "two");
}

#[test]
fn role_list_shows_version_commit_path_and_source() {
    let env = Env::new();
    let (repo, _) = web_repo(&env);
    env.requirements(&format!(
        "- src: git+file://{}\n  version: v1\n- src: file://{}\n  name: web2\n",
        repo.display(),
        repo.display()
    ));
    env.install();
    env.write(&env.project().join("roles/handmade/tasks/main.yml"), "[]\n");
    let shared = env.tmp().join("shared");
    env.write(&shared.join("web/tasks/main.yml"), "[]\n");
    let run = env
        .spawn(&["role", "list"])
        .env("MACHINIST_ROLES_PATH", &shared)
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&run.stdout).replace(&*env.tmp().to_string_lossy(), "[TMP]");
    insta::assert_snapshot!(out, @r"
    # ./roles
    - handmade, (unknown version), ./roles/handmade, not installed by machinist
    - web, v1 @ 3c850328e26c, ./roles/web, from git+file://[TMP]/repos/web
    - web2, e21d1b1b17d8, ./roles/web2, from file://[TMP]/repos/web
    # [TMP]/shared
    - web, (unknown version), [TMP]/shared/web, not installed by machinist [hidden by ./roles/web]
    ");
}

#[test]
fn role_init_makes_a_whole_skeleton_that_runs() {
    let env = Env::new();
    assert_eq!(
        env.ok(&["role", "init", "web_server"]),
        "- role created in roles/web_server\n"
    );
    let role = env.project().join("roles/web_server");
    for folder in [
        "tasks",
        "handlers",
        "defaults",
        "vars",
        "templates",
        "files",
        "meta",
        "library",
    ] {
        assert!(role.join(folder).is_dir(), "{folder}");
    }
    for file in [
        "tasks/main.yml",
        "handlers/main.yml",
        "defaults/main.yml",
        "vars/main.yml",
        "meta/main.yml",
        "meta/argument_specs.yml",
        "README.md",
    ] {
        assert!(role.join(file).is_file(), "{file}");
    }
    assert!(env
        .read("roles/web_server/meta/main.yml")
        .contains("\ndependencies: []\n"));
    let specs = env.read("roles/web_server/meta/argument_specs.yml");
    assert!(
        specs.contains(
            "argument_specs:\n  main:\n    short_description: What web_server sets up.\n"
        ),
        "{specs}"
    );
    assert!(
        specs.contains("      web_server_message:\n        type: str\n"),
        "{specs}"
    );
    assert_eq!(
        env.read("roles/web_server/defaults/main.yml")
            .lines()
            .last(),
        Some("web_server_message: hello from web_server")
    );

    // Its example task is valid for the engine.
    env.write(
        &env.project().join("site.yml"),
        "- hosts: localhost\n  vars: {web_server_message: hi}\n  tasks:\n    - import_tasks: roles/web_server/tasks/main.yml\n",
    );
    std::fs::create_dir(env.tmp().join("root")).expect("mkdir");
    let root = env.tmp().join("root");
    let run = env.ok(&["run", "site.yml", "--root", &root.to_string_lossy()]);
    assert!(run.contains("\"msg\": \"web_server: hi\""), "{run}");

    // Never over an existing role, unless --force.
    std::fs::write(role.join("tasks/main.yml"), "mine\n").expect("write");
    let run = env.machinist(&["role", "init", "web_server"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "machinist: error: roles/web_server already exists; use --force to replace it\n"
    );
    assert_eq!(env.read("roles/web_server/tasks/main.yml"), "mine\n");
    env.ok(&["role", "init", "web_server", "--force"]);
    assert!(env
        .read("roles/web_server/tasks/main.yml")
        .contains("debug:"));
    let run = env.machinist(&["role", "init", "../escape"]);
    assert_eq!(run.code, 4, "{run:#?}");
}

#[test]
fn bad_requirements_exit_4_with_a_location() {
    let env = Env::new();
    let (repo, _) = web_repo(&env);
    env.requirements(&format!(
        "- src: git+file://{}\n  version: v1\n  verison: v2\n- name: geerlingguy.apache\n",
        repo.display()
    ));
    let run = env.machinist(&["role", "install", "-r", "requirements.yml"]);
    assert_eq!(run.code, 4);
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!(run.stderr, @r"
    requirements.yml:3:3: error: unknown key 'verison' in a role requirement (expected src, name, version, scm)
      |
    3 |   verison: v2
      |   ^^^^^^^
    requirements.yml:4:9: error: 'geerlingguy.apache' has no src; machinist does not download from Ansible Galaxy: give a git URL, a path or a tarball as src
      |
    4 | - name: geerlingguy.apache
      |         ^^^^^^^^^^^^^^^^^^
    2 errors; nothing was run
    ");
    assert!(!env.project().join("roles").exists());
}

#[test]
fn an_unknown_version_exits_4_and_a_failing_git_exits_1() {
    let env = Env::new();
    let (repo, _) = web_repo(&env);
    env.requirements(&format!(
        "- src: git+file://{}\n  version: v9\n",
        repo.display()
    ));
    let run = env.machinist(&["role", "install", "-r", "requirements.yml"]);
    assert_eq!(run.code, 4, "{run:#?}");
    insta::assert_snapshot!(run.stderr, @r"
    requirements.yml:2:12: error: version 'v9' is not a tag, branch or commit of git+file://[TMP]/repos/web
      |
    2 |   version: v9
      |            ^^
    ");
    assert_eq!(env.roles_folder(), [".machinist-install-lock"]);

    env.requirements("- src: git+file:///nonexistent/repo.git\n");
    let run = env.machinist(&["role", "install", "-r", "requirements.yml"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stderr.starts_with(
            "machinist: error: `git clone --quiet --no-checkout -- file:///nonexistent/repo.git "
        ),
        "{}",
        run.stderr
    );
    assert_eq!(env.roles_folder(), [".machinist-install-lock"]);
}
