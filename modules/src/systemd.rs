//! What the `unit` and `nspawn` modules share: unit names, how `systemctl` is reached
//! for a host (offline with `--root=ROOT`, or the running manager on `/`), what its
//! answers mean, and the configuration files those modules own (unit files, drop-ins,
//! `.nspawn` files). Idempotency comes from systemd's own answers (`is-enabled`,
//! `show`), never from guessing at its link farm.

mod config_file;
mod facets;
mod state;
mod systemctl;
mod unit_name;

pub use config_file::{plan_absent, plan_file};
pub use facets::Facets;
pub use state::{missing_root, Activity, Enablement};
pub use systemctl::{Scope, Systemctl};
pub use unit_name::{dropin_name, unit_name};
