//! Shell completion: `ykotp completions SHELL` prints a script that calls ykotp back
//! (clap_complete's dynamic completion, with `YKOTP_COMPLETE=SHELL`), so account names
//! come from the attached key. Completing is silent: no prompt, no error message, no
//! touch; a locked key completes only with a remembered password.

use super::device::{self, Needs};
use super::{keystore, Global};
use clap_complete::engine::CompletionCandidate;
use std::ffi::OsStr;

/// The variable the completion scripts set when they call ykotp back.
pub const VAR: &str = "YKOTP_COMPLETE";

/// Answers a completion request and exits, when the shell's script made this call.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(<super::Cli as clap::CommandFactory>::command).var(VAR).complete();
}

/// Prints the completion script of `shell`.
pub fn script(shell: clap_complete::Shell) -> Result<(), super::CliError> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells.completer(&name).ok_or_else(|| super::CliError::new(super::Exit::Usage, format!("no completion for {name}")))?;
    let mut out = Vec::new();
    completer
        .write_registration(VAR, "ykotp", "ykotp", "ykotp", &mut out)
        .map_err(|e| super::CliError::new(super::Exit::Other, e.to_string()))?;
    super::output::line(String::from_utf8_lossy(&out).trim_end())
}

/// The accounts of the key $YKOTP_READER/$YKOTP_DEVICE choose (or the only key) whose
/// id starts with what is typed; else those that contain it, as `code` would match.
pub fn accounts(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy().to_lowercase();
    let g = Global {
        reader: std::env::var("YKOTP_READER").ok(),
        device: std::env::var("YKOTP_DEVICE").ok(),
        json: false,
        trace: false,
        config: None,
        password_cmd: None,
    };
    let ids: Vec<String> = device::with_key(&g, Needs::default(), |_, s| {
        if s.is_locked() {
            let Some(key) = keystore::get(&s.device_id())? else { return Ok(Vec::new()) };
            s.unlock(&key, &device::host_challenge())?;
        }
        Ok(s.list()?.into_iter().filter(|c| !c.is_hidden()).map(|c| c.id_str()).collect())
    })
    .unwrap_or_default();
    let starts: Vec<&String> = ids.iter().filter(|id| id.to_lowercase().starts_with(&typed)).collect();
    let chosen = if starts.is_empty() { ids.iter().filter(|id| id.to_lowercase().contains(&typed)).collect() } else { starts };
    chosen.into_iter().map(|id| CompletionCandidate::new(id.as_str())).collect()
}
