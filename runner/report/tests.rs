//! Whole-output tests of both reporters on one representative run: a play with ok,
//! changed-with-diff, a loop with labels and a failed item, a skipped task, an ignored
//! failure, a debug result, an include, a warning, a handler and the recap.

use crate::events::{Event, Recap, Stats, Status, TaskResult};
use crate::report::color::Painter;
use crate::report::human::{banner, recap_line};
use crate::report::{HumanReporter, JsonReporter, OutputOptions, Reporter};
use machinist_modules::{Diff, ProgressUnit};
use serde_json::{json, Value};

const PLAY: &str = "Configure the container";

fn result(task: &str, module: &str, status: Status) -> TaskResult {
    TaskResult {
        play: PLAY.into(),
        task: task.into(),
        module: module.into(),
        host: "localhost".into(),
        delegated_to: None,
        status,
        diff: Vec::new(),
        msg: None,
        item: None,
        label: None,
        ignored: false,
        result: json!({"changed": status == Status::Changed, "failed": status == Status::Failed}),
        shown: None,
        show_diff: false,
    }
}

fn task(name: &str) -> Event {
    Event::TaskStart {
        name: name.into(),
        handler: false,
    }
}

/// The run every whole-output test replays; `show_diff` as `--diff` would set it.
fn run(show_diff: bool) -> Vec<Event> {
    let mut locale = result("Write locale.conf", "template", Status::Changed);
    locale.diff = vec![Diff::of_path(
        "/var/lib/machines/arch/etc/locale.conf",
        "LANG=C\n",
        "LANG=en_US.UTF-8\nLC_TIME=C",
    )];
    locale.msg = Some("rendered".into());
    locale.result = json!({"changed": true, "failed": false, "msg": "rendered", "diff": [],
                           "dest": "/etc/locale.conf", "exception": "x"});
    locale.show_diff = show_diff;

    let mut vim = result("Install packages", "pacman", Status::Ok);
    vim.item = Some(json!("vim"));
    vim.result =
        json!({"changed": false, "failed": false, "item": "vim", "ansible_loop_var": "item"});
    let mut git = result("Install packages", "pacman", Status::Changed);
    git.item = Some(json!({"name": "git", "state": "present"}));
    git.label = Some("git".into());
    let mut bad = result("Install packages", "pacman", Status::Failed);
    bad.item = Some(json!({"name": "nosuch"}));
    bad.msg = Some("target not found: nosuch".into());
    bad.ignored = true;

    let mut skipped = result("Only on Debian", "command", Status::Skipped);
    skipped.msg = Some("Conditional result was False".into());
    let mut failed = result("Probe the network", "command", Status::Failed);
    failed.msg = Some("non-zero return code".into());
    failed.ignored = true;
    let mut debug = result("Say hello", "debug", Status::Ok);
    debug.shown = Some(json!({"msg": "hello"}));

    vec![
        Event::PlayStart { name: PLAY.into() },
        task("Set the hostname"),
        Event::TaskResult(Box::new(result("Set the hostname", "file", Status::Ok))),
        task("Write locale.conf"),
        Event::TaskResult(Box::new(locale)),
        task("Install packages"),
        Event::TaskResult(Box::new(vim)),
        Event::TaskResult(Box::new(git)),
        Event::TaskResult(Box::new(bad)),
        Event::LoopDone {
            host: "localhost".into(),
            all_skipped: false,
            ignored: true,
            debug_failed: false,
        },
        task("Only on Debian"),
        Event::TaskResult(Box::new(skipped)),
        task("Probe the network"),
        Event::TaskResult(Box::new(failed)),
        task("Say hello"),
        Event::TaskResult(Box::new(debug)),
        task("include_tasks"),
        Event::Included {
            file: "tasks/network.yml".into(),
            host: "localhost".into(),
            item: None,
        },
        Event::Warning("the 'mdoe' argument is deprecated".into()),
        Event::Progress {
            task: "pacstrap".into(),
            done: 3,
            total: 10,
            what: "installing glibc".into(),
            unit: ProgressUnit::Steps,
        },
        Event::TaskStart {
            name: "restart networkd".into(),
            handler: true,
        },
        Event::TaskResult(Box::new(result(
            "restart networkd",
            "unit",
            Status::Changed,
        ))),
        Event::Recap(Recap {
            hosts: [(
                "localhost".to_string(),
                Stats {
                    ok: 6,
                    changed: 3,
                    unreachable: 0,
                    failed: 0,
                    skipped: 1,
                    rescued: 0,
                    ignored: 2,
                },
            )]
            .into_iter()
            .collect(),
            custom_stats: Default::default(),
        }),
    ]
}

fn human(events: &[Event], color: bool, verbosity: u8) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let opts = OutputOptions {
        color,
        diff: false,
        verbosity,
        custom_stats: false,
    };
    let mut reporter = HumanReporter::new(&mut out, &mut err, opts);
    for event in events {
        reporter.event(event);
    }
    assert!(reporter.finish().is_ok());
    drop(reporter);
    (
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[test]
fn banner_is_80_columns_with_at_least_3_stars() {
    assert_eq!(
        banner("PLAY RECAP"),
        format!("\nPLAY RECAP {}\n", "*".repeat(69))
    );
    assert_eq!(
        banner("TASK [x]"),
        format!("\nTASK [x] {}\n", "*".repeat(71))
    );
    let long = "x".repeat(77);
    assert_eq!(banner(&long), format!("\n{long} ***\n"));
    let longer = "x".repeat(100);
    assert_eq!(banner(&longer), format!("\n{longer} ***\n"));
}

#[test]
fn recap_line_matches_ansible_format_exactly() {
    let stats = Stats {
        ok: 2,
        changed: 1,
        ..Stats::default()
    };
    assert_eq!(
        recap_line("localhost", &stats, Painter { enabled: false }),
        "localhost                  : ok=2    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   "
    );
    assert_eq!(
        recap_line("localhost", &stats, Painter { enabled: true }),
        "\x1b[0;33mlocalhost\x1b[0m                  : \x1b[0;32mok=2   \x1b[0m \x1b[0;33mchanged=1   \x1b[0m unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   "
    );
}

#[test]
fn recap_has_a_line_per_host_sorted_an_unreachable_one_red() {
    let recap = Recap {
        hosts: [
            (
                "web2".to_string(),
                Stats {
                    unreachable: 1,
                    ..Stats::default()
                },
            ),
            (
                "db1".to_string(),
                Stats {
                    ok: 1,
                    ..Stats::default()
                },
            ),
        ]
        .into_iter()
        .collect(),
        custom_stats: Default::default(),
    };
    let (out, _) = human(&[Event::Recap(recap.clone())], false, 0);
    let lines: Vec<&str> = out.lines().filter(|line| line.contains(" : ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("db1   ") && lines[0].contains("ok=1 "),
        "{out}"
    );
    assert!(
        lines[1].starts_with("web2  ") && lines[1].contains("unreachable=1 "),
        "{out}"
    );
    let painted = recap_line("web2", &recap.hosts["web2"], Painter { enabled: true });
    assert!(painted.starts_with("\x1b[0;31mweb2\x1b[0m"), "{painted:?}");
}

#[test]
fn human_plain_with_diff() {
    let (out, err) = human(&run(true), false, 0);
    insta::assert_snapshot!(out);
    // insta trims the end of a snapshot: pin the recap's trailing spaces and blank line.
    assert!(out.ends_with("skipped=1    rescued=0    ignored=2   \n\n"));
    assert_eq!(err, "[WARNING]: the 'mdoe' argument is deprecated\n");
    for line in out.lines().filter(|l| l.ends_with("***")) {
        assert_eq!(line.chars().count(), 80, "{line}");
    }
    assert!(!out.contains('\x1b'));
}

#[test]
fn human_plain_without_diff_prints_no_diff() {
    let (with, _) = human(&run(true), false, 0);
    let (without, _) = human(&run(false), false, 0);
    assert!(with.contains("--- before: /var/lib/machines/arch/etc/locale.conf\n"));
    assert!(!without.contains("--- before"));
    assert!(!without.contains("@@"));
    assert!(without.contains(&format!(
        "{}changed: [localhost]\n",
        banner("TASK [Write locale.conf]")
    )));
}

#[test]
fn human_verbose_shows_results() {
    let (out, _) = human(&run(false), false, 1);
    assert!(out.contains("\nok: [localhost] => {\"changed\": false}\n"));
    // The registered result, without `diff`, `exception` and `failed: false`, as Ansible's.
    assert!(out.contains(
        "\nchanged: [localhost] => {\"changed\": true, \"dest\": \"/etc/locale.conf\", \"msg\": \"rendered\"}\n"
    ), "{out}");
    assert!(out.contains(
        "\nok: [localhost] => (item=vim) => {\"ansible_loop_var\": \"item\", \"changed\": false, \"item\": \"vim\"}\n"
    ), "{out}");
    assert!(out.contains("\nok: [localhost] => {\n    \"msg\": \"hello\"\n}\n"));
}

#[test]
fn human_colour_codes_appear_only_when_asked() {
    let (out, err) = human(&run(true), true, 0);
    for expected in [
        "\x1b[0;32mok: [localhost]\x1b[0m\n",
        "\x1b[0;33mchanged: [localhost]\x1b[0m\n",
        "\x1b[0;36mskipping: [localhost]\x1b[0m\n",
        "\x1b[0;31mfatal: [localhost]: FAILED! => {\"changed\": false, \"msg\": \"non-zero return code\"}\x1b[0m\n",
        "\x1b[0;36m...ignoring\x1b[0m\n",
        "\x1b[0;31m--- before: /var/lib/machines/arch/etc/locale.conf\x1b[0m\n",
        "\x1b[0;32m+++ after: /var/lib/machines/arch/etc/locale.conf\x1b[0m\n",
        "\x1b[0;36m@@ -1 +1,2 @@\x1b[0m\n",
        "\x1b[0;31m-LANG=C\x1b[0m\n",
        "\x1b[0;32m+LC_TIME=C\x1b[0m\n\x1b[0;32m\\ No newline at end of file\x1b[0m\n",
        "\x1b[0;32mok: [localhost] => {\x1b[0m\n\x1b[0;32m    \"msg\": \"hello\"\x1b[0m\n\x1b[0;32m}\x1b[0m\n",
        "\x1b[0;36mincluded: tasks/network.yml for localhost\x1b[0m\n",
        "\x1b[0;33mlocalhost\x1b[0m                  : ",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert_eq!(
        err,
        "\x1b[1;35m[WARNING]: the 'mdoe' argument is deprecated\x1b[0m\n"
    );
    // Banners stay uncoloured, as in Ansible.
    assert!(out.contains("\nPLAY [Configure the container] ****"));
    // Stripped of its escapes, coloured output is the plain output.
    let (plain, _) = human(&run(true), false, 0);
    let stripped =
        regex::Regex::new("\x1b\\[[0-9;]*m").map(|re| re.replace_all(&out, "").into_owned());
    assert_eq!(stripped.ok(), Some(plain));
}

#[test]
fn progress_draws_one_line_on_a_terminal_only() {
    let events = [
        task("pacstrap"),
        Event::Progress {
            task: "pacstrap".into(),
            done: 1,
            total: 2,
            what: "installing base".into(),
            unit: ProgressUnit::Steps,
        },
        Event::Progress {
            task: "pacstrap".into(),
            done: 2,
            total: 2,
            what: "installing vim".into(),
            unit: ProgressUnit::Steps,
        },
        Event::TaskResult(Box::new(result("pacstrap", "pacstrap", Status::Changed))),
    ];
    let opts = OutputOptions {
        color: false,
        diff: false,
        verbosity: 0,
        custom_stats: false,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut reporter = HumanReporter::new(&mut out, &mut err, opts).with_progress(true);
    for event in &events {
        reporter.event(event);
    }
    assert!(reporter.finish().is_ok());
    drop(reporter);
    let first = format!("(1/2) installing base{}", " ".repeat(51 - 21));
    let second = format!("(2/2) installing vim{}", " ".repeat(51 - 20));
    assert_eq!(
        String::from_utf8_lossy(&out),
        format!(
            "{}\r\x1b[K{first} [##########----------]  50%\r\x1b[K{second} [####################] 100%\r\x1b[Kchanged: [localhost]\n",
            banner("TASK [pacstrap]")
        )
    );
    let (plain, _) = human(&events, false, 0);
    assert_eq!(
        plain,
        format!("{}changed: [localhost]\n", banner("TASK [pacstrap]"))
    );
}

#[test]
fn listing_is_printed_as_is() {
    let (out, _) = human(
        &[Event::Listing("playbook: site.yml\n  tasks:\n".into())],
        false,
        0,
    );
    assert_eq!(out, "playbook: site.yml\n  tasks:\n");
}

fn json_lines(events: &[Event]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut reporter = JsonReporter::new(&mut out);
    for event in events {
        reporter.event(event);
    }
    assert!(reporter.finish().is_ok());
    drop(reporter);
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn json_lines_field_by_field() {
    let lines = json_lines(&run(false));
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    assert_eq!(
        events,
        [
            "play", "task", "task", "task", "task", "task", "task", "task", "task", "included",
            "warning", "progress", "task", "recap"
        ]
    );
    assert_eq!(lines[0], json!({"event": "play", "name": PLAY}));
    assert_eq!(
        lines[1],
        json!({"event": "task", "play": PLAY, "task": "Set the hostname", "module": "file",
               "host": "localhost", "status": "ok", "diff": [], "msg": null, "ignored": false,
               "result": {"changed": false, "failed": false}})
    );
    // Diffs are always in JSON, whatever `--diff` says.
    assert_eq!(
        lines[2]["diff"],
        json!([{"before_header": "/var/lib/machines/arch/etc/locale.conf",
                "after_header": "/var/lib/machines/arch/etc/locale.conf",
                "before": "LANG=C\n", "after": "LANG=en_US.UTF-8\nLC_TIME=C"}])
    );
    assert_eq!(lines[2]["status"], "changed");
    assert_eq!(lines[2]["msg"], "rendered");
    assert_eq!(lines[3]["item"], "vim");
    assert!(lines[3].get("label").is_none());
    assert_eq!(lines[4]["item"], json!({"name": "git", "state": "present"}));
    assert_eq!(lines[4]["label"], "git");
    assert_eq!(lines[5]["status"], "failed");
    assert_eq!(lines[5]["ignored"], true);
    assert_eq!(lines[6]["status"], "skipped");
    assert!(lines[6].get("item").is_none());
    // What the human reporter shows is not part of the JSON contract.
    assert!(lines[8].get("shown").is_none() && lines[8].get("show_diff").is_none());
    assert_eq!(
        lines[9],
        json!({"event": "included", "file": "tasks/network.yml", "host": "localhost"})
    );
    assert_eq!(
        lines[10],
        json!({"event": "warning", "msg": "the 'mdoe' argument is deprecated"})
    );
    assert_eq!(
        lines[11],
        json!({"event": "progress", "task": "pacstrap", "done": 3, "total": 10,
               "what": "installing glibc", "unit": "steps"})
    );
    assert_eq!(lines[12]["task"], "restart networkd");
    assert_eq!(
        lines[13],
        json!({"event": "recap", "hosts": {"localhost": {"ok": 6, "changed": 3,
               "unreachable": 0, "failed": 0, "skipped": 1, "rescued": 0, "ignored": 2}}})
    );
    let keys: Vec<&String> = lines[1]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys[0], "event");
}

#[test]
fn json_listing_and_one_object_per_line() {
    let lines = json_lines(&[Event::Listing("a\nb\n".into())]);
    assert_eq!(lines, [json!({"event": "listing", "text": "a\nb\n"})]);
}

#[test]
fn write_errors_surface_in_finish() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut json = JsonReporter::new(Broken);
    json.event(&Event::Warning("w".into()));
    assert_eq!(
        json.finish().map_err(|e| e.kind()),
        Err(std::io::ErrorKind::BrokenPipe)
    );
    let opts = OutputOptions {
        color: false,
        diff: false,
        verbosity: 0,
        custom_stats: false,
    };
    let mut human = HumanReporter::new(Broken, Vec::new(), opts);
    human.event(&Event::PlayStart { name: "p".into() });
    assert!(human.finish().is_err());
}

#[test]
fn retries_and_a_failed_debug_loop_print_as_ansible() {
    let mut failed = result("say", "debug", Status::Failed);
    failed.shown = Some(json!({"msg": "hi"}));
    failed.item = Some(json!(2));
    let retry = crate::events::Retrying {
        host: "localhost".into(),
        task: "say".into(),
        retries_left: 1,
        attempts: 1,
        result: json!({"attempts": 1, "msg": "hi", "retries": 2}),
        verbose_always: false,
    };
    let events = [
        task("say"),
        Event::Retrying(Box::new(retry)),
        Event::TaskResult(Box::new(failed)),
        Event::LoopDone {
            host: "localhost".into(),
            all_skipped: false,
            ignored: true,
            debug_failed: true,
        },
    ];
    let (out, _) = human(&events, false, 0);
    let lines: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(
        lines,
        [
            "FAILED - RETRYING: [localhost]: say (1 retries left).",
            "failed: [localhost] (item=2) => {\"msg\": \"hi\"}",
            "fatal: [localhost]: FAILED! => {\"msg\": \"One or more items failed\"}",
            "...ignoring",
        ],
        "{out}"
    );
    let (verbose, _) = human(&events[..2], false, 2);
    assert!(
        verbose.contains("(1 retries left).Result was: {\n    \"attempts\": 1,"),
        "{verbose}"
    );
}

#[test]
fn a_delegated_result_names_its_delegate_in_json_and_after_an_arrow() {
    let mut delegated = result("Copy", "copy", Status::Changed);
    delegated.host = "web1".into();
    delegated.delegated_to = Some("localhost".into());
    let events = [task("Copy"), Event::TaskResult(Box::new(delegated.clone()))];
    let lines = json_lines(&events);
    assert_eq!(lines[0]["host"], "web1");
    assert_eq!(lines[0]["delegated_to"], "localhost");
    let (out, _) = human(&events, false, 0);
    assert!(out.contains("\nchanged: [web1 -> localhost]\n"), "{out}");
    delegated.delegated_to = None;
    let lines = json_lines(&[Event::TaskResult(Box::new(delegated))]);
    assert!(lines[0].get("delegated_to").is_none());
}
