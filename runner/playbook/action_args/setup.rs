//! The `setup` (and `gather_facts`) action's arguments, read by validation (their
//! names, through serde) and by run/setup.rs, which gathers.

use serde::Deserialize;

/// One name or a list of them, as Ansible's `type: list` takes either.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    /// The names, a comma list split as Ansible splits a string given for a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Names::One(text) => text
                .split(',')
                .map(|part| part.trim().to_string())
                .filter(|part| !part.is_empty())
                .collect(),
            Names::Many(list) => list.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// `all`, `min`, `network`, `virtual`, `hardware`, … (`!name` leaves one out).
    pub gather_subset: Option<Names>,
    /// Globs on the facts' `ansible_` names: only the facts one matches are set.
    pub filter: Option<Names>,
    /// The folder of the local facts (`ansible_local`).
    pub fact_path: Option<String>,
    /// Seconds a mount's size may take.
    pub gather_timeout: Option<u64>,
}
