//! Package names as Ansible takes them: a list, or one string of comma-separated names.

use serde::{Deserialize, Deserializer};

pub fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Names {
        Text(String),
        List(Vec<String>),
    }
    let names = match Names::deserialize(deserializer)? {
        Names::Text(text) => text.split(',').map(str::to_string).collect(),
        Names::List(list) => list,
    };
    Ok(names
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect())
}
