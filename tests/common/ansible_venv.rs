//! The tools of the pinned ansible-core venv (scripts/ansible-venv makes it;
//! MACHINIST_ANSIBLE_VENV moves it), for tests that compare with Ansible itself.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `bin/NAME` of the venv (`ansible-vault`, `ansible-playbook`), created if missing.
pub fn tool(name: &str) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ansible-venv");
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} failed (the venv is needed):\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let playbook = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let tool = playbook.with_file_name(name);
    assert!(tool.exists(), "{} is missing", tool.display());
    tool
}
