//! The CLI's side of choosing keys: `--reader`/`--device` and the environment become a
//! [`discovery::Keys`]; unlocking (password command, remembered key, prompt) is CLI
//! policy and lives here. Finding and opening keys is the library's ([`crate::discovery`]).

use super::report::{CliError, Exit};
use super::{keystore, prompt, secret, Global};
use crate::discovery::{self, Keys, Options, Selection};
use crate::oath::{Error as OathError, Session};
use crate::virtual_key::TouchPolicy;

pub use crate::discovery::{KeyRef as KeyCtx, Link, Needs};

/// The keys `--reader`/`--device` allow.
pub fn keys(g: &Global) -> Result<Keys, CliError> {
    let selection = Selection::parse(g.reader.as_deref(), g.device.as_deref());
    let touch = match selection.virtual_path() {
        Some(path) if path.as_os_str().is_empty() => {
            return Err(CliError::new(Exit::Usage, "--reader virtual: needs the path of a state file")
                .hint("for example --reader virtual:$HOME/ykotp-test-key.json (created on first use)"));
        }
        Some(path) => {
            // the state file holds secrets: refuse one in a directory others can write
            crate::private_file::check_file_and_dir(path, crate::private_file::Kind::ParentDir)?;
            virtual_touch()?
        }
        None => None,
    };
    Ok(Keys::new(selection, Options { trace: g.trace, virtual_touch: touch })?)
}

/// The touch policy `YKOTP_VIRTUAL_TOUCH` sets for in-process virtual keys.
fn virtual_touch() -> Result<Option<TouchPolicy>, CliError> {
    match std::env::var("YKOTP_VIRTUAL_TOUCH") {
        Ok(v) => v.parse().map(Some).map_err(|e: String| CliError::new(Exit::Usage, format!("YKOTP_VIRTUAL_TOUCH: {e}"))),
        Err(_) => Ok(None),
    }
}

/// Opens the chosen key, selects OATH, and runs `f` within one transaction.
pub fn with_key<R>(
    g: &Global,
    needs: Needs,
    f: impl FnOnce(&KeyCtx, &mut Session<Link<'_>>) -> Result<R, CliError>,
) -> Result<R, CliError> {
    keys(g)?.with_one(needs, f)
}

/// Runs `f` on every key the selectors allow (all attached OATH keys without a
/// selector), one transaction each, in reader order, with serial numbers read.
pub fn each_key<R>(
    g: &Global,
    f: impl FnMut(&KeyCtx, &mut Session<Link<'_>>) -> Result<R, CliError>,
) -> Result<Vec<(KeyCtx, R)>, CliError> {
    keys(g)?.each(Needs { serial: true }, f)
}

/// 8 random bytes for VALIDATE and SET CODE.
pub fn host_challenge() -> [u8; 8] {
    let mut c = [0u8; 8];
    crate::virtual_key::card::fill_random(&mut c);
    c
}

/// Unlocks a locked key: --password-cmd, then the remembered key, then a prompt.
/// The prompt happens only when there is a terminal.
pub fn unlock(g: &Global, session: &mut Session<Link<'_>>) -> Result<(), CliError> {
    if !session.is_locked() {
        return Ok(());
    }
    if session.info().has_pin() {
        return unlock_pin(g, session);
    }
    let device_id = session.device_id();
    if let Some(cmd) = &g.password_cmd {
        let password = secret::run_command(cmd, "--password-cmd")?;
        let key = session.derive_key(secret::first_line(&password));
        return session.unlock(&key, &host_challenge()).map_err(|e| match e {
            OathError::WrongPassword => CliError::new(Exit::Password, "wrong password (from --password-cmd)"),
            other => other.into(),
        });
    }
    if let Some(key) = keystore::get(&device_id)? {
        match session.unlock(&key, &host_challenge()) {
            Ok(()) => return Ok(()),
            // a stale remembered key (the password changed elsewhere): drop it, then ask
            Err(OathError::WrongPassword) => {
                keystore::remove(&device_id)?;
                prompt::notice("ykotp: the remembered password no longer works; forgot it");
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !prompt::interactive() {
        return Err(OathError::Locked.into());
    }
    for attempt in 1..=3 {
        let password = prompt::password("Password for the key: ")?;
        let key = session.derive_key(&password);
        match session.unlock(&key, &host_challenge()) {
            Ok(()) => return Ok(()),
            Err(OathError::WrongPassword) if attempt < 3 => prompt::notice("ykotp: wrong password, try again"),
            Err(e) => return Err(e.into()),
        }
    }
    Err(OathError::WrongPassword.into())
}

/// Gives a Nitrokey 3 its PIN, from the same places as a YubiKey's password:
/// --password-cmd, then the remembered PIN, then one prompt (the key counts wrong PINs).
fn unlock_pin(g: &Global, session: &mut Session<Link<'_>>) -> Result<(), CliError> {
    if session.info().pin_attempts == Some(0) {
        return Err(CliError::new(Exit::Password, "the key's PIN is blocked: no attempts left")
            .hint("only `ykotp reset` unblocks it, and it deletes every account"));
    }
    let wrong = |from: &str| {
        CliError::new(Exit::Password, format!("wrong PIN{from}"))
            .hint("the key allows 8 wrong PINs in a row; `ykotp info` shows how many are left")
    };
    let device_id = session.device_id();
    if let Some(cmd) = &g.password_cmd {
        let text = secret::run_command(cmd, "--password-cmd")?;
        return session.unlock_pin(secret::first_line(&text).as_bytes()).map_err(|e| match e {
            OathError::WrongPassword => wrong(" (from --password-cmd)"),
            other => other.into(),
        });
    }
    if let Some(pin) = keystore::get_pin(&device_id)? {
        match session.unlock_pin(&pin) {
            Ok(()) => return Ok(()),
            Err(OathError::WrongPassword) => {
                keystore::remove(&device_id)?;
                prompt::notice("ykotp: the remembered PIN no longer works; forgot it");
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !prompt::interactive() {
        return Err(CliError::new(Exit::Password, "the key is protected by a PIN")
            .hint("give it with --password-cmd CMD, or remember it with `ykotp password remember`"));
    }
    let pin = prompt::password("PIN for the key (then touch it): ")?;
    session.unlock_pin(pin.as_bytes()).map_err(|e| match e {
        OathError::WrongPassword => wrong(""),
        other => other.into(),
    })
}

/// A key's label in a KEY column: its serial, else its reader.
pub fn key_label(key: &KeyCtx) -> String {
    key.serial.map_or_else(|| key.reader.clone(), |s| s.to_string())
}

/// A key as a sentence names it: "key 12345678", or "the key in "READER"".
pub fn key_name(key: &KeyCtx) -> String {
    match key.serial {
        Some(serial) => format!("key {serial}"),
        None => format!("the key in \"{}\"", key.reader),
    }
}

/// What `list` says of each of `holders`, for naming them in an error (a probe each:
/// only on the way to an error); `Err(reader)` where the key could not be probed.
pub fn describe(keys: &Keys, holders: &[&KeyCtx]) -> Vec<Result<discovery::KeyInfo, String>> {
    let slots = keys.list().unwrap_or_default();
    holders
        .iter()
        .map(|h| {
            slots
                .iter()
                .find_map(|s| match &s.state {
                    discovery::SlotState::Key(k) if k.reader == h.reader => Some(k.clone()),
                    _ => None,
                })
                .ok_or_else(|| h.reader.clone())
        })
        .collect()
}
