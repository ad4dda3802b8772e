//! The `timezone` module (Ansible's `community.general.timezone`): the target's zone,
//! as the /etc/localtime link — firstboot's `timezone` setting (the real
//! `systemd-firstboot --root`, the zone checked against the zoneinfo), under Ansible's
//! name. The diff is firstboot's (`timezone: OLD` / `timezone: NEW`).

pub mod doc;

use crate::firstboot::{self, FirstbootModule};
use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// A zone of /usr/share/zoneinfo (`Europe/Berlin`).
    pub name: String,
}

pub struct TimezoneModule;

impl Module for TimezoneModule {
    type Args = Args;
    const NAME: &'static str = "timezone";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let settings = firstboot::Args {
            locale: None,
            keymap: None,
            timezone: Some(args.name.clone()),
            hostname: None,
            root_password: None,
            root_password_hash: None,
            machine_id: None,
            locales: Vec::new(),
        };
        let mut plan = FirstbootModule
            .plan(&settings, host)
            .map_err(|err| match err {
                ModuleError::InvalidArgs { message, .. } => ModuleError::invalid("name", message),
                other => other,
            })?;
        plan.data.remove("changed_settings");
        Ok(plan.with_data("name", &args.name))
    }
}
