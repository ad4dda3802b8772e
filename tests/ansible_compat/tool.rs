//! How the two tools are started for a differential test (the corpus and the
//! expression matrix): the same playbook, from the same folder, with the same umask
//! and locale; ansible-core with the pinned venv's interpreter, its default callback
//! printing results as JSON, and no warnings or colour.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const MACHINIST: &str = env!("CARGO_BIN_EXE_machinist");

/// Which program runs a case.
pub enum Tool {
    Machinist,
    Ansible { playbook: PathBuf },
}

impl Tool {
    /// `machinist run` / `ansible-playbook` in `dir` (the expression matrix's; the
    /// corpus uses [`Tool::program_in`]).
    #[allow(dead_code)]
    pub fn command(&self, scratch: &Path, dir: &Path) -> Command {
        self.program(scratch, dir, Program::Run)
    }

    /// `machinist run` / `ansible-playbook`, or `machinist inventory` /
    /// `ansible-inventory`, in `dir`.
    pub fn program(&self, scratch: &Path, dir: &Path, program: Program) -> Command {
        self.program_in(scratch, dir, program, None)
    }

    /// [`Tool::program`]; with `etc_apt`, in a private mount namespace where that folder
    /// is bound over /etc/apt (the cases of apt_repository and deb822_repository,
    /// which know no other place: the machine's own /etc/apt is never touched), and
    /// ansible-core gets python3-debian's modules (deb822_repository imports them).
    pub fn program_in(
        &self,
        scratch: &Path,
        dir: &Path,
        program: Program,
        etc_apt: Option<&Path>,
    ) -> Command {
        // Both tools start with the same umask, whatever the test runner's is.
        let mut cmd = match etc_apt {
            None => {
                let mut cmd = Command::new("/bin/sh");
                cmd.args(["-c", "umask 022 && exec \"$@\"", "sh"]);
                cmd
            }
            Some(etc_apt) => {
                let mut cmd = Command::new("unshare");
                cmd.args(["--mount", "--propagation", "private", "/bin/sh", "-c"])
                    .arg("mount --bind \"$0\" /etc/apt && umask 022 && exec \"$@\"")
                    .arg(etc_apt);
                if let Tool::Ansible { .. } = self {
                    cmd.env("PYTHONPATH", python_debian(scratch));
                }
                cmd
            }
        };
        cmd.current_dir(dir).env("LANG", "C.UTF-8");
        match self {
            Tool::Machinist => {
                let subcommand = match program {
                    Program::Run => "run",
                    Program::Inventory => "inventory",
                };
                cmd.args([MACHINIST, subcommand])
                    .env("NO_COLOR", "1")
                    .env_remove("FORCE_COLOR")
                    .env_remove("RUST_LOG")
                    .env_remove("MACHINIST_ROLES_PATH");
            }
            Tool::Ansible { playbook } => {
                let venv_bin = playbook.parent().expect("venv bin");
                let config = scratch.join("ansible.cfg");
                std::fs::write(&config, "[defaults]\n").expect("ansible.cfg");
                let path = format!(
                    "{}:{}",
                    venv_bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                );
                match program {
                    Program::Run => cmd.arg(playbook).args(["-c", "local"]),
                    Program::Inventory => cmd.arg(venv_bin.join("ansible-inventory")),
                };
                cmd.env("PATH", path)
                    .env("ANSIBLE_CONFIG", &config)
                    .env("ANSIBLE_HOME", scratch.join("ansible-home"))
                    .env("ANSIBLE_LOCAL_TEMP", scratch.join("ansible-local"))
                    .env("ANSIBLE_REMOTE_TEMP", scratch.join("ansible-remote"))
                    .env("ANSIBLE_PYTHON_INTERPRETER", venv_bin.join("python"))
                    .env("ANSIBLE_ROLES_PATH", dir.join("roles"))
                    .env("ANSIBLE_NOCOLOR", "1")
                    .env("ANSIBLE_FORCE_COLOR", "0")
                    .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
                    .env("ANSIBLE_STDOUT_CALLBACK", "default")
                    .env("ANSIBLE_CALLBACK_RESULT_FORMAT", "json")
                    .env("ANSIBLE_DISPLAY_SKIPPED_HOSTS", "1")
                    .env("ANSIBLE_DISPLAY_OK_HOSTS", "1")
                    .env("ANSIBLE_LOCALHOST_WARNING", "0")
                    .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "0")
                    .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
                    .env("ANSIBLE_SYSTEM_WARNINGS", "0");
                if let Some(collections) = ansible_collections() {
                    cmd.env("ANSIBLE_COLLECTIONS_PATH", collections);
                }
            }
        }
        cmd
    }
}

/// A folder of `scratch` holding links to python3-debian's modules (and chardet, which
/// they import), for PYTHONPATH: the venv has neither, and the rest of the machine's
/// dist-packages must not shadow the venv's own.
fn python_debian(scratch: &Path) -> PathBuf {
    let dir = scratch.join("python-debian");
    for package in ["debian", "chardet"] {
        let link = dir.join(package);
        if !link.exists() {
            std::fs::create_dir_all(&dir).expect("python-debian dir");
            let installed = Path::new("/usr/lib/python3/dist-packages").join(package);
            std::os::unix::fs::symlink(installed, link).expect("python-debian link");
        }
    }
    dir
}

/// Which of a tool's programs runs.
#[derive(Clone, Copy)]
pub enum Program {
    Run,
    Inventory,
}

/// Where community.general and ansible.posix are installed for ansible-core
/// (scripts/ansible-collections; MACHINIST_ANSIBLE_COLLECTIONS moves it), when they
/// are: cases of their modules (`community.general.ini_file`,
/// `ansible.posix.synchronize`) need them.
pub fn ansible_collections() -> Option<PathBuf> {
    let dir = std::env::var_os("MACHINIST_ANSIBLE_COLLECTIONS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/machinist-ansible-collections"));
    ["community/general", "ansible/posix"]
        .iter()
        .all(|collection| dir.join("ansible_collections").join(collection).is_dir())
        .then_some(dir)
}

/// The ansible-playbook of the pinned venv (scripts/ansible-venv installs it).
pub fn ansible_playbook() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("MACHINIST_ANSIBLE_PLAYBOOK") {
        return Ok(PathBuf::from(path));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ansible-venv");
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed:\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
    ))
}

/// `ansible-playbook [core 2.19.14]` → `2.19.14`.
pub fn ansible_version(playbook: &Path) -> String {
    let output = Command::new(playbook)
        .arg("--version")
        .output()
        .expect("ansible-playbook --version");
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or_default();
    first
        .split("[core ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or(first)
        .to_string()
}
