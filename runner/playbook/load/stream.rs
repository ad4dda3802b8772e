//! A playbook's tasks become [`Task`]s while the file is parsed (see
//! [`yaml::TaskSink`]): the YAML of a 10 000-task playbook is never a whole tree in
//! memory. Converting a task early must give what converting it with its play gives,
//! so what depends on the play is left for later: the play's tags are added when the
//! play is built ([`inherit::tags`]), and a task that loads other files
//! (`import_tasks`, `import_role`, `include_role`: roles run once per play, imports
//! and roles are found from the current folder) is kept as YAML and converted in the
//! play's order, as is every task after an `import_playbook`.

use super::Loader;
use crate::playbook::inherit;
use crate::playbook::keywords;
use crate::playbook::model::{Origin, Task};
use crate::yaml::{self, Key, Node, PlayAt, Value};
use std::sync::Arc;

/// One play's task list, as far as it was converted while parsing.
#[derive(Default)]
pub(super) struct StreamedList {
    tasks: Vec<Task>,
    /// Items kept as YAML, each with the number of tasks converted before it.
    later: Vec<(usize, Node)>,
}

/// The sink the playbook's parser hands task items to.
pub(super) struct PlayStream<'l> {
    pub loader: &'l mut Loader,
    pub origin: Arc<Origin>,
    /// Lists by play and name.
    pub lists: Vec<(PlayAt, &'static str, StreamedList)>,
    /// Errors recorded before the current play's first task was converted.
    play_errors: Option<(PlayAt, usize)>,
    /// An `import_playbook` was seen: it changes the folder later tasks are found
    /// from, so they are converted in order, after it.
    keep_yaml: bool,
}

impl<'l> PlayStream<'l> {
    pub fn new(loader: &'l mut Loader, origin: Arc<Origin>) -> PlayStream<'l> {
        PlayStream {
            loader,
            origin,
            lists: Vec::new(),
            play_errors: None,
            keep_yaml: false,
        }
    }
}

impl yaml::TaskSink for PlayStream<'_> {
    fn task(&mut self, play: PlayAt, list: &'static str, mut item: Node) {
        if !matches!(self.play_errors, Some((at, _)) if at == play) {
            self.play_errors = Some((play, self.loader.errors.len()));
        }
        let index = match self
            .lists
            .iter()
            .position(|(at, name, _)| *at == play && *name == list)
        {
            Some(index) => index,
            None => {
                self.lists.push((play, list, StreamedList::default()));
                self.lists.len() - 1
            }
        };
        let streamed = &mut self.lists[index].2;
        if self.keep_yaml || loads_files(&item) {
            streamed.later.push((streamed.tasks.len(), item));
        } else if let Some(task) = self.loader.task(&mut item, &self.origin, &[]) {
            streamed.tasks.push(task);
        }
    }

    fn play_end(&mut self, play: PlayAt, entries: &[(Key, Node)]) {
        let import =
            |key: &Key| machinist_modules::registry::unqualified(&key.name) == "import_playbook";
        if !entries.iter().any(|(key, _)| import(key)) {
            return;
        }
        // Not a play: what its lists held is never loaded.
        self.keep_yaml = true;
        self.lists.retain(|(at, _, _)| *at != play);
        if let Some((at, errors)) = self.play_errors {
            if at == play {
                self.loader.errors.truncate(errors);
            }
        }
    }
}

/// Whether converting the task `item` loads other files (in a block too).
fn loads_files(item: &Node) -> bool {
    let Some(entries) = item.as_map() else {
        return false;
    };
    entries.iter().any(|(key, value)| {
        let short = machinist_modules::registry::unqualified(&key.name);
        keywords::loads_files(short)
            || (matches!(short, "block" | "rescue" | "always")
                && matches!(&value.value, Value::Seq(items) if items.iter().any(loads_files)))
    })
}

impl Loader {
    /// The tasks of a list converted while parsing, completed in the play's order:
    /// the items kept as YAML converted now, the play's `tags` added to all.
    pub(super) fn finish_list(
        &mut self,
        streamed: StreamedList,
        origin: &Arc<Origin>,
        tags: &[String],
    ) -> Vec<Task> {
        let StreamedList { mut tasks, later } = streamed;
        inherit::tags(&mut tasks, tags);
        if later.is_empty() {
            return tasks;
        }
        let mut all = Vec::with_capacity(tasks.len() + later.len());
        let mut converted = tasks.into_iter();
        let mut done = 0;
        for (before, mut item) in later {
            all.extend(converted.by_ref().take(before - done));
            done = before;
            all.extend(self.task(&mut item, origin, tags));
        }
        all.extend(converted);
        all
    }
}

#[cfg(test)]
mod tests {
    use crate::error::{InputError, SourceMap};
    use crate::playbook::model::{Playbook, TaskKind};
    use crate::vars::Layer;

    fn load(files: &[(&str, &str)]) -> Result<Playbook, InputError> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let path = dir.path().join(files[0].0);
        super::Loader::new(SourceMap::default(), &Layer::default()).playbook(&path)
    }

    #[test]
    fn play_tags_written_after_the_tasks_still_come_first() {
        let playbook = load(&[(
            "site.yml",
            "- hosts: localhost\n  tasks:\n    - debug: msg=a\n      tags: [own, p]\n    - block:\n        - debug: msg=b\n          tags: inner\n      tags: b\n  tags: [p, q]\n",
        )])
        .unwrap();
        let tasks = &playbook.plays[0].tasks;
        assert_eq!(tasks[0].tags, ["p", "q", "own"]);
        assert_eq!(tasks[1].tags, ["p", "q", "b"]);
        let TaskKind::Block { block, .. } = &tasks[1].kind else {
            panic!("not a block");
        };
        assert_eq!(block[0].tags, ["p", "q", "b", "inner"]);
    }

    #[test]
    fn a_syntax_error_is_the_only_error_of_its_file() {
        let err = load(&[(
            "site.yml",
            "- hosts: localhost\n  tasks:\n    - nosuchmodule: {}\n  vars: [unclosed\n",
        )])
        .unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert!(err.0[0].message.starts_with("YAML syntax error"), "{err}");
    }

    #[test]
    fn tasks_beside_import_playbook_are_not_loaded() {
        let playbook = load(&[
            (
                "site.yml",
                "- import_playbook: other.yml\n  tasks:\n    - nosuchmodule: {}\n- hosts: localhost\n  tasks:\n    - debug: msg=after\n",
            ),
            ("other.yml", "- hosts: localhost\n  tasks:\n    - debug: msg=other\n"),
        ])
        .unwrap_err();
        // Its tasks are never converted (no error about the module); the key itself
        // is refused, as ansible-core refuses it on an import.
        assert_eq!(playbook.0.len(), 1, "{playbook}");
        assert!(
            playbook.0[0]
                .message
                .starts_with("'tasks' on import_playbook is not supported"),
            "{playbook}"
        );
    }
}
