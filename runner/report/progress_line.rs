//! One progress line as pacman draws it, for a terminal (the human reporter redraws it
//! in place): `( 3/10) installing glibc   [#####---------------]  30%` for steps
//! (pacstrap's packages, with the total), and for a large write the bytes so far, the
//! total and the rate: `writing /big.img  12.0 MiB/100.0 MiB  34.1 MiB/s [##---]  12%`.

use machinist_modules::ProgressUnit;
use std::time::Duration;

/// The width of the bar between `[` and `]`.
const BAR_WIDTH: usize = 20;

/// The line for `done` of `total` `unit`s, doing `what`, `elapsed` since the work
/// started; at most `columns` characters.
pub fn render(
    done: u64,
    total: u64,
    what: &str,
    unit: ProgressUnit,
    elapsed: Duration,
    columns: usize,
) -> String {
    let (left, middle) = match unit {
        ProgressUnit::Steps => {
            let width = total.to_string().len();
            (format!("({done:>width$}/{total}) {what}"), String::new())
        }
        ProgressUnit::Bytes => {
            let seconds = elapsed.as_secs_f64().max(0.001);
            let rate = (done as f64 / seconds) as u64;
            (
                what.to_string(),
                format!(" {}/{} {}/s", bytes(done), bytes(total), bytes(rate)),
            )
        }
    };
    let percent = (done.min(total) * 100).checked_div(total).unwrap_or(100) as usize;
    let filled = percent * BAR_WIDTH / 100;
    let right = format!(
        "{middle} [{}{}] {percent:>3}%",
        "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled)
    );
    let room = columns.saturating_sub(right.chars().count());
    let mut line: String = left.chars().take(room).collect();
    let pad = room - line.chars().count();
    line.push_str(&" ".repeat(pad));
    line.push_str(&right);
    line.chars().take(columns).collect()
}

/// `512 B`, `12.0 KiB`, `1.5 GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_look_like_pacman() {
        let line = render(
            3,
            10,
            "installing glibc",
            ProgressUnit::Steps,
            Duration::ZERO,
            79,
        );
        assert_eq!(line.chars().count(), 79);
        assert!(line.starts_with("( 3/10) installing glibc "), "{line}");
        assert!(line.ends_with(" [######--------------]  30%"), "{line}");
    }

    #[test]
    fn bytes_show_sizes_and_rate() {
        let line = render(
            12 * 1024 * 1024,
            100 * 1024 * 1024,
            "writing /big.img",
            ProgressUnit::Bytes,
            Duration::from_secs(2),
            79,
        );
        assert!(line.starts_with("writing /big.img "), "{line}");
        assert!(
            line.ends_with(" 12.0 MiB/100.0 MiB 6.0 MiB/s [##------------------]  12%"),
            "{line}"
        );
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
    }

    #[test]
    fn long_names_are_cut_to_the_columns() {
        let what = "x".repeat(200);
        let line = render(1, 2, &what, ProgressUnit::Steps, Duration::ZERO, 79);
        assert_eq!(line.chars().count(), 79);
        assert!(line.ends_with("]  50%"));
    }
}
