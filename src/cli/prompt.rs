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

/// The terminal, when a person is watching: stderr is one too, so a script that sends
/// stderr elsewhere (or runs with no terminal) sees nothing of what is written here.
pub fn watching() -> Option<std::fs::File> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    tty()
}

/// Something only a person watching needs (seconds left, a countdown): nothing otherwise.
pub fn info(message: &str) {
    if let Some(mut t) = watching() {
        let _ = writeln!(t, "{message}");
    }
}

/// A message for the person: the terminal if there is one, else stderr.
pub fn notice(message: &str) {
    let message = super::output::escape(message);
    match tty() {
        Some(mut t) => {
            let _ = writeln!(t, "{message}");
        }
        None => {
            let _ = writeln!(std::io::stderr(), "{message}");
        }
    }
}

/// How long a YubiKey waits for a touch before it refuses (its firmware's fixed 15 s;
/// the key does not report it).
pub const TOUCH_WAIT_SECS: u64 = 15;

/// What a touch is for, for the notification sent when no terminal is attached.
#[derive(Debug, Clone)]
pub struct Touching {
    /// The account's id.
    pub account: String,
    /// Which key: "key 12345678", or "the key in \"READER\"".
    pub key: String,
    /// Whether a desktop notification is wanted (`YKOTP_NOTIFY`, `[touch] notify`).
    pub notify: bool,
}

/// "Touch your YubiKey", shown while the key waits and erased from the terminal when
/// this is dropped (touched, refused or timed out: what follows says which). Without a
/// terminal the line goes to stderr and stays, and a desktop notification, if wanted,
/// is shown until then.
pub struct TouchPrompt {
    tty: Option<std::fs::File>,
    notification: Option<super::notify::Shown>,
}

/// Shows the touch prompt.
pub fn touch(touching: &Touching) -> TouchPrompt {
    let text = format!("Touch your YubiKey (it waits {TOUCH_WAIT_SECS} s)...");
    match tty() {
        Some(mut t) => {
            let _ = write!(t, "{text}");
            let _ = t.flush();
            TouchPrompt { tty: Some(t), notification: None }
        }
        None => {
            let _ = writeln!(std::io::stderr(), "{text}");
            TouchPrompt { tty: None, notification: touching.notify.then(|| super::notify::show(touching)) }
        }
    }
}

impl Drop for TouchPrompt {
    fn drop(&mut self) {
        if let Some(t) = self.tty.as_mut() {
            let _ = write!(t, "\r\x1b[2K");
            let _ = t.flush();
        }
        // closes the notification, waiting a bounded time
        drop(self.notification.take());
    }
}

/// Asks a yes/no question on the terminal; `None` when there is no terminal.
pub fn confirm(question: &str) -> Option<bool> {
    let mut t = tty()?;
    let _ = write!(t, "{} [y/N] ", super::output::escape(question));
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
    rpassword::prompt_password(super::output::escape(prompt))
        .map(Zeroizing::new)
        .map_err(|e| CliError::new(Exit::Password, format!("cannot read the password: {e}")))
}

/// Writes text for the person's eyes only: to the terminal, never to stdout or stderr.
pub fn to_terminal(text: &str) -> std::io::Result<()> {
    let mut t = tty().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "there is no terminal"))?;
    writeln!(t, "{text}")
}
