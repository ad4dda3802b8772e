//! Colour for the human reporter: Ansible's palette as ANSI escapes, applied one line at
//! a time (as Ansible's `stringc` does), and the one place that decides from the
//! environment whether colour is wanted at all.

use std::ffi::OsString;

/// The colours Ansible's default callback uses (`COLOR_OK`, `COLOR_CHANGED`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Color {
    /// `ok`, rescued counts, diff context never (only `+` lines use it).
    Green,
    /// `changed`.
    Yellow,
    /// `skipping`, `included`, `...ignoring`, `@@` hunk headers.
    Cyan,
    /// `fatal`, `failed`, diff `-` lines.
    Red,
    /// `unreachable` counts.
    BrightRed,
    /// `[WARNING]`, ignored counts.
    BrightPurple,
    /// `FAILED - RETRYING` (Ansible's debug color).
    DarkGray,
}

impl Color {
    fn sgr(self) -> &'static str {
        match self {
            Color::Green => "0;32",
            Color::Yellow => "0;33",
            Color::Cyan => "0;36",
            Color::Red => "0;31",
            Color::BrightRed => "1;31",
            Color::BrightPurple => "1;35",
            Color::DarkGray => "1;30",
        }
    }
}

/// Paints text when colour is on, and is the identity when it is off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Painter {
    pub enabled: bool,
}

impl Painter {
    /// `text` in `color`, each line wrapped on its own so a line never starts mid-colour;
    /// empty lines stay empty.
    pub fn paint(&self, text: &str, color: Color) -> String {
        if !self.enabled {
            return text.to_string();
        }
        let mut out = String::new();
        self.paint_onto(&mut out, text, color);
        out
    }

    /// [`Painter::paint`] appended to `out`.
    pub fn paint_onto(&self, out: &mut String, text: &str, color: Color) {
        if !self.enabled {
            out.push_str(text);
            return;
        }
        let painted = text
            .split('\n')
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("\x1b[{}m{line}\x1b[0m", color.sgr())
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&painted);
    }
}

/// Whether human output should be coloured, given whether stdout is a terminal.
///
/// `NO_COLOR` set to any value turns colour off and wins over everything; otherwise
/// `CLICOLOR_FORCE` or `FORCE_COLOR` (set, and not `0`/`false`) turn it on even when
/// piped; otherwise colour follows the terminal, except on `TERM=dumb`.
pub fn color_wanted(is_tty: bool) -> bool {
    color_wanted_with(is_tty, |name| std::env::var_os(name))
}

fn color_wanted_with(is_tty: bool, var: impl Fn(&str) -> Option<OsString>) -> bool {
    if var("NO_COLOR").is_some() {
        return false;
    }
    let forced = |name: &str| {
        var(name).is_some_and(|v| {
            let v = v.to_string_lossy();
            !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
        })
    };
    if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") {
        return true;
    }
    is_tty && var("TERM").map_or(true, |t| t != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn follows_the_terminal_by_default() {
        assert!(color_wanted_with(true, env(&[])));
        assert!(!color_wanted_with(false, env(&[])));
        assert!(!color_wanted_with(true, env(&[("TERM", "dumb")])));
    }

    #[test]
    fn no_color_wins_with_any_value() {
        assert!(!color_wanted_with(true, env(&[("NO_COLOR", "")])));
        assert!(!color_wanted_with(
            true,
            env(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")])
        ));
    }

    #[test]
    fn force_turns_colour_on_when_piped() {
        assert!(color_wanted_with(false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(color_wanted_with(false, env(&[("FORCE_COLOR", "true")])));
        assert!(!color_wanted_with(false, env(&[("FORCE_COLOR", "0")])));
        assert!(!color_wanted_with(false, env(&[("CLICOLOR_FORCE", "")])));
    }

    #[test]
    fn paints_each_line_and_nothing_when_off() {
        let on = Painter { enabled: true };
        assert_eq!(
            on.paint("a\nb", Color::Red),
            "\x1b[0;31ma\x1b[0m\n\x1b[0;31mb\x1b[0m"
        );
        assert_eq!(Painter { enabled: false }.paint("a\nb", Color::Red), "a\nb");
    }
}
