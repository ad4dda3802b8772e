//! The `wait_for` action's arguments (Ansible's names and defaults), read by
//! validation (their names, through serde) and by run/wait_for.rs, which waits.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Started,
    Present,
    Stopped,
    Absent,
    Drained,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Started => "started",
            State::Present => "present",
            State::Stopped => "stopped",
            State::Absent => "absent",
            State::Drained => "drained",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default = "localhost")]
    pub host: String,
    pub port: Option<u16>,
    pub path: Option<String>,
    #[serde(default = "started")]
    pub state: State,
    pub search_regex: Option<String>,
    #[serde(default = "three_hundred")]
    pub timeout: u64,
    #[serde(default)]
    pub delay: u64,
    #[serde(default = "one")]
    pub sleep: u64,
    #[serde(default = "five")]
    pub connect_timeout: u64,
    pub msg: Option<String>,
}

fn localhost() -> String {
    "127.0.0.1".into()
}
fn started() -> State {
    State::Started
}
fn three_hundred() -> u64 {
    300
}
fn one() -> u64 {
    1
}
fn five() -> u64 {
    5
}
