//! Ansible's `platform`, `cmdline` and `dns` facts: `kernel_version` and `machine`
//! (uname), `userspace_bits` (the ELF class of the target's /bin/sh — the userspace
//! a root or container runs, which may differ from this binary's) and
//! `userspace_architecture`, the kernel's command line as
//! `cmdline` and `proc_cmdline`, and `dns` from the target's /etc/resolv.conf.

use super::Facts;
use machinist_modules::Host;
use minijinja::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The platform, command line and resolver facts.
pub fn add(host: &Host, facts: &mut Facts) {
    let uname = rustix::system::uname();
    let machine = uname.machine().to_string_lossy().into_owned();
    facts.insert(
        "kernel_version".into(),
        Value::from(uname.version().to_string_lossy().into_owned()),
    );
    let bits = host
        .read_file(Path::new("/bin/sh"))
        .ok()
        .flatten()
        .and_then(|elf| elf_bits(&elf))
        .unwrap_or(usize::BITS);
    facts.insert("userspace_bits".into(), Value::from(bits.to_string()));
    if machine == "x86_64" {
        let userspace = if bits == 64 { "x86_64" } else { "i386" };
        facts.insert("userspace_architecture".into(), Value::from(userspace));
    }
    facts.insert("machine".into(), Value::from(machine));
    if let Ok(text) = std::fs::read_to_string("/proc/cmdline") {
        let (cmdline, proc_cmdline) = parse_cmdline(&text);
        facts.insert("cmdline".into(), Value::from(cmdline));
        facts.insert("proc_cmdline".into(), Value::from(proc_cmdline));
    }
    let resolv = super::read_text(host, "/etc/resolv.conf").unwrap_or_default();
    facts.insert("dns".into(), Value::from(parse_resolv_conf(&resolv)));
}

/// 32 or 64 from an ELF header's class byte.
fn elf_bits(elf: &[u8]) -> Option<u32> {
    if elf.get(..4)? != b"\x7fELF" {
        return None;
    }
    match elf.get(4)? {
        1 => Some(32),
        2 => Some(64),
        _ => None,
    }
}

/// Python's `shlex.split(text, posix=False)`: whitespace outside quotes separates,
/// and quotes stay in the words.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(open) => {
                word.push(c);
                if c == open {
                    quote = None;
                }
            }
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                word.push(c);
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `cmdline` (the last value of each key; a bare word is `true`) and
/// `proc_cmdline` (a key given twice has the list of its values).
fn parse_cmdline(text: &str) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let mut last: BTreeMap<String, Value> = BTreeMap::new();
    let mut all: BTreeMap<String, Option<Vec<String>>> = BTreeMap::new();
    for word in split_words(text) {
        let Some((key, value)) = word.split_once('=') else {
            last.insert(word.clone(), Value::from(true));
            all.insert(word, None);
            continue;
        };
        last.insert(key.into(), Value::from(value));
        match all.get_mut(key) {
            Some(Some(values)) => values.push(value.into()),
            _ => {
                all.insert(key.into(), Some(vec![value.into()]));
            }
        }
    }
    let all = all
        .into_iter()
        .map(|(key, values)| {
            let value = match values {
                None => Value::from(true),
                Some(mut values) if values.len() == 1 => Value::from(values.remove(0)),
                Some(values) => Value::from(values),
            };
            (key, value)
        })
        .collect();
    (last, all)
}

/// Ansible's `dns`: `nameservers`, `domain`, `search`, `sortlist` and `options`.
fn parse_resolv_conf(text: &str) -> BTreeMap<String, Value> {
    let mut dns: BTreeMap<String, Value> = BTreeMap::new();
    let mut nameservers: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some((keyword, rest)) = tokens.split_first() else {
            continue;
        };
        let list = |words: &[&str]| Value::from_iter(words.iter().map(|w| Value::from(*w)));
        match *keyword {
            "nameserver" => {
                nameservers.extend(rest.iter().map(|w| w.to_string()));
                dns.insert("nameservers".into(), Value::from(nameservers.clone()));
            }
            "domain" => {
                if let Some(domain) = rest.first() {
                    dns.insert("domain".into(), Value::from(*domain));
                }
            }
            "search" => {
                dns.insert("search".into(), list(rest));
            }
            "sortlist" => {
                dns.insert("sortlist".into(), list(rest));
            }
            "options" => {
                let options: BTreeMap<String, Value> = rest
                    .iter()
                    .map(|option| match option.split_once(':') {
                        Some((name, value)) => (name.to_string(), Value::from(value)),
                        None => (option.to_string(), Value::from(true)),
                    })
                    .collect();
                dns.insert("options".into(), Value::from(options));
            }
            _ => {}
        }
    }
    dns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_as_ansible_shapes_it() {
        let dns = parse_resolv_conf(
            "# generated\nnameserver 10.0.0.1\n; old\nnameserver 10.0.0.2\nsearch a.example b.example\n\
             domain a.example\noptions ndots:2 rotate\n\n",
        );
        let json = serde_json::to_value(&dns).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "nameservers": ["10.0.0.1", "10.0.0.2"],
                "search": ["a.example", "b.example"],
                "domain": "a.example",
                "options": {"ndots": "2", "rotate": true},
            })
        );
    }

    #[test]
    fn kernel_command_line_last_and_all_values() {
        let (last, all) =
            parse_cmdline("BOOT_IMAGE=/vmlinuz console=tty0 console=ttyS0 quiet x=\"a b\"\n");
        let last = serde_json::to_value(&last).expect("json");
        let all = serde_json::to_value(&all).expect("json");
        assert_eq!(last["console"], "ttyS0");
        assert_eq!(last["quiet"], true);
        assert_eq!(last["x"], "\"a b\"");
        assert_eq!(all["console"], serde_json::json!(["tty0", "ttyS0"]));
        assert_eq!(all["BOOT_IMAGE"], "/vmlinuz");
    }

    #[test]
    fn elf_class_gives_the_bits() {
        assert_eq!(elf_bits(b"\x7fELF\x02\x01\x01"), Some(64));
        assert_eq!(elf_bits(b"\x7fELF\x01"), Some(32));
        assert_eq!(elf_bits(b"#!/bin/sh"), None);
    }
}
