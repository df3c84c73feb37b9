//! Talking to the person: prompts and notices go to the controlling terminal
//! (`/dev/tty`), never to stdout, so they survive `$(…)`, `mfa_process` and
//! `credential_process`; without a terminal nothing ever waits for an answer.

use super::report::{CliError, Exit};
use std::io::{BufRead, BufReader, Write};
use zeroize::Zeroizing;

fn tty() -> Option<std::fs::File> {
    // A test (or a user) can insist that there is no terminal.
    if std::env::var_os("YKOTP_NO_TTY").is_some() {
        return None;
    }
    std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").ok()
}

/// Whether a person can answer prompts.
pub fn interactive() -> bool {
    tty().is_some()
}

/// A message for the person: the terminal if there is one, else stderr.
pub fn notice(message: &str) {
    match tty() {
        Some(mut t) => {
            let _ = writeln!(t, "{message}");
        }
        None => {
            let _ = writeln!(std::io::stderr(), "{message}");
        }
    }
}

/// Asks a yes/no question on the terminal; `None` when there is no terminal.
pub fn confirm(question: &str) -> Option<bool> {
    let mut t = tty()?;
    let _ = write!(t, "{question} [y/N] ");
    let mut answer = String::new();
    BufReader::new(t).read_line(&mut answer).ok()?;
    Some(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// Refuses, or asks; `Ok(())` means go ahead.
pub fn confirm_or_force(question: &str, force: bool, refused: &str) -> Result<(), CliError> {
    if force {
        return Ok(());
    }
    match confirm(question) {
        Some(true) => Ok(()),
        Some(false) => Err(CliError::new(Exit::Refused, format!("{refused}: not confirmed"))),
        None => Err(CliError::new(Exit::Refused, format!("{refused} without --force"))
            .hint("there is no terminal to ask on; add --force (-f) to do it anyway")),
    }
}

/// Reads a password without echo from the terminal.
pub fn password(prompt: &str) -> Result<Zeroizing<String>, CliError> {
    if tty().is_none() {
        return Err(CliError::new(Exit::Password, "a password is needed and there is no terminal to ask on"));
    }
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| CliError::new(Exit::Password, format!("cannot read the password: {e}")))
}

/// Writes text for the person's eyes only: to the terminal, never to stdout or stderr.
pub fn to_terminal(text: &str) -> std::io::Result<()> {
    let mut t = tty().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "there is no terminal"))?;
    writeln!(t, "{text}")
}
