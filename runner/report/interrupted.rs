//! The human text of the two events about other parties: a signal that stopped the
//! run (what was done and what was not, before the recap) and a lock another run holds.

use crate::events::{Interruption, LockWait};
use crate::report::color::{Color, Painter};
use crate::report::human::banner;

/// `INTERRUPTED [SIGTERM]`, then what changed, what was cut short and what never ran.
pub(crate) fn interruption(event: &Interruption, paint: Painter) -> String {
    let mut out = banner(&format!("INTERRUPTED [{}]", event.signal));
    let line = |label: &str, items: &[String]| {
        let listed = if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        };
        format!("{label}: {listed}\n")
    };
    out.push_str(&paint.paint(
        "stopped after the operation in progress: every file is either old or new",
        Color::Red,
    ));
    out.push('\n');
    if let Some(task) = &event.cut_short {
        out.push_str(&format!("cut short: {task}\n"));
    }
    out.push_str(&line("changed before the stop", &event.changed));
    out.push_str(&line(
        &format!("not run ({})", event.not_run.len()),
        &event.not_run,
    ));
    if !event.handlers_not_run.is_empty() {
        out.push_str(&line(
            "handlers notified but not run",
            &event.handlers_not_run,
        ));
    }
    out
}

/// One line on stderr while waiting for the root's lock.
pub(crate) fn lock_wait(event: &LockWait) -> String {
    let holders = match event.holders.as_slice() {
        [] => "another machinist run".to_string(),
        [pid] => format!("pid {pid}"),
        pids => {
            let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
            format!("pids {}", pids.join(", "))
        }
    };
    format!(
        "machinist: waiting for {holders} to release the lock on {} ({})\n",
        event.root, event.lock_file
    )
}
