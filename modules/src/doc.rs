//! Documentation of the built-in modules, as data: each argument's type, default,
//! choices and aliases, the module's check-mode and diff support, and examples.
//! `machinist doc` prints these tables, and the tests below hold each table to the
//! names its serde definition accepts (and to its required arguments and choices), so
//! the docs cannot drift from the code. The examples are run by the runner's tests.

/// How far a module honours check mode (or produces diffs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Always: check mode predicts exactly what a run would do.
    Full,
    /// Sometimes (a command only when `creates`/`removes` decide; otherwise it is
    /// reported skipped).
    Partial,
    None,
}

impl Support {
    pub fn name(self) -> &'static str {
        match self {
            Support::Full => "full",
            Support::Partial => "partial",
            Support::None => "none",
        }
    }
}

/// One module's documentation (its one-line summary is `Builtin::summary`).
#[derive(Debug, Clone, Copy)]
pub struct ModuleDoc {
    pub args: &'static [ArgDoc],
    pub check_mode: Support,
    pub diff: Support,
    /// Tasks (a YAML list) showing the module at work. The test suite runs each under
    /// `--check --root DIR`, DIR holding only the folders etc/, tmp/, usr/bin/ and
    /// var/lib/, with `files/motd` and `templates/motd.j2` beside the playbook.
    pub examples: &'static str,
}

/// One argument. Types use Ansible's names (`str`, `bool`, `path`, `list`, `dict`,
/// `raw`).
#[derive(Debug, Clone, Copy)]
pub struct ArgDoc {
    pub name: &'static str,
    pub kind: &'static str,
    pub required: bool,
    /// The default, as YAML text.
    pub default: Option<&'static str>,
    pub choices: &'static [&'static str],
    /// Other names serde accepts for it.
    pub aliases: &'static [&'static str],
    pub description: &'static str,
}

impl ArgDoc {
    /// An optional argument without default, choices or aliases.
    pub const fn new(name: &'static str, kind: &'static str, description: &'static str) -> ArgDoc {
        ArgDoc {
            name,
            kind,
            required: false,
            default: None,
            choices: &[],
            aliases: &[],
            description,
        }
    }

    pub const fn required(mut self) -> ArgDoc {
        self.required = true;
        self
    }

    pub const fn default(mut self, yaml: &'static str) -> ArgDoc {
        self.default = Some(yaml);
        self
    }

    pub const fn choices(mut self, choices: &'static [&'static str]) -> ArgDoc {
        self.choices = choices;
        self
    }

    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> ArgDoc {
        self.aliases = aliases;
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::Builtin;
    use serde_json::{json, Map, Value};

    fn sample(kind: &str) -> Value {
        match kind {
            "bool" => json!(true),
            "int" => json!(1),
            "list" => json!(["x"]),
            "dict" => json!({}),
            _ => json!("x"),
        }
    }

    /// The required arguments, and the first of the ones of which one is required.
    fn required_only(builtin: Builtin) -> Map<String, Value> {
        let first_of_one_of = builtin.required_one_of().first();
        builtin
            .doc()
            .args
            .iter()
            .filter(|arg| arg.required || first_of_one_of == Some(&arg.name))
            .map(|arg| match arg.choices.first() {
                Some(choice) => (arg.name.to_string(), json!(choice)),
                None => (arg.name.to_string(), sample(arg.kind)),
            })
            .collect()
    }

    #[test]
    fn every_table_lists_exactly_the_names_serde_accepts() {
        for &builtin in Builtin::ALL {
            let mut documented: Vec<&str> = builtin
                .doc()
                .args
                .iter()
                .flat_map(|arg| std::iter::once(arg.name).chain(arg.aliases.iter().copied()))
                .collect();
            let mut accepted = builtin.arg_names().to_vec();
            documented.sort_unstable();
            accepted.sort_unstable();
            assert_eq!(documented, accepted, "{}", builtin.name());
        }
    }

    #[test]
    fn required_arguments_are_the_ones_serde_requires() {
        for &builtin in Builtin::ALL {
            let args = required_only(builtin);
            let decoded = builtin.check_args(&Value::Object(args.clone()));
            assert!(decoded.is_ok(), "{}: {decoded:?}", builtin.name());
            for name in args.keys() {
                let mut fewer = args.clone();
                fewer.remove(name);
                assert!(
                    builtin.check_args(&Value::Object(fewer)).is_err(),
                    "{}: '{name}' is documented as required but is not",
                    builtin.name()
                );
            }
        }
    }

    #[test]
    fn documented_choices_are_accepted_and_others_refused() {
        for &builtin in Builtin::ALL {
            for arg in builtin.doc().args.iter().filter(|a| !a.choices.is_empty()) {
                let with = |value: &str| {
                    let mut args = required_only(builtin);
                    args.insert(arg.name.into(), json!(value));
                    builtin.check_args(&Value::Object(args))
                };
                for choice in arg.choices {
                    assert!(
                        with(choice).is_ok(),
                        "{}: {}={choice}",
                        builtin.name(),
                        arg.name
                    );
                }
                assert!(
                    with("not-a-choice").is_err(),
                    "{}: {}",
                    builtin.name(),
                    arg.name
                );
            }
        }
    }

    #[test]
    fn every_module_has_an_example() {
        for &builtin in Builtin::ALL {
            let examples = builtin.doc().examples;
            assert!(
                examples.trim_start().starts_with("- "),
                "{}: examples are a YAML list of tasks",
                builtin.name()
            );
            assert!(examples.contains(builtin.name()), "{}", builtin.name());
        }
    }
}
