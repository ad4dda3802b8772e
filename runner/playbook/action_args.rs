//! The arguments of the runner's own actions that take more than a message: defined
//! beside the model, so that validation (`Action::arg_names`) reads them without
//! reaching into the executor, which only uses them.

pub mod fetch;
pub mod pause;
pub mod setup;
pub mod uri;
pub mod wait_for;
pub mod wait_for_connection;

/// The arguments `include_vars` takes (the free form is `file`; `dir` and the ones
/// after it read a folder of files instead).
pub const INCLUDE_VARS: &[&str] = &[
    "file",
    "name",
    "dir",
    "depth",
    "files_matching",
    "ignore_files",
    "extensions",
    "ignore_unknown_extensions",
];
