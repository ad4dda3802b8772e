//! Keywords that reach every task they cover, as in Ansible: a play's covers all its
//! tasks and handlers, a block's its block, rescue and always, an import or include
//! (of tasks or of a role) what it brings in. `no_log` (without this it was accepted
//! on plays and blocks and did nothing, and their secrets were printed),
//! `environment` (each task keeps the chain, outermost first; inner values win),
//! `ignore_unreachable` (a task's own wins), `notify` (a block's, a task's own wins), `check_mode` and `diff` (a task's own wins; without this a block under
//! `check_mode: true` wrote for real), and `tags` (each task's own after those around
//! it, each once), and `module_defaults` (the chain kept, as `environment`; each
//! action given its module's arguments it does not set itself).

use super::model::{Action, BecomeKeywords, Fleet, Task, TaskKind};
use crate::error::Span;
use crate::yaml::{Node, Value};
use std::sync::Arc;
use std::time::Duration;

/// Mark `tasks` (and everything inside them) `no_log` when `on`, and pass each task's
/// own `no_log` down to what it contains.
pub fn no_log(tasks: &mut [Task], on: bool) {
    for task in tasks {
        task.no_log |= on;
        let inner = task.no_log;
        // A role's tasks were marked when the role was loaded; only an outer
        // `no_log: true` has more to say to them.
        for list in contained(&mut task.kind, inner) {
            no_log(list, inner);
        }
    }
}

/// Put `outer` (the environments around `tasks`, outermost first) before each task's
/// own `environment`, and pass each task's whole chain down to what it contains.
pub fn environment(tasks: &mut [Task], outer: &[Node]) {
    for task in tasks {
        if !outer.is_empty() {
            task.rare_mut()
                .environment
                .splice(0..0, outer.iter().cloned());
        }
        let chain = task.environment().to_vec();
        for list in contained(&mut task.kind, true) {
            environment(list, &chain);
        }
    }
}

/// Give each of `tasks` without its own `check_mode` (`diff`) the one around it, and
/// pass each task's down to what it contains: a play's, block's or import's value
/// reaches every task it covers, and a task's own wins (as Ansible's inherited field
/// attributes). Without this they were accepted on plays and blocks and did nothing: a
/// block under `check_mode: true` wrote for real.
pub fn modes(tasks: &mut [Task], check_mode: Option<bool>, diff: Option<bool>) {
    for task in tasks {
        task.check_mode = task.check_mode.or(check_mode);
        task.diff = task.diff.or(diff);
        let (check_mode, diff) = (task.check_mode, task.diff);
        for list in contained(&mut task.kind, true) {
            modes(list, check_mode, diff);
        }
    }
}

/// Give each of `tasks` without its own `ignore_unreachable` the one around it (a
/// play's, block's or import's), and pass each task's down to what it contains.
pub fn ignore_unreachable(tasks: &mut [Task], outer: Option<bool>) {
    for task in tasks {
        let own = task.rare.as_ref().and_then(|rare| rare.ignore_unreachable);
        if own.is_none() && outer.is_some() {
            task.rare_mut().ignore_unreachable = outer;
        }
        let inner = own.or(outer);
        for list in contained(&mut task.kind, true) {
            ignore_unreachable(list, inner);
        }
    }
}

/// Give each of `tasks` without its own `timeout` the one around it (a play's,
/// block's or import's), and pass each task's down to what it contains.
pub fn timeout(tasks: &mut [Task], outer: Option<Duration>) {
    for task in tasks {
        let own = task.timeout();
        if own.is_none() && outer.is_some() {
            task.rare_mut().timeout = outer;
        }
        let inner = own.or(outer);
        for list in contained(&mut task.kind, true) {
            timeout(list, inner);
        }
    }
}

/// Give each of `tasks` the `become`, `become_user` and `become_method` around it
/// that it does not write itself, and pass each task's down to what it contains
/// (they are read where it runs: run/becoming.rs).
pub fn becomes(tasks: &mut [Task], outer: &BecomeKeywords) {
    for task in tasks {
        let merged = match task.rare.as_ref() {
            Some(rare) => rare.become_.under(outer),
            None => outer.clone(),
        };
        if !merged.is_empty() {
            task.rare_mut().become_ = merged.clone();
        }
        for list in contained(&mut task.kind, true) {
            becomes(list, &merged);
        }
    }
}

/// Give each of `tasks` without its own `notify` the one of the block (or import)
/// around it, where it was written (for "no such handler"), and pass each task's down
/// to what it contains: Ansible's `notify` on a block is a default of its tasks, a
/// task's own wins whole.
pub fn notify(tasks: &mut [Task], outer: &[String], outer_span: Option<&Span>) {
    for task in tasks {
        if task.notify().is_empty() && !outer.is_empty() {
            let rare = task.rare_mut();
            rare.notify = outer.to_vec();
            rare.notify_span = outer_span.cloned();
        }
        let (inner, span) = (task.notify().to_vec(), task.notify_span().cloned());
        for list in contained(&mut task.kind, true) {
            notify(list, &inner, span.as_ref());
        }
    }
}

/// Give each of `tasks` the keywords of runs on many hosts (`run_once`, `delegate_to`,
/// `delegate_facts`, `throttle`, `any_errors_fatal`) of the play or block around it
/// where it has none of its own, and pass each task's down to what it contains.
pub fn fleet(tasks: &mut [Task], outer: &Fleet) {
    for task in tasks {
        let merged = task.fleet().under(outer);
        if merged != *task.fleet() {
            task.rare_mut().fleet = merged.clone();
        }
        for list in contained(&mut task.kind, true) {
            fleet(list, &merged);
        }
    }
}

/// What an include passes down to the tasks it brought at run time (include_tasks,
/// include_role with a templated name): what the loader passes down to the tasks
/// loaded with the playbook.
pub fn from_include(tasks: &mut [Task], include: &Task) {
    no_log(tasks, include.no_log);
    environment(tasks, include.environment());
    modes(tasks, include.check_mode, include.diff);
    let unreachable = include
        .rare
        .as_ref()
        .and_then(|rare| rare.ignore_unreachable);
    ignore_unreachable(tasks, unreachable);
    let around = include.become_keywords().cloned().unwrap_or_default();
    becomes(tasks, &around);
    fleet(tasks, include.fleet());
    timeout(tasks, include.timeout());
    module_defaults(tasks, include.module_defaults());
    notify(tasks, include.notify(), include.notify_span());
}

/// Put `outer` (the `module_defaults` around `tasks`, outermost first) before each
/// task's own, give each action the arguments its module has there that it does not
/// set itself, and pass each task's chain down to what it contains. As ansible-core
/// merges the chain: the last entry naming the module (short or qualified) wins whole
/// (an inner `file:` replaces an outer one, its keys are not merged into it).
pub fn module_defaults(tasks: &mut [Task], outer: &[Node]) {
    for task in tasks {
        if !outer.is_empty() {
            task.rare_mut()
                .module_defaults
                .splice(0..0, outer.iter().cloned());
        }
        let chain = task.module_defaults().to_vec();
        if chain.is_empty() {
            continue;
        }
        if let TaskKind::Action { action, args, .. } = &mut task.kind {
            if let Some(defaults) = defaults_of(&chain, action) {
                add_missing(args, defaults);
            }
        }
        for list in contained(&mut task.kind, true) {
            module_defaults(list, &chain);
        }
    }
}

/// A `module_defaults` key as machinist's names read it (`ansible.legacy.copy`, as
/// ansible-core qualifies a short name, is `copy`).
pub fn defaults_name(key: &str) -> &str {
    key.strip_prefix("ansible.legacy.").unwrap_or(key)
}

/// The arguments the last entry of `chain` naming `action`'s module gives it.
fn defaults_of<'c>(chain: &'c [Node], action: &Action) -> Option<&'c Node> {
    let names = |key: &str| {
        let key = defaults_name(key);
        match (Action::from_name(key), action) {
            (Some(named), _) => named == *action,
            (None, Action::Plugin(plugin)) => {
                key.strip_prefix(crate::plugins::QUALIFIER).unwrap_or(key) == plugin.name
            }
            (None, _) => false,
        }
    };
    chain
        .iter()
        .filter_map(Node::as_map)
        .flat_map(|entries| entries.iter())
        .filter(|(key, _)| names(&key.name))
        .map(|(_, value)| value)
        .next_back()
}

/// Each argument of `defaults` that `args` does not set, added to `args`.
fn add_missing(args: &mut Node, defaults: &Node) {
    if matches!(args.value, Value::Null) {
        args.value = Value::Map(Vec::new());
    }
    let (Value::Map(own), Some(more)) = (&mut args.value, defaults.as_map()) else {
        return;
    };
    for (key, value) in more {
        if !own.iter().any(|(k, _)| k.name == key.name) {
            own.push((key.clone(), value.clone()));
        }
    }
}

/// Put `outer` before the tags of `tasks` and of everything inside them, each tag
/// once: what loading them with `outer` inherited gives.
pub fn tags(tasks: &mut [Task], outer: &[String]) {
    if outer.is_empty() {
        return;
    }
    for task in tasks {
        let mut tags = outer.to_vec();
        for tag in task.tags.drain(..) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        task.tags = tags;
        for list in contained(&mut task.kind, true) {
            self::tags(list, outer);
        }
    }
}

/// The task lists a task brings with it when it is loaded: a block's block, rescue
/// and always; the tasks of an imported or included role, if `roles`. (An
/// `include_tasks` brings its tasks at run time: the runner applies both keywords
/// then.)
fn contained(kind: &mut TaskKind, roles: bool) -> Vec<&mut [Task]> {
    match kind {
        TaskKind::Block {
            block,
            rescue,
            always,
        } => vec![block.as_mut_slice(), rescue, always],
        TaskKind::IncludeRole { tasks } if roles => vec![Arc::make_mut(tasks).as_mut_slice()],
        TaskKind::IncludeRole { .. }
        | TaskKind::IncludeRoleNamed { .. }
        | TaskKind::Action { .. }
        | TaskKind::IncludeTasks { .. } => Vec::new(),
    }
}
