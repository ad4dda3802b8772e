//! The `pause` action's arguments (Ansible's names), read by validation (their names,
//! through serde) and by run/pause.rs, which waits or asks.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub seconds: Option<Number>,
    pub minutes: Option<Number>,
    /// Shown before the wait; without seconds or minutes, the answer is awaited.
    pub prompt: Option<String>,
    /// Whether the answer is shown as it is typed.
    #[serde(default = "yes")]
    pub echo: bool,
}

/// A whole number, as written or as text (`"5"`): Ansible converts either.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Number {
    Int(u64),
    Text(String),
}

impl Number {
    pub fn value(&self, name: &str) -> Result<u64, String> {
        match self {
            Number::Int(n) => Ok(*n),
            Number::Text(text) => text.trim().parse().map_err(|_| {
                format!("non-integer value given for prompt duration ({name}): {text}")
            }),
        }
    }
}

fn yes() -> bool {
    true
}
