//! `ini`: a value from an INI (or Java properties) file on the controller, read as
//! ansible-core reads it, with Python's `configparser` (strict, full-line `#`/`;`
//! comments, `=` or `:`, indented continuation lines, a `DEFAULT` section every section
//! inherits, lower-cased keys unless `case_sensitive`, `%(name)s` interpolation). The
//! deprecated inline form (`'user section=db file=app.ini'`) is read as Ansible's
//! `_parse_params` reads it: its option values stay strings.

use minijinja::value::Kwargs;
use minijinja::{Error, State, Value};

use super::super::conversions::to_bool;
use super::super::filters::{invalid, text};
use super::{find, read};

const OPTIONS: [&str; 10] = [
    "type",
    "file",
    "section",
    "re",
    "encoding",
    "default",
    "case_sensitive",
    "allow_no_value",
    "allow_none",
    "interpolation",
];

/// The lookup's options (ansible-core's defaults).
#[derive(Clone)]
struct Options {
    properties: bool,
    file: String,
    section: String,
    regex: bool,
    default: Value,
    case_sensitive: bool,
    allow_no_value: bool,
    interpolation: bool,
}

impl Options {
    fn from_kwargs(kwargs: &Kwargs) -> Result<Options, Error> {
        let boolean = |name: &str| -> Result<Option<bool>, Error> {
            kwargs.get::<Option<Value>>(name)?.map(to_bool).transpose()
        };
        let options = Options {
            properties: match kwargs.get::<Option<String>>("type")?.as_deref() {
                None | Some("ini") => false,
                Some("properties") => true,
                Some(other) => {
                    return Err(invalid(format!(
                        "lookup('ini'): type must be one of ini, properties, got '{other}'"
                    )))
                }
            },
            file: kwargs
                .get::<Option<String>>("file")?
                .unwrap_or_else(|| "ansible.ini".into()),
            section: kwargs
                .get::<Option<String>>("section")?
                .unwrap_or_else(|| "global".into()),
            regex: boolean("re")?.unwrap_or(false),
            default: kwargs
                .get::<Option<Value>>("default")?
                .unwrap_or_else(|| Value::from("")),
            case_sensitive: boolean("case_sensitive")?.unwrap_or(false),
            allow_no_value: boolean("allow_no_value")?
                .or(boolean("allow_none")?)
                .unwrap_or(false),
            interpolation: boolean("interpolation")?.unwrap_or(true),
        };
        encoding(kwargs.get::<Option<String>>("encoding")?.as_deref())?;
        kwargs.assert_all_used()?;
        Ok(options)
    }

    /// An inline `name=value`, converted to the option's type as Ansible's config does.
    fn set_inline(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let truthy = || to_bool(Value::from(value));
        match name {
            "type" if value == "ini" || value == "properties" => {
                self.properties = value == "properties"
            }
            "type" => {
                return Err(invalid(format!(
                    "lookup('ini'): type must be one of ini, properties, got '{value}'"
                )))
            }
            "file" => self.file = value.into(),
            "section" => self.section = value.into(),
            "re" => self.regex = truthy()?,
            "encoding" => encoding(Some(value))?,
            "default" => self.default = Value::from(value),
            "case_sensitive" => self.case_sensitive = truthy()?,
            "allow_no_value" | "allow_none" => self.allow_no_value = truthy()?,
            "interpolation" => self.interpolation = truthy()?,
            other => return Err(invalid(format!("'{other}' is not a valid option."))),
        }
        Ok(())
    }
}

/// Files are read as UTF-8 only; another encoding is refused rather than misread.
fn encoding(name: Option<&str>) -> Result<(), Error> {
    match name.map(|n| n.to_ascii_lowercase().replace('_', "-")) {
        None => Ok(()),
        Some(n) if n == "utf-8" || n == "utf8" => Ok(()),
        Some(other) => Err(invalid(format!(
            "lookup('ini'): encoding '{other}' is not supported; machinist reads UTF-8 only"
        ))),
    }
}

pub(super) fn ini(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut options = Options::from_kwargs(kwargs)?;
    let mut found = Vec::new();
    for term in terms {
        let term = text(term)?;
        let mut key = term.clone();
        if term.contains('=') || term.trim().contains(' ') {
            let mut updated_key = false;
            for param in inline_params(&term) {
                if let Some((name, value)) = param.split_once('=') {
                    if value.contains('=') {
                        return Err(invalid(format!(
                            "lookup('ini'): could not use '{param}' from '{term}'"
                        )));
                    }
                    options.set_inline(name, value)?;
                } else if key == term {
                    key = param;
                    updated_key = true;
                }
            }
            if !updated_key {
                return Err(invalid(format!(
                    "No key to look up was provided as first term within string inline options: {term}"
                )));
            }
        }
        let path = find(state, &options.file, "files")?;
        let mut contents = read(&path)?.text;
        let mut section = options.section.clone();
        if options.properties {
            contents.insert_str(0, "[java_properties]\n");
            section = "java_properties".into();
        }
        let parsed = Config::parse(&contents, &options)
            .map_err(|err| invalid(format!("lookup('ini'): {}: {err}", options.file)))?;
        let Some(values) = parsed.section(&section) else {
            return Err(invalid(format!(
                "No section '{section}' in '{}'.",
                options.file
            )));
        };
        let get = |name: &str| parsed.interpolated(&values, name, &options);
        if options.regex {
            let regex = super::super::regexes::compile(&format!("^(?:{key})"), false, false)?;
            for (name, _) in &values {
                if regex.is_match(name) {
                    found.push(Value::from(get(name)?.unwrap_or_default()));
                }
            }
        } else {
            let name = parsed.option_name(&key);
            match values.iter().find(|(n, _)| *n == name) {
                None if options.default.is_none() => {}
                None => found.push(options.default.clone()),
                Some((_, None)) => {}
                Some(_) => found.extend(get(&name)?.map(Value::from)),
            }
        }
    }
    Ok(found)
}

/// ansible-core's `_parse_params`: words split on whitespace; a word naming an option
/// (`file=`) starts that option, the others continue the last one.
fn inline_params(term: &str) -> Vec<String> {
    let mut params: Vec<(&str, String)> = Vec::new();
    let mut current = "key";
    for (index, phrase) in term.split_whitespace().enumerate() {
        if phrase.contains('=') {
            for option in OPTIONS {
                if phrase.contains(&format!("{option}=")) {
                    current = option;
                }
            }
        }
        match params.iter_mut().find(|(name, _)| *name == current) {
            Some((_, value)) if index != 0 && !value.is_empty() => {
                value.push(' ');
                value.push_str(phrase);
            }
            Some((_, value)) => *value = phrase.to_string(),
            None => params.push((current, phrase.to_string())),
        }
    }
    params.into_iter().map(|(_, value)| value).collect()
}

type Section = Vec<(String, Option<String>)>;

/// A parsed file: the `DEFAULT` section and the others, in file order.
struct Config {
    defaults: Section,
    sections: Vec<(String, Section)>,
    case_sensitive: bool,
}

impl Config {
    fn option_name(&self, name: &str) -> String {
        if self.case_sensitive {
            name.to_string()
        } else {
            name.to_lowercase()
        }
    }

    /// Python's `ConfigParser.read_file` (strict, the default prefixes and delimiters).
    fn parse(text: &str, options: &Options) -> Result<Config, String> {
        let mut config = Config {
            defaults: Vec::new(),
            sections: Vec::new(),
            case_sensitive: options.case_sensitive,
        };
        // The section being read (None: DEFAULT) and the lines of the option being read.
        let mut current: Option<Option<usize>> = None;
        let mut option: Option<String> = None;
        let mut pending: Vec<(Option<usize>, String, Option<Vec<String>>)> = Vec::new();
        let mut indent_level = 0;
        let mut seen_sections: Vec<String> = Vec::new();
        let mut errors = Vec::new();
        for (number, line) in python_lines(text).enumerate() {
            let stripped = line.trim();
            let comment = stripped.starts_with('#') || stripped.starts_with(';');
            if stripped.is_empty() || comment {
                if !comment {
                    if let (Some(section), Some(name)) = (current, &option) {
                        if let Some((_, _, Some(lines))) = pending
                            .iter_mut()
                            .rev()
                            .find(|(s, n, _)| *s == section && n == name)
                        {
                            lines.push(String::new());
                        }
                    }
                }
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if let (Some(section), Some(name), true) = (current, &option, indent > indent_level) {
                if let Some((_, _, Some(lines))) = pending
                    .iter_mut()
                    .rev()
                    .find(|(s, n, _)| *s == section && n == name)
                {
                    lines.push(stripped.to_string());
                }
                continue;
            }
            indent_level = indent;
            if let Some(header) = section_header(stripped) {
                if header == "DEFAULT" {
                    current = Some(None);
                } else if let Some(index) = config.sections.iter().position(|(n, _)| n == header) {
                    if seen_sections.iter().any(|s| s == header) {
                        return Err(format!(
                            "section '{header}' already exists (line {})",
                            number + 1
                        ));
                    }
                    current = Some(Some(index));
                } else {
                    config.sections.push((header.to_string(), Vec::new()));
                    seen_sections.push(header.to_string());
                    current = Some(Some(config.sections.len() - 1));
                }
                option = None;
                continue;
            }
            let Some(section) = current else {
                return Err(format!(
                    "File contains no section headers (line {}: '{line}')",
                    number + 1
                ));
            };
            let delimiter = stripped.find(['=', ':']);
            let (name, value) = match delimiter {
                Some(at) => (
                    stripped[..at].trim_end(),
                    Some(stripped[at + 1..].trim().to_string()),
                ),
                None if options.allow_no_value => (stripped, None),
                None => {
                    errors.push(format!("[line {:2}]: '{line}'", number + 1));
                    continue;
                }
            };
            if name.is_empty() {
                errors.push(format!("[line {:2}]: '{line}'", number + 1));
                continue;
            }
            let name = config.option_name(name);
            if pending.iter().any(|(s, n, _)| *s == section && *n == name) {
                let section_name = section.map_or("DEFAULT", |i| config.sections[i].0.as_str());
                return Err(format!(
                    "option '{name}' in section '{section_name}' already exists (line {})",
                    number + 1
                ));
            }
            pending.push((section, name.clone(), value.map(|v| vec![v])));
            option = Some(name);
        }
        if !errors.is_empty() {
            return Err(format!(
                "Source contains parsing errors: {}",
                errors.join(" ")
            ));
        }
        for (section, name, lines) in pending {
            let value = lines.map(|lines| lines.join("\n").trim_end().to_string());
            let target = match section {
                None => &mut config.defaults,
                Some(index) => &mut config.sections[index].1,
            };
            target.retain(|(n, _)| *n != name);
            target.push((name, value));
        }
        Ok(config)
    }

    /// The options a section sees: DEFAULT's, overridden by its own (Python's order:
    /// the section's first, then DEFAULT's others).
    fn section(&self, name: &str) -> Option<Section> {
        let own = if name == "DEFAULT" {
            Vec::new()
        } else {
            self.sections.iter().find(|(n, _)| n == name)?.1.clone()
        };
        let mut all = own;
        for (key, value) in &self.defaults {
            if !all.iter().any(|(k, _)| k == key) {
                all.push((key.clone(), value.clone()));
            }
        }
        Some(all)
    }

    /// An option's value after `BasicInterpolation`.
    fn interpolated(
        &self,
        values: &Section,
        name: &str,
        options: &Options,
    ) -> Result<Option<String>, Error> {
        let raw = values
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone());
        match raw {
            Some(raw) if options.interpolation => {
                let mut out = String::new();
                self.interpolate(values, name, &raw, 1, &mut out)?;
                Ok(Some(out))
            }
            other => Ok(other),
        }
    }

    fn interpolate(
        &self,
        values: &Section,
        option: &str,
        mut rest: &str,
        depth: usize,
        out: &mut String,
    ) -> Result<(), Error> {
        const MAX_DEPTH: usize = 10;
        if depth > MAX_DEPTH {
            return Err(invalid(format!(
                "lookup('ini'): recursion limit exceeded in value substitution: option '{option}'"
            )));
        }
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("%(") {
                let Some((name, after)) = after
                    .split_once(')')
                    .filter(|(n, a)| !n.is_empty() && a.starts_with('s'))
                else {
                    return Err(invalid(format!(
                        "lookup('ini'): bad interpolation variable reference '{rest}'"
                    )));
                };
                let name = self.option_name(name);
                let value = values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone().unwrap_or_default())
                    .ok_or_else(|| {
                        invalid(format!(
                            "lookup('ini'): bad option reference '%({name})s' in option '{option}'"
                        ))
                    })?;
                if value.contains('%') {
                    self.interpolate(values, option, &value, depth + 1, out)?;
                } else {
                    out.push_str(&value);
                }
                rest = &after[1..];
            } else {
                return Err(invalid(format!(
                    "lookup('ini'): '%' must be followed by '%' or '(', found: '{rest}'"
                )));
            }
        }
        out.push_str(rest);
        Ok(())
    }
}

/// A section's name and its options' values, as `configparser_sections` reads them.
pub(crate) type ReadSection = (String, Vec<(String, String)>);

/// A text read as Python's default `ConfigParser` reads it (what ansible-core's
/// local facts do with a `.fact` file that is not JSON): each section's options,
/// DEFAULT's inherited, values interpolated; an error's message otherwise.
pub(crate) fn configparser_sections(text: &str) -> Result<Vec<ReadSection>, String> {
    let options = Options {
        properties: false,
        file: String::new(),
        section: String::new(),
        regex: false,
        default: Value::from(""),
        case_sensitive: false,
        allow_no_value: false,
        interpolation: true,
    };
    let config = Config::parse(text, &options)?;
    let mut sections = Vec::new();
    for (name, _) in &config.sections {
        let values = config.section(name).unwrap_or_default();
        let mut read = Vec::new();
        for (key, _) in &values {
            let value = config
                .interpolated(&values, key, &options)
                .map_err(|err| err.to_string())?;
            read.push((key.clone(), value.unwrap_or_default()));
        }
        sections.push((name.clone(), read));
    }
    Ok(sections)
}

/// Python's `[name]` header (`\[(?P<header>.+)\]` matched at the start).
fn section_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?;
    let end = inner.rfind(']')?;
    Some(&inner[..end]).filter(|h| !h.is_empty())
}

/// The file's lines as Python's text file iterates them (`\n`, `\r\n` and `\r`).
fn python_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            properties: false,
            file: "t.ini".into(),
            section: "global".into(),
            regex: false,
            default: Value::from(""),
            case_sensitive: false,
            allow_no_value: false,
            interpolation: true,
        }
    }

    #[test]
    fn reads_as_configparser_does() {
        let text =
            "[DEFAULT]\nbase = /srv\n# comment\n[global]\nUser = alice\npath: %(base)s/app\n\
                    multi = one\n  two\n\n  three\n\n[other]\nx=1\n";
        let config = Config::parse(text, &options()).unwrap();
        let global = config.section("global").unwrap();
        let get = |name: &str| config.interpolated(&global, name, &options()).unwrap();
        assert_eq!(get("user").as_deref(), Some("alice"));
        assert_eq!(get("path").as_deref(), Some("/srv/app"));
        assert_eq!(get("multi").as_deref(), Some("one\ntwo\n\nthree"));
        assert_eq!(get("base").as_deref(), Some("/srv"));
        assert!(config.section("missing").is_none());
    }

    #[test]
    fn refuses_what_configparser_refuses() {
        assert!(Config::parse("a = 1\n", &options()).is_err());
        assert!(Config::parse("[s]\na = 1\nA = 2\n", &options()).is_err());
        assert!(Config::parse("[s]\n[s]\n", &options()).is_err());
        assert!(Config::parse("[s]\nflag\n", &options()).is_err());
        let mut loose = options();
        loose.allow_no_value = true;
        let config = Config::parse("[s]\nflag\n", &loose).unwrap();
        assert_eq!(config.section("s").unwrap(), vec![("flag".into(), None)]);
    }

    #[test]
    fn splits_inline_params_as_ansible() {
        assert_eq!(
            inline_params("user name section=my section file=a.ini"),
            vec!["user name", "section=my section", "file=a.ini"]
        );
    }
}
