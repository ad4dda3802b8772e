//! `to_yaml` / `to_nice_yaml` byte-for-byte as Ansible writes them, i.e. as PyYAML's
//! `yaml.dump` does (sorted keys, YAML 1.1 quoting of `yes`/`on`/`1.0`…, indentless
//! sequences under keys, single-quoted multi-line strings, lines folded at 80
//! columns). serde_yaml writes different bytes, which would make every templated
//! config "changed" for users coming from Ansible; so this is a port of the parts of
//! PyYAML's emitter that plain data reaches (no anchors, tags or block scalars).
//! `from_yaml` parses with serde_yaml (YAML 1.2: `yes` stays a string).
//!
//! This file is PyYAML's representer and resolver; `pyyaml_emitter.rs` and
//! `pyyaml_scalar.rs` are its emitter.

use std::sync::OnceLock;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};
use regex::Regex;

use super::filters::{invalid, text};
use super::pyyaml_emitter::Emitter;
use super::value_format::{py_float, py_number};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_yaml", |value: Value, kwargs: Kwargs| {
        let options = Options::from_kwargs(&kwargs, 2, None)?;
        dump(&value, &options)
    });
    env.add_filter(
        "to_nice_yaml",
        |value: Value, indent: Option<usize>, kwargs: Kwargs| {
            let options = Options::from_kwargs(&kwargs, indent.unwrap_or(4), Some(false))?;
            dump(&value, &options)
        },
    );
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("from_yaml_all", from_yaml_all);
}

/// The `yaml.dump` options Ansible's filters pass through.
pub(crate) struct Options {
    pub indent: usize,
    pub width: usize,
    /// `None`: collections of scalars only are written in flow style (`[1, 2]`).
    pub default_flow_style: Option<bool>,
    pub sort_keys: bool,
    pub explicit_start: bool,
}

impl Options {
    fn from_kwargs(kwargs: &Kwargs, indent: usize, flow: Option<bool>) -> Result<Options, Error> {
        let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(indent);
        let width = kwargs.get::<Option<f64>>("width")?;
        let default_flow_style = match kwargs.get::<Option<Value>>("default_flow_style")? {
            Some(v) if v.is_none() => None,
            Some(v) => Some(v.is_true()),
            None => flow,
        };
        let options = Options {
            indent: if (2..10).contains(&indent) { indent } else { 2 },
            width: match width {
                Some(w) if w > (indent * 2) as f64 => {
                    if w.is_finite() && w < usize::MAX as f64 {
                        w as usize
                    } else {
                        usize::MAX / 2
                    }
                }
                _ => 80,
            },
            default_flow_style,
            sort_keys: kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true),
            explicit_start: kwargs
                .get::<Option<bool>>("explicit_start")?
                .unwrap_or(false),
        };
        let _ = kwargs.get::<Option<bool>>("allow_unicode")?;
        kwargs.assert_all_used()?;
        Ok(options)
    }
}

/// What PyYAML's representer makes of a value.
pub(crate) enum Node {
    /// `plain_ok`: the text reads back as the same type when written unquoted.
    Scalar {
        text: String,
        plain_ok: bool,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        flow: bool,
    },
}

impl Node {
    fn is_scalar(&self) -> bool {
        matches!(self, Node::Scalar { .. })
    }
}

fn represent(value: &Value, options: &Options) -> Result<Node, Error> {
    let scalar = |text: String| Node::Scalar {
        text,
        plain_ok: true,
    };
    Ok(match value.kind() {
        ValueKind::Undefined => return Err(Error::from(ErrorKind::UndefinedError)),
        ValueKind::None => scalar("null".into()),
        ValueKind::Bool => scalar(if value.is_true() { "true" } else { "false" }.into()),
        ValueKind::Number if value.is_integer() => scalar(py_number(value)),
        ValueKind::Number => scalar(yaml_float(f64::try_from(value.clone()).unwrap_or(f64::NAN))),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = value
                .try_iter()?
                .map(|item| represent(&item, options))
                .collect::<Result<Vec<_>, _>>()?;
            let best = items.iter().all(Node::is_scalar);
            Node::Seq {
                items,
                flow: options.default_flow_style.unwrap_or(best),
            }
        }
        ValueKind::Map => {
            let mut entries: Vec<(Value, Value)> = value
                .try_iter()?
                .map(|key| {
                    let item = value.get_item(&key).unwrap_or_default();
                    (key, item)
                })
                .collect();
            if options.sort_keys && entries.iter().all(|(k, _)| k.kind() == ValueKind::String) {
                entries.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
            }
            let pairs = entries
                .iter()
                .map(|(k, v)| Ok((represent(k, options)?, represent(v, options)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            let best = pairs.iter().all(|(k, v)| k.is_scalar() && v.is_scalar());
            Node::Map {
                pairs,
                flow: options.default_flow_style.unwrap_or(best),
            }
        }
        _ => {
            let text = text(value)?;
            let plain_ok = !resolves_implicitly(&text);
            Node::Scalar { text, plain_ok }
        }
    })
}

/// PyYAML's `represent_float`.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let repr = py_float(f).to_lowercase();
    if !repr.contains('.') && repr.contains('e') {
        repr.replacen('e', ".0e", 1)
    } else {
        repr
    }
}

/// Whether a string would read back as something else (bool, int, float, null,
/// timestamp, merge key) if written plain: PyYAML's implicit resolvers.
fn resolves_implicitly(text: &str) -> bool {
    static RESOLVERS: OnceLock<Vec<Regex>> = OnceLock::new();
    let resolvers = RESOLVERS.get_or_init(|| {
        [
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            r"^(?:<<)$",
            r"^(?:~|null|Null|NULL|)$",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            r"^(?:=)$",
        ]
        .iter()
        .filter_map(|pattern| Regex::new(pattern).ok())
        .collect()
    });
    // Python's `$` also matches before a final newline.
    let text = text.strip_suffix('\n').unwrap_or(text);
    resolvers.iter().any(|re| re.is_match(text))
}

pub(crate) fn dump(value: &Value, options: &Options) -> Result<String, Error> {
    let node = represent(value, options)?;
    Ok(Emitter::new(options).dump(&node, options.explicit_start))
}

/// The documents of a YAML text, read with YAML 1.1's scalars as playbooks are
/// (`yes` is true, as PyYAML reads it).
fn documents(value: &Value, filter: &str) -> Result<Vec<Value>, Error> {
    let source = text(value)?;
    let file: std::sync::Arc<std::path::Path> = std::path::Path::new(filter).into();
    let docs = crate::yaml::parse(&file, &source)
        .map_err(|err| invalid(format!("{filter}: {}", err.message)))?;
    Ok(docs
        .iter()
        .map(|node| Value::from_serialize(node.to_json()))
        .collect())
}

/// ansible-core 2.19 returns anything but a string as it is (none included).
fn from_yaml(value: Value) -> Result<Value, Error> {
    if !matches!(value.kind(), ValueKind::String | ValueKind::Undefined) {
        return Ok(value);
    }
    Ok(documents(&value, "from_yaml")?
        .into_iter()
        .next()
        .unwrap_or(Value::from(())))
}

fn from_yaml_all(value: Value) -> Result<Value, Error> {
    if value.is_none() {
        return Ok(Value::from(Vec::<Value>::new()));
    }
    Ok(Value::from(documents(&value, "from_yaml_all")?))
}
