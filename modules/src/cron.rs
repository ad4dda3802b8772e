//! The `cron` module (ansible.builtin.cron): one named job (`#Ansible: NAME` above
//! its line) or one environment variable (`env: true`) of a user's crontab or of a
//! cron file, present or absent, edited as ansible-core edits it (cron/table.rs) so
//! crontabs written by either tool are the same bytes. Where the crontab lives and
//! how it is read and written is cron/spool.rs's; planning reads, the ops write.

mod spool;
pub mod table;

use crate::{Change, Diff, Host, Module, ModuleError, Op, Plan};
use serde::Deserialize;
use spool::Place;
use std::path::Path;
use table::{job_line, When};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The job's name (its marker), or with `env` the variable's.
    pub name: String,
    pub user: Option<String>,
    /// The command, or with `env` the variable's value.
    #[serde(alias = "value")]
    pub job: Option<String>,
    pub cron_file: Option<String>,
    #[serde(default)]
    pub state: State,
    #[serde(default)]
    pub backup: bool,
    #[serde(default = "any")]
    pub minute: String,
    #[serde(default = "any")]
    pub hour: String,
    #[serde(default = "any", alias = "dom")]
    pub day: String,
    #[serde(default = "any")]
    pub month: String,
    #[serde(default = "any", alias = "dow")]
    pub weekday: String,
    pub special_time: Option<SpecialTime>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub env: bool,
    pub insertafter: Option<String>,
    pub insertbefore: Option<String>,
}

fn any() -> String {
    "*".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecialTime {
    Reboot,
    Yearly,
    Annually,
    Monthly,
    Weekly,
    Daily,
    Hourly,
}

impl SpecialTime {
    fn name(self) -> &'static str {
        match self {
            SpecialTime::Reboot => "reboot",
            SpecialTime::Yearly => "yearly",
            SpecialTime::Annually => "annually",
            SpecialTime::Monthly => "monthly",
            SpecialTime::Weekly => "weekly",
            SpecialTime::Daily => "daily",
            SpecialTime::Hourly => "hourly",
        }
    }
}

pub struct CronModule;

impl Module for CronModule {
    type Args = Args;
    const NAME: &'static str = "cron";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let warnings = check(args)?;
        let place = Place::of(args.cron_file.as_deref(), args.user.as_deref());
        let current = place.read(host)?;
        let mut table = current.table.clone();
        let present = args.state == State::Present;
        let mut changed = false;
        if args.env {
            let value = args.job.as_deref().unwrap_or_default();
            let decl = format!("{}=\"{value}\"", args.name);
            let old = table.find_env(&args.name);
            match (&old, present) {
                (None, true) => {
                    table
                        .add_env(
                            &decl,
                            args.insertafter.as_deref(),
                            args.insertbefore.as_deref(),
                        )
                        .map_err(ModuleError::Failed)?;
                    changed = true;
                }
                (Some((_, line)), true) if *line != decl => {
                    table.update_env(&args.name, Some(&decl));
                    changed = true;
                }
                (Some(_), false) => {
                    table.update_env(&args.name, None);
                    changed = true;
                }
                _ => {}
            }
        } else if present {
            let when = match args.special_time {
                Some(special) => When::Special(special.name().into()),
                None => When::Fields([
                    args.minute.clone(),
                    args.hour.clone(),
                    args.day.clone(),
                    args.month.clone(),
                    args.weekday.clone(),
                ]),
            };
            let file_user = args.cron_file.as_ref().and(args.user.as_deref());
            let job = job_line(
                &when,
                file_user,
                args.job.as_deref().unwrap_or_default(),
                args.disabled,
            );
            match table.find_job(&args.name, Some(&job)) {
                None => {
                    table.add_job(&args.name, &job);
                    changed = true;
                }
                Some(found) if found.line != job || found.inserted => {
                    table.update_job(&args.name, Some(&job));
                    changed = true;
                }
                Some(_) => {}
            }
        } else if table.find_job(&args.name, None).is_some() {
            table.update_job(&args.name, None);
            changed = true;
            if let (Place::File(path), true) = (&place, table.is_empty()) {
                return remove_file(args, path, &current, warnings);
            }
        }
        // An unchanged crontab without its final newline gets one.
        if !changed && !current.text.is_empty() && !current.text.ends_with(['\r', '\n']) {
            changed = true;
        }
        let mut plan = if changed {
            let after = table.render();
            let mut ops = Vec::new();
            let mut backup_file = None;
            if args.backup {
                let path =
                    Path::new("/tmp").join(format!("crontab{}", crate::temp_file::random_name()?));
                ops.push(Op::WriteFile {
                    path: path.clone(),
                    content: current.table.render().into_bytes(),
                    mode: 0o600,
                    owner: crate::Ownership::default(),
                });
                backup_file = Some(path.display().to_string());
            }
            ops.extend(place.write(host, &after, &current)?);
            let header = place.header();
            let change = Change {
                summary: format!("{header}: {}", args.name),
                diff: Some(Diff {
                    before_header: header.clone(),
                    after_header: header,
                    before: current.text.clone(),
                    after,
                }),
                ops,
            };
            let plan = Plan::change(vec![change]);
            match backup_file {
                Some(file) => plan.with_data("backup_file", file),
                None => plan,
            }
        } else {
            Plan::ok()
        };
        plan = plan
            .with_data("jobs", table.job_names())
            .with_data("envs", table.env_names());
        if let Some(file) = &args.cron_file {
            plan = plan.with_data("cron_file", file);
        }
        plan.warnings.extend(warnings);
        Ok(plan)
    }
}

/// Ansible's checks of the arguments, before anything is read; its warnings.
fn check(args: &Args) -> Result<Vec<String>, ModuleError> {
    let mut warnings = Vec::new();
    if let Some(file) = &args.cron_file {
        if file == "/etc/crontab" {
            return Err(ModuleError::Failed(
                "Will not manage /etc/crontab via cron_file, see documentation.".into(),
            ));
        }
        let base = Path::new(file)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let plain = !base.is_empty()
            && base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            warnings.push(format!(
                "Filename portion of cron_file (\"{base}\") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens"
            ));
        }
    }
    let fields = [
        &args.minute,
        &args.hour,
        &args.day,
        &args.month,
        &args.weekday,
    ];
    if args.special_time.is_some() && fields.iter().any(|field| *field != "*") {
        return Err(ModuleError::Failed(
            "You cannot combine special_time with any of the time or day/date parameters.".into(),
        ));
    }
    if args.insertafter.is_some() && args.insertbefore.is_some() {
        return Err(ModuleError::invalid(
            "insertbefore",
            "parameters are mutually exclusive: insertafter|insertbefore",
        ));
    }
    if args.state == State::Present {
        if args.cron_file.is_some() && args.user.is_none() {
            return Err(ModuleError::Failed(
                "To use cron_file=... parameter you must specify user=... as well".into(),
            ));
        }
        let Some(job) = &args.job else {
            return Err(ModuleError::Failed(
                "You must specify 'job' to install a new cron job or variable".into(),
            ));
        };
        if (args.insertafter.is_some() || args.insertbefore.is_some()) && !args.env {
            return Err(ModuleError::Failed(
                "Insertafter and insertbefore parameters are valid only with env=yes".into(),
            ));
        }
        if !args.env && job.trim_matches(['\r', '\n']).contains(['\r', '\n']) {
            warnings.push("Job should not contain line breaks".into());
        }
    }
    if args.env && args.name.contains(' ') {
        return Err(ModuleError::Failed(
            "Invalid name for environment variable".into(),
        ));
    }
    Ok(warnings)
}

/// The last job of a cron file removed: the file goes, as Ansible's.
fn remove_file(
    args: &Args,
    path: &Path,
    current: &spool::Current,
    warnings: Vec<String>,
) -> Result<Plan, ModuleError> {
    let mut plan = if current.meta.is_some() {
        Plan::change(vec![Change {
            summary: format!("{}: removed (its last job gone)", path.display()),
            diff: Some(Diff {
                before_header: path.display().to_string(),
                after_header: "/dev/null".into(),
                before: current.text.clone(),
                after: String::new(),
            }),
            ops: vec![Op::Remove {
                path: path.to_path_buf(),
            }],
        }])
    } else {
        Plan::ok()
    };
    plan = plan.with_data("state", "absent");
    if let Some(file) = &args.cron_file {
        plan = plan.with_data("cron_file", file);
    }
    plan.warnings.extend(warnings);
    Ok(plan)
}

pub(crate) mod doc;
#[cfg(test)]
mod tests;
