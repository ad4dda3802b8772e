"""The work of scripts/mine-doc-examples (run with the pinned venv's Python)."""
import ast
import glob
import json
import os
import re
import sys

import ansible
import jinja2
import jinja2.meta
import yaml

PLUGINS = os.path.join(os.path.dirname(ansible.__file__), "plugins")
CORPUS = os.path.join(os.path.dirname(__file__), "..", "tests", "ansible_compat", "corpus")
# Lookups reading the controller's files, the network or the vault, or random: their
# examples name files and hosts that do not exist here.
SKIP_LOOKUPS = {"config", "csvfile", "file", "fileglob", "first_found", "ini", "password",
                "random_choice", "template", "unvault", "url", "env", "inventory_hostnames",
                "pipe", "lines"}
# Filters whose result depends on the machine, the clock or chance.
SKIP_FILTERS = {"random", "shuffle", "strftime", "to_datetime", "password_hash", "vault",
                "unvault", "realpath", "expanduser", "expandvars", "fileglob"}
# Plugins machinist does not have (a playbook naming one is refused at load, so the
# example would test nothing but that refusal).
MISSING = {"human_to_bytes", "rekey_on_member", "relpath", "urldecode", "urlsplit",
           "commonpath", "normpath", "win_basename", "win_dirname", "win_splitdrive",
           "varnames", "link", "is_link", "same_file", "is_same_file", "link_exists",
           "uri", "url", "urn", "vault_encrypted", "vaulted_file", "exists", "file",
           "is_file", "directory", "is_dir", "mount", "is_mount", "strftime",
           "to_datetime", "inventory_hostnames", "random", "shuffle", "password_hash"}
MAGIC = {"item", "omit", "inventory_hostname", "hostvars", "groups", "ansible_facts",
         "ansible_loop", "lookup", "query", "q", "range", "dict", "lipsum", "namespace",
         "zip", "cycler", "joiner", "True", "False", "None", "true", "false", "none"}

class AnyName(dict):
    """Every filter and test name is known: the names are Ansible's, not Jinja's."""

    def __contains__(self, name):
        return True

    def __missing__(self, name):
        return lambda *a, **k: None

    def get(self, name, default=None):
        return self[name]


env = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
env.filters = AnyName(env.filters)
env.tests = AnyName(env.tests)


# ansible-core's integration targets about expressions, filters, tests and lookups.
INTEGRATION_TARGETS = ["filter_core", "filter_mathstuff", "filter_urls", "test_core",
                       "test_mathstuff", "templating", "jinja2_native_types",
                       "lookup_dict", "lookup_items", "lookup_list", "lookup_nested",
                       "lookup_sequence", "lookup_subelements", "lookup_together",
                       "lookup_indexed_items", "template_jinja2_non_native"]


def free_names(text):
    try:
        return jinja2.meta.find_undeclared_variables(env.parse(text)) - MAGIC
    except jinja2.TemplateError:
        return None


def templated(value):
    return isinstance(value, str) and "{{" in value


def examples_of(path):
    if path.endswith(".yml"):
        doc = yaml.safe_load(open(path))
        return doc.get("EXAMPLES") or ""
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "EXAMPLES" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    return ""


def defined_vars(mapping):
    """The variables of a snippet that are usable: literal ones, and templated ones
    naming only usable variables."""
    good = {k: v for k, v in mapping.items() if not templated(v) and isinstance(k, str)}
    changed = True
    while changed:
        changed = False
        for k, v in mapping.items():
            if k in good or not isinstance(k, str):
                continue
            names = free_names(json.dumps(v)) if not isinstance(v, str) else free_names(v)
            if names is not None and names <= set(good) - {k}:
                good[k] = v
                changed = True
    return good


def expressions_in(text):
    return re.findall(r"\{\{.*?\}\}", text)


def cases_from_snippet(text):
    """(vars, expression) pairs of one EXAMPLES text of a filter or test."""
    out = []
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, dict):
        scope = defined_vars(parsed)
        for key, value in parsed.items():
            if templated(value) and key not in scope or (templated(value) and key in scope):
                names = free_names(value)
                if names is None or not names <= set(scope) - {key}:
                    continue
                used = {k: scope[k] for k in scope if k != key and k in names}
                out.append((used, value))
        return out
    for expr in expressions_in(text):
        names = free_names(expr)
        if names is not None and not names:
            out.append(({}, expr))
    return out


def names_missing(text):
    """Whether a text names a plugin machinist lacks (as `| name`, `is name` or a
    quoted lookup name), one of another collection than ansible.builtin, or one
    whose answer changes from run to run (random, password_hash's random salt)."""
    text = text.replace("''", "'")
    if re.search(r"\b(?!ansible\.builtin\.)[a-z_]+\.[a-z_]+\.[a-z_]+\s*\(|\|\s*(?!ansible\.builtin\.)[a-z_]+\.[a-z_]+\.[a-z_]+", text):
        return True
    for name in MISSING:
        if re.search(r"(\||\bis(\s+not)?)\s*(ansible\.builtin\.)?%s\b" % name, text) or \
                re.search(r"(lookup|query|q)\(\s*'(ansible\.builtin\.)?%s'" % name, text):
            return True
    return False


def playbook(title, scope, tasks):
    play = {"name": title, "hosts": "localhost", "gather_facts": False}
    if scope:
        play["vars"] = scope
    play["tasks"] = tasks
    return yaml.safe_dump([play], sort_keys=False, allow_unicode=True, width=1000)


def debug_task(msg):
    return {"name": "example", "debug": {"msg": msg}, "ignore_errors": True}


def write(name, text, written):
    if names_missing(text):
        return
    path = os.path.join(CORPUS, name + ".yml")
    with open(path, "w") as f:
        f.write("# Mined from ansible-core's documentation by scripts/mine-doc-examples.\n")
        f.write(text)
    written.append(name)


# Names only a loop, facts or an inventory define: an expression using them is not
# an example that stands alone.
CONTEXTUAL = {"item", "ansible_facts", "hostvars", "groups", "inventory_hostname"}

# The pages of Ansible's user guide (ansible/ansible-documentation) about expressions.
GUIDE_PAGES = ["playbooks_filters", "playbooks_tests", "playbooks_loops",
               "playbooks_conditionals", "complex_data_manipulation"]


def guide_expressions():
    """(page, expression) of every `{{ }}` in the user guide's pages that stands
    alone (MACHINIST_ANSIBLE_DOCS: a checkout of ansible/ansible-documentation)."""
    docs = os.environ.get("MACHINIST_ANSIBLE_DOCS")
    if not docs:
        return []
    out = []
    for page in GUIDE_PAGES:
        path = os.path.join(docs, "docs", "docsite", "rst", "playbook_guide", page + ".rst")
        if not os.path.exists(path):
            continue
        seen = set()
        for expr in expressions_in(open(path).read()):
            names = free_names(expr)
            uses_context = any(re.search(r"\b%s\b" % n, expr) for n in CONTEXTUAL)
            if names is None or names or uses_context or expr in seen:
                continue
            seen.add(expr)
            out.append((page, expr))
    return out


def integration_task_files():
    """(target, text) of the task files of ansible-core's integration targets that
    test the language (MACHINIST_ANSIBLE_SOURCE: a checkout of ansible/ansible)."""
    source = os.environ.get("MACHINIST_ANSIBLE_SOURCE")
    if not source:
        return []
    targets = os.path.join(source, "test", "integration", "targets")
    out = []
    for target in INTEGRATION_TARGETS:
        for path in sorted(glob.glob(os.path.join(targets, target, "tasks", "*.yml"))):
            out.append((target, open(path).read()))
    return out


def assert_conditions(text):
    """(vars, condition) of every assert condition naming no variable but the task's
    own vars."""
    try:
        tasks = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    out = []
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        module = next((k for k in task if k.split(".")[-1] == "assert"), None)
        if module is None or not isinstance(task[module], dict):
            continue
        if any(k in task for k in ("loop", "with_items", "when", "vars")):
            continue
        that = task[module].get("that")
        that = [that] if isinstance(that, str) else that if isinstance(that, list) else []
        for condition in that:
            if not isinstance(condition, str):
                continue
            names = free_names("{{ " + condition + " }}")
            if names is not None and not names and "{{" not in condition:
                out.append(({}, condition))
    return out


def main():
    written = []
    seen = set()
    for kind in ("filter", "test"):
        for path in sorted(glob.glob(os.path.join(PLUGINS, kind, "*.yml"))):
            plugin = os.path.basename(path)[:-4]
            if kind == "filter" and plugin in SKIP_FILTERS:
                continue
            n = 0
            for scope, expr in cases_from_snippet(examples_of(path)):
                key = (json.dumps(scope, sort_keys=True), expr)
                if key in seen:
                    continue
                seen.add(key)
                n += 1
                write(f"doc_{kind}_{plugin}_{n}",
                      playbook(f"{kind} {plugin}: example {n}", scope, [debug_task(expr)]),
                      written)
    for path in sorted(glob.glob(os.path.join(PLUGINS, "lookup", "*.py"))):
        plugin = os.path.basename(path)[:-3]
        if plugin.startswith("_") or plugin in SKIP_LOOKUPS:
            continue
        try:
            tasks = yaml.safe_load(examples_of(path))
        except yaml.YAMLError:
            continue
        n = 0
        for task in tasks or []:
            if not isinstance(task, dict):
                continue
            module = next((k for k in task if k.split(".")[-1] in ("debug", "set_fact")), None)
            if module is None:
                continue
            scope = {}
            for v in task.get("vars") or []:
                scope.update(v if isinstance(v, dict) else {})
            if isinstance(task.get("vars"), dict):
                scope = task["vars"]
            text = json.dumps({k: v for k, v in task.items() if k != "vars"})
            names = free_names(text.replace("\\n", "\n"))
            if names is None or not names <= set(scope):
                continue
            task = dict(task)
            task["ignore_errors"] = True
            n += 1
            write(f"doc_lookup_{plugin}_{n}",
                  playbook(f"lookup {plugin}: example {n}", {}, [task]), written)
    for target, text in integration_task_files():
        n = 0
        for scope, condition in assert_conditions(text):
            key = (json.dumps(scope, sort_keys=True), condition)
            if key in seen:
                continue
            seen.add(key)
            n += 1
            task = {"name": "example", "assert": {"that": [condition]}, "ignore_errors": True}
            write(f"src_{target}_{n}",
                  playbook(f"{target}: assertion {n}", scope, [task]), written)
    counts = {}
    for page, expr in guide_expressions():
        key = ("{}", expr)
        if key in seen:
            continue
        seen.add(key)
        counts[page] = counts.get(page, 0) + 1
        n = counts[page]
        write(f"guide_{page.replace('playbooks_', '')}_{n}",
              playbook(f"user guide {page}: example {n}", {}, [debug_task(expr)]), written)
    print("\n".join(written))
    print(f"{len(written)} playbooks", file=sys.stderr)


main()
