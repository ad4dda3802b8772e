//! The bound on a run's memory (issue 13): minijinja's fuel counts instructions, not
//! bytes, and one instruction can double a string (`ns.s ~ ns.s`), so a template,
//! a `set_fact` or a registered result could take all the machine's memory.
//!
//! [`Bounded`] is the binary's allocator: the system's, counting the bytes in use.
//! An allocation that would take the run past its limit (256 MiB by default;
//! `--max-memory`, `MACHINIST_MAX_MEMORY`) is never made: the run stops there, with
//! the place of the task that asked for it (written by the executor before each task
//! into a fixed buffer, so reporting it allocates nothing) and exit 2. The heap never
//! passes the limit, so the peak RSS stays near it. Not a failed task that `rescue`
//! or `ignore_errors` could take: the memory is not there to go on with.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The default limit: a run is ~15 MB; a copy streams; text inputs are ≤ 16 MiB.
pub const DEFAULT_LIMIT: usize = 256 * 1024 * 1024;

/// The smallest limit accepted (below it, loading a big playbook would not fit).
pub const MIN_LIMIT: usize = 32 * 1024 * 1024;

/// The environment variable that sets the limit when `--max-memory` does not.
pub const LIMIT_VAR: &str = "MACHINIST_MAX_MEMORY";

/// Bytes allocated and not freed.
static IN_USE: AtomicUsize = AtomicUsize::new(0);
/// The limit; `usize::MAX` (no limit) until the binary sets one.
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The place of the task running now, for the message (a fixed buffer: writing it
/// and reading it allocate nothing).
struct Place {
    busy: AtomicBool,
    len: UnsafeCell<usize>,
    text: UnsafeCell<[u8; PLACE_BYTES]>,
}

const PLACE_BYTES: usize = 512;

// Only touched under `busy`.
unsafe impl Sync for Place {}

static PLACE: Place = Place {
    busy: AtomicBool::new(false),
    len: UnsafeCell::new(0),
    text: UnsafeCell::new([0; PLACE_BYTES]),
};

impl Place {
    fn with<R>(&self, f: impl FnOnce(&mut usize, &mut [u8; PLACE_BYTES]) -> R) -> R {
        while self
            .busy
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: `busy` is held: no one else reads or writes the buffer.
        let result = unsafe { f(&mut *self.len.get(), &mut *self.text.get()) };
        self.busy.store(false, Ordering::Release);
        result
    }
}

/// Writes into a fixed buffer, cutting what does not fit.
struct Fixed<'a> {
    len: &'a mut usize,
    text: &'a mut [u8],
}

impl std::fmt::Write for Fixed<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.text.len() - *self.len;
        let take = s.len().min(room);
        self.text[*self.len..*self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        *self.len += take;
        Ok(())
    }
}

/// Set the limit (bytes).
pub fn set_limit(bytes: usize) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The limit in force.
pub fn limit() -> usize {
    LIMIT.load(Ordering::Relaxed)
}

/// Say where the run is (`site.yml:12:7: task 'render'`), for the message if the
/// limit is reached there.
pub fn at(place: std::fmt::Arguments<'_>) {
    PLACE.with(|len, text| {
        *len = 0;
        let _ = Fixed { len, text }.write_fmt(place);
    });
}

/// A size as people write it: `256M`, `1G`, `512MiB`, `300000000`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: usize = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size (like 256M or 1G)"))?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{text}' is not a size (like 256M or 1G)")),
    };
    let bytes = number
        .checked_mul(scale)
        .ok_or_else(|| format!("'{text}' is too large"))?;
    if bytes < MIN_LIMIT {
        return Err(format!(
            "'{text}' is below the smallest memory limit, {} MiB",
            MIN_LIMIT >> 20
        ));
    }
    Ok(bytes)
}

/// The system allocator, counting, refusing to pass the limit.
pub struct Bounded;

impl Bounded {
    /// Count `size` more bytes in use, or stop the run if that passes the limit.
    fn take(size: usize) {
        let before = IN_USE.fetch_add(size, Ordering::Relaxed);
        if before.saturating_add(size) > LIMIT.load(Ordering::Relaxed) {
            IN_USE.fetch_sub(size, Ordering::Relaxed);
            stop(size);
        }
    }

    fn give(size: usize) {
        IN_USE.fetch_sub(size, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` with the same arguments; only counting
// is added.
unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Bounded::take(layout.size());
        let ptr = unsafe { System.alloc(layout) };
        if ptr.is_null() {
            Bounded::give(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Bounded::take(layout.size());
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if ptr.is_null() {
            Bounded::give(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        Bounded::give(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old {
            Bounded::take(new_size - old);
        }
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        match (moved.is_null(), new_size > old) {
            (true, true) => Bounded::give(new_size - old),
            (false, false) => Bounded::give(old - new_size),
            _ => {}
        }
        moved
    }
}

/// The limit is reached: say where and stop, allocating nothing.
fn stop(wanted: usize) -> ! {
    let mut line = [0u8; PLACE_BYTES + 256];
    let mut len = 0;
    let mut out = Fixed {
        len: &mut len,
        text: &mut line,
    };
    let _ = out.write_str("machinist: error: ");
    PLACE.with(|place_len, place| {
        let _ = out.write_str(std::str::from_utf8(&place[..*place_len]).unwrap_or("?"));
    });
    let _ = writeln!(
        out,
        ": the run reached its memory limit of {} MiB ({} MiB in use, {} more asked for); \
         stopped (set the limit with --max-memory or {LIMIT_VAR})",
        limit() >> 20,
        IN_USE.load(Ordering::Relaxed) >> 20,
        wanted.div_ceil(1 << 20),
    );
    // SAFETY: a write of our own buffer to fd 2, then _exit: the process ends at once.
    unsafe {
        libc::write(2, line.as_ptr().cast(), len);
        libc::_exit(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_size("300000000"), Ok(300_000_000));
        assert!(parse_size("1M").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
