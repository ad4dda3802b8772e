//! The command line: `machinist run [OPTIONS] PLAYBOOK...`, with Ansible's flag names,
//! `machinist role install|list|init` (ansible-galaxy's role commands, with a lock),
//! `machinist vault …` (ansible-vault's commands and flags), `machinist doc`, and
//! `machinist completions SHELL` and `machinist man DIR`, whose scripts and pages are
//! generated from these same definitions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `machinist --version`: the package version and the commit it was built from
/// (captured by build.rs; `unknown` when built without git metadata).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MACHINIST_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "machinist",
    version = VERSION,
    about = "Idempotent playbooks for Arch Linux and systemd-nspawn containers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run playbooks against localhost (or a root directory with --root).
    Run(Box<RunArgs>),
    /// Install, list and create roles (ansible-galaxy's role commands, with a lock file).
    Role(RoleArgs),
    /// Show the documentation of modules: built-ins, runner actions and plugins.
    Doc(DocArgs),
    /// Print the shell completion script for bash, zsh or fish.
    ///
    /// bash: `machinist completions bash > ~/.local/share/bash-completion/completions/machinist`;
    /// zsh: into a directory of `$fpath` as `_machinist`;
    /// fish: `~/.config/fish/completions/machinist.fish`.
    Completions(CompletionsArgs),
    /// Write the man pages (machinist.1, machinist-run.1, …) into DIR.
    Man(ManArgs),
    /// Encrypt and decrypt Ansible Vault files and strings (ansible-vault's commands).
    Vault(VaultArgs),
    /// The agent a connection starts on a target: framed requests on stdin, replies
    /// on stdout (docs/connections.md). Not for people.
    #[command(hide = true)]
    Agent(AgentArgs),
    /// Show an inventory: its groups and hosts as JSON (--list), a tree (--graph) or
    /// one host's variables (--host), as ansible-inventory does.
    Inventory(InventoryArgs),
}

/// `machinist agent` takes no options of its own: everything comes in the
/// controller's hello. `--via-su USER` makes it the launcher that starts the agent as
/// USER through su instead (runner/agent/via_su.rs).
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Start the agent as USER through `su` (become_method su).
    #[arg(long, value_name = "USER")]
    pub via_su: Option<String>,
    /// su's password prompt is answered with a line the controller sends on stdin
    /// after the become prompt on stderr.
    #[arg(long, requires = "via_su")]
    pub ask_password: bool,
}

/// `machinist doc [MODULE]`, `machinist doc --keywords`.
#[derive(Debug, clap::Args)]
pub struct DocArgs {
    /// The module to describe (`file`, `kv_line`, `library.NAME`); without it, list
    /// every module.
    #[arg(value_name = "MODULE")]
    pub module: Option<String>,
    /// List the keywords of plays, blocks, tasks and includes instead: where each
    /// is taken, whether it is passed down, and which wait for an issue.
    #[arg(long, conflicts_with = "module")]
    pub keywords: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Where vault passwords come from (Ansible's flags), for `run` and `vault`.
#[derive(Debug, Clone, Default, Args)]
pub struct VaultSecretArgs {
    /// A vault id: `LABEL@SOURCE` or `SOURCE`; SOURCE is a password file, an
    /// executable printing the password, or `prompt` (repeatable).
    #[arg(long = "vault-id", value_name = "LABEL@SOURCE")]
    pub vault_ids: Vec<String>,
    /// A file holding the vault password, or an executable printing it (repeatable;
    /// ANSIBLE_VAULT_PASSWORD_FILE adds one).
    #[arg(
        long = "vault-password-file",
        visible_alias = "vault-pass-file",
        value_name = "FILE"
    )]
    pub vault_password_files: Vec<PathBuf>,
    /// Ask for the vault password on the terminal.
    #[arg(
        short = 'J',
        long = "ask-vault-pass",
        visible_alias = "ask-vault-password"
    )]
    pub ask_vault_pass: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write the pages into (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
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
    /// `show_custom_stats` of ansible.cfg or ANSIBLE_SHOW_CUSTOM_STATS (no flag, as
    /// in ansible-playbook): the `set_stats` block after the recap.
    #[arg(skip)]
    pub show_custom_stats: bool,
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
    /// Fail at once (exit 1) when another run holds the target root's lock, instead
    /// of waiting for it.
    #[arg(long)]
    pub no_wait: bool,
    /// The most memory the run may use (`256M`, `1G`; default 256M, or
    /// $MACHINIST_MAX_MEMORY): a template, `set_fact` or result past it stops the run
    /// (exit 2) with the task's place.
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,
    #[command(flatten)]
    pub hosts: HostArgs,
    /// How many hosts a task runs on at once (Ansible's forks); results are still
    /// shown in inventory order.
    #[arg(short = 'f', long = "forks", value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub forks: u16,
    /// Run the handlers a host notified even after it failed (every play's
    /// `force_handlers: true`).
    #[arg(long)]
    pub force_handlers: bool,
    /// List the hosts each play would run on, and exit.
    #[arg(long)]
    pub list_hosts: bool,
    /// Start without cached facts: machinist keeps no facts between runs, so every
    /// run already does (accepted for ansible-playbook's command lines).
    #[arg(long)]
    pub flush_cache: bool,
    #[command(flatten)]
    pub refused: RefusedArgs,
    #[command(flatten)]
    pub vault: VaultSecretArgs,
    #[command(flatten)]
    pub become_password: BecomePasswordArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// ansible-playbook flags machinist has no way to honour: named so that a pasted
/// command line is refused with the reason (exit 4), not as an unknown argument.
#[derive(Debug, Clone, Default, Args)]
pub struct RefusedArgs {
    /// Refused: ssh password logins (machinist's ssh logs in with keys, the agent or
    /// ~/.ssh/config).
    #[arg(short = 'k', long = "ask-pass", hide = true)]
    pub ask_pass: bool,
    /// Refused: Python modules (machinist's modules are built in).
    #[arg(short = 'M', long = "module-path", hide = true, value_name = "PATH")]
    pub module_path: Option<String>,
    /// Refused: asking before each task.
    #[arg(long = "step", hide = true)]
    pub step: bool,
}

impl RefusedArgs {
    /// Why the command line cannot run, for the first refused flag it has.
    pub fn reason(&self) -> Option<&'static str> {
        if self.ask_pass {
            Some("-k/--ask-pass is not supported: machinist's ssh connection logs in with keys, the ssh agent or ~/.ssh/config (docs/connections.md), never with a password")
        } else if self.module_path.is_some() {
            Some("-M/--module-path is not supported: machinist's modules are built in, and it runs no Python modules (`machinist doc` lists them)")
        } else if self.step {
            Some("--step is not supported: machinist does not ask before each task; use --start-at-task, --tags or --check to run part of a playbook")
        } else {
            None
        }
    }
}

/// ansible-playbook's connection flags: each is the value of its variable
/// (`ansible_connection`, `ansible_user`, …) for the hosts whose inventory does not
/// set it.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// How to reach the hosts (local, machine, ssh), unless the inventory says.
    #[arg(short = 'c', long = "connection", value_name = "CONNECTION")]
    pub connection: Option<String>,
    /// The user to log in to ssh hosts as, unless the inventory says.
    #[arg(short = 'u', long = "user", value_name = "REMOTE_USER")]
    pub user: Option<String>,
    /// The key to log in to ssh hosts with, unless the inventory says.
    #[arg(long = "private-key", visible_alias = "key-file", value_name = "FILE")]
    pub private_key: Option<String>,
    /// Seconds to wait for an ssh connection (default 10), unless the inventory says.
    #[arg(short = 'T', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<String>,
    /// Options for every ssh command (`-o ProxyJump=bastion`), unless the inventory says.
    #[arg(
        long = "ssh-common-args",
        value_name = "ARGS",
        allow_hyphen_values = true
    )]
    pub ssh_common_args: Option<String>,
    /// More options for ssh, unless the inventory says.
    #[arg(
        long = "ssh-extra-args",
        value_name = "ARGS",
        allow_hyphen_values = true
    )]
    pub ssh_extra_args: Option<String>,
}

/// Which hosts a run knows and targets (Ansible's `-i` and `-l`), for `run` and
/// `inventory`.
#[derive(Debug, Clone, Default, Args)]
pub struct HostArgs {
    /// An inventory: an INI or YAML file, a folder of them, or a comma list
    /// (`web1,web2,`); repeatable. Default: `inventory` beside the playbook, else
    /// the implicit localhost.
    #[arg(
        short = 'i',
        long = "inventory",
        visible_alias = "inventory-file",
        value_name = "INVENTORY"
    )]
    pub inventory: Vec<String>,
    /// Only the hosts this pattern selects (`web:&prod`, `!db*`, `@FILE` with one
    /// pattern a line).
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["list", "graph", "host"])))]
pub struct InventoryArgs {
    /// Every group and host, with `_meta.hostvars` (ansible-inventory's JSON).
    #[arg(long)]
    pub list: bool,
    /// The groups and hosts as a tree, from GROUP (default `all`).
    #[arg(long)]
    pub graph: bool,
    /// One host's inventory variables as JSON.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// With --graph: show each host's and group's variables.
    #[arg(long, requires = "graph")]
    pub vars: bool,
    /// With --graph: the group to start from.
    #[arg(value_name = "GROUP", requires = "graph")]
    pub group: Option<String>,
    /// Also read `group_vars/` and `host_vars/` beside DIR (a playbook's folder).
    #[arg(long, value_name = "DIR")]
    pub playbook_dir: Option<PathBuf>,
    #[command(flatten)]
    pub hosts: HostArgs,
    #[command(flatten)]
    pub vault: VaultSecretArgs,
}

/// Become by default, as whom and how, and where the become password of ssh hosts
/// comes from (ansible-playbook's flags; a host's `ansible_become*` and the
/// playbook's keywords say otherwise).
#[derive(Debug, Clone, Default, Args)]
pub struct BecomePasswordArgs {
    /// Run the tasks as another user (--become-user, root by default) where the
    /// inventory and the playbook do not say.
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// The user --become and `become: true` run as, unless the inventory or the
    /// playbook names one (default root).
    #[arg(long = "become-user", value_name = "USER")]
    pub become_user: Option<String>,
    /// How to become, unless the inventory or the playbook says (default sudo).
    #[arg(long = "become-method", value_name = "METHOD")]
    pub become_method: Option<String>,
    /// A file holding the password `become: true` gives sudo on ssh hosts.
    #[arg(
        long = "become-password-file",
        visible_alias = "become-pass-file",
        value_name = "FILE"
    )]
    pub become_password_file: Option<PathBuf>,
    /// Ask for the become password on the terminal.
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
}

#[derive(Debug, Args)]
pub struct VaultArgs {
    #[command(subcommand)]
    pub command: VaultCommand,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create a new encrypted file, written in $EDITOR.
    Create(VaultFileArgs),
    /// Edit an encrypted file in $EDITOR (re-encrypted only if it changed).
    Edit(VaultFileArgs),
    /// Show the plaintext of encrypted files.
    View(VaultViewArgs),
    /// Encrypt files in place (or stdin `-` to stdout, or into --output).
    Encrypt(VaultEncryptArgs),
    /// Decrypt files in place (or stdin `-` to stdout, or into --output).
    Decrypt(VaultDecryptArgs),
    /// Encrypt strings as inline `!vault` YAML values.
    #[command(name = "encrypt_string", alias = "encrypt-string")]
    EncryptString(VaultStringArgs),
    /// Re-encrypt files with a new password.
    Rekey(VaultRekeyArgs),
}

#[derive(Debug, Args)]
pub struct VaultFileArgs {
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
    /// The vault id to encrypt with (one of the --vault-id labels).
    #[arg(long = "encrypt-vault-id", value_name = "LABEL")]
    pub encrypt_vault_id: Option<String>,
    /// The file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct VaultViewArgs {
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
    /// Files (`-` or none: stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VaultDecryptArgs {
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
    /// Write the result here instead of in place (`-`: stdout).
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Files (`-` or none: stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VaultEncryptArgs {
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
    /// The vault id to encrypt with (one of the --vault-id labels).
    #[arg(long = "encrypt-vault-id", value_name = "LABEL")]
    pub encrypt_vault_id: Option<String>,
    /// Write the result here instead of in place (`-`: stdout).
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Files (`-` or none: stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VaultStringArgs {
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
    /// The vault id to encrypt with (one of the --vault-id labels).
    #[arg(long = "encrypt-vault-id", value_name = "LABEL")]
    pub encrypt_vault_id: Option<String>,
    /// Write the result here instead of stdout.
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Name the variable of each string, in order (`NAME: !vault |`).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// Name the variable of the string read from stdin.
    #[arg(long = "stdin-name", value_name = "NAME")]
    pub stdin_name: Option<String>,
    /// Ask for the string on the terminal (no echo).
    #[arg(short = 'p', long = "prompt")]
    pub prompt: bool,
    /// Strings to encrypt (`-` or none: stdin).
    #[arg(value_name = "STRING")]
    pub strings: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VaultRekeyArgs {
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
    /// The new vault id: `LABEL@SOURCE`.
    #[arg(long = "new-vault-id", value_name = "LABEL@SOURCE")]
    pub new_vault_id: Option<String>,
    /// The file holding the new password (or an executable printing it).
    #[arg(long = "new-vault-password-file", value_name = "FILE")]
    pub new_vault_password_file: Option<PathBuf>,
    /// Files to re-encrypt.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    #[command(subcommand)]
    pub command: RoleCommand,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Install roles from git, a local path or a tarball, and pin them in machinist.lock.
    Install(RoleInstallArgs),
    /// List the roles of the role search path: version, commit, path, source.
    List(RoleListArgs),
    /// Create a role skeleton: every folder, an argument spec, a README.
    Init(RoleInitArgs),
}

#[derive(Debug, Args)]
pub struct RoleInstallArgs {
    /// Roles to install: `SRC[,VERSION[,NAME]]` (a git URL, `git+URL`, a path, a tar.gz).
    #[arg(value_name = "NAME_OR_SRC", conflicts_with = "role_file")]
    pub roles: Vec<String>,
    /// A requirements file (Ansible's format); machinist.lock is kept beside it.
    #[arg(short = 'r', long = "role-file", value_name = "FILE")]
    pub role_file: Option<PathBuf>,
    /// Install into DIR (default: roles/ beside the requirements file, or ./roles).
    #[arg(short = 'p', long = "roles-path", value_name = "DIR")]
    pub roles_path: Option<PathBuf>,
    /// Reinstall roles that are already installed.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Ignore machinist.lock: resolve every version again and rewrite the lock.
    #[arg(short = 'U', long)]
    pub update: bool,
    /// Install only the roles named, not the roles they depend on.
    #[arg(short = 'n', long)]
    pub no_deps: bool,
}

#[derive(Debug, Args)]
pub struct RoleListArgs {
    /// List the roles in DIR instead of the role search path (repeatable).
    #[arg(short = 'p', long = "roles-path", value_name = "DIR")]
    pub roles_path: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RoleInitArgs {
    /// The role's name (letters, digits, `_`, `-`, `.`).
    pub name: String,
    /// Create the role in DIR (default: ./roles, where playbooks look for roles).
    #[arg(long = "path", alias = "init-path", value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Replace an existing role of that name.
    #[arg(short = 'f', long)]
    pub force: bool,
}
