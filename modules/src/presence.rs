//! `state: present | absent`, the choice every module that manages one thing takes
//! (Ansible's default: present): one type, so each reads and documents it alike.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    #[default]
    Present,
    Absent,
}

impl Presence {
    /// The word Ansible writes in results (`state: present`).
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Present => "present",
            Presence::Absent => "absent",
        }
    }
}
