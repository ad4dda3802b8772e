//! The ping module (Ansible's `ansible.builtin.ping`): proves that the target answers.
//! On a local host it plans at once; over a connection it runs in the host's agent like
//! any module, so a result means the agent started, took the request and replied. It
//! changes nothing; `data` comes back as `ping`, and `data: crash` fails, as Ansible's
//! does on purpose to test error handling.

pub(crate) mod doc;

use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default = "pong")]
    pub data: String,
}

fn pong() -> String {
    "pong".into()
}

pub struct PingModule;

impl Module for PingModule {
    type Args = Args;
    const NAME: &'static str = "ping";

    fn plan(&self, args: &Args, _host: &Host) -> Result<Plan, ModuleError> {
        if args.data == "crash" {
            // Ansible's module raises an exception for this value.
            return Err(ModuleError::Failed("boom".into()));
        }
        Ok(Plan::ok().with_data("ping", &args.data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{plan_with, Sandbox, TestResult};
    use serde_json::json;

    #[test]
    fn ping_answers_pong_or_the_data_and_crash_fails() -> TestResult {
        let sandbox = Sandbox::new()?;
        let host = sandbox.host(false);
        let plan = plan_with(&PingModule, &host, json!({}))?;
        assert!(!plan.is_changed());
        assert_eq!(plan.data.get("ping"), Some(&json!("pong")));
        let plan = plan_with(&PingModule, &host, json!({"data": "hello"}))?;
        assert_eq!(plan.data.get("ping"), Some(&json!("hello")));
        let crash = plan_with(&PingModule, &host, json!({"data": "crash"}));
        assert_eq!(crash.err().map(|e| e.to_string()), Some("boom".into()));
        Ok(())
    }
}
