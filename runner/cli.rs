//! The command line: `machinist run [OPTIONS] PLAYBOOK...`, with Ansible's flag names.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "machinist",
    version,
    about = "Idempotent playbooks for Arch Linux and systemd-nspawn containers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run playbooks against localhost (or a root directory with --root).
    Run(RunArgs),
    /// Show the documentation of modules: built-ins, runner actions and plugins.
    Doc(crate::doc::DocArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Playbook files, run in order.
    #[arg(required = true, value_name = "PLAYBOOK")]
    pub playbooks: Vec<PathBuf>,
    /// Plan only: change nothing, report what would change.
    #[arg(short = 'C', long)]
    pub check: bool,
    /// Show the differences of changed files and states.
    #[arg(short = 'D', long)]
    pub diff: bool,
    /// Extra variables (highest precedence): `k=v ...`, a JSON/YAML mapping, or `@file.yml`.
    #[arg(short = 'e', long = "extra-vars", value_name = "VARS")]
    pub extra_vars: Vec<String>,
    /// Only run tasks with these tags (comma separated; repeatable).
    #[arg(short = 't', long = "tags", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Skip tasks with these tags (comma separated; repeatable).
    #[arg(long = "skip-tags", value_delimiter = ',')]
    pub skip_tags: Vec<String>,
    /// List the tasks that would run, and exit.
    #[arg(long)]
    pub list_tasks: bool,
    /// List the tags of the playbooks, and exit.
    #[arg(long)]
    pub list_tags: bool,
    /// Load and validate the playbooks, and exit.
    #[arg(long)]
    pub syntax_check: bool,
    /// Start at the first task with this name.
    #[arg(long, value_name = "NAME")]
    pub start_at_task: Option<String>,
    /// Treat DIR as the target's `/` for every path and tool.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// More output; -vv and more also log to stderr (see RUST_LOG).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Accepted for Ansible habits: only `localhost` (or `localhost,`) for now.
    #[arg(short = 'i', long = "inventory", value_name = "INVENTORY")]
    pub inventory: Option<String>,
}
