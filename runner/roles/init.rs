//! `machinist role init NAME`: a new role with every folder of Ansible's layout, a
//! working example task, its default, the argument spec that checks it, and a README
//! saying how to use and share the role. Built in a temp folder and renamed into place.

use super::error::RoleError;
use super::source;
use super::staging::{self, Staging, TEMP_PREFIX};
use crate::error::{Diagnostic, InputError};
use std::path::{Path, PathBuf};

/// The files of a new role `name`, as (path, content).
pub fn skeleton(name: &str) -> Vec<(&'static str, String)> {
    let var: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let files = [
        ("tasks/main.yml", TASKS),
        ("handlers/main.yml", HANDLERS),
        ("defaults/main.yml", DEFAULTS),
        ("vars/main.yml", VARS),
        ("meta/main.yml", META),
        ("meta/argument_specs.yml", ARGUMENT_SPECS),
        ("README.md", README),
    ];
    files
        .into_iter()
        .map(|(path, text)| (path, text.replace("ROLE_VAR", &var).replace("ROLE", name)))
        .collect()
}

/// Create role `name` in `parent`; its folder.
pub fn init(name: &str, parent: &Path, force: bool) -> Result<PathBuf, RoleError> {
    if let Some(message) = source::invalid_name(name) {
        return Err(InputError::from(Diagnostic::bare(message)).into());
    }
    let dest = parent.join(name);
    if std::fs::symlink_metadata(&dest).is_ok() && !force {
        return Err(RoleError::Exists(dest));
    }
    std::fs::create_dir_all(parent).map_err(RoleError::io(parent))?;
    let staging = Staging {
        path: parent.join(format!("{TEMP_PREFIX}init-{name}-{}", std::process::id())),
    };
    for folder in super::ROLE_FOLDERS {
        let path = staging.path.join(folder);
        std::fs::create_dir_all(&path).map_err(RoleError::io(&path))?;
    }
    for (file, text) in skeleton(name) {
        let path = staging.path.join(file);
        std::fs::write(&path, text).map_err(RoleError::io(&path))?;
    }
    staging::replace(&staging.path, &dest)?;
    Ok(dest)
}

const TASKS: &str = r#"---
# The tasks of role ROLE, run in order when a play lists `roles: [ROLE]`.
# `include_role: {name: ROLE, tasks_from: other}` runs tasks/other.yml instead.
- name: Say what ROLE would do
  debug:
    msg: "ROLE: {{ ROLE_VAR_message }}"
"#;

const HANDLERS: &str = r#"---
# The handlers of role ROLE: they run at the end of the play when a task notifies
# them by name (or as "ROLE : NAME").
[]
"#;

const DEFAULTS: &str = r#"---
# The defaults of role ROLE: the lowest precedence, so play vars, role vars, task
# vars and -e all override them. Document each one in meta/argument_specs.yml.
ROLE_VAR_message: hello from ROLE
"#;

const VARS: &str = r#"---
# Variables of role ROLE that users should not need to change: they outrank the
# play's vars.
{}
"#;

const META: &str = r#"---
galaxy_info:
  role_name: ROLE
  author: your name
  description: What ROLE sets up.
  license: MIT
  platforms:
    - name: ArchLinux
# Roles that run before this one: `- other_role`, or `- {role: other_role, vars: {}}`.
dependencies: []
"#;

const ARGUMENT_SPECS: &str = r#"---
# The inputs of role ROLE, checked before its first task runs (Ansible's format):
# type (str, int, bool, list, dict, path, ...), required, choices, default.
argument_specs:
  main:
    short_description: What ROLE sets up.
    description:
      - A longer description of role ROLE.
    options:
      ROLE_VAR_message:
        type: str
        required: false
        default: hello from ROLE
        description: The message the example task prints.
"#;

const README: &str = r#"# ROLE

What ROLE sets up, in a sentence or two.

## Requirements

What the target needs before this role runs (packages, a rootfs, a running systemd).

## Role variables

Checked against `meta/argument_specs.yml` before the first task runs.

| Variable | Default | Description |
|----------|---------|-------------|
| `ROLE_VAR_message` | `hello from ROLE` | The message the example task prints. |

## Dependencies

None (see `dependencies` in `meta/main.yml`).

## Example playbook

```yaml
- hosts: localhost
  roles:
    - role: ROLE
      vars:
        ROLE_VAR_message: hi
```

## Sharing

Push the role to a git repository and tag a release; users list it in their
`requirements.yml`:

```yaml
- src: git+https://example.org/you/ROLE.git
  version: v1.0.0
  name: ROLE
```

and run `machinist role install -r requirements.yml`, which pins the commit in
`machinist.lock`.

## License

MIT
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn every_yaml_file_parses() {
        for (path, text) in skeleton("my-role") {
            assert!(!text.contains("ROLE"), "{path}: {text}");
            if path.ends_with(".yml") {
                let file: Arc<Path> = Arc::from(Path::new(path));
                crate::yaml::parse(&file, &text).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
        }
    }
}
