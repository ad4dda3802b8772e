//! The documentation of `debconf`. Checked against `debconf::Args` by the tests in
//! `crate::doc`.

use crate::doc::{ArgDoc, ModuleDoc, Support};

const ARGS: [ArgDoc; 5] = [
    ArgDoc::new("name", "str", "The package whose questions these are.")
        .required()
        .aliases(&["pkg"]),
    ArgDoc::new(
        "question",
        "str",
        "The debconf question (with vtype and value); without: the package's answers are \
         returned as current.",
    )
    .aliases(&["selection", "setting"]),
    ArgDoc::new("vtype", "str", "The question's type.").choices(&[
        "boolean",
        "error",
        "multiselect",
        "note",
        "password",
        "seen",
        "select",
        "string",
        "text",
        "title",
    ]),
    ArgDoc::new(
        "value",
        "raw",
        "The answer: text, a boolean, or (multiselect) a list (compared sorted).",
    )
    .aliases(&["answer"]),
    ArgDoc::new(
        "unseen",
        "bool",
        "Do not mark the question seen (debconf-set-selections -u).",
    )
    .default("false"),
];

pub const DEBCONF: ModuleDoc = ModuleDoc {
    args: &ARGS,
    check_mode: Support::Full,
    diff: Support::Full,
    examples: r#"- name: the default locale, pre-seeded
  ansible.builtin.debconf:
    name: locales
    question: locales/default_environment_locale
    value: fr_FR.UTF-8
    vtype: select
  when: ansible_facts.os_family | default('') == 'Debian'

- name: tzdata's answers, registered
  debconf:
    name: tzdata
  register: tzdata
  when: ansible_facts.os_family | default('') == 'Debian'
"#,
};
