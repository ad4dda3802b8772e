//! Whether a text holds Jinja markup (`{{`, `{%`, `{#`) and so needs rendering. Below
//! the YAML parser (which marks templated values) and the template engine (whose
//! `Templates::is_template` it is), so that neither climbs to the other for it.

/// Whether `text` needs rendering at all.
pub fn holds_markup(text: &str) -> bool {
    // One pass for `{{`, `{%` and `{#`.
    text.as_bytes()
        .windows(2)
        .any(|pair| pair[0] == b'{' && matches!(pair[1], b'{' | b'%' | b'#'))
}
