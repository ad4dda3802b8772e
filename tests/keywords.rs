//! The keyword table (runner/playbook/keywords.rs) and the loader agree: every
//! keyword the table says is read at a place is read there — a value of the wrong
//! shape is refused at that value, not accepted and ignored — and every keyword it
//! says waits for an issue is refused with that issue.

mod common;

use common::Test;
use machinist::playbook::keywords::{Parse, Places, Support, KEYWORDS};

/// A value of the wrong shape for what `parse` reads, if the loader checks that
/// shape when it loads (templates, loops and files are checked later or elsewhere).
fn wrong_value(parse: Parse) -> Option<&'static str> {
    match parse {
        Parse::Text => Some("{not: text}"),
        Parse::Boolean | Parse::NoOp | Parse::Become => Some("{not: a boolean}"),
        Parse::TextList => Some("{not: a list}"),
        Parse::Conditions => Some("{not: a condition}"),
        Parse::VariableName => Some("'not a name'"),
        Parse::Seconds => Some("soon"),
        Parse::Vars => Some("[not, a, mapping]"),
        Parse::LoopControl => Some("[not, a, mapping]"),
        Parse::Arguments => Some("[not, a, mapping]"),
        Parse::Loop(None) => Some("{not: a list}"),
        Parse::Batches => Some("{not: a batch}"),
        Parse::Percentage => Some("lots"),
        Parse::Count => Some("many"),
        Parse::HostOrder => Some("at_random"),
        Parse::LocalAction => Some("[not, a, module]"),
        _ => None,
    }
}

fn refused_at_line(test: &Test, playbook: &str, line: usize, what: &str) {
    test.playbook(playbook);
    let run = test.run(&["--syntax-check"]);
    assert_eq!(run.code, 4, "{what}: accepted\n{playbook}{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("site.yml:{line}:")),
        "{what}: not refused at line {line}:\n{playbook}{}",
        run.stderr
    );
}

#[test]
fn every_task_keyword_the_table_reads_is_read() {
    let test = Test::new();
    let mut checked = 0;
    for keyword in KEYWORDS {
        if keyword.support != Support::Supported || !keyword.places.has(Places::TASK) {
            continue;
        }
        // `with_list` items are checked when they render; `loop` when written.
        if matches!(keyword.parse, Parse::Loop(None)) && keyword.name != "loop" {
            continue;
        }
        let Some(value) = wrong_value(keyword.parse) else {
            continue;
        };
        let playbook = common::play(&format!(
            "    - debug: msg=x\n      {}: {value}\n",
            keyword.name
        ));
        refused_at_line(&test, &playbook, 5, keyword.name);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} task keywords checked");
}

#[test]
fn every_play_keyword_the_table_reads_is_read() {
    let test = Test::new();
    let mut checked = 0;
    for keyword in KEYWORDS {
        if keyword.support != Support::Supported || !keyword.places.has(Places::PLAY) {
            continue;
        }
        let Some(value) = wrong_value(keyword.parse) else {
            continue;
        };
        let playbook = format!(
            "- hosts: localhost\n  gather_facts: false\n  {}: {value}\n  tasks:\n    - debug: msg=x\n",
            keyword.name
        );
        let playbook = playbook.replace("  gather_facts: false\n  gather_facts", "  gather_facts");
        refused_at_line(
            &test,
            &playbook,
            playbook
                .lines()
                .position(|l| l.starts_with(&format!("  {}:", keyword.name)))
                .expect("the line")
                + 1,
            keyword.name,
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} play keywords checked");
}

#[test]
fn every_keyword_waiting_for_an_issue_is_refused_with_it() {
    let test = Test::new();
    for keyword in KEYWORDS {
        let Support::Waiting(issue) = keyword.support else {
            continue;
        };
        test.playbook(&common::play(&format!(
            "    - debug: msg=x\n      {}: 1\n",
            keyword.name
        )));
        let run = test.run(&["--syntax-check"]);
        assert_eq!(run.code, 4, "{}: accepted", keyword.name);
        assert!(
            run.stderr.contains(&format!("(issue #{issue})")),
            "{}: {}",
            keyword.name,
            run.stderr
        );
    }
}
