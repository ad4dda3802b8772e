//! The getent module (Ansible's `ansible.builtin.getent`): a database of the target's
//! name service switch (passwd, group, shadow, hosts, services …) read by the
//! target's own `getent`, so NSS sees the target's files and modules, not ours. It
//! changes nothing; the entries come back as the fact `getent_DATABASE` (a key's
//! fields, split at `:` for passwd, shadow, group and gshadow, else at whitespace;
//! a key found twice holds a list of its entries), as Ansible's does. A target
//! without `getent` (a bare root) has its passwd, group, shadow and gshadow read from
//! its /etc files (the `files` service) instead; other databases need its getent.

pub(crate) mod doc;

use crate::{Host, Module, ModuleError, Plan, RunSpec};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub database: String,
    pub key: Option<String>,
    pub service: Option<String>,
    pub split: Option<String>,
    #[serde(default = "yes")]
    pub fail_key: bool,
}

fn yes() -> bool {
    true
}

/// Databases whose entries are `:`-separated.
const COLON_DATABASES: &[&str] = &["passwd", "shadow", "group", "gshadow"];

pub struct GetentModule;

impl Module for GetentModule {
    type Args = Args;
    const NAME: &'static str = "getent";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.database.is_empty() || args.database.starts_with('-') {
            return Err(ModuleError::invalid(
                "database",
                format!("'{}' is not a database name", args.database),
            ));
        }
        let has_getent = ["/usr/bin/getent", "/bin/getent"]
            .iter()
            .map(|path| host.exists(std::path::Path::new(path)))
            .collect::<Result<Vec<_>, _>>()?
            .contains(&true);
        let colon = COLON_DATABASES.contains(&args.database.as_str());
        if !has_getent && colon && args.service.is_none() && args.split.is_none() {
            return from_files(args, host);
        }
        if !has_getent {
            return Err(ModuleError::Failed(format!(
                "the target has no getent (glibc's): only passwd, group, shadow and gshadow \
                 can be read without it, from its /etc files (asked for {})",
                args.database
            )));
        }
        let mut argv = vec!["getent".to_string(), args.database.clone()];
        if let Some(key) = &args.key {
            argv.push("--".to_string());
            argv.push(key.clone());
        }
        if let Some(service) = &args.service {
            argv.splice(1..1, ["-s".to_string(), service.clone()]);
        }
        let output = host.query(&RunSpec {
            argv,
            ..RunSpec::default()
        })?;
        let split = args.split.clone().or_else(|| {
            COLON_DATABASES
                .contains(&args.database.as_str())
                .then(|| ":".to_string())
        });
        let tree = format!("getent_{}", args.database);
        match output.rc {
            Some(0) => {
                let entries = entries(&output.stdout, split.as_deref());
                Ok(Plan::ok().with_data("ansible_facts", facts(&tree, entries)))
            }
            Some(2) if !args.fail_key => {
                let mut entries = Map::new();
                entries.insert(args.key.clone().unwrap_or_default(), Value::Null);
                Ok(Plan::ok()
                    .with_data("ansible_facts", facts(&tree, entries))
                    .with_data(
                        "msg",
                        "One or more supplied key could not be found in the database.",
                    ))
            }
            Some(1) => Err(ModuleError::Failed(
                "Missing arguments, or database unknown.".into(),
            )),
            Some(2) => Err(ModuleError::Failed(
                "One or more supplied key could not be found in the database.".into(),
            )),
            Some(3) => Err(ModuleError::Failed(
                "Enumeration not supported on this database.".into(),
            )),
            _ => Err(ModuleError::Failed(format!(
                "getent did not run: {}",
                output.stderr.trim()
            ))),
        }
    }
}

/// passwd, group, shadow or gshadow from the target's `/etc` file, as getent's `files`
/// service reads it: a key is a name, or for passwd and group also a numeric id.
fn from_files(args: &Args, host: &Host) -> Result<Plan, ModuleError> {
    let path = format!("/etc/{}", args.database);
    let bytes = host
        .read_file(std::path::Path::new(&path))?
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let lines = text
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#') && !line.starts_with('+'));
    let chosen: Vec<&str> = match &args.key {
        None => lines.collect(),
        Some(key) => {
            let by_id = matches!(args.database.as_str(), "passwd" | "group")
                && key.chars().all(|c| c.is_ascii_digit());
            let field = if by_id { 2 } else { 0 };
            lines
                .filter(|line| line.split(':').nth(field) == Some(key.as_str()))
                .take(1)
                .collect()
        }
    };
    let tree = format!("getent_{}", args.database);
    if chosen.is_empty() && args.key.is_some() {
        if args.fail_key {
            return Err(ModuleError::Failed(
                "One or more supplied key could not be found in the database.".into(),
            ));
        }
        let mut entries = Map::new();
        entries.insert(args.key.clone().unwrap_or_default(), Value::Null);
        return Ok(Plan::ok()
            .with_data("ansible_facts", facts(&tree, entries))
            .with_data(
                "msg",
                "One or more supplied key could not be found in the database.",
            ));
    }
    let output = chosen.join("\n");
    Ok(Plan::ok().with_data("ansible_facts", facts(&tree, entries(&output, Some(":")))))
}

fn facts(tree: &str, entries: Map<String, Value>) -> Value {
    let mut facts = Map::new();
    facts.insert(tree.to_string(), Value::Object(entries));
    Value::Object(facts)
}

/// Each line's first field as the key, its other fields as the value; a key seen again
/// turns its value into a list of the entries.
fn entries(output: &str, split: Option<&str>) -> Map<String, Value> {
    let mut entries = Map::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in output.lines() {
        let fields: Vec<&str> = match split {
            Some(separator) if !separator.is_empty() => line.split(separator).collect(),
            _ => line.split_whitespace().collect(),
        };
        let Some((key, rest)) = fields.split_first() else {
            continue;
        };
        let rest = Value::from(rest.iter().map(|f| Value::from(*f)).collect::<Vec<_>>());
        let count = seen.entry(key.to_string()).or_insert(0);
        *count += 1;
        match (entries.get_mut(*key), *count) {
            (Some(first), 2) => {
                let earlier = first.take();
                *first = Value::Array(vec![earlier, rest]);
            }
            (Some(Value::Array(all)), _) => all.push(rest),
            _ => {
                entries.insert(key.to_string(), rest);
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_target_without_getent_has_its_passwd_read_from_its_files(
    ) -> crate::test_support::TestResult {
        use crate::test_support::{plan_with, Sandbox};
        let sandbox = Sandbox::new()?;
        std::fs::write(
            sandbox.real("/etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
        )?;
        let host = sandbox.host(false);
        let all = plan_with(&GetentModule, &host, json!({"database": "passwd"}))?;
        assert_eq!(
            all.data["ansible_facts"]["getent_passwd"]["alice"][4],
            json!("/home/alice")
        );
        let by_uid = plan_with(
            &GetentModule,
            &host,
            json!({"database": "passwd", "key": "1000"}),
        )?;
        assert!(by_uid.data["ansible_facts"]["getent_passwd"]["alice"].is_array());
        let missing = plan_with(
            &GetentModule,
            &host,
            json!({"database": "passwd", "key": "bob", "fail_key": false}),
        )?;
        assert_eq!(
            missing.data["ansible_facts"]["getent_passwd"]["bob"],
            json!(null)
        );
        assert!(plan_with(
            &GetentModule,
            &host,
            json!({"database": "passwd", "key": "bob"})
        )
        .is_err());
        assert!(plan_with(&GetentModule, &host, json!({"database": "hosts"})).is_err());
        Ok(())
    }

    #[test]
    fn entries_split_as_ansibles_getent_splits_them() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nbin:x:2:2::/bin:/usr/sbin/nologin\n";
        let found = entries(passwd, Some(":"));
        assert_eq!(
            found["root"],
            json!(["x", "0", "0", "root", "/root", "/bin/bash"])
        );
        assert_eq!(found["bin"][3], json!(""));
        let hosts = "127.0.0.1       localhost\n127.0.0.1       other name\n";
        let found = entries(hosts, None);
        assert_eq!(
            found["127.0.0.1"],
            json!([["localhost"], ["other", "name"]])
        );
    }
}
