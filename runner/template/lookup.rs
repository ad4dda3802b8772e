//! `lookup()` and `query()`/`q()`: the `env`, `file`, `template`, `vars`,
//! `first_found`, `items`, `dict`, `sequence` (the last two in sequences.rs), `pipe`,
//! `lines`, `fileglob`, `password`, `ini`, `csvfile` and `inventory_hostnames` plugins
//! (those in lookup/), `unvault`, `list`,
//! `varnames`, `random_choice`, and the lookups of the `with_` loops (`indexed_items`, `nested`,
//! `together`, `subelements`: legacy_loops.rs). Relative file
//! names are searched as Ansible does, from the
//! variables `role_path` (ROLE/files or ROLE/templates, then ROLE) and `playbook_dir`
//! (DIR/files or DIR/templates, then DIR); not finding one names every place looked.

mod commands;
mod csvfile;
mod fileglob;
pub(super) mod ini;
mod inventory_hostnames;
pub use inventory_hostnames::{install_host_patterns, HostPatterns};
mod password;

use std::path::{Path, PathBuf};

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, State, Value};

use super::engine::{render_in_slot, EngineSlot};
use super::filters::{invalid, text};
use super::legacy_loops::LegacyLoop;
use super::FileOptions;

/// The lookup plugins machinist has, by their short names.
pub(crate) const PLUGINS: [&str; 23] = [
    "env",
    "file",
    "template",
    "vars",
    "first_found",
    "items",
    "dict",
    "sequence",
    "pipe",
    "lines",
    "fileglob",
    "password",
    "list",
    "indexed_items",
    "nested",
    "together",
    "subelements",
    "varnames",
    "random_choice",
    "ini",
    "csvfile",
    "inventory_hostnames",
    "unvault",
];

pub(crate) fn register(env: &mut Environment<'static>, slot: &EngineSlot) {
    for (name, wantlist) in [("lookup", false), ("query", true), ("q", true)] {
        let slot = slot.clone();
        env.add_function(
            name,
            move |state: &State, plugin: String, terms: Rest<Value>, kwargs: Kwargs| {
                run(&slot, state, &plugin, &terms, &kwargs, wantlist)
            },
        );
    }
}

fn run(
    slot: &EngineSlot,
    state: &State,
    plugin: &str,
    terms: &[Value],
    kwargs: &Kwargs,
    wantlist: bool,
) -> Result<Value, Error> {
    let wantlist = wantlist || kwargs.get::<Option<bool>>("wantlist")?.unwrap_or(false);
    let on_error = kwargs
        .get::<Option<String>>("errors")?
        .unwrap_or_else(|| "strict".into());
    let plugin = machinist_modules::registry::unqualified(plugin);
    let raw_terms = terms;
    let terms = flat_terms(terms)?;
    let results = match plugin {
        "env" => env_lookup(&terms, kwargs),
        "file" => file_lookup(state, &terms, kwargs),
        "template" => template_lookup(slot, state, &terms, kwargs),
        "vars" => vars_lookup(state, &terms, kwargs),
        "first_found" => first_found(state, &terms, kwargs),
        "items" => no_kwargs(kwargs).map(|()| terms),
        "dict" => no_kwargs(kwargs).and_then(|()| super::sequences::dict_lookup(&terms)),
        "sequence" => super::sequences::sequence_lookup(&terms, kwargs),
        "pipe" => no_kwargs(kwargs).and_then(|()| commands::pipe(state, &terms)),
        "lines" => no_kwargs(kwargs).and_then(|()| commands::lines(state, &terms)),
        "fileglob" => no_kwargs(kwargs).and_then(|()| fileglob::fileglob(state, &terms)),
        "password" => password::password(state, &terms, kwargs),
        "ini" => ini::ini(state, &terms, kwargs),
        "csvfile" => csvfile::csvfile(state, &terms, kwargs),
        "unvault" => no_kwargs(kwargs).and_then(|()| unvault_lookup(state, &terms)),
        "inventory_hostnames" => {
            no_kwargs(kwargs).and_then(|()| inventory_hostnames::inventory_hostnames(state, &terms))
        }
        "list" => no_kwargs(kwargs).map(|()| raw_terms.to_vec()),
        "indexed_items" => legacy(LegacyLoop::IndexedItems, raw_terms, kwargs),
        "nested" => legacy(LegacyLoop::Nested, raw_terms, kwargs),
        "together" => legacy(LegacyLoop::Together, raw_terms, kwargs),
        "subelements" => legacy(LegacyLoop::Subelements, raw_terms, kwargs),
        "varnames" => no_kwargs(kwargs).and_then(|()| varnames(state, &terms)),
        "random_choice" => legacy(LegacyLoop::RandomChoice, raw_terms, kwargs),
        other if super::names::refusal(super::names::NameKind::Lookup, other).is_some() => {
            Err(invalid(format!(
                "lookup plugin '{other}' is not supported: {}",
                super::names::refusal(super::names::NameKind::Lookup, other).unwrap_or_default()
            )))
        }
        other => Err(invalid(format!(
            "lookup plugin '{other}' is not available (available: {})",
            PLUGINS.join(", ")
        ))),
    };
    let results = match (results, on_error.as_str()) {
        (Ok(results), _) => results,
        // ansible-core: nothing to give, so `query` an empty list, `lookup` none.
        (Err(_), "ignore" | "warn") if !wantlist => return Ok(Value::from(())),
        (Err(_), "ignore" | "warn") => Vec::new(),
        (Err(err), _) => return Err(err),
    };
    if wantlist {
        return Ok(Value::from(results));
    }
    // lookup() joins a list of strings with commas; a single other value is itself.
    if results.iter().all(|r| r.kind() == ValueKind::String) && !results.is_empty() {
        let joined: Vec<&str> = results.iter().filter_map(Value::as_str).collect();
        return Ok(Value::from(joined.join(",")));
    }
    match <[Value; 1]>::try_from(results) {
        Ok([single]) => Ok(single),
        Err(results) => Ok(Value::from(results)),
    }
}

fn no_kwargs(kwargs: &Kwargs) -> Result<(), Error> {
    kwargs.assert_all_used()
}

/// Terms given as lists are spread out, as Ansible's lookups take them.
/// The lookups behind `with_indexed_items`, `with_nested`, `with_together` and
/// `with_subelements` give the loops' items; their terms are the arguments as given
/// (what the `with_` keyword's value is to the loop).
fn legacy(kind: LegacyLoop, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    no_kwargs(kwargs)?;
    super::legacy_loops::legacy(kind, &Value::from(terms.to_vec()))
}

/// ansible-core's `varnames`: the names of the variables (not functions) that each
/// term, a Python regular expression, finds somewhere in; in name order (Ansible's
/// are in the order its variables were gathered).
fn varnames(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut names: Vec<String> = state
        .known_variables()
        .into_iter()
        .map(|name| name.into_owned())
        .filter(|name| !name.starts_with("__machinist"))
        .filter(|name| {
            state.lookup(name).is_some_and(|v| {
                // Functions and macros are not variables.
                let callable = v.kind() == ValueKind::Plain && v.as_object().is_some();
                !v.is_undefined() && !callable
            })
        })
        .collect();
    names.sort();
    let mut found = Vec::new();
    for term in terms {
        let Some(pattern) = term.as_str() else {
            return Err(invalid(format!(
                "lookup('varnames'): Invalid setting identifier, \"{term}\" is not a string"
            )));
        };
        let regex = super::regexes::compile(pattern, false, false)?;
        found.extend(
            names
                .iter()
                .filter(|name| regex.is_match(name))
                .map(|name| Value::from(name.as_str())),
        );
    }
    Ok(found)
}

fn flat_terms(terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut flat = Vec::new();
    for term in terms {
        if term.is_undefined() {
            return Err(Error::from(minijinja::ErrorKind::UndefinedError));
        }
        if term.kind() == ValueKind::Seq {
            flat.extend(term.try_iter()?);
        } else {
            flat.push(term.clone());
        }
    }
    Ok(flat)
}

fn env_lookup(terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kwargs.get::<Option<Value>>("default")?;
    kwargs.assert_all_used()?;
    terms
        .iter()
        .map(|term| {
            let name = text(term)?;
            Ok(match std::env::var(&name) {
                Ok(value) => Value::from(value),
                Err(_) => default.clone().unwrap_or_else(|| Value::from("")),
            })
        })
        .collect()
}

fn file_lookup(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let rstrip = kwargs.get::<Option<bool>>("rstrip")?.unwrap_or(true);
    let lstrip = kwargs.get::<Option<bool>>("lstrip")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    terms
        .iter()
        .map(|term| {
            let path = find(state, &text(term)?, "files")?;
            let mut content = read(&path)?.text;
            if rstrip {
                content.truncate(content.trim_end().len());
            }
            if lstrip {
                content = content.trim_start().to_string();
            }
            Ok(Value::from(content))
        })
        .collect()
}

/// ansible-core's `unvault`: a file's whole text, opened if vaulted (not stripped,
/// unlike `file`).
fn unvault_lookup(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    terms
        .iter()
        .map(|term| {
            let path = find(state, &text(term)?, "files")?;
            Ok(Value::from(read(&path)?.text))
        })
        .collect()
}

fn template_lookup(
    slot: &EngineSlot,
    state: &State,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<Vec<Value>, Error> {
    let options = FileOptions {
        trim_blocks: kwargs.get::<Option<bool>>("trim_blocks")?.unwrap_or(true),
        lstrip_blocks: kwargs
            .get::<Option<bool>>("lstrip_blocks")?
            .unwrap_or(false),
        ..FileOptions::default()
    };
    let extra = kwargs.get::<Option<Value>>("template_vars")?;
    let _convert_data = kwargs.get::<Option<bool>>("convert_data")?;
    kwargs.assert_all_used()?;
    let vars = current_vars(state, extra.as_ref());
    terms
        .iter()
        .map(|term| {
            let path = find(state, &text(term)?, "templates")?;
            let source = read(&path)?;
            let name = path.display().to_string();
            // ansible-core's template_* and ansible_managed, under the caller's own.
            let vars = minijinja::value::merge_maps([super::file_vars(&path, None), vars.clone()]);
            let rendered = render_in_slot(slot, &name, &source.text, &vars, options)?;
            Ok(Value::from(source.derive(rendered)))
        })
        .collect()
}

/// Every variable the calling template sees, plus `template_vars`.
fn current_vars(state: &State, extra: Option<&Value>) -> Value {
    let mut pairs: Vec<(Value, Value)> = state
        .known_variables()
        .into_iter()
        .filter_map(|name| {
            let value = state.lookup(&name)?;
            Some((Value::from(name.as_ref()), value))
        })
        .collect();
    if let Some(extra) = extra.filter(|e| e.kind() == ValueKind::Map) {
        if let Ok(keys) = extra.try_iter() {
            for key in keys {
                let value = extra.get_item(&key).unwrap_or_default();
                pairs.retain(|(k, _)| *k != key);
                pairs.push((key, value));
            }
        }
    }
    Value::from_iter(pairs)
}

fn vars_lookup(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kwargs.get::<Option<Value>>("default")?;
    kwargs.assert_all_used()?;
    terms
        .iter()
        .map(|term| {
            let name = text(term)?;
            match (state.lookup(&name).filter(|v| !v.is_undefined()), &default) {
                (Some(value), _) => Ok(value),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(invalid(format!(
                    "lookup('vars'): no variable named '{name}'"
                ))),
            }
        })
        .collect()
}

fn first_found(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut skip = kwargs.get::<Option<bool>>("skip")?.unwrap_or(false);
    let mut files = Vec::new();
    let mut paths = Vec::new();
    // A term is a file name, or a mapping of `files`, `paths` (and `skip`), as roles
    // write `lookup('first_found', params)`.
    for term in terms {
        if term.kind() == ValueKind::Map {
            files.extend(split_names(term.get_attr("files")?, ",;")?);
            paths.extend(split_names(term.get_attr("paths")?, ",:;")?);
            skip |= term.get_attr("skip")?.is_true();
        } else {
            files.push(text(term)?);
        }
    }
    files.extend(split_names(
        kwargs.get::<Option<Value>>("files")?.unwrap_or_default(),
        ",;",
    )?);
    paths.extend(split_names(
        kwargs.get::<Option<Value>>("paths")?.unwrap_or_default(),
        ",:;",
    )?);
    kwargs.assert_all_used()?;
    // `with_first_found` searches the folder its task's action names (vars/ for
    // include_vars, templates/ for template, files/ otherwise). Called as a lookup,
    // ansible-core searches no such folder: a name is found beside the role or
    // playbook, or in `paths`.
    let subdir = state
        .lookup("__machinist_search_subdir")
        .and_then(|dir| dir.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut looked = Vec::new();
    for file in &files {
        let mut candidates: Vec<PathBuf> = if paths.is_empty() {
            search_places(state, file, &subdir)
        } else {
            // A relative folder is searched for as a relative file name is.
            paths
                .iter()
                .flat_map(|dir| {
                    search_places(state, &Path::new(dir).join(file).to_string_lossy(), &subdir)
                })
                .collect()
        };
        candidates.dedup();
        for candidate in candidates {
            if candidate.is_file() {
                return Ok(vec![Value::from(candidate.display().to_string())]);
            }
            looked.push(candidate.display().to_string());
        }
    }
    if skip {
        return Ok(Vec::new());
    }
    Err(invalid(format!(
        "lookup('first_found'): no file was found; looked in: {}",
        looked.join(", ")
    )))
}

/// File or folder names from a string (split on `separators`, as Ansible splits them)
/// or a list; nothing from an undefined or none value.
fn split_names(value: Value, separators: &str) -> Result<Vec<String>, Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(Vec::new());
    }
    if let Some(text) = value.as_str() {
        return Ok(text
            .split(|c| separators.contains(c))
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect());
    }
    flat_terms(&[value])?.iter().map(text).collect()
}

fn var_path(state: &State, name: &str) -> Option<PathBuf> {
    let value = state.lookup(name)?;
    value.as_str().filter(|s| !s.is_empty()).map(PathBuf::from)
}

/// The places a relative name is looked for, in order.
fn search_places(state: &State, name: &str, subdir: &str) -> Vec<PathBuf> {
    if Path::new(name).is_absolute() {
        return vec![PathBuf::from(name)];
    }
    let mut places = Vec::new();
    for base in ["role_path", "__machinist_task_dir", "playbook_dir"]
        .iter()
        .filter_map(|v| var_path(state, v))
    {
        places.push(base.join(subdir).join(name));
        places.push(base.join(name));
    }
    places
}

fn find(state: &State, name: &str, subdir: &str) -> Result<PathBuf, Error> {
    let places = search_places(state, name, subdir);
    for place in &places {
        if let Some(special) = crate::input::special_kind(place) {
            return Err(invalid(format!(
                "{} is {special}, not a regular file; machinist refuses to read it",
                place.display()
            )));
        }
        if place.is_file() {
            return Ok(place.clone());
        }
    }
    if places.is_empty() {
        return Err(invalid(format!(
            "could not find '{name}': neither role_path nor playbook_dir is set"
        )));
    }
    let looked: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
    Err(invalid(format!(
        "could not find '{name}'; looked in: {}",
        looked.join(", ")
    )))
}

/// A file's text; a vaulted file's plaintext (a secret from then on), as Ansible's
/// `file` and `template` lookups open them.
fn read(path: &Path) -> Result<crate::vault::Opened, Error> {
    let text = crate::input::read_text(path, crate::input::MAX_TEXT_BYTES)
        .map_err(|err| invalid(err.to_string()))?;
    crate::vault::open_if_vaulted(text).map_err(|err| invalid(format!("{}: {err}", path.display())))
}
