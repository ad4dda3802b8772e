//! What `machinist role …` says: progress and results, one line each, written to
//! stdout by the report layer (`report::print_line`); errors go to stderr through it
//! too (carets for bad input).

use super::install::Event;
use super::list::Folder;
use crate::error::SourceMap;
use crate::report;
use report::print_line as line;
use std::io::IsTerminal;
use std::path::Path;

/// Print what an install is doing.
pub fn install_event(event: &Event) {
    match event {
        Event::Waiting(dir) => line(&format!(
            "waiting for another `machinist role install` into {}",
            dir.display()
        )),
        Event::RemovedStale(path) => line(&format!(
            "- removed {}, left by an interrupted install",
            path.display()
        )),
        Event::SkippedCollections => line("- skipping collections: machinist installs roles only"),
        Event::Fetching { name, src } => line(&format!("- {name}: fetching {src}")),
        Event::Installed {
            role,
            dest,
            previous,
        } => {
            let was = match previous {
                Some(old) if old.pin != role.pin || old.src != role.src => {
                    format!(" (was {})", old.describe())
                }
                Some(_) => " (reinstalled)".to_string(),
                None => String::new(),
            };
            line(&format!(
                "- {}: installed {} into {}{was}",
                role.name,
                role.describe(),
                dest.display()
            ));
        }
        Event::AlreadyInstalled { role } => line(&format!(
            "- {}: already installed ({})",
            role.name,
            role.describe()
        )),
        Event::LockWritten(path) => line(&format!("- wrote {}", path.display())),
        Event::Dependency { name, of } => line(&format!("- {name}: a dependency of {of}")),
        Event::DependencyConflict { wanted, of, kept } => line(&format!(
            "- {}: {of} depends on it from {}{}; keeping {}{}, asked for first",
            wanted.name,
            wanted.src,
            version_suffix(wanted),
            kept.src,
            version_suffix(kept),
        )),
    }
}

/// ` (version V)` when a requirement names one.
fn version_suffix(req: &super::requirements::Requirement) -> String {
    req.version
        .as_ref()
        .map(|version| format!(" (version {version})"))
        .unwrap_or_default()
}

/// Print the roles of `folders`; `looked` is every folder searched, for when none has any.
pub fn role_list(folders: &[Folder], looked: &[std::path::PathBuf]) {
    if folders.iter().all(|f| f.roles.is_empty()) {
        let looked: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
        line(&format!("no roles found; looked in: {}", looked.join(", ")));
        return;
    }
    for folder in folders.iter().filter(|f| !f.roles.is_empty()) {
        line(&format!("# {}", folder.dir.display()));
        for role in &folder.roles {
            let what = match &role.record {
                Ok(Some(rec)) => format!(
                    "{}, {}, from {}",
                    rec.describe(),
                    role.path.display(),
                    rec.src
                ),
                Ok(None) => format!(
                    "(unknown version), {}, not installed by machinist",
                    role.path.display()
                ),
                Err(why) => format!(
                    "(unreadable install record: {why}), {}",
                    role.path.display()
                ),
            };
            let hidden = role
                .shadowed_by
                .as_ref()
                .map(|p| format!(" [hidden by {}]", p.display()))
                .unwrap_or_default();
            line(&format!("- {}, {what}{hidden}", role.name));
        }
    }
}

/// Print where `role init` made the role.
pub fn created(path: &Path) {
    line(&format!("- role created in {}", path.display()));
}

/// Print an error: bad input with carets, anything else as one line.
pub fn error(err: &super::error::RoleError, sources: &SourceMap) {
    match err {
        super::error::RoleError::Input(input) => report::print_errors(
            &input.0,
            sources,
            report::color_wanted(std::io::stderr().is_terminal()),
        ),
        other => report::print_internal_error(other),
    }
}
