//! `machinist doc`: every module's documentation, generated from the definitions the
//! validator and the executor use, so it cannot drift from the code: built-ins from
//! `Builtin::ALL` and their tables in machinist-modules (tested against serde), the
//! runner's own actions from `Action::RUNNER_ACTIONS` and `actions.rs`, plugins from
//! the NAME.yml the validator reads. Plugins are those of `./library` and of
//! `MACHINIST_LIBRARY`. The keywords of plays and tasks (`--keywords`) from playbook/keywords.rs. The text
//! and JSON forms are written by `report::doc`.

pub mod actions;
pub mod keywords;

use crate::arg_options::ArgOption;
use crate::cli::DocArgs;
use crate::error::{Diagnostic, InputError, SourceMap};
use crate::playbook::load::Loader;
use crate::playbook::model::Action;
use crate::plugins::{discover, Plugin, QUALIFIER};
use crate::report;
use crate::report::doc::{ArgDoc, Entry, Kind, ModuleDoc};
use machinist_modules::args::did_you_mean;
use machinist_modules::doc::{ArgDoc as BuiltinArg, ModuleDoc as Table, Support};
use machinist_modules::Builtin;
use serde_json::Value as Json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Bad input (an unknown module, a broken spec), as `machinist run` exits for it.
const EXIT_BAD_INPUT: u8 = 4;

/// Run `machinist doc`.
pub fn command(args: &DocArgs) -> ExitCode {
    let sources = SourceMap::default();
    let found = discover::all(&plugin_dirs());
    let result = match &args.module {
        None if args.keywords => Ok(report::doc::keywords(&keywords::all(), args.format)),
        None => Ok(report::doc::list(&list(&found, &sources), args.format)),
        Some(name) => {
            page(name, &found, &sources).map(|doc| report::doc::module(&doc, args.format))
        }
    };
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            report::print_internal_error(&err);
            ExitCode::FAILURE
        }
        Err(err) => {
            let color = report::color_wanted(std::io::stderr().is_terminal());
            report::print_errors(&err.0, &sources, color);
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Where `machinist doc` looks for plugins: `./library`, then `MACHINIST_LIBRARY`.
pub fn plugin_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("library")];
    dirs.extend(discover::env_dirs());
    dirs
}

/// Every module: built-ins, runner actions and the plugins `found`, by name. A
/// plugin with the name of a built-in is listed as `library.NAME`, the only name
/// that runs it.
pub fn list(found: &[(String, PathBuf)], sources: &SourceMap) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Builtin::ALL
        .iter()
        .map(|b| Entry {
            name: b.name().to_string(),
            kind: Kind::Builtin,
            summary: b.summary().to_string(),
        })
        .collect();
    for (name, action) in Action::RUNNER_ACTIONS {
        entries.push(Entry {
            name: name.to_string(),
            kind: Kind::Action,
            summary: actions::doc(action).map_or("", |d| d.summary).to_string(),
        });
    }
    for (name, path) in found {
        let summary = match load(name, path, sources) {
            Ok(plugin) => summary(&plugin),
            Err(_) => format!("(its spec has errors: see machinist doc {QUALIFIER}{name})"),
        };
        let name = if Action::from_name(name).is_some() {
            format!("{QUALIFIER}{name}")
        } else {
            name.clone()
        };
        entries.push(Entry {
            name,
            kind: Kind::Plugin,
            summary,
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

/// The page of the module a task would run under `name`.
pub fn page(
    name: &str,
    found: &[(String, PathBuf)],
    sources: &SourceMap,
) -> Result<ModuleDoc, InputError> {
    let plugin = |short: &str| found.iter().find(|(n, _)| n == short);
    if let Some(short) = name.strip_prefix(QUALIFIER) {
        if let Some((name, path)) = plugin(short) {
            return load(name, path, sources).map(|p| plugin_doc(&p));
        }
    } else if let Some(builtin) = Builtin::from_name(name) {
        return Ok(builtin_doc(builtin));
    } else if let Some(action) = Action::from_name(name) {
        if let Some(doc) = actions::doc(&action) {
            return Ok(action_doc(
                name.trim_start_matches("ansible.builtin."),
                &doc,
            ));
        }
    } else if let Some((name, path)) = plugin(name) {
        return load(name, path, sources).map(|p| plugin_doc(&p));
    }
    let names: Vec<String> = list(found, sources).into_iter().map(|e| e.name).collect();
    let hint = did_you_mean(name, names.iter().map(String::as_str))
        .map(|s| format!(" (did you mean '{s}'?)"))
        .unwrap_or_default();
    Err(InputError::from(Diagnostic::bare(format!(
        "no module named '{name}'{hint}; `machinist doc` lists them"
    ))))
}

fn load(
    name: &str,
    path: &std::path::Path,
    sources: &SourceMap,
) -> Result<Arc<Plugin>, InputError> {
    Loader::new(sources.clone(), &crate::vars::Layer::default()).plugin(name, path)
}

fn summary(plugin: &Plugin) -> String {
    plugin
        .spec
        .as_ref()
        .and_then(|s| s.short_description.clone())
        .unwrap_or_else(|| {
            "(no NAME.yml spec: arguments undocumented, skipped in check mode)".into()
        })
}

pub fn builtin_doc(builtin: Builtin) -> ModuleDoc {
    let table = builtin.doc();
    from_table(
        builtin.name(),
        Kind::Builtin,
        builtin.summary(),
        &table,
        false,
    )
}

pub fn action_doc(name: &str, doc: &actions::ActionDoc) -> ModuleDoc {
    from_table(name, Kind::Action, doc.summary, &doc.doc, doc.any_args)
}

fn from_table(name: &str, kind: Kind, summary: &str, table: &Table, any: bool) -> ModuleDoc {
    ModuleDoc {
        name: name.to_string(),
        kind,
        summary: summary.to_string(),
        description: None,
        path: None,
        check_mode: table.check_mode.name(),
        diff: table.diff.name(),
        arguments: (!any).then(|| table.args.iter().map(builtin_arg).collect()),
        examples: table.examples.to_string(),
    }
}

fn builtin_arg(arg: &BuiltinArg) -> ArgDoc {
    // Defaults are written as YAML; the simple ones read back as JSON.
    let default = arg.default.map(|text| {
        serde_yaml::from_str::<Json>(text).unwrap_or_else(|_| Json::String(text.to_string()))
    });
    ArgDoc {
        name: arg.name.to_string(),
        kind: arg.kind.to_string(),
        required: arg.required,
        default,
        choices: arg.choices.iter().map(|c| Json::from(*c)).collect(),
        aliases: arg.aliases.iter().map(|a| a.to_string()).collect(),
        description: arg.description.to_string(),
        no_log: false,
    }
}

pub fn plugin_doc(plugin: &Plugin) -> ModuleDoc {
    let spec = plugin.spec.as_ref();
    let support = |yes: bool| if yes { Support::Full } else { Support::None }.name();
    ModuleDoc {
        name: plugin.name.clone(),
        kind: Kind::Plugin,
        summary: summary(plugin),
        description: spec.and_then(|s| s.description.clone()),
        path: Some(plugin.path.display().to_string()),
        check_mode: support(plugin.supports_check_mode()),
        diff: support(spec.is_some_and(|s| s.supports_diff)),
        arguments: plugin
            .options()
            .map(|options| options.iter().map(plugin_arg).collect()),
        examples: spec.and_then(|s| s.examples.clone()).unwrap_or_default(),
    }
}

fn plugin_arg(option: &ArgOption) -> ArgDoc {
    ArgDoc {
        name: option.name.clone(),
        kind: option.kind.clone(),
        required: option.required,
        default: option.default.as_ref().map(|d| d.to_json()),
        choices: option.choices.iter().map(|c| c.to_json()).collect(),
        aliases: option.aliases.clone(),
        description: option.description.clone().unwrap_or_default(),
        no_log: option.no_log,
    }
}
