//! `machinist role install|list|init`: the subcommand's one entry point, called by
//! main.rs. It turns the parsed arguments into calls and errors into exit codes
//! (0 success, 4 bad input, 1 anything else).

use super::error::RoleError;
use super::{init, install, list, output};
use crate::cli::{RoleArgs, RoleCommand};
use crate::error::SourceMap;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: RoleArgs) -> ExitCode {
    let sources = SourceMap::default();
    let result = match args.command {
        RoleCommand::Install(args) => {
            let options = install::Options {
                role_file: args.role_file,
                roles: args.roles,
                roles_path: args.roles_path,
                force: args.force,
                update: args.update,
                no_deps: args.no_deps,
            };
            install::install(&options, &sources, &mut |event| {
                output::install_event(&event)
            })
        }
        RoleCommand::List(args) => {
            let dirs = list::dirs(&args.roles_path, Path::new("."));
            output::role_list(&list::list(&dirs), &dirs);
            Ok(())
        }
        RoleCommand::Init(args) => {
            let parent = args.path.unwrap_or_else(|| "roles".into());
            init::init(&args.name, &parent, args.force).map(|path| output::created(&path))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::error(&err, &sources);
            ExitCode::from(RoleError::exit_code(&err))
        }
    }
}
