//! `-e/--extra-vars`: `k=v` pairs, an inline JSON/YAML mapping, or `@file.yml`.

use crate::error::{Diagnostic, InputError, SourceMap};
use crate::key_values::split_key_values;
use crate::vars::{node_to_value, Layer};
use crate::yaml::{self, Value as YamlValue};
use minijinja::Value;
use std::path::Path;
use std::sync::Arc;

/// Parse every `-e` argument, later ones overriding earlier ones.
pub fn parse(args: &[String], sources: &SourceMap) -> Result<Layer, InputError> {
    let mut layer = Layer::default();
    for (index, arg) in args.iter().enumerate() {
        let trimmed = arg.trim_start();
        if let Some(file) = trimmed.strip_prefix('@') {
            let path = Path::new(file);
            let text = crate::input::read_text(path, crate::input::MAX_TEXT_BYTES)
                .map_err(|err| Diagnostic::bare(format!("-e @{file}: {err}")))?;
            mapping(Arc::from(path), &text, sources, &mut layer)?;
        } else if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let name = format!("<extra-vars #{}>", index + 1);
            mapping(Arc::from(Path::new(&name)), arg, sources, &mut layer)?;
        } else {
            let pairs = split_key_values(arg).ok_or_else(|| {
                Diagnostic::bare(format!(
                    "-e '{arg}': expected key=value pairs, a JSON/YAML mapping, or @file"
                ))
            })?;
            for (key, value) in pairs {
                layer.set(&key, Value::from(value));
            }
        }
    }
    Ok(layer)
}

fn mapping(
    file: Arc<Path>,
    text: &str,
    sources: &SourceMap,
    layer: &mut Layer,
) -> Result<(), InputError> {
    sources.insert(&file, Arc::from(text));
    let docs = yaml::parse(&file, text)?;
    for doc in docs {
        match &doc.value {
            YamlValue::Map(entries) => {
                for (key, value) in entries {
                    layer.set(&key.name, node_to_value(value));
                }
            }
            YamlValue::Null => {}
            _ => {
                return Err(Diagnostic::at(
                    &doc.span,
                    format!("extra vars must be a mapping, found {}", doc.kind()),
                )
                .into())
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs_and_mappings() {
        let sources = SourceMap::default();
        let layer = parse(
            &[
                "a=1 b='two words'".into(),
                "{\"c\": [1, 2], \"a\": \"x\"}".into(),
            ],
            &sources,
        )
        .unwrap();
        assert_eq!(layer.get("a").unwrap().as_str(), Some("x"));
        assert_eq!(layer.get("b").unwrap().as_str(), Some("two words"));
        assert_eq!(layer.get("c").unwrap().len(), Some(2));
    }
}
