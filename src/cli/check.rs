//! `ykotp check`: proves that a backup secret matches what is on the key, by comparing
//! the key's current code with the software engine's, printing neither.

use super::code::{calculate_with_prompt, now, pick};
use super::config::Config;
use super::device;
use super::prompt::Touching;
use super::report::{CliError, Exit};
use super::{enrol, output, secret, Global};
use crate::oath::{CredentialData, OathType};
use crate::otp::decode_secret;
use std::path::PathBuf;

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The account (as for `code`; a config [account.NAME] maps it and gives fallback_cmd)
    #[arg(add = clap_complete::engine::ArgValueCompleter::new(super::complete::accounts))]
    name: String,
    /// `-` reads the backup secret from stdin
    secret: Option<String>,
    /// Take the backup secret from this command (default: the account's fallback_cmd)
    #[arg(long, value_name = "CMD", conflicts_with_all = ["secret", "secret_file"])]
    secret_cmd: Option<String>,
    /// Take the backup secret from the first line of this file, or from a PSKC backup (put --backup-file)
    #[arg(long, value_name = "FILE", conflicts_with = "secret")]
    secret_file: Option<PathBuf>,
    /// The passphrase of a PSKC backup given with --secret-file, from this command's first line
    #[arg(long, value_name = "CMD")]
    passphrase_cmd: Option<String>,
    /// HOTP: how many counter values to search, from --counter on (at most 1000)
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=super::calc::MAX_WINDOW))]
    window: u64,
    /// HOTP: the first counter value to search
    #[arg(short, long, default_value_t = 0)]
    counter: u64,
}

/// Runs `check`.
pub fn run(g: &Global, a: &CheckArgs) -> Result<(), CliError> {
    let config = Config::load(g.config.as_deref())?;
    let account = config.account(&a.name).cloned().unwrap_or_default();
    let query = account.name.clone().unwrap_or_else(|| a.name.clone());
    let command =
        a.secret_cmd.as_deref().or(if a.secret.is_none() && a.secret_file.is_none() { account.fallback_cmd.as_deref() } else { None });
    if command.is_none() && a.secret.is_none() && a.secret_file.is_none() {
        return Err(CliError::new(Exit::Usage, format!("no backup secret to check for \"{}\"", a.name))
            .hint("give one with --secret-cmd 'pass show …', --secret-file FILE or `-` (stdin), or set fallback_cmd in the config"));
    }
    let Some(last_counter) = a.counter.checked_add(a.window) else {
        return Err(CliError::new(Exit::Usage, format!("--counter {} with --window {} passes the largest counter", a.counter, a.window)));
    };
    let text = match enrol::backup_in_file(a.secret_file.as_deref(), &query, a.passphrase_cmd.as_deref())? {
        Some(uri) => uri,
        None => secret::Source { positional: a.secret.as_deref(), command, file: a.secret_file.as_deref(), ..Default::default() }.read()?,
    };
    let notify = super::notify::wanted(config.touch.notify)?;
    let t = now();
    let keys = device::keys(g)?;
    let found = keys.find(
        &query,
        true,
        t,
        |s| device::unlock(g, s),
        |key, s, entries| {
            let entry = pick(&entries, &query, true)?;
            let cred = &entry.credential;
            let algorithm =
                s.list()?.into_iter().find(|c| c.id == cred.id).and_then(|c| c.algorithm).unwrap_or(crate::otp::Algorithm::Sha1);
            let backup_type = backup(&text, cred.oath_type, algorithm, 6, cred.period)?.oath_type;
            if backup_type != cred.oath_type {
                return Ok((
                    cred.id_str(),
                    Verdict::Differs(format!("the backup is {backup_type} but the key's account is {}", cred.oath_type)),
                ));
            }
            let key_code = match &entry.code {
                Some(c) => c.clone(),
                None => {
                    let touching = Touching { account: cred.id_str(), key: device::key_name(key), notify };
                    calculate_with_prompt(s, cred, t, &touching)?
                }
            };
            // a card without CALCULATE ALL says the digits only through the code itself
            let digits = if entry.digits == 0 { key_code.value.len() as u8 } else { entry.digits };
            let backup = backup(&text, cred.oath_type, algorithm, digits, cred.period)?;
            let verdict = match cred.oath_type {
                OathType::Totp if backup.soft_code(t, 0, 0) == key_code.value => Verdict::Same(None),
                OathType::Totp => Verdict::Differs(describe(&backup, algorithm, digits, cred.period)),
                OathType::Hotp => {
                    output::status("checking a HOTP account used up one of its codes");
                    match (a.counter..=last_counter).find(|c| backup.soft_code(0, 0, *c) == key_code.value) {
                        Some(c) => Verdict::Same(Some(c)),
                        None => Verdict::Differs(format!("no counter from {} to {last_counter} gives the key's code", a.counter)),
                    }
                }
            };
            Ok((cred.id_str(), verdict))
        },
    )?;
    if found.holders.is_empty() {
        return Err(CliError::no_account(&query, found.searched));
    }
    // A backup kept on several keys (put --all-keys) is checked on each: it matches only
    // if it matches everywhere, and a key where it does not is named.
    let several = found.holders.len() > 1;
    let id = found.holders[0].1 .0.clone();
    let (mut counters, mut differs) = (Vec::new(), Vec::new());
    for (key, (_, verdict)) in &found.holders {
        match verdict {
            Verdict::Same(counter) => counters.push(*counter),
            Verdict::Differs(why) => differs.push((key, why.clone())),
        }
    }
    if !differs.is_empty() {
        if !several {
            let why = differs.remove(0).1;
            return Err(CliError::new(Exit::Mismatch, format!("the backup does not match \"{id}\" on the key")).hint(why));
        }
        let n = found.holders.len();
        let message = format!("the backup does not match \"{id}\" on {} of the {n} keys holding it", differs.len());
        let keys_differing: Vec<&device::KeyCtx> = differs.iter().map(|(k, _)| *k).collect();
        let whys = differs.iter().map(|(_, why)| why.clone()).collect::<Vec<_>>();
        let mut e = CliError::on_keys(Exit::Mismatch, message, &device::describe(&keys, &keys_differing));
        for why in whys {
            e = e.hint(why);
        }
        return Err(e);
    }
    let counter = counters.first().copied().flatten();
    if g.json {
        let mut v = serde_json::json!({ "id": id, "match": true, "counter": counter });
        if several {
            v["keys"] = serde_json::json!(found.holders.len());
        }
        return output::json(&v);
    }
    let on = if several { format!("on each of the {} keys holding it", found.holders.len()) } else { "on the key".to_owned() };
    let at = match counter {
        Some(c) if !several => format!(" (at counter {c}; the key's counter is now {})", c + 1),
        _ => String::new(),
    };
    output::status(&format!("the backup matches \"{id}\" {on}{at}"));
    Ok(())
}

enum Verdict {
    Same(Option<u64>),
    Differs(String),
}

/// The backup as a credential: a URI says everything; a bare secret takes the key's parameters.
fn backup(text: &str, oath_type: OathType, algorithm: crate::otp::Algorithm, digits: u8, period: u32) -> Result<CredentialData, CliError> {
    let bad = |e: &dyn std::fmt::Display| CliError::new(Exit::Usage, format!("the backup secret is not usable: {e}"));
    if text.starts_with("otpauth://") {
        return CredentialData::from_uri(text).map_err(|e| bad(&e));
    }
    let mut d = CredentialData::totp("backup", decode_secret(text).map_err(|e| bad(&e))?);
    d.oath_type = oath_type;
    d.algorithm = algorithm;
    d.digits = digits;
    d.period = period.max(1);
    Ok(d)
}

fn describe(backup: &CredentialData, algorithm: crate::otp::Algorithm, digits: u8, period: u32) -> String {
    let mut diffs = Vec::new();
    if backup.algorithm != algorithm {
        diffs.push(format!("the backup uses {} but the key {algorithm}", backup.algorithm));
    }
    if backup.digits != digits {
        diffs.push(format!("the backup has {} digits but the key {digits}", backup.digits));
    }
    if backup.period != period {
        diffs.push(format!("the backup's period is {}s but the key's {period}s", backup.period));
    }
    if diffs.is_empty() {
        "the secrets differ: this backup is not the secret stored on the key".to_owned()
    } else {
        diffs.join("; ")
    }
}
