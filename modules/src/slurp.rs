//! The slurp module (Ansible's `ansible.builtin.slurp`): a file of the target, read
//! through the Host (the check-mode overlay included), registered base64-encoded as
//! `content`, with `source` and `encoding`. It never changes anything: always `ok`.

pub(crate) mod doc;

use crate::{Host, Module, ModuleError, Plan};
use base64::Engine;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "path")]
    pub src: String,
}

pub struct SlurpModule;

impl Module for SlurpModule {
    type Args = Args;
    const NAME: &'static str = "slurp";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let path = Path::new("/").join(&args.src);
        let source = &args.src;
        match host.stat(&path)? {
            None => return Err(ModuleError::Failed(format!("File not found: {source}"))),
            Some(meta) if meta.is_dir() => {
                return Err(ModuleError::Failed(format!(
                    "Source is a directory and must be a file: {source}"
                )))
            }
            Some(_) => {}
        }
        let content = host
            .read_file(&path)?
            .ok_or_else(|| ModuleError::Failed(format!("Unable to slurp file: {source}")))?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        Ok(Plan::ok()
            .with_data("content", encoded)
            .with_data("source", source)
            .with_data("encoding", "base64"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{plan_with, Sandbox, TestResult};
    use serde_json::json;

    #[test]
    fn a_file_is_read_base64_inside_the_root() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::write(sandbox.real("/etc/f"), "hello\n")?;
        std::os::unix::fs::symlink(sandbox.decoy.join("secret"), sandbox.real("/etc/out"))?;
        let host = sandbox.host(false);
        let plan = plan_with(&SlurpModule, &host, json!({"src": "/etc/f"}))?;
        assert!(!plan.is_changed());
        assert_eq!(plan.data.get("content"), Some(&json!("aGVsbG8K")));
        assert_eq!(plan.data.get("source"), Some(&json!("/etc/f")));
        assert_eq!(plan.data.get("encoding"), Some(&json!("base64")));
        let out = plan_with(&SlurpModule, &host, json!({"path": "/etc/out"}));
        assert!(out.is_err(), "the decoy was read through the link");
        let dir = plan_with(&SlurpModule, &host, json!({"src": "/etc"}));
        assert_eq!(
            dir.err().map(|e| e.to_string()),
            Some("Source is a directory and must be a file: /etc".into())
        );
        Ok(())
    }
}
