//! A network interface's `features`, `timestamping`, `hw_timestamp_filters` and
//! `phc_index`, as ansible-core's Linux network collector takes them from `ethtool -k
//! DEVICE` and `ethtool -T DEVICE` where ethtool is found (run through the Host on a
//! running target, facts/tools.rs); none of them without it.

use super::tools;
use machinist_modules::Host;
use minijinja::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

type Fields = BTreeMap<String, Value>;

/// The target's ethtool.
pub struct Ethtool<'host> {
    host: &'host Host,
    program: PathBuf,
}

impl<'host> Ethtool<'host> {
    /// The running target's ethtool, if it has one.
    pub fn of(host: &'host Host) -> Option<Ethtool<'host>> {
        tools::bin_path(host, "ethtool").map(|program| Ethtool { host, program })
    }

    /// The device's facts from ethtool (each only when its run succeeds).
    pub fn device_facts(&self, device: &str) -> Fields {
        let mut fields = Fields::new();
        if let Some(out) = tools::output_of(self.host, &self.program, &["-k", device]) {
            fields.insert("features".into(), Value::from(features(&out)));
        }
        if let Some(out) = tools::output_of(self.host, &self.program, &["-T", device]) {
            fields.extend(timestamping(&out));
        }
        fields
    }
}

/// `ethtool -k`'s `name: value` lines, `-` in names as `_` (the heading and
/// sub-headings ending in `:` left out), as ansible-core reads them.
fn features(out: &str) -> BTreeMap<String, String> {
    out.trim()
        .lines()
        .filter(|line| !line.is_empty() && !line.ends_with(':'))
        .filter_map(|line| line.split_once(": "))
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key.trim().replace('-', "_"), value.trim().to_string()))
        .collect()
}

/// `ethtool -T`'s SOF_TIMESTAMPING_* and HWTSTAMP_FILTER_* names (lower case) and
/// its PTP hardware clock's index.
fn timestamping(out: &str) -> Fields {
    let names = |prefix: &str| -> Vec<String> {
        out.split(prefix)
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|name| !name.is_empty())
            .collect()
    };
    let mut fields = Fields::from([
        (
            "timestamping".to_string(),
            Value::from(names("SOF_TIMESTAMPING_")),
        ),
        (
            "hw_timestamp_filters".to_string(),
            Value::from(names("HWTSTAMP_FILTER_")),
        ),
    ]);
    let phc_index = out.split("PTP Hardware Clock: ").nth(1).and_then(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<i64>().ok()
    });
    if let Some(index) = phc_index {
        fields.insert("phc_index".into(), Value::from(index));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_as_ansible_reads_them() {
        let out = "Features for eth0:\nrx-checksumming: on\ntx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\nhighdma: on [fixed]\n";
        let read = features(out);
        assert_eq!(read["rx_checksumming"], "on");
        assert_eq!(read["tx_checksum_ipv4"], "off [fixed]");
        assert_eq!(read["highdma"], "on [fixed]");
        assert!(!read.contains_key("Features for eth0"));
    }

    #[test]
    fn timestamping_and_the_clock() {
        let out = "Time stamping parameters for eth0:\nCapabilities:\n\thardware-transmit     (SOF_TIMESTAMPING_TX_HARDWARE)\n\tsoftware-receive      (SOF_TIMESTAMPING_RX_SOFTWARE)\nPTP Hardware Clock: 0\nHardware Transmit Timestamp Modes:\n\toff                   (HWTSTAMP_TX_OFF)\nHardware Receive Filter Modes:\n\tnone                  (HWTSTAMP_FILTER_NONE)\n\tall                   (HWTSTAMP_FILTER_ALL)\n";
        let fields = timestamping(out);
        assert_eq!(
            fields["timestamping"].to_string(),
            r#"["tx_hardware", "rx_software"]"#
        );
        assert_eq!(
            fields["hw_timestamp_filters"].to_string(),
            r#"["none", "all"]"#
        );
        assert_eq!(fields["phc_index"].to_string(), "0");
        let none = timestamping(
            "Time stamping parameters for lo:\nCapabilities:\nPTP Hardware Clock: none\n",
        );
        assert_eq!(none["timestamping"].to_string(), "[]");
        assert!(!none.contains_key("phc_index"));
    }
}
