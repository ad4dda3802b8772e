//! Ansible's `system_capabilities` and `system_capabilities_enforced` (the `caps`
//! collector): what `capsh --print` says of the gathering process's capabilities, run
//! and parsed as ansible-core does (its `Current:` line; the texts `True`, `False`,
//! `NA`), `N/A` for both where capsh is not found or fails. capsh is run rather than
//! /proc/self/status decoded: its text (`=ep cap_sys_resource-ep`) is libcap's
//! compact form, which only libcap writes the same way.

use super::{tools, Facts};
use machinist_modules::Host;
use minijinja::Value;

pub fn add(host: &Host, facts: &mut Facts) {
    let printed = tools::bin_path(host, "capsh")
        .and_then(|capsh| tools::output_of(host, &capsh, &["--print"]));
    let (enforced, caps) = match printed {
        Some(out) => parse(&out),
        None => (Value::from("N/A"), Value::from("N/A")),
    };
    facts.insert("system_capabilities_enforced".into(), enforced);
    facts.insert("system_capabilities".into(), caps);
}

/// ansible-core's parse of `capsh --print`: (enforced, capabilities).
fn parse(out: &str) -> (Value, Value) {
    let mut enforced = "NA";
    let mut caps: Vec<String> = Vec::new();
    for line in out.lines().filter(|line| line.starts_with("Current:")) {
        let after_colon = line.split(':').nth(1).unwrap_or_default();
        if after_colon.trim() == "=ep" {
            enforced = "False";
        } else {
            enforced = "True";
            caps = line
                .split('=')
                .nth(1)
                .unwrap_or_default()
                .split(',')
                .map(|cap| cap.trim().to_string())
                .collect();
        }
    }
    (Value::from(enforced), Value::from(caps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_line_as_ansible_reads_it() {
        let (enforced, caps) = parse("Current: =ep cap_sys_resource-ep\nBounding set =cap_chown\n");
        assert_eq!(enforced.to_string(), "True");
        assert_eq!(caps.to_string(), r#"["ep cap_sys_resource-ep"]"#);
        let (enforced, caps) = parse("Current: =ep\n");
        assert_eq!(enforced.to_string(), "False");
        assert_eq!(caps.to_string(), "[]");
        let (enforced, caps) = parse("Current: cap_chown,cap_kill=ep\n");
        assert_eq!(caps.to_string(), r#"["ep"]"#);
        assert_eq!(enforced.to_string(), "True");
        let (enforced, _) = parse("nothing\n");
        assert_eq!(enforced.to_string(), "NA");
    }

    #[test]
    fn this_systems_capsh_or_none() {
        let host = Host::new(machinist_modules::HostOptions::new(std::path::Path::new(
            "/",
        )))
        .expect("host");
        let mut facts = Facts::new();
        add(&host, &mut facts);
        let enforced = facts["system_capabilities_enforced"].to_string();
        match tools::bin_path(&host, "capsh") {
            Some(_) => assert!(["True", "False"].contains(&enforced.as_str()), "{enforced}"),
            None => assert_eq!(enforced, "N/A"),
        }
    }
}
