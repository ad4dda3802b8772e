//! Jinja's `urlize(trim_url_limit=none, nofollow=false, target=none, rel=none,
//! extra_schemes=none)`: the text HTML-escaped, and each word that is a URL or an
//! e-mail address made a link, by Jinja's own rules (its `_http_re` and `_email_re`,
//! leading `(`/`<` and trailing `)>.,` kept outside the link unless they balance it,
//! `rel="noopener"` from Jinja's default policies).

use std::sync::OnceLock;

use minijinja::value::Kwargs;
use minijinja::{Environment, Value};
use regex::Regex;

use super::filters::{invalid, text};
use super::text_filters::html_escape;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter(
        "urlize",
        |value: Value, trim: Option<Value>, kwargs: Kwargs| {
            let trim = match trim {
                Some(trim) => Some(trim),
                None => kwargs.get::<Option<Value>>("trim_url_limit")?,
            };
            let trim = match trim.filter(|t| !t.is_none()) {
                None => None,
                Some(t) => Some(usize::try_from(t.clone()).map_err(|_| {
                    invalid(format!("urlize: trim_url_limit must be a count, got {t}"))
                })?),
            };
            let nofollow = kwargs.get::<Option<bool>>("nofollow")?.unwrap_or(false);
            let target = kwargs.get::<Option<String>>("target")?;
            let rel = kwargs.get::<Option<String>>("rel")?;
            let schemes = kwargs
                .get::<Option<Vec<String>>>("extra_schemes")?
                .unwrap_or_default();
            kwargs.assert_all_used()?;
            let mut rel_parts: Vec<String> = rel
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if nofollow {
                rel_parts.push("nofollow".into());
            }
            rel_parts.push("noopener".into());
            rel_parts.sort();
            rel_parts.dedup();
            for scheme in &schemes {
                if !scheme_re().is_match(scheme) {
                    return Err(invalid(format!(
                        "'{scheme}' is not a valid URI scheme prefix."
                    )));
                }
            }
            let options = Options {
                trim,
                rel: format!(" rel=\"{}\"", html_escape(&rel_parts.join(" "))),
                target: target
                    .filter(|t| !t.is_empty())
                    .map(|t| format!(" target=\"{}\"", html_escape(&t)))
                    .unwrap_or_default(),
                schemes,
            };
            Ok(urlize(&html_escape(&text(&value)?), &options))
        },
    );
}

struct Options {
    trim: Option<usize>,
    rel: String,
    target: String,
    schemes: Vec<String>,
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|_| unreachable!("a fixed pattern")))
}

fn scheme_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?://)?$")
}

fn http_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(
        &CELL,
        r"(?ix)^(
            (https?://|www\.)(([\w%-]+\.)+)?([a-z]{2,63}|xn--[\w%]{2,59})
          | ([\w%-]{2,63}\.)+(com|net|int|edu|gov|org|info|mil)
          | (https?://)((([\d]{1,3})(\.[\d]{1,3}){3})|(\[([\da-f]{0,4}:){2}([\da-f]{0,4}:?){1,6}\]))
        )(?::[\d]{1,5})?(?:[/?\#]\S*)?$",
    )
}

fn email_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r"^\S+@\w[\w.-]*\.\w+$")
}

fn urlize(text: &str, options: &Options) -> String {
    static LEAD: OnceLock<Regex> = OnceLock::new();
    static TRAIL: OnceLock<Regex> = OnceLock::new();
    static SPACE: OnceLock<Regex> = OnceLock::new();
    let lead = regex(&LEAD, r"^(?:[(<]|&lt;)+");
    let trail = regex(&TRAIL, r"(?:[)>.,\n]|&gt;)+$");
    let space = regex(&SPACE, r"\s+");
    let trim = |url: &str| match options.trim {
        Some(limit) if url.chars().count() > limit => {
            format!("{}...", url.chars().take(limit).collect::<String>())
        }
        _ => url.to_string(),
    };
    let mut out = String::new();
    let mut last = 0;
    let mut words = Vec::new();
    for found in space.find_iter(text) {
        words.push((&text[last..found.start()], true));
        words.push((found.as_str(), false));
        last = found.end();
    }
    words.push((&text[last..], true));
    for (word, is_word) in words {
        if !is_word {
            out.push_str(word);
            continue;
        }
        let (head, rest) = match lead.find(word) {
            Some(found) => word.split_at(found.end()),
            None => ("", word),
        };
        let (mut middle, mut tail) = match trail.find(rest) {
            Some(found) => (
                rest[..found.start()].to_string(),
                rest[found.start()..].to_string(),
            ),
            None => (rest.to_string(), String::new()),
        };
        for (open, close) in [("(", ")"), ("<", ">"), ("&lt;", "&gt;")] {
            let opened = middle.matches(open).count();
            if opened <= middle.matches(close).count() {
                continue;
            }
            for _ in 0..opened.min(tail.matches(close).count()) {
                let Some(at) = tail.find(close) else { break };
                let end = at + close.len();
                middle.push_str(&tail[..end]);
                tail = tail[end..].to_string();
            }
        }
        let linked = if http_re().is_match(&middle) {
            let href = if middle.starts_with("https://") || middle.starts_with("http://") {
                middle.clone()
            } else {
                format!("https://{middle}")
            };
            format!(
                "<a href=\"{href}\"{}{}>{}</a>",
                options.rel,
                options.target,
                trim(&middle)
            )
        } else if middle.starts_with("mailto:") && email_re().is_match(&middle[7..]) {
            format!("<a href=\"{middle}\">{}</a>", &middle[7..])
        } else if middle.contains('@')
            && !middle.starts_with("www.")
            && !middle.contains(':')
            && email_re().is_match(&middle)
        {
            format!("<a href=\"mailto:{middle}\">{middle}</a>")
        } else {
            let mut linked = middle.clone();
            for scheme in &options.schemes {
                if linked != *scheme && linked.starts_with(scheme.as_str()) {
                    linked = format!(
                        "<a href=\"{linked}\"{}{}>{linked}</a>",
                        options.rel, options.target
                    );
                }
            }
            linked
        };
        out.push_str(head);
        out.push_str(&linked);
        out.push_str(&tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> String {
        let options = Options {
            trim: None,
            rel: " rel=\"noopener\"".into(),
            target: String::new(),
            schemes: Vec::new(),
        };
        urlize(&html_escape(text), &options)
    }

    #[test]
    fn links_as_jinja() {
        assert_eq!(
            plain("see (www.example.com). or mail a@b.org"),
            "see (<a href=\"https://www.example.com\" rel=\"noopener\">www.example.com</a>). \
             or mail <a href=\"mailto:a@b.org\">a@b.org</a>"
        );
        assert_eq!(plain("x < y & z"), "x &lt; y &amp; z");
    }
}
