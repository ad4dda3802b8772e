//! The YAML events the tree builder reads. yaml-rust2's scanner and parser are half of
//! loading a big playbook, and the builder (then the loader it hands tasks to) is the
//! other half; on two cores the two halves overlap: a big file is parsed on a thread
//! of its own, its events handed over in batches through a bounded channel (so the
//! parser runs at most a few batches ahead, and stops when the builder gives up). A
//! small file, where a thread would cost more than it saves, is parsed in place.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError};

/// Files at least this big are parsed on their own thread (a 100-task playbook is
/// about 16 KiB; starting a thread costs what parsing a few KiB does).
pub const THREADED_FROM_BYTES: usize = 16 * 1024;

/// Events handed over at a time.
const BATCH: usize = 512;

/// Batches the parser may run ahead.
const AHEAD: usize = 8;

pub type Parsed = Result<(Event, Marker), ScanError>;

/// Where the builder's events come from.
pub enum Events<'a> {
    InPlace(Box<Parser<std::str::Chars<'a>>>),
    Threaded {
        batches: Receiver<Vec<Parsed>>,
        batch: std::vec::IntoIter<Parsed>,
    },
}

impl<'a> Events<'a> {
    /// Events of `text`; a big text's come from a thread started in `scope`.
    pub fn of<'scope>(text: &'a str, scope: &'scope std::thread::Scope<'scope, '_>) -> Events<'a>
    where
        'a: 'scope,
    {
        if text.len() < THREADED_FROM_BYTES {
            return Events::InPlace(Box::new(Parser::new_from_str(text)));
        }
        let (sender, batches) = sync_channel(AHEAD);
        let started = std::thread::Builder::new()
            .name("yaml".into())
            .spawn_scoped(scope, move || parse_ahead(text, &sender));
        match started {
            Ok(_) => Events::Threaded {
                batches,
                batch: Vec::new().into_iter(),
            },
            Err(_) => Events::InPlace(Box::new(Parser::new_from_str(text))),
        }
    }

    /// The next event; `None` if the parser thread ended without a last event (it
    /// panicked).
    pub fn next(&mut self) -> Option<Parsed> {
        match self {
            Events::InPlace(parser) => Some(parser.next_token()),
            Events::Threaded { batches, batch } => {
                if let Some(parsed) = batch.next() {
                    return Some(parsed);
                }
                *batch = batches.recv().ok()?.into_iter();
                batch.next()
            }
        }
    }
}

/// Parse `text` to its end or its first error, sending the events in batches; stop
/// early when nobody receives them any more.
fn parse_ahead(text: &str, batches: &SyncSender<Vec<Parsed>>) {
    let mut parser = Parser::new_from_str(text);
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        let mut last = false;
        while !last && batch.len() < BATCH {
            let parsed = parser.next_token();
            last = matches!(parsed, Err(_) | Ok((Event::StreamEnd, _)));
            batch.push(parsed);
        }
        if batches.send(batch).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Parsed> {
        std::thread::scope(|scope| {
            let mut events = Events::of(text, scope);
            let mut out = Vec::new();
            while let Some(parsed) = events.next() {
                let last = matches!(parsed, Err(_) | Ok((Event::StreamEnd, _)));
                out.push(parsed);
                if last {
                    break;
                }
            }
            out
        })
    }

    fn in_place(text: &str) -> Vec<Parsed> {
        let mut parser = Parser::new_from_str(text);
        let mut out = Vec::new();
        loop {
            let parsed = parser.next_token();
            let last = matches!(parsed, Err(_) | Ok((Event::StreamEnd, _)));
            out.push(parsed);
            if last {
                return out;
            }
        }
    }

    #[test]
    fn a_big_file_gives_the_same_events_from_its_thread() {
        let text: String = (0..3000)
            .map(|i| format!("- name: task {i}\n  file: {{path: /x/{i}, state: directory}}\n"))
            .collect();
        assert!(text.len() >= THREADED_FROM_BYTES);
        assert_eq!(all(&text), in_place(&text));
        let broken = format!("{text}- [unclosed\n");
        let events = all(&broken);
        assert!(events.last().is_some_and(Result::is_err));
        assert_eq!(events, in_place(&broken));
    }

    #[test]
    fn a_builder_that_stops_early_stops_the_parser() {
        let text: String = (0..20000).map(|i| format!("- item {i}\n")).collect();
        std::thread::scope(|scope| {
            let mut events = Events::of(&text, scope);
            assert!(events.next().is_some());
            drop(events);
        });
    }
}
