//! The human reporter: Ansible's default callback output (`PLAY [..]`, `TASK [..]`,
//! `ok:`/`changed:`/`fatal:`, unified diffs, `PLAY RECAP`), byte for byte where that is
//! sensible, so people and their scripts that know Ansible's output know ours.
//!
//! Results, banners, listings and the recap go to `out` (stdout); `[WARNING]` lines go
//! to `err` (stderr), as in Ansible, so piping stdout keeps only the play's output.
//! Diffs are printed for results whose `show_diff` is set: the executor folds `--diff`
//! (`OutputOptions::diff`) and the task's `diff:` keyword into it.
//!
//! Every output ends in a newline, so a terminal's line-buffered stdout shows it at
//! once; stdout that is not a terminal is [`Batched`] (a write(2) per batch, at most
//! 50 ms late), and is flushed before stderr output, an interruption and the end.

use crate::events::{Event, Recap, Stats};
use crate::report::batched::Batched;
use crate::report::color::{Color, Painter};
use crate::report::{task_line, OutputOptions, Reporter};
use std::io::{self, IsTerminal, Stderr, Write};
use std::time::Instant;

/// Banners are this wide plus one (`msg`, a space, stars): Ansible's 80-column terminal.
const BANNER_COLUMNS: usize = 79;

/// Ansible's `%-26s` for the host name in the recap.
const RECAP_HOST_WIDTH: usize = 26;

/// Turns events into Ansible-shaped text on `out`, warnings on `err`.
pub struct HumanReporter<W: Write, E: Write> {
    out: W,
    err: E,
    opts: OutputOptions,
    /// Draw `Progress` as one updating line (only on a terminal).
    progress: bool,
    /// A progress line is on screen and must be cleared before the next output.
    progress_drawn: bool,
    /// When the progress on screen started (for a rate).
    progress_started: Option<Instant>,
    /// The first write error; later events are dropped and `finish` returns it.
    error: Option<io::Error>,
}

impl HumanReporter<Box<dyn Write>, Stderr> {
    /// Writes to stdout and stderr; progress is drawn when stdout is a terminal.
    /// Colour is `opts.color` (see [`crate::report::color::color_wanted`]). Stdout is
    /// [`Batched`] unless it is a terminal or debug logs (`-vv`, `RUST_LOG`) share
    /// stderr with it, whose lines must interleave with it as they happen.
    pub fn stdio(opts: OutputOptions) -> Self {
        let terminal = io::stdout().is_terminal();
        let logging = opts.verbosity >= 2 || std::env::var_os("RUST_LOG").is_some();
        let out: Box<dyn Write> = if terminal || logging {
            Box::new(io::stdout())
        } else {
            Box::new(Batched::new(Box::new(io::stdout())))
        };
        HumanReporter::new(out, io::stderr(), opts).with_progress(terminal)
    }
}

impl<W: Write, E: Write> HumanReporter<W, E> {
    /// A reporter on any writers (tests pass `Vec<u8>`s); progress is off.
    pub fn new(out: W, err: E, opts: OutputOptions) -> Self {
        HumanReporter {
            out,
            err,
            opts,
            progress: false,
            progress_drawn: false,
            progress_started: None,
            error: None,
        }
    }

    /// Draw `Progress` events as one line updated in place (`\r`); off keeps output
    /// stable for pipes, logs and tests.
    pub fn with_progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    fn paint(&self) -> Painter {
        Painter {
            enabled: self.opts.color,
        }
    }

    fn write_out(&mut self, text: &str) -> io::Result<()> {
        if self.progress_drawn {
            self.out.write_all(b"\r\x1b[K")?;
            self.progress_drawn = false;
        }
        self.progress_started = None;
        self.out.write_all(text.as_bytes())
    }

    fn write_err(&mut self, text: &str) -> io::Result<()> {
        if self.progress_drawn {
            self.write_out("")?;
        }
        self.out.flush()?;
        self.err.write_all(text.as_bytes())?;
        self.err.flush()
    }

    fn handle(&mut self, event: &Event) -> io::Result<()> {
        let paint = self.paint();
        match event {
            Event::PlayStart { name } => {
                let name = name.trim();
                let msg = if name.is_empty() {
                    "PLAY".to_string()
                } else {
                    format!("PLAY [{name}]")
                };
                self.write_out(&banner(&msg))
            }
            Event::TaskStart { name, handler } => {
                let lead = if *handler { "RUNNING HANDLER" } else { "TASK" };
                self.write_out(&banner_of(&[lead, " [", name.trim(), "]"]))
            }
            Event::TaskResult(result) => {
                self.write_out(&task_line::render(result, self.opts.verbosity, paint))
            }
            Event::Included { file, host, item } => {
                let text = match item {
                    Some(item) => format!("included: {file} for {host} => (item={item})"),
                    None => format!("included: {file} for {host}"),
                };
                let line = paint.paint(&text, Color::Cyan);
                self.write_out(&format!("{line}\n"))
            }
            Event::LoopDone {
                host,
                all_skipped,
                ignored,
                debug_failed,
            } => {
                let mut text = String::new();
                if *all_skipped {
                    text.push_str(&paint.paint(&format!("skipping: [{host}]"), Color::Cyan));
                    text.push('\n');
                }
                if *debug_failed {
                    // Ansible's callback cleans a debug result down to its `msg`, which
                    // drops `results`: the loop's summary is printed as a failure.
                    let line = format!(
                        "fatal: [{host}]: FAILED! => {{\"msg\": \"One or more items failed\"}}"
                    );
                    text.push_str(&paint.paint(&line, Color::Red));
                    text.push('\n');
                }
                if *ignored {
                    text.push_str(&paint.paint("...ignoring", Color::Cyan));
                    text.push('\n');
                }
                self.write_out(&text)
            }
            Event::Progress {
                task: _,
                done,
                total,
                what,
                unit,
            } => {
                if !self.progress {
                    return Ok(());
                }
                let started = *self.progress_started.get_or_insert_with(Instant::now);
                let line = super::progress_line::render(
                    *done,
                    *total,
                    what,
                    *unit,
                    started.elapsed(),
                    BANNER_COLUMNS,
                );
                self.out.write_all(format!("\r\x1b[K{line}").as_bytes())?;
                self.progress_drawn = true;
                self.out.flush()
            }
            Event::Warning(msg) => {
                let line = paint.paint(&format!("[WARNING]: {msg}"), Color::BrightPurple);
                self.write_err(&format!("{line}\n"))
            }
            Event::Listing(text) => {
                if text.ends_with('\n') || text.is_empty() {
                    self.write_out(text)
                } else {
                    self.write_out(&format!("{text}\n"))
                }
            }
            Event::Interrupted(event) => {
                self.write_out(&super::interrupted::interruption(event, paint))?;
                self.out.flush()
            }
            Event::Retrying(event) => {
                let mut text = format!(
                    "FAILED - RETRYING: [{}]: {} ({} retries left).",
                    event.host, event.task, event.retries_left
                );
                if event.verbose_always || self.opts.verbosity >= 2 {
                    text.push_str("Result was: ");
                    text.push_str(&super::pyjson::dump(&event.result, Some(4)));
                }
                let line = paint.paint(&text, Color::DarkGray);
                self.write_out(&format!("{line}\n"))
            }
            Event::LockWait(event) => self.write_err(&super::interrupted::lock_wait(event)),
            Event::Recap(recap) => {
                self.write_out(&recap_text(recap, paint))?;
                if self.opts.custom_stats {
                    let block =
                        super::custom_stats::block(&recap.custom_stats, self.opts.verbosity);
                    self.write_out(&block)?;
                }
                Ok(())
            }
        }
    }
}

impl<W: Write, E: Write> Reporter for HumanReporter<W, E> {
    fn event(&mut self, event: &Event) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.handle(event) {
            self.error = Some(e);
        }
    }

    fn flush(&mut self) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.out.flush() {
            self.error = Some(e);
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.progress_drawn {
            self.write_out("")?;
        }
        self.out.flush()?;
        self.err.flush()
    }
}

impl<W: Write, E: Write> Drop for HumanReporter<W, E> {
    /// What is written is still shown when the run ends without `finish` (bad input
    /// found while running, a panic).
    fn drop(&mut self) {
        let _ = self.out.flush();
    }
}

/// Ansible's `Display.banner`: a blank line, then `msg` and stars to 80 columns
/// (at least 3 stars).
pub(crate) fn banner(msg: &str) -> String {
    banner_of(&[msg.trim()])
}

/// [`banner`] of the message made of `parts` (already trimmed at its ends).
fn banner_of(parts: &[&str]) -> String {
    let chars: usize = parts.iter().map(|part| part.chars().count()).sum();
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let stars = BANNER_COLUMNS.saturating_sub(chars).max(3);
    let mut line = String::with_capacity(len + stars + 3);
    line.push('\n');
    for part in parts {
        line.push_str(part);
    }
    line.push(' ');
    line.extend(std::iter::repeat('*').take(stars));
    line.push('\n');
    line
}

/// `PLAY RECAP`, one line per host (sorted, as Ansible does), then a blank line.
fn recap_text(recap: &Recap, paint: Painter) -> String {
    let mut out = banner("PLAY RECAP");
    let mut hosts: Vec<_> = recap.hosts.iter().collect();
    hosts.sort_by(|a, b| a.0.cmp(b.0));
    for (host, stats) in hosts {
        out.push_str(&recap_line(host, stats, paint));
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Ansible's `"%s : %s %s %s %s %s %s %s"` of `hostcolor` and `colorize` (`name=%-4s`,
/// coloured only when non-zero), trailing spaces included.
pub(crate) fn recap_line(host: &str, stats: &Stats, paint: Painter) -> String {
    let host_color = if stats.failed > 0 || stats.unreachable > 0 {
        Color::Red
    } else if stats.changed > 0 {
        Color::Yellow
    } else {
        Color::Green
    };
    let pad = " ".repeat(RECAP_HOST_WIDTH.saturating_sub(host.chars().count()));
    let count = |name: &str, n: u64, color: Color| {
        let text = format!("{name}={n:<4}");
        if n == 0 {
            text
        } else {
            paint.paint(&text, color)
        }
    };
    format!(
        "{}{pad} : {} {} {} {} {} {} {}",
        paint.paint(host, host_color),
        count("ok", stats.ok, Color::Green),
        count("changed", stats.changed, Color::Yellow),
        count("unreachable", stats.unreachable, Color::BrightRed),
        count("failed", stats.failed, Color::Red),
        count("skipped", stats.skipped, Color::Cyan),
        count("rescued", stats.rescued, Color::Green),
        count("ignored", stats.ignored, Color::BrightPurple),
    )
}
