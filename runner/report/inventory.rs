//! `machinist inventory` output: the text made by inventory/listing.rs on stdout
//! (vaulted values masked), and the inventory's warnings on stderr in Ansible's
//! `[WARNING]: ` form.

use super::color::{Color, Painter};
use std::io::Write;

pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(crate::revealed::mask(text).as_bytes())?;
    out.flush()
}

pub fn warnings(warnings: &[String], color: bool) {
    let paint = Painter { enabled: color };
    let mut err = std::io::stderr().lock();
    for warning in warnings {
        let line = paint.paint(&format!("[WARNING]: {warning}"), Color::BrightPurple);
        let _ = writeln!(err, "{}", crate::revealed::mask(&line));
    }
}
