//! The `wait_for_connection` action's arguments (Ansible's names and defaults), read
//! by validation (their names, through serde) and by run/wait_for_connection.rs.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Seconds before the first attempt.
    #[serde(default)]
    pub delay: u64,
    /// Seconds between attempts.
    #[serde(default = "one")]
    pub sleep: u64,
    /// Seconds before the task fails.
    #[serde(default = "six_hundred")]
    pub timeout: u64,
    /// Seconds one attempt may take.
    #[serde(default = "five")]
    pub connect_timeout: u64,
}

fn one() -> u64 {
    1
}
fn five() -> u64 {
    5
}
fn six_hundred() -> u64 {
    600
}
