//! `machinist inventory --list | --graph [GROUP] | --host HOST`: ansible-inventory's
//! three views of an inventory, called by main.rs. Exit 0, or 4 for bad input (an
//! inventory that cannot be read, an unknown group or host), 1 when output fails.

use super::{listing, Inventory};
use crate::cli::InventoryArgs;
use crate::error::{Diagnostic, InputError, SourceMap};
use crate::report;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

const EXIT_BAD_INPUT: u8 = 4;
const EXIT_INTERNAL: u8 = 1;

pub fn run(args: InventoryArgs) -> ExitCode {
    let sources = SourceMap::default();
    let color = report::color_wanted(std::io::stderr().is_terminal());
    match output(&args, &sources) {
        Ok((text, warnings)) => {
            report::inventory::warnings(&warnings, color);
            match report::inventory::print(&text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(err) => {
                    report::print_internal_error(&err);
                    ExitCode::from(EXIT_INTERNAL)
                }
            }
        }
        Err(err) => {
            report::print_errors(&err.0, &sources, color);
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn output(args: &InventoryArgs, sources: &SourceMap) -> Result<(String, Vec<String>), InputError> {
    let bare = |message: String| InputError::from(Diagnostic::bare(message));
    let keyring_sources = crate::vault::keyring::sources(
        &args.vault.vault_ids,
        &args.vault.vault_password_files,
        args.vault.ask_vault_pass,
    )
    .map_err(|err| bare(err.to_string()))?;
    let keyring = crate::vault::Keyring::load(&keyring_sources, false)
        .map_err(|err| bare(err.to_string()))?;
    crate::vault::install(keyring);
    let here = Path::new(".");
    let playbook_dir = args.playbook_dir.as_deref();
    let inventory =
        Inventory::load_quoting(&args.hosts.inventory, playbook_dir.unwrap_or(here), sources)?;
    let text = if let Some(host) = &args.host {
        listing::host(&inventory, host, playbook_dir)?
    } else if args.graph {
        let group = args.group.as_deref().unwrap_or("all");
        listing::graph(&inventory, group, args.vars, playbook_dir)?
    } else {
        let limit = args.hosts.limit.as_deref();
        inventory.check_limit(limit)?;
        listing::list(&inventory, playbook_dir, limit)?
    };
    Ok((text, inventory.take_warnings()))
}
