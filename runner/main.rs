//! The `machinist` binary: parse the command line, load and validate, run, and map
//! the result to an exit code (0 success, 2 a task failed, 3 a host was unreachable
//! and none failed, 4 bad input, 1 internal, 130/143 stopped by SIGINT/SIGTERM). It
//! hands the executor its connections (runner/connection/ through run/remote.rs's
//! seam: the executor never imports them).
//! `machinist role …` is handed whole to `roles::command`, `machinist vault …` to
//! `vault::command`; `completions` and `man` to `report::shell`.

use clap::Parser;
use machinist::cli::{Cli, Command, Format, RunArgs};
use machinist::error::{Diagnostic, InputError, SourceMap};
use machinist::inventory::{self, Inventory};
use machinist::report::{self, HumanReporter, JsonReporter, OutputOptions, Reporter};
use machinist::run::{self, interrupt, RunError, RunOptions, RunStatus, TagFilter};
use machinist::{events::Event, extra_vars, listing, vault};
use std::io::IsTerminal;
use std::process::ExitCode;

/// Counts the heap, and stops the run at its memory limit (runner/memory.rs).
#[global_allocator]
static ALLOCATOR: machinist::memory::Bounded = machinist::memory::Bounded;

const EXIT_FAILED: u8 = 2;
const EXIT_UNREACHABLE: u8 = 3;
const EXIT_BAD_INPUT: u8 = 4;
const EXIT_INTERNAL: u8 = 1;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Run(mut args) => {
            let warnings = match read_ansible_cfg(&mut args) {
                Ok(warnings) => warnings,
                Err(message) => {
                    report::print_errors(
                        &[Diagnostic::bare(message)],
                        &SourceMap::default(),
                        report::color_wanted(std::io::stderr().is_terminal()),
                    );
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            };
            run_command(*args, warnings)
        }
        Command::Role(args) => machinist::roles::command::run(args),
        Command::Doc(args) => machinist::doc::command(&args),
        Command::Completions(args) => output_result(report::shell::completions(args.shell)),
        Command::Man(args) => output_result(report::shell::man_pages(&args.dir).map(drop)),
        Command::Inventory(mut args) => {
            init_logging(0);
            match machinist::ansible_cfg::find()
                .map(|path| machinist::ansible_cfg::AnsibleCfg::read(&path))
            {
                Some(Ok(cfg)) => cfg.fill_inventory(&mut args.hosts),
                Some(Err(message)) => {
                    report::print_internal_error(&message);
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
                None => {}
            }
            inventory::command::run(args)
        }
        Command::Vault(args) => {
            init_logging(0);
            machinist::vault::command::run(args)
        }
        Command::Agent(args) => match args.via_su {
            Some(user) => agent_via_su_command(&user, args.ask_password),
            None => agent_command(),
        },
    }
}

/// `machinist agent`: serve a controller on stdin/stdout (runner/agent/serve.rs); a
/// session that ends badly says why on stderr, which the connection reports.
fn agent_command() -> ExitCode {
    init_logging(0);
    match machinist::agent::serve::serve_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report::print_internal_error(&format!("agent: {err}"));
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// The launcher of an agent through su: su's status, or 1 with why on stderr.
fn agent_via_su_command(user: &str, ask_password: bool) -> ExitCode {
    init_logging(0);
    match machinist::agent::via_su::launch(user, ask_password) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(err) => {
            report::print_internal_error(&format!("become_method su: {err}"));
            ExitCode::from(1)
        }
    }
}

/// Exit 0, or 1 with the error on stderr (a closed pipe is no error).
fn output_result(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            report::print_internal_error(&err);
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

fn init_logging(verbosity: u8) {
    let default = match verbosity {
        0 | 1 => "warn",
        2 => "machinist=debug,machinist_modules=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Log lines may quote values: vaulted ones are masked. Coloured only on a terminal.
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(|| machinist::revealed::MaskedWriter(std::io::stderr()))
        .try_init();
}

/// ansible.cfg, where ansible-core would find one, as defaults of `args`; the
/// warnings name the settings not followed.
fn read_ansible_cfg(args: &mut RunArgs) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    if let Some(path) = machinist::ansible_cfg::find() {
        let cfg = machinist::ansible_cfg::AnsibleCfg::read(&path)?;
        tracing::debug!(file = %path.display(), "ansible.cfg read");
        machinist::roles::search::configure(cfg.roles_path());
        warnings = cfg.apply(args);
    }
    warnings.extend(machinist::ansible_cfg::apply_env(args));
    Ok(warnings)
}

fn run_command(args: RunArgs, cfg_warnings: Vec<String>) -> ExitCode {
    init_logging(args.verbose);
    if let Err(err) = interrupt::install() {
        report::print_internal_error(&format!("cannot catch SIGINT/SIGTERM: {err}"));
        return ExitCode::from(EXIT_INTERNAL);
    }
    let color = report::color_wanted(std::io::stdout().is_terminal());
    let sources = SourceMap::default();
    let bad_input = |err: &InputError| {
        report::print_errors(
            &err.0,
            &sources,
            report::color_wanted(std::io::stderr().is_terminal()),
        );
        ExitCode::from(EXIT_BAD_INPUT)
    };
    let limit = match args.max_memory.clone().or_else(|| {
        std::env::var(machinist::memory::LIMIT_VAR)
            .ok()
            .filter(|v| !v.is_empty())
    }) {
        None => Ok(machinist::memory::DEFAULT_LIMIT),
        Some(text) => machinist::memory::parse_size(&text)
            .map_err(|err| format!("--max-memory / {}: {err}", machinist::memory::LIMIT_VAR)),
    };
    match limit {
        Ok(bytes) => machinist::memory::set_limit(bytes),
        Err(message) => {
            return bad_input(&InputError::from(machinist::error::Diagnostic::bare(
                message,
            )))
        }
    }
    if let Some(reason) = args.refused.reason() {
        return bad_input(&InputError::from(Diagnostic::bare(reason.to_string())));
    }
    let become_password = match become_password(&args.become_password) {
        Ok(password) => password,
        Err(message) => return bad_input(&InputError::from(Diagnostic::bare(message))),
    };
    machinist::memory::at(format_args!("loading the playbooks"));
    // Before anything loads: vaulted text is opened wherever the loader meets it.
    let vault_sources = match vault::keyring::sources(
        &args.vault.vault_ids,
        &args.vault.vault_password_files,
        args.vault.ask_vault_pass,
    ) {
        Ok(sources) => sources,
        Err(err) => return bad_input(&InputError::from(Diagnostic::bare(err.to_string()))),
    };
    match vault::Keyring::load(&vault_sources, false) {
        Ok(keyring) => vault::install(keyring),
        Err(_) if interrupt::pending().is_some() => return stopped(),
        Err(err) => return bad_input(&InputError::from(Diagnostic::bare(err.to_string()))),
    }
    let extra_vars = match extra_vars::parse(&args.extra_vars, &sources) {
        Ok(layer) => layer,
        Err(err) => return bad_input(&err),
    };
    let inventory = match load_inventory(&args, &sources) {
        Ok(inventory) => inventory,
        Err(err) => return bad_input(&err),
    };
    let playbooks = match machinist::load(&args.playbooks, &sources, &extra_vars) {
        Ok(playbooks) => playbooks,
        Err(err) => return bad_input(&err),
    };
    if let Err(err) = machinist::check_offline(&playbooks, args.root.as_deref()) {
        return bad_input(&err);
    }
    // With --tags, --skip-tags or --start-at-task, tasks that read variables may not
    // run; the listings read none.
    let every_task =
        args.tags.is_empty() && args.skip_tags.is_empty() && args.start_at_task.is_none();
    let listing = args.list_hosts || args.list_tasks || args.list_tags;
    // What loading the inventory warned about (a key skipped in a YAML inventory); a
    // pattern's warnings come when its play starts (or with --list-hosts).
    let load_warnings = inventory.take_warnings();
    if every_task && !listing {
        let limit = args.hosts.limit.as_deref();
        if let Err(err) =
            machinist::check_undefined(&playbooks, &sources, &inventory, limit, &extra_vars)
        {
            return bad_input(&err);
        }
    }
    let tags = TagFilter {
        only: args.tags.clone(),
        skip: args.skip_tags.clone(),
    };
    let inner: Box<dyn Reporter> = match args.format {
        Format::Human => Box::new(HumanReporter::stdio(OutputOptions {
            color,
            diff: args.diff,
            verbosity: args.verbose,
            custom_stats: args.show_custom_stats,
        })),
        Format::Json => Box::new(JsonReporter::stdout()),
    };
    let mut reporter: Box<dyn Reporter> = Box::new(report::masked::Masked::new(inner));
    for warning in cfg_warnings.into_iter().chain(load_warnings) {
        reporter.event(&Event::Warning(warning));
    }
    if args.list_hosts {
        for playbook in &playbooks {
            let limit = args.hosts.limit.as_deref();
            match inventory::listing::play_hosts(playbook, &inventory, limit, &extra_vars) {
                Ok(text) => reporter.event(&Event::Listing(text)),
                Err(err) => return bad_input(&err),
            }
        }
        for warning in inventory.take_warnings() {
            reporter.event(&Event::Warning(warning));
        }
        return finish(reporter.as_mut(), ExitCode::SUCCESS);
    }
    if let Err(err) = hosts_targets_valid(&playbooks, &inventory, &args, &extra_vars) {
        return bad_input(&err);
    }
    inventory.take_warnings();
    if args.syntax_check || args.list_tasks || args.list_tags {
        for playbook in &playbooks {
            let text = if args.list_tasks {
                listing::tasks(playbook, &tags)
            } else if args.list_tags {
                listing::tags(playbook)
            } else {
                format!("\nplaybook: {}\n", playbook.path.display())
            };
            reporter.event(&Event::Listing(text));
        }
        return finish(reporter.as_mut(), ExitCode::SUCCESS);
    }
    let options = RunOptions {
        check: args.check,
        diff: args.diff,
        tags,
        start_at_task: args.start_at_task,
        root: args.root,
        extra_vars,
        verbosity: args.verbose,
        no_wait: args.no_wait,
        inventory: Some(std::sync::Arc::new(inventory)),
        limit: args.hosts.limit.clone(),
        forks: usize::from(args.forks),
        connector: Some(machinist::connection::target::connector(become_password)),
        force_handlers: args.force_handlers,
        command_line_become: machinist::inventory::connection::BecomeChoice {
            becomes: args.become_password.become_.then_some(true),
            user: args.become_password.become_user.clone(),
            method: args.become_password.become_method.clone(),
        },
        connection_defaults: connection_defaults(&args.connection),
    };
    // Loaded and checked: the run quotes no line of these files (a big playbook's
    // text would stay in memory for nothing; a line asked for is read again).
    sources.release();
    let code = match run::run(&playbooks, &options, &sources, reporter.as_mut()) {
        Ok(RunStatus::Success) => ExitCode::SUCCESS,
        Ok(RunStatus::Failed) => ExitCode::from(EXIT_FAILED),
        Ok(RunStatus::Unreachable) => ExitCode::from(EXIT_UNREACHABLE),
        Ok(RunStatus::Interrupted(signal)) => ExitCode::from(interrupt::exit_code(signal)),
        // A signal while `vars_prompt` waited for an answer.
        Err(RunError::Input(_)) if interrupt::pending().is_some() => stopped(),
        Err(RunError::Input(err)) => return bad_input(&err),
        Err(err) => {
            report::print_internal_error(&err);
            ExitCode::from(EXIT_INTERNAL)
        }
    };
    finish(reporter.as_mut(), code)
}

/// The inventory of `-i` (or beside the first playbook), checked against `--limit`.
fn load_inventory(args: &RunArgs, sources: &SourceMap) -> Result<Inventory, InputError> {
    let first_dir = args
        .playbooks
        .first()
        .and_then(|p| p.parent())
        .unwrap_or(std::path::Path::new("."));
    let inventory = Inventory::load_quoting(&args.hosts.inventory, first_dir, sources)?;
    for playbook in &args.playbooks {
        inventory.prepare(playbook.parent().unwrap_or(std::path::Path::new(".")))?;
    }
    inventory.check_limit(args.hosts.limit.as_deref())?;
    Ok(inventory)
}

/// Every host a play selects has variables machinist can reach it with (a known
/// `ansible_connection`, a port that is a port …): a host whose variables are wrong
/// is bad input before anything runs, not halfway through the run.
fn hosts_targets_valid(
    playbooks: &[machinist::playbook::model::Playbook],
    inventory: &Inventory,
    args: &RunArgs,
    extra_vars: &machinist::vars::Layer,
) -> Result<(), InputError> {
    let templates = machinist::template::Templates::new();
    for playbook in playbooks {
        let dir = playbook.path.parent().unwrap_or(std::path::Path::new("."));
        for play in &playbook.plays {
            let pattern = inventory::play_pattern(play, extra_vars)?;
            for host in inventory.play_hosts(&pattern, args.hosts.limit.as_deref())? {
                let vars = inventory.host_vars(&host, dir);
                let ctx = machinist::vars::context(&[&vars, extra_vars], &templates);
                let defaults = connection_defaults(&args.connection);
                if let Err(err) = inventory::connection::Target::read_with(&host, &ctx, &defaults) {
                    return Err(InputError::from(Diagnostic::at(
                        &play.span,
                        err.to_string(),
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The password `--become-password-file` or `--ask-become-pass` gives sudo on ssh
/// hosts whose `ansible_become_password` does not name one.
fn become_password(args: &machinist::cli::BecomePasswordArgs) -> Result<Option<String>, String> {
    if let Some(path) = &args.become_password_file {
        let text = machinist::input::read_text(path, 64 * 1024)
            .map_err(|err| format!("--become-password-file {}: {err}", path.display()))?;
        let password = text.strip_suffix('\n').unwrap_or(&text);
        return Ok(Some(password.to_string()));
    }
    if !args.ask_become_pass {
        return Ok(None);
    }
    let mut terminal = machinist::vault::terminal::Terminal::open()
        .ok_or("--ask-become-pass needs a terminal to ask on")?;
    terminal
        .ask("BECOME password: ", true)
        .map(Some)
        .map_err(|err| format!("--ask-become-pass: {err}"))
}

/// The exit code of a run a signal stopped before its first task.
fn stopped() -> ExitCode {
    ExitCode::from(interrupt::exit_code(
        interrupt::pending().unwrap_or_default(),
    ))
}

fn finish(reporter: &mut dyn Reporter, code: ExitCode) -> ExitCode {
    match reporter.finish() {
        Ok(()) => code,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(err) => {
            report::print_internal_error(&err);
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// ansible-playbook's connection flags as the variables' values below the inventory's.
fn connection_defaults(
    flags: &machinist::cli::ConnectionArgs,
) -> machinist::inventory::connection::ConnectionDefaults {
    machinist::inventory::connection::ConnectionDefaults {
        connection: flags.connection.clone(),
        user: flags.user.clone(),
        private_key_file: flags.private_key.clone(),
        timeout: flags.timeout.clone(),
        ssh_common_args: flags.ssh_common_args.clone(),
        ssh_extra_args: flags.ssh_extra_args.clone(),
        port: None,
    }
}
