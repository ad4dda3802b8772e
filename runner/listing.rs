//! `--list-tasks` and `--list-tags`: Ansible's listing of what a run would do.

use crate::playbook::model::{Playbook, Task, TaskKind};
use crate::run::TagFilter;
use std::collections::BTreeSet;
use std::fmt::Write;

pub fn tasks(playbook: &Playbook, filter: &TagFilter) -> String {
    let mut out = format!("\nplaybook: {}\n", playbook.path.display());
    for (index, play) in playbook.plays.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n  play #{} ({}): {}\tTAGS: [{}]",
            index + 1,
            play.hosts,
            play.name,
            play.tags.join(",")
        );
        out.push_str("    tasks:\n");
        for list in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            list_tasks(list, filter, &mut out);
        }
    }
    out
}

fn list_tasks(tasks: &[Task], filter: &TagFilter, out: &mut String) {
    for task in tasks {
        match &task.kind {
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                for list in [block, rescue, always] {
                    list_tasks(list, filter, out);
                }
            }
            _ if filter.selects(&task.tags) => {
                let _ = writeln!(
                    out,
                    "      {}\tTAGS: [{}]",
                    task.listed_name(),
                    task.tags.join(", ")
                );
            }
            _ => {}
        }
    }
}

pub fn tags(playbook: &Playbook) -> String {
    let mut out = format!("\nplaybook: {}\n", playbook.path.display());
    for (index, play) in playbook.plays.iter().enumerate() {
        let mut all = BTreeSet::new();
        for list in [
            &play.pre_tasks,
            &play.tasks,
            &play.post_tasks,
            &play.handlers,
        ] {
            crate::playbook::validate::walk(list, &mut |task: &Task| {
                all.extend(task.tags.iter().cloned());
            });
        }
        let tags: Vec<String> = all.into_iter().collect();
        let _ = writeln!(
            out,
            "\n  play #{} ({}): {}\tTAGS: [{}]\n      TASK TAGS: [{}]",
            index + 1,
            play.hosts,
            play.name,
            play.tags.join(", "),
            tags.join(", ")
        );
    }
    out
}
