//! Jinja2's global `lipsum(n=5, html=True, min=20, max=100)`: `n` paragraphs of
//! random lorem ipsum words, each of `randrange(min, max)` words, capitalised after a
//! full stop, with commas and full stops where Jinja2's `generate_lorem_ipsum` puts
//! them, ending in a full stop; joined by a blank line, or each in `<p>…</p>` (one a
//! line, a safe string) when `html`. The words are random, as Jinja2's are: only the
//! shape can be compared.

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};
use rand::seq::SliceRandom;
use rand::Rng;

use super::filters::invalid;

/// Jinja2's `LOREM_IPSUM_WORDS`.
const WORDS: &str = "a ac accumsan ad adipiscing aenean aliquam aliquet amet ante aptent arcu at \
auctor augue bibendum blandit class commodo condimentum congue consectetuer \
consequat conubia convallis cras cubilia cum curabitur curae cursus dapibus \
diam dictum dictumst dignissim dis dolor donec dui duis egestas eget eleifend \
elementum elit enim erat eros est et etiam eu euismod facilisi facilisis fames \
faucibus felis fermentum feugiat fringilla fusce gravida habitant habitasse hac \
hendrerit hymenaeos iaculis id imperdiet in inceptos integer interdum ipsum \
justo lacinia lacus laoreet lectus leo libero ligula litora lobortis lorem \
luctus maecenas magna magnis malesuada massa mattis mauris metus mi molestie \
mollis montes morbi mus nam nascetur natoque nec neque netus nibh nisi nisl non \
nonummy nostra nulla nullam nunc odio orci ornare parturient pede pellentesque \
penatibus per pharetra phasellus placerat platea porta porttitor posuere \
potenti praesent pretium primis proin pulvinar purus quam quis quisque rhoncus \
ridiculus risus rutrum sagittis sapien scelerisque sed sem semper senectus sit \
sociis sociosqu sodales sollicitudin suscipit suspendisse taciti tellus tempor \
tempus tincidunt torquent tortor tristique turpis ullamcorper ultrices \
ultricies urna ut varius vehicula vel velit venenatis vestibulum vitae vivamus \
viverra volutpat vulputate";

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("lipsum", lipsum);
}

fn lipsum(
    n: Option<i64>,
    html: Option<bool>,
    min: Option<i64>,
    max: Option<i64>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let n = kwargs.get::<Option<i64>>("n")?.or(n).unwrap_or(5);
    let html = kwargs.get::<Option<bool>>("html")?.or(html).unwrap_or(true);
    let min = kwargs.get::<Option<i64>>("min")?.or(min).unwrap_or(20);
    let max = kwargs.get::<Option<i64>>("max")?.or(max).unwrap_or(100);
    kwargs.assert_all_used()?;
    if n > 10_000 {
        return Err(invalid(format!(
            "lipsum: {n} paragraphs is more than machinist writes"
        )));
    }
    let words: Vec<&str> = WORDS.split(' ').collect();
    let mut rng = rand::thread_rng();
    let mut paragraphs = Vec::new();
    for _ in 0..n {
        if min >= max {
            return Err(invalid(format!(
                "empty range for randrange() ({min}, {max}, {})",
                max - min
            )));
        }
        let count = rng.gen_range(min..max);
        paragraphs.push(paragraph(&words, count, &mut rng));
    }
    Ok(if html {
        let lines: Vec<String> = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect();
        Value::from_safe_string(lines.join("\n"))
    } else {
        Value::from(paragraphs.join("\n\n"))
    })
}

/// One paragraph of `count` words, as `generate_lorem_ipsum` writes it.
fn paragraph(words: &[&str], count: i64, rng: &mut impl Rng) -> String {
    let mut next_capitalized = true;
    let (mut last_comma, mut last_fullstop) = (0_i64, 0_i64);
    let mut last: Option<&str> = None;
    let mut written: Vec<String> = Vec::new();
    for idx in 0..count {
        let picked = loop {
            let word = words.choose(rng).copied().unwrap_or("lorem");
            if Some(word) != last {
                last = Some(word);
                break word;
            }
        };
        let mut word = if next_capitalized {
            next_capitalized = false;
            capitalized(picked)
        } else {
            picked.to_string()
        };
        if idx - rng.gen_range(3..8) > last_comma {
            last_comma = idx;
            last_fullstop += 2;
            word.push(',');
        }
        if idx - rng.gen_range(10..20) > last_fullstop {
            last_comma = idx;
            last_fullstop = idx;
            word.push('.');
            next_capitalized = true;
        }
        written.push(word);
    }
    let mut text = written.join(" ");
    if text.ends_with(',') {
        text.pop();
        text.push('.');
    } else if !text.ends_with('.') {
        text.push('.');
    }
    text
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paragraph_has_its_words_and_ends_with_a_full_stop() {
        let words: Vec<&str> = WORDS.split(' ').collect();
        let text = paragraph(&words, 30, &mut rand::thread_rng());
        assert_eq!(text.split(' ').count(), 30);
        assert!(text.ends_with('.'));
        assert!(text.chars().next().is_some_and(char::is_uppercase));
    }
}
