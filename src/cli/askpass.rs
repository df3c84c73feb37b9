//! `ykotp askpass PROMPT`: the askpass convention of `SSH_ASKPASS`, `SUDO_ASKPASS` and
//! `GIT_ASKPASS` (the prompt is the first argument, the answer goes to stdout with a
//! newline, a non-zero exit means no answer), answered by the `[[askpass.rule]]`s of the
//! config file. A code is produced by `code` itself (`code::run` with `--fresh`), so the
//! touch prompt, the software fallback, `--fresh`'s bookkeeping and whatever `code` learns
//! later hold here too. Prompts no rule matches, and confirmations, are never answered
//! here: they go to the configured fallback or fail.

pub mod rules;

use super::code::{self, CodeArgs};
use super::config::{Answer, AskpassRule, Config};
use super::output;
use super::prompt;
use super::report::{CliError, Exit};
use super::{secret, Global};
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

/// Arguments of `askpass`.
#[derive(Debug, clap::Args)]
pub struct AskpassArgs {
    /// The prompt, as ssh, sudo or another program passes it
    #[arg(allow_hyphen_values = true)]
    prompt: String,
}

/// Set for a fallback askpass, so that `ykotp askpass` configured as its own fallback
/// fails instead of calling itself forever.
const PASSED_ON: &str = "YKOTP_ASKPASS_PASSED_ON";

/// The name under which ykotp is `ykotp askpass`: `SSH_ASKPASS` and `SUDO_ASKPASS` name
/// a program and take no arguments, so a symlink by this name is what they point to.
pub const PROGRAM: &str = "ykotp-askpass";

/// The command line as clap should see it: run as `ykotp-askpass PROMPT`, it is
/// `ykotp askpass -- PROMPT` (a prompt that starts with `-` stays a prompt).
pub fn args(mut args: Vec<OsString>) -> Vec<OsString> {
    if args.first().and_then(|a| Path::new(a).file_name()) == Some(OsStr::new(PROGRAM)) {
        args.splice(1..1, [OsString::from("askpass"), OsString::from("--")]);
    }
    args
}

/// Runs `askpass`.
pub fn run(g: &Global, a: &AskpassArgs) -> Result<(), CliError> {
    let config = Config::load(g.config.as_deref())?;
    let hint = std::env::var("SSH_ASKPASS_PROMPT").ok();
    if let Some(why) = rules::refusal(&a.prompt, hint.as_deref()) {
        return pass_on(&config, &a.prompt, Some(why));
    }
    let asked = rules::parse(&a.prompt);
    let matchers: Vec<rules::Matcher> = config.askpass.rule.iter().filter_map(|r| r.matcher.clone()).collect();
    match rules::first_match(&matchers, &asked) {
        Some(i) => answer(g, &config, &config.askpass.rule[i]),
        None => pass_on(&config, &a.prompt, None),
    }
}

fn answer(g: &Global, config: &Config, rule: &AskpassRule) -> Result<(), CliError> {
    let account = rule.account.get_ref();
    if rule.answer == Answer::Password {
        // checked when the config was read; kept as an error rather than a panic
        let cmd = config.account(account).and_then(|a| a.prepend_cmd.as_deref()).ok_or_else(|| {
            CliError::new(Exit::Usage, format!("the askpass rule for \"{account}\" answers the password, and it has no prepend_cmd"))
        })?;
        let text = secret::run_command(cmd, "prepend")?;
        return output::line(secret::first_line(&text));
    }
    // the answer goes to a program reading one line: never JSON
    let g = Global { json: false, ..g.clone() };
    let args = CodeArgs::for_login(account, rule.min_valid, rule.answer == Answer::PasswordCode);
    code::run(&g, &args)
}

/// Hands a prompt to the configured fallback, or fails: never a guess.
fn pass_on(config: &Config, text: &str, why: Option<rules::Refusal>) -> Result<(), CliError> {
    let shown = text.escape_debug().to_string();
    let file = config.path.as_ref().map_or("the config file".to_owned(), |p| p.display().to_string());
    let unanswered = || match why {
        Some(rules::Refusal::Confirmation) => CliError::new(Exit::NoMatch, format!("not answering a confirmation: \"{shown}\""))
            .hint("ykotp never answers yes/no questions such as host-key confirmations; answer it in a terminal")
            .hint(format!("or set fallback = \"ssh-askpass\" under [askpass] in {file} to ask a person")),
        Some(rules::Refusal::Notification) => CliError::new(Exit::NoMatch, format!("not showing a notice: \"{shown}\""))
            .hint(format!("set fallback = \"ssh-askpass\" under [askpass] in {file} to show it")),
        None => CliError::new(Exit::NoMatch, format!("no askpass rule matches the prompt \"{shown}\"; not answering"))
            .hint(format!("add an [[askpass.rule]] for it to {file} (see CONFIGURATION in `man ykotp`)"))
            .hint("or set fallback = \"ssh-askpass\" (or \"terminal\") under [askpass] to ask a person"),
    };
    let Some(fallback) = config.askpass.fallback.as_deref() else {
        return Err(unanswered());
    };
    if fallback == "terminal" {
        if !prompt::interactive() {
            return Err(unanswered().hint("fallback = \"terminal\", and there is no terminal to ask on"));
        }
        let answer = prompt::password(text)?;
        return output::line(&answer);
    }
    if std::env::var_os(PASSED_ON).is_some() {
        return Err(CliError::new(Exit::Usage, format!("the askpass fallback \"{fallback}\" calls ykotp askpass again"))
            .hint(format!("set fallback under [askpass] in {file} to another program, such as ssh-askpass")));
    }
    // the fallback writes its answer straight to our stdout, and reads our stdin
    let status = Command::new(fallback)
        .arg(text)
        .env(PASSED_ON, "1")
        .status()
        .map_err(|e| CliError::new(Exit::Other, format!("cannot run the askpass fallback \"{fallback}\": {e}")))?;
    if status.success() {
        Ok(())
    } else {
        let code = status.code().map_or("a signal".to_owned(), |c| format!("status {c}"));
        Err(CliError::new(Exit::Other, format!("the askpass fallback \"{fallback}\" gave no answer ({code})")))
    }
}
