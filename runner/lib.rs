//! machinist: an Ansible-style, idempotent task runner for Arch Linux and
//! systemd-nspawn containers.
//!
//! The engine is a pipeline: load (YAML → typed playbook with source locations) →
//! validate (every module and argument checked before anything runs) → run (render,
//! plan, apply or record in check mode) → report (events to reporters).

pub mod error;
pub mod events;
pub mod report;
pub mod template;
