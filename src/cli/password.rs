//! `ykotp password set|change|clear|remember|forget`. New passwords come from a no-echo
//! prompt (typed twice) or stdin, never from argv; only the derived key is remembered.

use super::device::{self, Needs};
use super::report::{CliError, Exit};
use super::{keystore, output, prompt, secret, Global};
use zeroize::Zeroizing;

/// The password subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PasswordCommand {
    /// Set a password (or change it: the current one unlocks first)
    Set(SetArgs),
    /// Change the password (same as set)
    Change(SetArgs),
    /// Remove the password
    Clear,
    /// Remember this key's password on this computer (only the derived key is stored)
    Remember,
    /// Forget the remembered password of this key, or of every key
    Forget {
        /// Forget every remembered password
        #[arg(long)]
        all: bool,
    },
}

/// Arguments of `password set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// Read the new password from the first line of stdin
    #[arg(long)]
    new_password_stdin: bool,
    /// Also remember the new password on this computer
    #[arg(long)]
    remember: bool,
}

/// Runs a password subcommand.
pub fn run(g: &Global, c: PasswordCommand) -> Result<(), CliError> {
    match c {
        PasswordCommand::Set(a) | PasswordCommand::Change(a) => set(g, &a),
        PasswordCommand::Clear => clear(g),
        PasswordCommand::Remember => remember(g),
        PasswordCommand::Forget { all } => forget(g, all),
    }
}

fn new_password(a: &SetArgs) -> Result<Zeroizing<String>, CliError> {
    let password = if a.new_password_stdin {
        let text = secret::read_stdin("new password")?;
        Zeroizing::new(secret::first_line(&text).to_owned())
    } else {
        if !prompt::interactive() {
            return Err(
                CliError::new(Exit::Usage, "no terminal to ask for the new password on").hint("pipe it in with --new-password-stdin")
            );
        }
        let first = prompt::password("New password: ")?;
        let again = prompt::password("Repeat the new password: ")?;
        if *first != *again {
            return Err(CliError::new(Exit::Usage, "the two passwords differ; nothing was changed"));
        }
        first
    };
    if password.is_empty() {
        return Err(CliError::new(Exit::Usage, "the new password is empty").hint("to remove the password, run `ykotp password clear`"));
    }
    Ok(password)
}

fn set(g: &Global, a: &SetArgs) -> Result<(), CliError> {
    // ask before opening the key, so no transaction waits for typing
    let password = new_password(a)?;
    device::with_key(g, Needs::default(), |_, s| {
        device::unlock(g, s)?;
        let id = s.device_id();
        let key = s.derive_key(&password);
        let had_remembered = keystore::get(&id)?.is_some();
        s.set_key(&key, &device::host_challenge())?;
        // some cards answer 9000 and store nothing: the new password must unlock a fresh
        // selection before anything is remembered
        s.reselect()?;
        let stored = s.is_locked() && s.unlock(&key, &device::host_challenge()).is_ok();
        if !stored {
            let why = if s.is_locked() { "it does not accept the new one" } else { "SELECT shows no password" };
            return Err(not_stored("store the password", why));
        }
        if a.remember || had_remembered {
            keystore::set(&id, &key)?;
        }
        Ok(())
    })?;
    output::status(if a.remember { "password set and remembered" } else { "password set" });
    Ok(())
}

/// SET CODE answered success, but a fresh SELECT says otherwise.
fn not_stored(what: &str, why: &str) -> CliError {
    CliError::new(Exit::Unsupported, format!("the key did not {what}: it answered SET CODE with success, but {why}"))
        .hint("nothing was remembered on this computer; the key's password is as it was before")
}

fn clear(g: &Global) -> Result<(), CliError> {
    let had = device::with_key(g, Needs::default(), |_, s| {
        if !s.is_locked() {
            return Ok(false);
        }
        device::unlock(g, s)?;
        s.clear_key()?;
        if s.reselect()?.has_password() {
            return Err(not_stored("remove the password", "SELECT still shows one"));
        }
        keystore::remove(&s.device_id())?;
        Ok(true)
    })?;
    output::status(if had { "password removed" } else { "this key has no password; nothing to do" });
    Ok(())
}

fn remember(g: &Global) -> Result<(), CliError> {
    let done = device::with_key(g, Needs::default(), |_, s| {
        if !s.is_locked() {
            return Ok(false);
        }
        let password = match &g.password_cmd {
            Some(cmd) => {
                let text = secret::run_command(cmd, "--password-cmd")?;
                Zeroizing::new(secret::first_line(&text).to_owned())
            }
            None => prompt::password("Password for the key: ")?,
        };
        let key = s.derive_key(&password);
        s.unlock(&key, &device::host_challenge())?;
        keystore::set(&s.device_id(), &key)?;
        Ok(true)
    })?;
    output::status(if done { "password remembered" } else { "this key has no password; nothing to remember" });
    Ok(())
}

fn forget(g: &Global, all: bool) -> Result<(), CliError> {
    if all {
        let n = keystore::clear()?;
        output::status(&format!("forgot {n} remembered password(s)"));
        return Ok(());
    }
    let had = device::with_key(g, Needs::default(), |_, s| keystore::remove(&s.device_id()))?;
    output::status(if had { "password forgotten" } else { "no password was remembered for this key" });
    Ok(())
}
