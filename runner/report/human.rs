//! The human reporter: Ansible's output shape (`PLAY [..]`, `TASK [..]`, `ok:`,
//! `changed:`, unified diffs, `PLAY RECAP`).
