//! `state` and `daemon_reload` on a running manager: the unit's `ActiveState` from
//! `systemctl show` decides start/stop; restart and reload always act (as Ansible's).
//! A reload of the manager is put before a start, restart or reload when a unit file
//! or drop-in changed — in this task, in an earlier task of the run (the Host keeps
//! the books), or on disk behind the manager's back (`NeedDaemonReload=yes`).

use super::{Task, UnitState};
use crate::systemd::Activity;
use crate::{Change, ModuleError};

impl Task<'_> {
    /// The daemon-reload change (if one is owed and needed) and the state change.
    pub(super) fn plan_state(
        &mut self,
        unit: Option<&str>,
    ) -> Result<(Option<Change>, Option<Change>), ModuleError> {
        if self.args.state.is_none() && !self.args.daemon_reload {
            return Ok((None, None));
        }
        let activity = unit.map(|unit| self.activity(unit)).transpose()?;
        let state_change = match (self.args.state, unit, &activity) {
            (Some(state), Some(unit), Some(activity)) => self.state_change(state, unit, activity),
            _ => None,
        };
        let starts = state_change.is_some() && self.args.state != Some(UnitState::Stopped);
        if !(starts || self.args.daemon_reload) {
            return Ok((None, state_change));
        }
        let owed = self.host.daemon_reload_owed()
            || self.wrote_any
            || activity.as_ref().is_some_and(|a| a.need_daemon_reload)
            || (unit.is_none() && self.systemctl.any_need_daemon_reload()?);
        let reload = owed.then(|| {
            self.systemctl_change(
                &["daemon-reload"],
                "daemon-reload (a unit file changed since the manager loaded it)".into(),
            )
        });
        Ok((reload, state_change))
    }

    /// The unit as the manager sees it, or a prediction for a unit it cannot know yet.
    fn activity(&mut self, unit: &str) -> Result<Activity, ModuleError> {
        let activity = self.systemctl.show(unit)?;
        let starting = matches!(
            self.args.state,
            Some(UnitState::Started | UnitState::Restarted | UnitState::Reloaded)
        );
        if !activity.is_found() && starting && !self.wrote_unit_file {
            if !self.host.holds_predictions() {
                return Err(ModuleError::Failed(format!(
                    "unit {unit} not found; nothing to start"
                )));
            }
            self.warn(format!(
                "unit {unit} not found: assuming an earlier task installs it (its changes \
                 are only predicted)"
            ));
        }
        self.plan.data.insert("status".into(), activity.as_json());
        Ok(activity)
    }

    fn state_change(
        &mut self,
        state: UnitState,
        unit: &str,
        activity: &Activity,
    ) -> Option<Change> {
        let before = if activity.active_state.is_empty() {
            "inactive".to_string()
        } else {
            activity.active_state.clone()
        };
        let active = activity.is_active();
        let (verb, after) = match state {
            UnitState::Started if active => return self.settled(state),
            UnitState::Stopped if !active => return self.settled(state),
            UnitState::Started => ("start", "active".to_string()),
            UnitState::Stopped => ("stop", "inactive".to_string()),
            UnitState::Restarted => ("restart", "active (restarted)".to_string()),
            UnitState::Reloaded if active => ("reload", "active (reloaded)".to_string()),
            UnitState::Reloaded => ("start", "active".to_string()),
        };
        self.facet("active", before, after);
        self.plan.data.insert("state".into(), state.word().into());
        Some(self.systemctl_change(&[verb, "--", unit], format!("{verb} {unit}")))
    }

    fn settled(&mut self, state: UnitState) -> Option<Change> {
        self.plan.data.insert("state".into(), state.word().into());
        None
    }
}
