//! Stdout for the human reporter when nobody reads it live off a terminal (a log
//! file, a pipe): what is written reaches it within [`LATENCY`], a batch per write(2),
//! instead of a write(2) per task — a 1000-task rerun spent about 8 ms of its ~50 in a
//! thousand small writes to an ext4 log file. A background thread writes each batch;
//! `flush` writes at once, and the reporter flushes before anything goes to stderr,
//! when the run ends or is interrupted, so the two streams keep their order and
//! nothing written is lost.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long written text may wait for its write(2).
const LATENCY: Duration = Duration::from_millis(50);

/// Text waiting beyond this is written at once (a long diff need not wait in memory).
const MAX_PENDING: usize = 64 * 1024;

/// A writer whose text a background thread writes out in batches.
pub struct Batched {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Taken while a batch is written, so batches go out in the order they were taken.
    out: Mutex<Box<dyn Write + Send>>,
    wake: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// The background thread's first write error, returned by the next call.
    error: Option<io::Error>,
    closing: bool,
}

/// A lock whose holder cannot have left the data half-changed: take it even if a
/// panic poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Batched {
    pub fn new(out: Box<dyn Write + Send>) -> Batched {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            out: Mutex::new(out),
            wake: Condvar::new(),
        });
        let background = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || write_behind(&background))
            .ok();
        Batched { shared, writer }
    }

    fn take_error(&self) -> io::Result<()> {
        match lock(&self.shared.pending).error.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

/// Write out whatever is pending, in order with any other batch.
fn write_pending(shared: &Shared) -> io::Result<()> {
    let mut out = lock(&shared.out);
    let batch = std::mem::take(&mut lock(&shared.pending).bytes);
    if batch.is_empty() {
        return Ok(());
    }
    out.write_all(&batch)?;
    out.flush()
}

/// The background thread: once text is pending, let more gather for [`LATENCY`], then
/// write it. The owner writes the rest when it closes.
fn write_behind(shared: &Shared) {
    loop {
        let mut pending = lock(&shared.pending);
        while pending.bytes.is_empty() && !pending.closing {
            pending = shared
                .wake
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        if pending.closing {
            return;
        }
        let (pending, _) = shared
            .wake
            .wait_timeout(pending, LATENCY)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending.closing {
            return;
        }
        drop(pending);
        if let Err(err) = write_pending(shared) {
            lock(&shared.pending).error.get_or_insert(err);
        }
    }
}

impl Write for Batched {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.take_error()?;
        if self.writer.is_none() {
            // No thread could be started: write through.
            return lock(&self.shared.out).write(buf);
        }
        let mut pending = lock(&self.shared.pending);
        let was_empty = pending.bytes.is_empty();
        pending.bytes.extend_from_slice(buf);
        let full = pending.bytes.len() > MAX_PENDING;
        drop(pending);
        if full {
            write_pending(&self.shared)?;
        } else if was_empty {
            self.shared.wake.notify_one();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.take_error()?;
        write_pending(&self.shared)?;
        lock(&self.shared.out).flush()
    }
}

impl Drop for Batched {
    fn drop(&mut self) {
        lock(&self.shared.pending).closing = true;
        self.shared.wake.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        let _ = write_pending(&self.shared);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A shared Vec<u8> that counts the writes it gets.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut sink = lock(&self.0);
            sink.0.extend_from_slice(buf);
            sink.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> (String, usize) {
            let sink = lock(&self.0);
            (String::from_utf8_lossy(&sink.0).into_owned(), sink.1)
        }
    }

    #[test]
    fn many_writes_go_out_together_and_in_order() {
        let sink = Sink::default();
        let mut out = Batched::new(Box::new(sink.clone()));
        for i in 0..1000 {
            writeln!(out, "line {i}").unwrap();
        }
        out.flush().unwrap();
        let (text, writes) = sink.text();
        assert_eq!(text.lines().count(), 1000);
        assert!(text
            .lines()
            .enumerate()
            .all(|(i, l)| l == format!("line {i}")));
        assert!(writes < 10, "{writes} writes");
    }

    #[test]
    fn text_left_alone_is_written_within_the_latency() {
        let sink = Sink::default();
        let mut out = Batched::new(Box::new(sink.clone()));
        out.write_all(b"TASK [slow] ***\n").unwrap();
        let start = Instant::now();
        while sink.text().0.is_empty() {
            assert!(start.elapsed() < LATENCY * 20, "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(sink.text().0, "TASK [slow] ***\n");
    }

    #[test]
    fn dropping_writes_the_rest() {
        let sink = Sink::default();
        let mut out = Batched::new(Box::new(sink.clone()));
        out.write_all(b"PLAY RECAP\n").unwrap();
        drop(out);
        assert_eq!(sink.text().0, "PLAY RECAP\n");
    }

    #[test]
    fn a_write_error_reaches_the_writer() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Batched::new(Box::new(Closed));
        out.write_all(b"x\n").unwrap();
        assert_eq!(out.flush().unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    }
}
