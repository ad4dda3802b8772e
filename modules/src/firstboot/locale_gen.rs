//! `locales:` — entries of /etc/locale.gen (`en_US.UTF-8 UTF-8`) enabled: a commented
//! line for one is uncommented, a missing one is appended; others are left as they are.

/// One entry, whitespace collapsed (`en_US.UTF-8   UTF-8` is `en_US.UTF-8 UTF-8`).
pub fn normalized(entry: &str) -> String {
    entry.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The file with every wanted entry enabled.
pub fn enable(current: &str, wanted: &[String]) -> String {
    let wanted: Vec<String> = wanted.iter().map(|entry| normalized(entry)).collect();
    let mut enabled = vec![false; wanted.len()];
    let mut lines: Vec<String> = Vec::new();
    for line in current.lines() {
        let trimmed = line.trim_start();
        let (commented, entry) = match trimmed.strip_prefix('#') {
            Some(rest) => (true, normalized(rest.trim_start_matches('#'))),
            None => (false, normalized(trimmed)),
        };
        match wanted.iter().position(|w| *w == entry) {
            Some(at) if !commented => {
                enabled[at] = true;
                lines.push(line.to_string());
            }
            Some(at) if !enabled[at] => {
                enabled[at] = true;
                lines.push(entry);
            }
            _ => lines.push(line.to_string()),
        }
    }
    let mut content: String = lines.iter().map(|line| format!("{line}\n")).collect();
    for (entry, done) in wanted.iter().zip(enabled) {
        if !done {
            content.push_str(entry);
            content.push('\n');
        }
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn commented_entries_are_uncommented_in_place() {
        let arch = "#  en_US ISO-8859-1\n#en_US.UTF-8 UTF-8\n#de_DE.UTF-8 UTF-8\n";
        assert_eq!(
            enable(arch, &wanted(&["en_US.UTF-8 UTF-8"])),
            "#  en_US ISO-8859-1\nen_US.UTF-8 UTF-8\n#de_DE.UTF-8 UTF-8\n"
        );
        let debian = "# This file lists locales\n# de_DE.UTF-8 UTF-8\n";
        assert_eq!(
            enable(debian, &wanted(&["de_DE.UTF-8   UTF-8"])),
            "# This file lists locales\nde_DE.UTF-8 UTF-8\n"
        );
    }

    #[test]
    fn enabled_entries_stay_and_missing_ones_are_appended() {
        let current = "en_US.UTF-8 UTF-8";
        assert_eq!(
            enable(
                current,
                &wanted(&["en_US.UTF-8 UTF-8", "fr_FR.UTF-8 UTF-8"])
            ),
            "en_US.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\n"
        );
        assert_eq!(enable("", &wanted(&["C.UTF-8 UTF-8"])), "C.UTF-8 UTF-8\n");
    }

    #[test]
    fn an_enabled_file_is_unchanged() {
        let current = "# header\nen_US.UTF-8 UTF-8\n#de_DE.UTF-8 UTF-8\n";
        assert_eq!(enable(current, &wanted(&["en_US.UTF-8 UTF-8"])), current);
    }
}
