//! Playbooks: YAML files → a typed model with source locations, validated whole
//! before anything runs.

pub mod action_args;
pub mod argspec;
pub mod inherit;
pub mod keywords;
pub mod known_names;
pub mod load;
pub mod model;
pub mod sources;
pub mod undefined;
pub mod undefined_template;
pub mod validate;
