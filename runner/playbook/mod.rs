//! Playbooks: YAML files → a typed model with source locations, validated whole
//! before anything runs.

pub mod argspec;
pub mod inherit;
pub mod known_names;
pub mod load;
pub mod model;
pub mod validate;
pub mod yaml;
