//! The `fetch` action's arguments (Ansible's names and defaults), read by validation
//! (their names, through serde) and by run/fetch.rs, which copies the file.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The target's file (inside its root).
    pub src: String,
    /// The controller folder (or, with `flat`, file) it is copied to.
    pub dest: String,
    #[serde(default)]
    pub flat: bool,
    #[serde(default = "yes")]
    pub fail_on_missing: bool,
    #[serde(default = "yes")]
    pub validate_checksum: bool,
}

fn yes() -> bool {
    true
}
