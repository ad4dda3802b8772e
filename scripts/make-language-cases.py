"""Writes tests/ansible_compat/corpus/gen_*.yml (and their templates in
corpus/templates/gen_*.j2): small playbooks crossing the corners of Ansible's language
one at a time — YAML 1.1 scalars, anchors and merge keys, template whitespace rules
and #jinja2: headers, tags/when/loop interplay. Run by scripts/make-language-cases;
the goldens then come from scripts/regen-ansible-goldens."""
import json
import os

CORPUS = os.path.join(os.path.dirname(__file__), "..", "tests", "ansible_compat", "corpus")
HEAD = "# Written by scripts/make-language-cases.\n"

# Plain YAML scalars as a playbook author writes them after `v: `.
SCALARS = [
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    "y", "Y", "n", "N", "true", "True", "TRUE", "false", "False", "FALSE",
    "~", "null", "Null", "NULL", "", "0o17", "017", "0x1F", "0b101", "1e3", "1E3",
    "1.0e+3", "2.5e-2", "6.8523015e+5", "685.230_15e+03", "1_000", "+12", "-0", ".5",
    "1.", ".inf", "-.Inf", "1:30", "190:20:30", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "0644", "'0644'",
    "\"0644\"", "08", "0.0", "-1.5e10", "1.2.3", "=", "0x_1F", "+.inf", "12e", "1e+3",
    "'yes'", "\"on\"", "!!str 1", "!!int '7'", "!!float 1", "'~'", "0o", "1__0",
]


def write(name, plays, written):
    with open(os.path.join(CORPUS, name + ".yml"), "w") as f:
        f.write(HEAD + plays)
    written.append(name)


def scalar_cases(written):
    for n, scalar in enumerate(SCALARS, 1):
        write(f"gen_yaml_scalar_{n:02}", f"""- name: the scalar {json.dumps(scalar)}
  hosts: localhost
  gather_facts: false
  vars:
    v: {scalar}
  tasks:
    - name: value
      debug:
        var: v
    - name: type
      debug:
        msg: "{{{{ v | type_debug }}}}"
    - name: as a string
      debug:
        msg: "[{{{{ v }}}}]"
""", written)


ANCHORS = [
    ("alias of a mapping", """  vars:
    base: &base {a: 1, b: 2}
    copy: *base
  tasks:
    - debug: {var: copy}
"""),
    ("merge key", """  vars:
    base: &base {a: 1, b: 2}
    merged:
      <<: *base
      c: 3
  tasks:
    - debug: {var: merged}
"""),
    ("merge key overridden", """  vars:
    base: &base {a: 1, b: 2}
    merged:
      <<: *base
      a: 10
  tasks:
    - debug: {var: merged}
"""),
    ("merge of a list of mappings", """  vars:
    one: &one {a: 1, b: 1}
    two: &two {b: 2, c: 2}
    merged:
      <<: [*one, *two]
  tasks:
    - debug: {var: merged}
"""),
    ("alias of a list", """  vars:
    names: &names [x, y]
    again: *names
  tasks:
    - debug: {msg: "{{ again | join(',') }}"}
"""),
    ("alias of a scalar", """  vars:
    port: &port 8080
    other: *port
  tasks:
    - debug: {msg: "{{ other + 1 }}"}
"""),
    ("anchored task arguments", """  tasks:
    - name: first
      debug: &args
        msg: same
    - name: second
      debug: *args
"""),
    ("merged task arguments", """  tasks:
    - name: first
      debug: &args
        msg: hello
        verbosity: 0
    - name: second
      debug:
        <<: *args
        msg: again
"""),
    ("merge key in a nested mapping", """  vars:
    defaults: &defaults
      server: {port: 80}
      user: www
    site:
      <<: *defaults
      name: s
  tasks:
    - debug: {msg: "{{ site.server.port }} {{ site.user }} {{ site.name }}"}
"""),
    ("anchor across plays", """  vars:
    shared: &shared {k: v}
  tasks:
    - debug: {var: shared}
- name: second play
  hosts: localhost
  gather_facts: false
  vars:
    again: *shared
  tasks:
    - debug: {var: again}
"""),
    ("merge key order", """  vars:
    a: &a {x: 1}
    merged:
      z: 0
      <<: *a
      y: 2
  tasks:
    - debug: {msg: "{{ merged | list }}"}
"""),
]


def anchor_cases(written):
    for n, (title, body) in enumerate(ANCHORS, 1):
        write(f"gen_yaml_anchor_{n:02}", f"""- name: {title}
  hosts: localhost
  gather_facts: false
{body}""", written)


# (template text, template options) — the whitespace rules one at a time.
TEMPLATES = [
    ("{% for i in items %}\n{{ i }}\n{% endfor %}\n", {}),
    ("{% for i in items %}\n  {{ i }}\n  {% endfor %}\n", {}),
    ("  {% for i in items %}\n{{ i }}\n  {% endfor %}\n", {"lstrip_blocks": True}),
    ("{% for i in items %}\n{{ i }}\n{% endfor %}\n", {"trim_blocks": False}),
    ("{% for i in items -%}\n{{ i }}\n{%- endfor %}\n", {}),
    ("{%- for i in items %} {{ i }} {% endfor -%}\nend\n", {}),
    ("  {%+ if true %}x{% endif %}\n", {"lstrip_blocks": True}),
    ("{% if true +%}\nkept\n{% endif %}\n", {}),
    ("#jinja2: trim_blocks: False\n{% if true %}\nx\n{% endif %}\n", {}),
    ("#jinja2: lstrip_blocks: True\n  {% if true %}\nx\n  {% endif %}\n", {}),
    ("#jinja2:lstrip_blocks: True, trim_blocks: False\n  {% if true %}\nx\n  {% endif %}\n", {}),
    ("#jinja2: variable_start_string: '[%', variable_end_string: '%]'\n[% items | join(',') %] {{ raw }}\n", {}),
    ("#jinja2: keep_trailing_newline: False\nline\n", {}),
    ("#jinja2: newline_sequence: '\\r\\n'\na\nb\n", {}),
    ("no trailing newline", {}),
    ("two trailing newlines\n\n", {}),
    ("{# a comment line #}\nafter\n", {}),
    ("{# a comment #} stays\n", {}),
    ("{% raw %}{{ not a var }}{% endraw %}\n", {}),
    ("{% set x = 3 %}\nx={{ x }}\n", {}),
    ("{% macro m(a) %}\n[{{ a }}]\n{% endmacro %}\n{{ m(1) }}{{ m(2) }}\n", {}),
    ("{{ items | join('\\n') }}\n", {}),
    ("{{ value_nl }}", {}),
    ("{{ value_nl }}\n", {}),
    ("{% for i in items %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}\n", {}),
    ("\t{% if true %}\ntab\n\t{% endif %}\n", {"lstrip_blocks": True}),
    ("a {%- if true %} b{% endif %}\n", {}),
    ("{{ 'x' }}\n\n\n", {}),
    ("{% if false %}\nno\n{% else %}\nyes\n{% endif %}", {}),
    ("line\r\nwindows\r\n", {}),
    ("{%- if true -%}\n\n  spaced  \n\n{%- endif -%}\n", {}),
    ("{{ items }}\n{{ mapping }}\n{{ 1 == 1 }}\n{{ none }}\n", {}),
    ("{% filter upper %}\nshout\n{% endfilter %}\n", {}),
    ("{% for k, v in mapping.items() %}\n{{ k }}={{ v }}\n{% endfor %}\n", {}),
    ("{% for i in items %}\n{% if i == 'b' %}{% continue %}{% endif %}\n{{ i }}\n{% endfor %}\n", {}),
    ("{% with y = 2 %}\n{{ y }}\n{% endwith %}\n", {}),
    ("{{ '%s-%d' % ('a', 3) }}\n", {}),
    ("{{ lookup('vars', 'raw') }}\n", {}),
    ("{% for i in items %}\n{{ i }}\n{% endfor %}\n", {"newline_sequence": "\\r\\n"}),
    ("one\ntwo\n{{ value_nl }}", {"newline_sequence": "\r\n"}),
    ("one\ntwo\n", {"newline_sequence": "\\r"}),
]


def template_cases(written):
    templates = os.path.join(CORPUS, "templates")
    for n, (text, options) in enumerate(TEMPLATES, 1):
        name = f"gen_template_ws_{n:02}"
        with open(os.path.join(templates, name + ".j2"), "w", newline="") as f:
            f.write(text)
        args = {"src": name + ".j2", "dest": "{{ base }}/out.txt"}
        args.update(options)
        write(name, f"""- name: template whitespace {n}
  hosts: localhost
  gather_facts: false
  vars:
    items: [a, b, c]
    mapping: {{one: 1, two: 2}}
    raw: plain
    value_nl: "ends in a newline\\n"
  tasks:
    - name: render
      template: {json.dumps(args)}
""", written)


# when/tags/loop interplay: (title, task list, extra arguments)
INTERPLAY = [
    ("when on each loop item", """    - debug: {msg: "{{ item }}"}
      loop: [1, 2, 3, 4]
      when: item is even
""", []),
    ("when naming the registered result of a loop", """    - command: "echo {{ item }}"
      loop: [a, b]
      register: out
      changed_when: false
    - debug: {msg: "{{ out.results | map(attribute='stdout') | list }}"}
      when: out.results | length == 2
""", []),
    ("when with a list of conditions", """    - debug: {msg: both}
      when:
        - 1 == 1
        - "'a' in 'abc'"
    - debug: {msg: never}
      when:
        - true
        - false
""", []),
    ("when on a block passes to its tasks", """    - block:
        - debug: {msg: inside}
        - debug: {msg: "{{ undefined_here }}"}
      when: false
""", []),
    ("tags on a block", """    - block:
        - debug: {msg: tagged by the block}
      tags: [web]
    - debug: {msg: untagged}
""", ["--tags", "web"]),
    ("skip-tags", """    - debug: {msg: one}
      tags: [a]
    - debug: {msg: two}
      tags: [b]
""", ["--skip-tags", "a"]),
    ("always and never tags", """    - debug: {msg: always}
      tags: [always]
    - debug: {msg: never}
      tags: [never]
    - debug: {msg: never but asked}
      tags: [never, debug]
    - debug: {msg: plain}
""", ["--tags", "debug"]),
    ("loop with loop_control label and index_var", """    - debug: {msg: "{{ idx }}:{{ item.n }}"}
      loop: [{n: a, v: 1}, {n: b, v: 2}]
      loop_control:
        label: "{{ item.n }}"
        index_var: idx
""", []),
    ("loop over a dict2items", """    - debug: {msg: "{{ item.key }}={{ item.value }}"}
      loop: "{{ {'x': 1, 'y': 2} | dict2items }}"
""", []),
    ("loop_var renamed", """    - debug: {msg: "{{ outer }}"}
      loop: [p, q]
      loop_control: {loop_var: outer}
""", []),
    ("when with a bare string variable", """    - debug: {msg: ran}
      when: flag
      vars: {flag: true}
    - debug: {msg: ran too}
      when: flag | bool
      vars: {flag: "yes"}
""", []),
    ("when defined and undefined", """    - debug: {msg: defined}
      when: maybe is defined
    - debug: {msg: undefined}
      when: maybe is undefined
""", []),
    ("set_fact in a loop keeps the last", """    - set_fact: {acc: "{{ (acc | default([])) + [item] }}"}
      loop: [1, 2, 3]
    - debug: {var: acc}
""", []),
    ("register of a skipped task", """    - debug: {msg: no}
      when: false
      register: skipped_one
    - debug: {msg: "{{ skipped_one is skipped }}"}
""", []),
    ("failed_when on a loop item", """    - command: "echo {{ item }}"
      loop: [ok, bad, ok2]
      register: r
      failed_when: "'bad' in r.stdout"
      changed_when: false
      ignore_errors: true
""", []),
    ("until-free nested loops with with_nested", """    - debug: {msg: "{{ item.0 }}{{ item.1 }}"}
      with_nested:
        - [a, b]
        - [1, 2]
""", []),
    ("with_items flattens one level", """    - debug: {msg: "{{ item }}"}
      with_items:
        - [1, 2]
        - 3
""", []),
    ("loop does not flatten", """    - debug: {msg: "{{ item }}"}
      loop:
        - [1, 2]
        - 3
""", []),
    ("tags on a task in a play with --tags all", """    - debug: {msg: tagged}
      tags: [x]
    - debug: {msg: untagged}
""", ["--tags", "all"]),
    ("vars on a block are seen by when", """    - block:
        - debug: {msg: "{{ color }}"}
          when: color == 'blue'
      vars: {color: blue}
""", []),
]


def interplay_cases(written):
    for n, (title, tasks, args) in enumerate(INTERPLAY, 1):
        name = f"gen_interplay_{n:02}"
        write(name, f"""- name: {title}
  hosts: localhost
  gather_facts: false
  tasks:
{tasks}""", written)
        if args:
            with open(os.path.join(CORPUS, name + ".setup.yml"), "w") as f:
                f.write(HEAD + "args: " + json.dumps(args) + "\n")


# Values a `when:` meets, as vars: a condition must be a boolean in ansible-core 2.19
# (a string or a number fails the task), and `| bool` converts the usual spellings.
WHEN_VALUES = ["yes", "'yes'", "on", "'on'", "1", "0", "'1'", "'true'", "true", "''",
               "[]", "{}", "~", "'false'", "false", "'0'", "0.0", "abc", "[1]", "{a: 1}",
               "'True'", "'no'", "off", "'off'"]


def when_cases(written):
    for n, value in enumerate(WHEN_VALUES, 1):
        write(f"gen_when_value_{n:02}", f"""- name: when meets {json.dumps(value)}
  hosts: localhost
  gather_facts: false
  vars:
    v: {value}
  tasks:
    - name: bare
      debug: {{msg: ran}}
      when: v
      ignore_errors: true
    - name: with bool
      debug: {{msg: ran}}
      when: v | bool
      ignore_errors: true
    - name: negated
      debug: {{msg: ran}}
      when: not v
      ignore_errors: true
""", written)


def main():
    written = []
    scalar_cases(written)
    anchor_cases(written)
    template_cases(written)
    interplay_cases(written)
    when_cases(written)
    print("\n".join(written))


main()
