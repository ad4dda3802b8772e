//! The `.sources` stanza as Ansible's deb822_repository writes it, and the names it
//! derives: the slug of `name`, a value's URL scheme.

use super::Args;

/// Ansible's slug: lowercased, runs of `_` and whitespace made `-`, anything but
/// `a-z0-9-` dropped.
pub fn slug(name: &str) -> String {
    let mut dashed = String::new();
    let mut in_run = false;
    for c in name.to_lowercase().chars() {
        if c == '_' || c.is_whitespace() {
            if !in_run {
                dashed.push('-');
            }
            in_run = true;
        } else {
            dashed.push(c);
            in_run = false;
        }
    }
    dashed
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

/// The URL scheme of a value as Python's urlparse finds one (`SCHEME:` with a letter
/// first, then letters, digits, `+`, `-`, `.`).
pub fn scheme(value: &str) -> Option<&str> {
    let (scheme, _) = value.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

/// Ansible's `format_multiline`: a newline, then each line stripped (a blank one
/// made `.`) and indented four spaces.
fn multiline(value: &str) -> String {
    let lines: Vec<String> = value
        .trim()
        .lines()
        .map(|line| match line.trim() {
            "" => ".".to_string(),
            kept => kept.to_string(),
        })
        .map(|line| format!("    {line}"))
        .collect();
    format!("\n{}", lines.join("\n"))
}

/// The stanza: the options given, in the order of their names (as Ansible sorts
/// them), each `Field: value` (`Field:` alone before an empty or multi-line value).
pub fn render(args: &Args, signed_by: Option<&str>) -> String {
    let list = |items: &Option<Vec<String>>| items.as_ref().map(|items| items.join(" "));
    let types: Vec<&str> = args.types.iter().map(|kind| kind.word()).collect();
    let fields: [(&str, Option<String>); 20] = [
        (
            "Allow-Downgrade-To-Insecure",
            args.allow_downgrade_to_insecure.map(yes_no),
        ),
        ("Allow-Insecure", args.allow_insecure.map(yes_no)),
        ("Allow-Weak", args.allow_weak.map(yes_no)),
        ("Architectures", list(&args.architectures)),
        ("By-Hash", args.by_hash.map(yes_no)),
        ("Check-Date", args.check_date.map(yes_no)),
        ("Check-Valid-Until", args.check_valid_until.map(yes_no)),
        ("Components", list(&args.components)),
        (
            "Date-Max-Future",
            args.date_max_future.map(|n| n.to_string()),
        ),
        ("Enabled", args.enabled.map(yes_no)),
        ("Inrelease-Path", args.inrelease_path.clone()),
        ("Languages", list(&args.languages)),
        ("X-Repolib-Name", Some(args.name.clone())),
        ("Pdiffs", args.pdiffs.map(yes_no)),
        ("Signed-By", signed_by.map(str::to_string)),
        ("Suites", list(&args.suites)),
        ("Targets", list(&args.targets)),
        ("Trusted", args.trusted.map(yes_no)),
        ("Types", Some(types.join(" "))),
        ("URIs", list(&args.uris)),
    ];
    let mut text = String::new();
    for (field, value) in fields {
        let Some(mut value) = value else {
            continue;
        };
        if value.contains('\n') {
            value = multiline(&value);
        }
        if value.is_empty() || value.starts_with('\n') {
            text.push_str(&format!("{field}:{value}\n"));
        } else {
            text.push_str(&format!("{field}: {value}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_schemes_are_ansibles() {
        assert_eq!(slug("Docker CE_stable repo!"), "docker-ce-stable-repo");
        assert_eq!(scheme("https://x/key.asc"), Some("https"));
        assert_eq!(scheme("-----BEGIN PGP PUBLIC KEY BLOCK-----\nx"), None);
        assert_eq!(scheme("/etc/apt/keyrings/x.gpg"), None);
    }

    #[test]
    fn a_key_block_is_indented_with_dots_for_blank_lines() {
        assert_eq!(
            multiline("-----BEGIN X-----\n\nabc\n-----END X-----\n"),
            "\n    -----BEGIN X-----\n    .\n    abc\n    -----END X-----"
        );
    }
}
