//! `ykotp delete`, `rename` and `reset`: they ask first on a terminal, and need --force
//! without one.

use super::code::pick;
use super::device::{self, Needs};
use super::report::{CliError, Exit};
use super::{keystore, output, prompt, Global};
use crate::oath::credential::{format_id, MAX_ID_LEN};

/// Arguments of `delete`.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// The account: its exact id, or a case-insensitive part of it
    #[arg(add = clap_complete::engine::ArgValueCompleter::new(super::complete::accounts))]
    query: String,
    /// Delete without asking
    #[arg(short, long)]
    force: bool,
}

/// Arguments of `rename`.
#[derive(Debug, clap::Args)]
pub struct RenameArgs {
    /// The account: its exact id, or a case-insensitive part of it
    #[arg(add = clap_complete::engine::ArgValueCompleter::new(super::complete::accounts))]
    query: String,
    /// The new name, as NAME or ISSUER:NAME (a period prefix is kept)
    new_name: String,
    /// Rename without asking
    #[arg(short, long)]
    force: bool,
}

/// Arguments of `reset`.
#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// Reset without asking
    #[arg(short, long)]
    force: bool,
}

/// Runs `delete`.
pub fn delete(g: &Global, a: &DeleteArgs) -> Result<(), CliError> {
    let id = device::with_key(g, Needs::default(), |_, s| {
        device::unlock(g, s)?;
        let creds = s.list()?;
        let c = pick(&creds, &a.query, true)?;
        let id = c.id_str();
        prompt::confirm_or_force(&format!("Delete account \"{id}\"?"), a.force, &format!("refused to delete \"{id}\""))?;
        s.delete(&c.id)?;
        Ok(id)
    })?;
    if g.json {
        return output::json(&serde_json::json!({ "deleted": id }));
    }
    output::status(&format!("deleted \"{id}\""));
    Ok(())
}

/// Runs `rename`.
pub fn rename(g: &Global, a: &RenameArgs) -> Result<(), CliError> {
    let (old, new) = device::with_key(g, Needs::default(), |_, s| {
        let v = s.version();
        if !s.can_rename() {
            return Err(CliError::new(Exit::Unsupported, format!("renaming needs firmware 5.3.1 or later; this key has {v}"))
                .hint("delete the account and put it again under the new name"));
        }
        device::unlock(g, s)?;
        let creds = s.list()?;
        let c = pick(&creds, &a.query, true)?;
        let (issuer, name) = match a.new_name.split_once(':') {
            Some((i, n)) if !i.is_empty() => (Some(i), n),
            _ => (None, a.new_name.as_str()),
        };
        if name.is_empty() {
            return Err(CliError::new(Exit::Usage, "the new name is empty"));
        }
        let new = format_id(issuer, name, c.oath_type, c.period);
        if new.len() > MAX_ID_LEN {
            return Err(CliError::new(
                Exit::Usage,
                format!("the new id \"{new}\" is {} bytes; the key stores at most {MAX_ID_LEN}", new.len()),
            ));
        }
        let old = c.id_str();
        if creds.iter().any(|o| o.id == new.as_bytes()) {
            return Err(CliError::new(Exit::Refused, format!("an account called \"{new}\" already exists"))
                .hint("delete it first, or choose another name"));
        }
        prompt::confirm_or_force(&format!("Rename \"{old}\" to \"{new}\"?"), a.force, &format!("refused to rename \"{old}\""))?;
        s.rename(&c.id, new.as_bytes())?;
        Ok((old, new))
    })?;
    if g.json {
        return output::json(&serde_json::json!({ "renamed": old, "to": new }));
    }
    output::status(&format!("renamed \"{old}\" to \"{new}\""));
    Ok(())
}

/// Runs `reset`.
pub fn reset(g: &Global, a: &ResetArgs) -> Result<(), CliError> {
    let old_id = device::with_key(g, Needs::default(), |_, s| {
        prompt::confirm_or_force("Delete every OATH account and the password of this key?", a.force, "refused to reset the key")?;
        let old_id = s.device_id();
        s.reset()?;
        Ok(old_id)
    })?;
    // the salt (and so the device id) changed: a remembered key for the old id is useless
    keystore::remove(&old_id)?;
    if g.json {
        return output::json(&serde_json::json!({ "reset": true }));
    }
    output::status("reset the OATH applet: every account and the password are gone");
    Ok(())
}
