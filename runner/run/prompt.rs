//! Asking a play's `vars_prompt` on the terminal, before its `PLAY` banner, as
//! ansible-playbook does: a variable given with `-e` is not asked; an empty answer
//! takes the default; `confirm` asks until two answers match; `encrypt` stores the
//! crypt(3) hash (the `password_hash` filter's code). A private answer is a secret
//! from then on (masked as vaulted values are). Without a terminal a prompt with a
//! `default` takes it, as ansible-playbook does when it is not interactive; one
//! without refuses the run before its first play, naming the variables to give with
//! `-e` (Ansible would set them to nothing).

use crate::error::{Diagnostic, InputError};
use crate::playbook::model::{Play, Playbook, VarPrompt};
use crate::vars::Layer;
use crate::vault::terminal::Terminal;
use crate::yaml::{Node, Value as YamlValue};

/// The prompts `-e` does not answer.
fn unanswered<'p>(
    play: &'p Play,
    extra_vars: &'p Layer,
) -> impl Iterator<Item = &'p VarPrompt> + 'p {
    play.vars_prompt
        .iter()
        .filter(move |prompt| extra_vars.get(&prompt.name).is_none())
}

/// Refuse the run, before anything runs, when a prompt would be asked and there is
/// no terminal to ask on.
pub(super) fn check_terminal(playbooks: &[Playbook], extra_vars: &Layer) -> Result<(), InputError> {
    let waiting: Vec<&VarPrompt> = playbooks
        .iter()
        .flat_map(|playbook| &playbook.plays)
        .flat_map(|play| unanswered(play, extra_vars))
        .filter(|prompt| prompt.default.is_none())
        .collect();
    if waiting.is_empty() || Terminal::open().is_some() {
        return Ok(());
    }
    Err(InputError(
        waiting
            .iter()
            .map(|prompt| {
                Diagnostic::at(
                    &prompt.span,
                    format!(
                        "vars_prompt '{}' needs a terminal to ask on, and there is none; give it with -e {}=VALUE",
                        prompt.name, prompt.name
                    ),
                )
            })
            .collect(),
    ))
}

/// The answers to `play`'s prompts, as a layer just above the play's `vars`.
/// Without a terminal, a prompt with a default takes it; `warn` hears of each, in
/// Ansible's words.
pub(super) fn ask(
    play: &Play,
    extra_vars: &Layer,
    warn: &mut dyn FnMut(String),
) -> Result<Layer, InputError> {
    let mut layer = Layer::default();
    let mut terminal = None;
    for prompt in unanswered(play, extra_vars) {
        if terminal.is_none() {
            terminal = Terminal::open();
        }
        let answer = match (terminal.as_mut(), &prompt.default) {
            (Some(term), _) => {
                answer(term, prompt).map_err(|err| no_terminal(prompt, &err.to_string()))?
            }
            (None, Some(default)) => {
                warn(format!(
                    "Not prompting as we are not in interactive mode: vars_prompt '{}' takes its default",
                    prompt.name
                ));
                default.clone()
            }
            (None, None) => return Err(no_terminal(prompt, "there is none")),
        };
        if prompt.private {
            crate::revealed::reveal(&answer);
        }
        let value = match &prompt.encrypt {
            Some(kind) => hashed(prompt, kind, &answer)?,
            None => answer,
        };
        tracing::debug!(var = %prompt.name, "vars_prompt answered");
        if prompt.unsafe_text {
            layer.set(&prompt.name, minijinja::Value::from(value));
        } else {
            let node = Node {
                value: YamlValue::Str(value),
                span: prompt.span.clone(),
            };
            layer.extend(&Layer::from_nodes(&[(prompt.name.clone(), node)]));
        }
    }
    Ok(layer)
}

fn no_terminal(prompt: &VarPrompt, why: &str) -> InputError {
    InputError::from(Diagnostic::at(
        &prompt.span,
        format!(
            "vars_prompt '{}' cannot be asked ({why}); give it with -e {}=VALUE",
            prompt.name, prompt.name
        ),
    ))
}

fn answer(term: &mut Terminal, prompt: &VarPrompt) -> std::io::Result<String> {
    let question = match &prompt.default {
        Some(default) if !default.is_empty() => format!("{} [{default}]: ", prompt.prompt),
        _ => format!("{}: ", prompt.prompt),
    };
    loop {
        let mut first = term.ask(&question, prompt.private)?;
        if first.is_empty() {
            first = prompt.default.clone().unwrap_or_default();
        }
        if !prompt.confirm {
            return Ok(first);
        }
        let mut again = term.ask(&format!("confirm {question}"), prompt.private)?;
        if again.is_empty() {
            again = prompt.default.clone().unwrap_or_default();
        }
        if first == again {
            return Ok(first);
        }
        term.tell("***** VALUES ENTERED DO NOT MATCH ****\n")?;
    }
}

fn hashed(prompt: &VarPrompt, kind: &str, answer: &str) -> Result<String, InputError> {
    use crate::template::crypt;
    let salt = match &prompt.salt {
        Some(salt) => crypt::checked_salt(salt),
        None => Ok(crypt::random_salt(prompt.salt_size.unwrap_or(16))),
    };
    salt.and_then(|salt| crypt::hash(answer, kind, &salt, None))
        .map_err(|err| InputError::from(Diagnostic::at(&prompt.span, err.to_string())))
}
