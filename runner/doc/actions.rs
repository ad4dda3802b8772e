//! The documentation of the runner's own actions (`debug`, `set_fact`, `include_vars`, `assert`,
//! `fail`, `meta`), in the same shape as the built-in modules' tables. A test holds
//! each to the argument names the validator accepts (`Action::arg_names`).

use crate::playbook::model::Action;
use crate::playbook::validate::META_ACTIONS;
use machinist_modules::doc::{ArgDoc, ModuleDoc, Support};

/// One runner action's documentation.
#[derive(Debug, Clone, Copy)]
pub struct ActionDoc {
    pub summary: &'static str,
    /// Any argument name is accepted (set_fact: each becomes a fact).
    pub any_args: bool,
    pub doc: ModuleDoc,
}

/// The documentation of a runner action; `None` for modules and plugins.
pub fn doc(action: &Action) -> Option<ActionDoc> {
    Some(match action {
        Action::Module(_) | Action::Plugin(_) => return None,
        Action::Debug => DEBUG,
        Action::SetFact => SET_FACT,
        Action::IncludeVars => INCLUDE_VARS,
        Action::Assert => ASSERT,
        Action::Fail => FAIL,
        Action::Meta => META,
        Action::Uri => URI,
        Action::WaitFor => WAIT_FOR,
        Action::AsyncStatus => ASYNC_STATUS,
        Action::Setup => SETUP,
        Action::Fetch => FETCH,
        Action::WaitForConnection => WAIT_FOR_CONNECTION,
        Action::Pause => PAUSE,
        Action::AddHost => ADD_HOST,
        Action::GroupBy => GROUP_BY,
        Action::ValidateArgumentSpec => VALIDATE_ARGUMENT_SPEC,
        Action::SetStats => SET_STATS,
    })
}

const DEBUG: ActionDoc = ActionDoc {
    summary: "Print a message or a variable",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("msg", "raw", "What to print (templated).").default("Hello world!"),
            ArgDoc::new(
                "var",
                "str",
                "A variable (or expression) to print instead of msg.",
            ),
            ArgDoc::new(
                "verbosity",
                "int",
                "Print only when run with at least this many -v.",
            )
            .default("0"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Say where the run goes
  debug:
    msg: "configuring {{ machinist_root }}"
- name: Show a variable, with -v only
  debug:
    var: machinist_root
    verbosity: 1
"#,
    },
};

const ADD_HOST: ActionDoc = ActionDoc {
    summary: "Add a host (and its groups) to the run's inventory, for the later plays",
    any_args: true,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("name", "str", "The host's name (also `host`, `hostname`).").required(),
            ArgDoc::new(
                "groups",
                "list",
                "Groups to put it in (made when new; a list or a comma-separated \
                 string; also `group`, `groupname`). Every other argument is a \
                 variable of the host.",
            ),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: A container made earlier joins the plays on builders
  add_host:
    name: build1
    groups: builders
    ansible_connection: local
    machinist_root: /var/lib/machines/build1
- debug:
    msg: "{{ groups['builders'] }}"
"#,
    },
};

const GROUP_BY: ActionDoc = ActionDoc {
    summary: "Put the host into a group named from its variables",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("key", "str", "The group's name (spaces become `-`).").required(),
            ArgDoc::new(
                "parents",
                "list",
                "Parent groups of the group (made when new).",
            )
            .default("all"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: One group per environment, for later plays on env_prod
  group_by:
    key: "env_{{ env | default('dev') }}"
    parents: managed
- debug:
    msg: "{{ group_names }}"
"#,
    },
};

const SET_STATS: ActionDoc = ActionDoc {
    summary: "Keep statistics for the run, shown after the recap with show_custom_stats",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new(
                "data",
                "dict",
                "Names (variable names) and values to keep; templated.",
            ),
            ArgDoc::new(
                "per_host",
                "bool",
                "Keep them for this host (every host of the batch under run_once) instead of \
                 for the whole run.",
            )
            .default("false"),
            ArgDoc::new(
                "aggregate",
                "bool",
                "Add to a kept value of the same type (numbers and texts added, lists joined, \
                 mappings merged) instead of replacing it.",
            )
            .default("true"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"# Shown as Ansible's CUSTOM STATS block after the recap when ansible.cfg's
# [defaults] show_custom_stats (or ANSIBLE_SHOW_CUSTOM_STATS) is true, and in the
# JSON recap's custom_stats.
- name: Count the hosts configured (aggregated over the run)
  set_stats:
    data:
      configured: 1
      names: ["{{ inventory_hostname }}"]
- name: Remember something of this host
  set_stats:
    data: {checked_by: "{{ ansible_play_hosts | first }}"}
    per_host: true
    aggregate: false
"#,
    },
};

const SET_FACT: ActionDoc = ActionDoc {
    summary: "Set variables (facts) for the rest of the run",
    any_args: true,
    doc: ModuleDoc {
        args: &[],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Derive names once
  set_fact:
    app_dir: /srv/app
    app_port: 8080
- debug:
    msg: "the app runs from {{ app_dir }} on port {{ app_port }}"
"#,
    },
};

const INCLUDE_VARS: ActionDoc = ActionDoc {
    summary: "Load variables from a YAML file when the task runs",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new(
                "file",
                "str",
                "The file (templated; the free-form argument): found in the role's or \
                 playbook's vars/ folder, that folder, then beside the task file.",
            ),
            ArgDoc::new(
                "name",
                "str",
                "Put the file's variables under this one variable instead.",
            ),
            ArgDoc::new(
                "dir",
                "str",
                "Instead of a file, every file of this folder and the folders below it \
                 (in a role: below its vars/), in name order, later files over earlier.",
            ),
            ArgDoc::new(
                "depth",
                "int",
                "With dir: how many levels to read (1: the folder itself; 0: all).",
            ),
            ArgDoc::new(
                "files_matching",
                "str",
                "With dir: only the files whose names this regular expression finds.",
            ),
            ArgDoc::new(
                "ignore_files",
                "list",
                "With dir: names (regular expressions ending the name) to skip.",
            ),
            ArgDoc::new(
                "extensions",
                "list",
                "With dir: the extensions read (default yaml, yml, json).",
            ),
            ArgDoc::new(
                "ignore_unknown_extensions",
                "bool",
                "With dir: skip files of other extensions instead of failing.",
            ),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: The distribution's own names (vars/Archlinux.yml, vars/Debian.yml)
  include_vars: "{{ ansible_facts.os_family | default('Archlinux') }}.yml"
- include_vars:
    file: ports.yml
    name: ports
"#,
    },
};

const ASSERT: ActionDoc = ActionDoc {
    summary: "Fail unless every condition holds",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("that", "list", "Conditions (expressions, without braces).").required(),
            ArgDoc::new("fail_msg", "str", "The message when a condition is false.")
                .aliases(&["msg"]),
            ArgDoc::new("success_msg", "str", "The message when all hold.")
                .default("All assertions passed"),
            ArgDoc::new("quiet", "bool", "Print nothing when all hold.").default("false"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: The target is a container tree, not the controller
  assert:
    that:
      - machinist_root != '/'
    fail_msg: "run with --root /var/lib/machines/NAME"
"#,
    },
};

const FAIL: ActionDoc = ActionDoc {
    summary: "Fail the task with a message",
    any_args: false,
    doc: ModuleDoc {
        args: &[ArgDoc::new("msg", "str", "The failure's message.")
            .default("Failed as requested from task")],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Refuse to configure the controller itself
  fail:
    msg: "point --root at a container tree"
  when: machinist_root == '/'
"#,
    },
};

const VALIDATE_ARGUMENT_SPEC: ActionDoc = ActionDoc {
    summary: "Check variables against an argument spec",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new(
                "argument_spec",
                "dict",
                "Options in the shape of a role's meta/argument_specs.yml entry point \
                 (type, elements, required, default, choices). Each is checked against \
                 provided_arguments, else the variable of its name, else its default.",
            )
            .required(),
            ArgDoc::new(
                "provided_arguments",
                "dict",
                "Values to check, above the variables of the same names.",
            ),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"# A role with meta/argument_specs.yml gets this task first, named
# "Validating arguments against arg spec 'main'", as in Ansible.
- name: Check the app's inputs
  validate_argument_spec:
    argument_spec:
      app_port: {type: int, required: true}
      app_env: {type: str, choices: [production, staging], default: production}
    provided_arguments:
      app_port: 8080
"#,
    },
};

const META: ActionDoc = ActionDoc {
    summary: "Change the run's flow (flush_handlers, end_play, …)",
    any_args: false,
    doc: ModuleDoc {
        args: &[ArgDoc::new(
            "_raw_params",
            "str",
            "The action, written after meta: (meta: flush_handlers).",
        )
        .required()
        .choices(META_ACTIONS)],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Run the handlers notified so far, now
  meta: flush_handlers
"#,
    },
};

const URI: ActionDoc = ActionDoc {
    summary: "Send an HTTP request and check the answer's status (skipped under --check)",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("url", "str", "An http:// or https:// URL.").required(),
            ArgDoc::new("method", "str", "The method, one uppercase word.").default("GET"),
            ArgDoc::new("body", "raw", "The request body (a mapping or list with body_format json or form-urlencoded)."),
            ArgDoc::new("body_format", "str", "How body is encoded; json and form-urlencoded set Content-Type unless headers do.")
                .default("raw")
                .choices(&["raw", "json", "form-urlencoded"]),
            ArgDoc::new("headers", "dict", "Request headers.").default("{}"),
            ArgDoc::new("status_code", "list", "The statuses that mean success; any other fails the task.").default("[200]"),
            ArgDoc::new("return_content", "bool", "Register the body as `content` (always on failure; a JSON answer is parsed into `json` regardless).").default("false"),
            ArgDoc::new("timeout", "int", "Seconds for the whole request.").default("30"),
            ArgDoc::new("validate_certs", "bool", "Verify the server's certificate.").default("true"),
            ArgDoc::new("url_username", "str", "User for HTTP basic auth.").aliases(&["user"]),
            ArgDoc::new("url_password", "str", "Password for HTTP basic auth (a secret: never shown).").aliases(&["password"]),
            ArgDoc::new("force_basic_auth", "bool", "Send the credentials with the first request, not only after a 401.").default("false"),
            ArgDoc::new("follow_redirects", "str", "safe: only for GET and HEAD; all/yes: always; none/no: never.")
                .default("safe")
                .choices(&["all", "yes", "safe", "urllib2", "none", "no"]),
            ArgDoc::new("http_agent", "str", "The User-Agent header.").default("ansible-httpget"),
            ArgDoc::new("creates", "path", "Do not send the request when this path exists in the target."),
            ArgDoc::new("removes", "path", "Do not send the request unless this path exists in the target."),
        ],
        check_mode: Support::None,
        diff: Support::None,
        examples: r#"- name: The service answers
  uri:
    url: http://127.0.0.1:8080/health
    status_code: [200, 204]
    return_content: true
  register: health
- name: Tell the API
  uri:
    url: https://api.example.org/deployments
    method: POST
    body_format: json
    body: {version: "1.2"}
    status_code: 201
"#,
    },
};

const WAIT_FOR: ActionDoc = ActionDoc {
    summary: "Wait for a TCP port or a path of the target (skipped under --check)",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("host", "str", "The address to connect to.").default("127.0.0.1"),
            ArgDoc::new("port", "int", "A TCP port to wait for."),
            ArgDoc::new("path", "path", "A path of the target (inside the root) to wait for."),
            ArgDoc::new("state", "str", "started/present: until it answers or exists; stopped/absent: until it does not. drained is refused.")
                .default("started")
                .choices(&["started", "present", "stopped", "absent", "drained"]),
            ArgDoc::new("search_regex", "str", "A regex (multi-line) the file's content, or what the port sends, must match."),
            ArgDoc::new("timeout", "int", "Seconds before the task fails.").default("300"),
            ArgDoc::new("delay", "int", "Seconds to wait before the first check.").default("0"),
            ArgDoc::new("sleep", "int", "Seconds between checks.").default("1"),
            ArgDoc::new("connect_timeout", "int", "Seconds for one connection attempt.").default("5"),
            ArgDoc::new("msg", "str", "The failure message instead of the default one."),
        ],
        check_mode: Support::None,
        diff: Support::None,
        examples: r#"- name: Until the web server listens
  wait_for:
    port: 80
    timeout: 60
- name: Until the service has written that it is ready
  wait_for:
    path: /var/log/app.log
    search_regex: "ready on port (\\d+)"
"#,
    },
};

const ASYNC_STATUS: ActionDoc = ActionDoc {
    summary: "The state of a job an `async:` task started: its result once finished (finished, ansible_job_id)",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("jid", "str", "The job's id (the `ansible_job_id` its task registered).").required(),
            ArgDoc::new("mode", "str", "status: the job's state; cleanup: forget the job.")
                .default("status")
                .choices(&["status", "cleanup"]),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Start the download, go on at once
  command: curl -sSo /var/tmp/big.iso https://example.org/big.iso
  async: 600
  poll: 0
  register: download
- name: Wait until it is done
  async_status:
    jid: "{{ download.ansible_job_id }}"
  register: job
  until: job.finished
  retries: 60
  delay: 10
"#,
    },
};

const SETUP: ActionDoc = ActionDoc {
    summary: "Gather the target's facts as a task (also named gather_facts), registered as ansible_facts",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("gather_subset", "list", "Which facts, by ansible-core's collectors: all, min (its minimal set: platform — hostname, nodename, fqdn, domain, system, kernel, kernel_version, machine, architecture, userspace_*, machine_id —, distribution — distribution_*, os_family, os_release —, lsb, pkg_mgr, service_mgr, selinux, apparmor, fips, cmdline, date_time, dns, env, user, ssh_pub_keys, local), or one collector: network (default_ipv4, default_ipv6, interfaces, one fact per interface such as ansible_eth0, all_ipv4_addresses, all_ipv6_addresses), virtual (virtualization_*), hardware (processor*, flags, memtotal_mb, memfree_mb, swaptotal_mb, swapfree_mb, memory_mb, DMI: bios_*, board_*, chassis_*, product_*, system_vendor, form_factor; devices, device_links, uptime_seconds, mounts), chroot (is_chroot), loadavg, iscsi (iscsi_iqn), nvme (hostnqn), fibre_channel_wwn, or any of the above by name; a fact id names its collector (devices, mounts, processor: hardware; os_family: distribution; default_ipv4, interfaces: network). `!name` leaves one out (a collector's fact ids with it), `!all` keeps min, `!all,!min` keeps none; a collector brings those it requires (network: platform and distribution; hardware: platform). caps, python, systemd, facter and ohai are refused (their facts come from programs machinist does not run); dmi is no subset, as in Ansible.")
                .default("all"),
            ArgDoc::new("filter", "list", "Globs (fnmatch) on the facts' ansible_ names: only the facts one matches are set and registered."),
            ArgDoc::new("fact_path", "path", "The target's folder of local facts: each NAME.fact (JSON or INI; an executable one is run and its output read) becomes ansible_local.NAME.")
                .default("/etc/ansible/facts.d"),
            ArgDoc::new("gather_timeout", "int", "Seconds each mount's size (statvfs) may take; a mount that takes longer gets a note instead of its size.")
                .default("10"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Facts again, after the network changed (gathered on the target, through its agent)
  setup:
    gather_subset: [network]
    filter: ["ansible_default_ipv4"]
  register: gathered
- name: Show the address
  debug:
    msg: "{{ ansible_default_ipv4.address | default('none') }}"
- name: The same, by its other name
  gather_facts:
    gather_subset: ["!all"]
- name: Processors, memory and mounts only
  setup:
    gather_subset: ["!all", "hardware"]
    gather_timeout: 5
- name: The role's own facts, from its folder (ansible_local.app)
  setup:
    gather_subset: ["!all"]
    fact_path: /etc/app/facts.d
- name: Size a worker pool from them
  debug:
    msg: "{{ ansible_processor_vcpus }} CPUs, {{ ansible_memtotal_mb }} MB, {{ ansible_pkg_mgr }} on {{ ansible_distribution }} {{ ansible_distribution_version }}"
"#,
    },
};

const FETCH: ActionDoc = ActionDoc {
    summary: "Copy a target's file to the controller, at DEST/HOSTNAME/SRC (or DEST with flat)",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("src", "path", "The target's file (inside its root); not a directory.").required(),
            ArgDoc::new("dest", "path", "The controller folder (relative: to the playbook's folder); the file goes to DEST/INVENTORY_HOSTNAME/SRC.").required(),
            ArgDoc::new("flat", "bool", "DEST is the file itself (or, ending in /, the folder it goes in under its own name).").default("false"),
            ArgDoc::new("fail_on_missing", "bool", "Fail when src does not exist (else ok, with a msg).").default("true"),
            ArgDoc::new("validate_checksum", "bool", "Check the copy's sha1 against the target's.").default("true"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: A config of the target
  copy:
    dest: /etc/app.conf
    content: "port = 80\n"
- name: Keep a copy of it per host (streamed from its agent over ssh or machine)
  fetch:
    src: /etc/app.conf
    dest: /tmp/fetched
- name: One file, named as wanted
  fetch:
    src: /etc/app.conf
    dest: /tmp/fetched/app-{{ inventory_hostname }}.conf
    flat: true
"#,
    },
};

const WAIT_FOR_CONNECTION: ActionDoc = ActionDoc {
    summary:
        "Wait until the target's agent answers (at once for a local host; skipped under --check)",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("delay", "int", "Seconds before the first attempt.").default("0"),
            ArgDoc::new("sleep", "int", "Seconds between attempts.").default("1"),
            ArgDoc::new("timeout", "int", "Seconds before the task fails.").default("600"),
            ArgDoc::new(
                "connect_timeout",
                "int",
                "Seconds one attempt (start the agent, ping it) is waited for.",
            )
            .default("5"),
        ],
        check_mode: Support::None,
        diff: Support::None,
        examples: r#"- name: Until the container (or the rebooted host) answers
  wait_for_connection:
    timeout: 120
"#,
    },
};

const PAUSE: ActionDoc = ActionDoc {
    summary: "Wait some seconds or minutes, or ask on the terminal; once for all hosts, --check too",
    any_args: false,
    doc: ModuleDoc {
        args: &[
            ArgDoc::new("seconds", "int", "Seconds to wait."),
            ArgDoc::new("minutes", "int", "Minutes to wait."),
            ArgDoc::new("prompt", "str", "Shown before the wait; without seconds or minutes, the answer (registered as user_input) is awaited, which needs a terminal: refused otherwise."),
            ArgDoc::new("echo", "bool", "Show the answer as it is typed.").default("true"),
        ],
        check_mode: Support::Full,
        diff: Support::None,
        examples: r#"- name: Give the service time to settle
  pause:
    seconds: 1
"#,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runner_action_is_documented_with_the_names_it_accepts() {
        for (name, action) in Action::RUNNER_ACTIONS {
            let doc = doc(action);
            assert!(doc.is_some(), "{name} has no documentation");
            let Some(doc) = doc else { continue };
            assert!(
                doc.doc.examples.contains(name),
                "{name}: its examples do not use it"
            );
            match action.arg_names() {
                None => assert!(doc.any_args, "{name} accepts any argument"),
                Some(accepted) => {
                    let mut documented: Vec<&str> = doc
                        .doc
                        .args
                        .iter()
                        .flat_map(|a| std::iter::once(a.name).chain(a.aliases.iter().copied()))
                        .collect();
                    let mut accepted = accepted.to_vec();
                    documented.sort_unstable();
                    accepted.sort_unstable();
                    assert_eq!(documented, accepted, "{name}");
                }
            }
        }
    }
}
