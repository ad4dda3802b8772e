//! A play's hosts in batches (issue 16), as ansible-playbook runs them: `order` sorts
//! the play's hosts, `serial` cuts them into batches that each run the whole play;
//! within a batch, a failure ends the play for every host when the task is
//! `any_errors_fatal` (or `run_once`), or when more than `max_fail_percentage` of the
//! batch has failed. A host that failed leaves `ansible_play_hosts` and
//! `ansible_play_batch` at once. A batch whose hosts all failed ends the run
//! (ansible-playbook starts neither the next batch nor the next play).

use super::linear::Slot;
use super::{Executor, Flow};
use crate::playbook::model::{BatchSize, HostOrder, Play, Task};
use minijinja::Value;
use std::hash::{BuildHasher, Hasher};

/// The batch being run: its size and the hosts that failed in it.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub size: usize,
    /// The failed hosts (indexes into `Executor::hosts`), each once.
    pub failed: Vec<usize>,
    /// The hosts another host's failure failed (indexes): a `rescue` they enter
    /// does not count as theirs in the recap, as in Ansible.
    pub spread: Vec<usize>,
    pub max_fail_percentage: Option<f64>,
}

impl Batch {
    pub fn new(play: &Play, size: usize) -> Batch {
        Batch {
            size,
            failed: Vec::new(),
            spread: Vec::new(),
            max_fail_percentage: play.max_fail_percentage,
        }
    }

    /// Ansible's comparison: more than the percentage of the batch failed.
    fn too_many_failed(&self) -> bool {
        self.max_fail_percentage.is_some_and(|percentage| {
            self.size > 0 && self.failed.len() as f64 / self.size as f64 > percentage / 100.0
        })
    }
}

/// `hosts` in the play's `order` (`name` tells a host's name).
pub(super) fn ordered<T>(
    mut hosts: Vec<T>,
    order: HostOrder,
    name: impl Fn(&T) -> String,
) -> Vec<T> {
    match order {
        HostOrder::Inventory => {}
        HostOrder::ReverseInventory => hosts.reverse(),
        HostOrder::Sorted => hosts.sort_by_cached_key(name),
        HostOrder::ReverseSorted => {
            hosts.sort_by_cached_key(name);
            hosts.reverse();
        }
        HostOrder::Shuffle => shuffle(&mut hosts),
    }
    hosts
}

/// A Fisher–Yates shuffle seeded by the standard library's per-process random keys.
fn shuffle<T>(items: &mut [T]) {
    let seed = std::collections::hash_map::RandomState::new();
    for at in (1..items.len()).rev() {
        let mut hasher = seed.build_hasher();
        hasher.write_usize(at);
        let pick = (hasher.finish() % (at as u64 + 1)) as usize;
        items.swap(at, pick);
    }
}

/// `hosts` cut into `serial` batches, as ansible-playbook's `_get_serialized_batches`:
/// each entry in turn (the last one repeated), a percentage of all the play's hosts
/// rounded down (at least one), 0 or no `serial` meaning all the rest.
pub(super) fn batches<T>(hosts: Vec<T>, serial: &[BatchSize]) -> Vec<Vec<T>> {
    let total = hosts.len();
    let mut rest = hosts.into_iter().peekable();
    let mut batches = Vec::new();
    let mut entry = 0;
    while rest.peek().is_some() {
        let size = match serial.get(entry.min(serial.len().saturating_sub(1))) {
            None | Some(BatchSize::Hosts(0)) => usize::MAX,
            Some(BatchSize::Hosts(n)) => *n,
            Some(BatchSize::Percent(percent)) => ((f64::from(*percent) / 100.0) * total as f64)
                .floor()
                .max(1.0) as usize,
        };
        batches.push(rest.by_ref().take(size).collect());
        entry += 1;
    }
    batches
}

impl Executor<'_> {
    /// After one step of the linear strategy (`task` on the hosts of `slots` whose
    /// `flows` are given): counts the hosts that failed (unless a `rescue` catches it)
    /// and, when the failure ends the play for everyone (`any_errors_fatal`,
    /// `run_once`, more than `max_fail_percentage`), fails every host still going
    /// (without counting a failure for it in the recap, as Ansible).
    pub(super) fn fail_everyone_if_fatal(
        &mut self,
        slots: &[Slot<'_>],
        task: &Task,
        running: impl Iterator<Item = usize>,
        flows: &mut [Flow],
    ) {
        let running: Vec<usize> = running.collect();
        let failed: Vec<usize> = running
            .iter()
            .zip(flows.iter())
            .filter(|(_, flow)| **flow == Flow::Failed)
            .map(|(slot, _)| slots[*slot].0)
            .collect();
        if failed.is_empty() {
            return;
        }
        if !self.rescuable() {
            for index in &failed {
                if !self.batch.failed.contains(index) {
                    self.batch.failed.push(*index);
                }
            }
        }
        let too_many = self.batch.too_many_failed();
        if !(task.fatal() || too_many) {
            return;
        }
        tracing::debug!(task = %task.display_name(), failed = failed.len(), too_many, "a failure ends the play for every host");
        for (slot, flow) in running.iter().zip(flows.iter_mut()) {
            if *flow == Flow::Continue {
                *flow = Flow::Failed;
                self.batch.spread.push(slots[*slot].0);
            }
        }
    }

    /// After a step: the hosts of `running` that failed it (unless a `rescue`
    /// catches their own failure), could not be reached or ended (`meta: end_host`) leave
    /// `ansible_play_hosts` and `ansible_play_batch` of every host of the batch, as
    /// Ansible's `_removed_hosts`.
    pub(super) fn leave_play_lists(
        &self,
        slots: &mut [Slot<'_>],
        running: impl Iterator<Item = usize>,
        flows: &[Flow],
    ) {
        let rescuable = self.rescuable();
        let leaving: Vec<String> = running
            .zip(flows)
            .filter(|(slot, flow)| {
                **flow == Flow::EndPlay
                    || **flow == Flow::Unreachable
                    || **flow == Flow::Failed
                        && (!rescuable || self.batch.spread.contains(&slots[*slot].0))
            })
            .map(|(slot, _)| self.hosts[slots[slot].0].name.clone())
            .collect();
        if leaving.is_empty() {
            return;
        }
        for (_, state, _) in slots.iter_mut() {
            for list in ["ansible_play_hosts", "ansible_play_batch", "play_hosts"] {
                let Some(Ok(hosts)) = state.magic.get(list).map(|hosts| hosts.try_iter()) else {
                    continue;
                };
                let kept: Vec<Value> = hosts
                    .filter(|host| {
                        !host
                            .as_str()
                            .is_some_and(|name| leaving.iter().any(|l| l == name))
                    })
                    .collect();
                state.magic.set(list, Value::from(kept));
            }
            *state.plain_context.borrow_mut() = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(hosts: usize, serial: &[BatchSize]) -> Vec<usize> {
        batches((0..hosts).collect(), serial)
            .iter()
            .map(Vec::len)
            .collect()
    }

    #[test]
    fn serial_cuts_batches_as_ansible() {
        assert_eq!(sizes(4, &[]), [4]);
        assert_eq!(sizes(4, &[BatchSize::Hosts(3)]), [3, 1]);
        assert_eq!(sizes(4, &[BatchSize::Hosts(0)]), [4]);
        assert_eq!(sizes(4, &[BatchSize::Percent(50)]), [2, 2]);
        assert_eq!(sizes(3, &[BatchSize::Percent(10)]), [1, 1, 1]);
        let list = [
            BatchSize::Hosts(1),
            BatchSize::Percent(25),
            BatchSize::Hosts(2),
        ];
        assert_eq!(sizes(6, &list), [1, 1, 2, 2]);
        assert!(batches(Vec::<usize>::new(), &list).is_empty());
    }

    #[test]
    fn order_sorts_by_name() {
        let hosts = vec!["b", "c", "a"];
        assert_eq!(
            ordered(hosts.clone(), HostOrder::Sorted, |h| h.to_string()),
            ["a", "b", "c"]
        );
        assert_eq!(
            ordered(hosts.clone(), HostOrder::ReverseSorted, |h| h.to_string()),
            ["c", "b", "a"]
        );
        assert_eq!(
            ordered(hosts.clone(), HostOrder::ReverseInventory, |h| h
                .to_string()),
            ["a", "c", "b"]
        );
        let mut shuffled = ordered(hosts.clone(), HostOrder::Shuffle, |h| h.to_string());
        shuffled.sort_unstable();
        assert_eq!(shuffled, ["a", "b", "c"]);
    }

    #[test]
    fn more_than_the_percentage_fails_the_batch() {
        let mut batch = Batch {
            size: 4,
            failed: vec![0],
            spread: Vec::new(),
            max_fail_percentage: Some(25.0),
        };
        assert!(!batch.too_many_failed());
        batch.failed.push(1);
        assert!(batch.too_many_failed());
    }
}
