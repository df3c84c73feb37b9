//! `ykotp put`: adds an account. Everything is checked before anything is sent, and an
//! existing account is never overwritten without --force or a yes.

use super::device::{self, Link, Needs};
use super::list::key_label;
use super::report::{CliError, Exit};
use super::{enrol, output, prompt, secret, Global};
use crate::oath::credential::{split_period, NameSources};
use crate::oath::proto::Version;
use crate::oath::{CredentialData, OathType, Session};

/// Arguments of `put`.
#[derive(Debug, clap::Args)]
pub struct PutArgs {
    /// Account name (the issuer can be given as ISSUER:NAME or with --issuer)
    #[arg(required_unless_present_any = ["uri", "uri_cmd"])]
    name: Option<String>,
    #[command(flatten)]
    source: secret::SecretArgs,
    /// Issuer
    #[arg(short, long)]
    issuer: Option<String>,
    #[command(flatten)]
    params: secret::ParamArgs,
    /// HOTP initial counter
    #[arg(short, long, default_value_t = 0)]
    counter: u32,
    /// Require a touch of the key for every code
    #[arg(short, long)]
    touch: bool,
    /// Overwrite an account of the same name without asking
    #[arg(short, long)]
    force: bool,
    /// Write the same secret to every attached key (checked on all before writing to any)
    #[arg(long)]
    all_keys: bool,
    /// Nitrokey 3: encrypt the account with the key's PIN, so its codes need the PIN
    #[arg(long, conflicts_with = "all_keys")]
    protect_with_pin: bool,
    #[command(flatten)]
    enrol: enrol::EnrolArgs,
}

/// The credential the arguments describe, named by the one naming rule
/// ([`crate::oath::credential::name_account`]).
fn credential(a: &PutArgs) -> Result<CredentialData, CliError> {
    // A TOTP NAME may carry its period as `list` shows it ("60/GitHub:alice"): the prefix
    // is the period, not part of the name (which would be stored as "60/60/GitHub:alice").
    let (named_period, bare) = match a.name.as_deref() {
        Some(n) => match split_period(n) {
            (Some(p), bare) => (Some(p), Some(bare)),
            (None, _) => (None, Some(n)),
        },
        None => (None, None),
    };
    let naming = NameSources { name: bare, issuer: a.issuer.as_deref(), ..NameSources::default() };
    let mut params = a.params.clone();
    if let (Some(named), Some(given)) = (named_period, params.period) {
        if named != given {
            return Err(CliError::new(Exit::Usage, format!("NAME says a {named} s period ({named}/) but --period says {given}"))
                .hint("give the period once: in NAME or with --period"));
        }
    }
    params.period = params.period.or(named_period);
    let (mut data, from_uri) = match a.enrol.generated(&params)? {
        Some(mut d) => {
            d.set_name(bare.unwrap_or(""), a.issuer.as_deref()).map_err(secret::naming_error)?;
            (d, false)
        }
        None => a.source.credential(&params, naming)?,
    };
    if let Some(named) = named_period {
        match data.oath_type {
            // HOTP ids have no period: the prefix was part of the name after all
            OathType::Hotp => data.set_name(a.name.as_deref().unwrap_or(""), a.issuer.as_deref()).map_err(secret::naming_error)?,
            OathType::Totp if from_uri && data.period != named => {
                return Err(CliError::new(
                    Exit::Usage,
                    format!("NAME says a {named} s period ({named}/) but the URI says {}", data.period),
                ));
            }
            OathType::Totp => data.period = named,
        }
    }
    if data.oath_type == OathType::Hotp && !from_uri {
        data.counter = a.counter;
    }
    data.touch |= a.touch;
    data.validate().map_err(secret::naming_error)?;
    Ok(data)
}

/// Runs `put`.
pub fn run(g: &Global, a: PutArgs) -> Result<(), CliError> {
    let data = credential(&a)?;
    let prepared = a.enrol.prepare()?;
    if a.all_keys {
        return put_everywhere(g, &a, &data, &prepared);
    }
    let id = data.id();
    let overwritten = device::with_key(g, Needs::default(), |_, s| {
        let exists = check_key(g, s, &data, a.force)?;
        let made = a.enrol.backup(&prepared, &data)?;
        if a.protect_with_pin {
            if !s.info().has_pin() {
                return Err(CliError::new(Exit::Unsupported, "--protect-with-pin needs a Nitrokey 3 with a PIN")
                    .hint("set the PIN with `ykotp password set`"));
            }
            s.put_pin_encrypted(&data).map_err(|e| made.tell(put_error(e, &id)))?;
        } else {
            s.put(&data).map_err(|e| made.tell(put_error(e, &id)))?;
        }
        Ok(exists)
    })?;
    a.enrol.show(&data)?;
    if g.json {
        return output::json(&serde_json::json!({ "id": id, "overwritten": overwritten }));
    }
    output::status(&format!("{} \"{id}\"", if overwritten { "overwrote" } else { "added" }));
    Ok(())
}

/// PUT's refusal in words: a card that cannot overwrite (6983) left the old account as it was.
fn put_error(e: crate::oath::Error, id: &str) -> CliError {
    match e {
        crate::oath::Error::CannotOverwrite { sw } => CliError::new(
            Exit::Unsupported,
            format!("the key cannot overwrite \"{id}\" (PUT answered {sw}); the old account is still on the key, unchanged"),
        )
        .hint(format!("to replace it, run `ykotp delete {id}` and then this command again; keep the new secret at hand in between")),
        other => other.into(),
    }
}

/// Everything that must hold before PUT on this key; whether the account exists.
fn check_key(g: &Global, s: &mut Session<Link<'_>>, data: &CredentialData, force: bool) -> Result<bool, CliError> {
    device::unlock(g, s)?;
    let id = data.id();
    let existing = s.list()?;
    let exists = existing.iter().any(|c| c.id == id.as_bytes());
    let v = s.version();
    if exists && !force {
        match prompt::confirm(&format!("An account called \"{id}\" already exists on this key. Overwrite it?")) {
            Some(true) => {}
            Some(false) => return Err(CliError::new(Exit::Refused, format!("\"{id}\" was not overwritten"))),
            None => {
                return Err(CliError::new(Exit::Refused, format!("an account called \"{id}\" already exists"))
                    .hint("add --force (-f) to overwrite it, or choose another name"))
            }
        }
    }
    // no capacity check: only the card knows its room, and says so with 6A84
    crate::oath::session::check_firmware(v, data)?;
    // YubiKey 4 firmware 4.0.0 < v < 4.3.5 corrupts an account whose name is a prefix
    // of another's (ykman refuses the same case)
    if v > Version(4, 0, 0)
        && v < Version(4, 3, 5)
        && existing.iter().any(|c| c.id != id.as_bytes() && (c.id.starts_with(id.as_bytes()) || id.as_bytes().starts_with(&c.id)))
    {
        return Err(CliError::new(
            Exit::Unsupported,
            format!("firmware {v} cannot store \"{id}\" next to an account whose name starts the same way"),
        ));
    }
    Ok(exists)
}

/// The same secret on every attached key: all are checked before any is written, and
/// every key's problem is reported at once, so one round of fixes is enough.
fn put_everywhere(g: &Global, a: &PutArgs, data: &CredentialData, prepared: &enrol::Prepared) -> Result<(), CliError> {
    let id = data.id();
    let checks = device::each_key(g, |ctx, s| {
        Ok(check_key(g, s, data, a.force).map_err(|e| CliError { message: format!("key {}: {}", key_label(ctx), e.message), ..e }))
    })?;
    let total = checks.len();
    let (mut checked, mut refused) = (Vec::new(), Vec::new());
    for (ctx, result) in checks {
        match result {
            Ok(existed) => checked.push((ctx, existed)),
            Err(e) => refused.push(e),
        }
    }
    if let Some(mut last) = refused.pop() {
        for e in &refused {
            output::status(&format!("error: {}", e.message));
        }
        if refused.iter().any(|e| e.exit != last.exit) {
            last.exit = Exit::Other;
        }
        if total > 1 {
            last.hints.push(format!("nothing was written: {} of {total} keys cannot take \"{id}\"", refused.len() + 1));
        }
        return Err(last);
    }
    let expected: Vec<String> = checked.iter().map(|(ctx, _)| ctx.reader.clone()).collect();
    let made = a.enrol.backup(prepared, data)?;
    let written = device::each_key(g, |ctx, s| {
        if !expected.contains(&ctx.reader) {
            return Ok(Err("attached after the check; not written".to_owned()));
        }
        device::unlock(g, s)?;
        Ok(s.put(data).map_err(|e| put_error(e, &data.id()).message))
    })?;
    let mut report = Vec::new();
    let mut failed = 0;
    for (ctx, result) in &written {
        let existed = checked.iter().find(|(c, _)| c.reader == ctx.reader).is_some_and(|(_, e)| *e);
        let key = key_label(ctx);
        match result {
            Ok(()) => output::status(&format!("key {key}: {} \"{id}\"", if existed { "overwrote" } else { "added" })),
            Err(why) => {
                failed += 1;
                output::status(&format!("key {key}: FAILED: {why}"));
            }
        }
        report.push(serde_json::json!({ "key": key, "id": id, "overwritten": existed, "error": result.as_ref().err() }));
    }
    for reader in expected.iter().filter(|r| !written.iter().any(|(c, _)| &c.reader == *r)) {
        failed += 1;
        output::status(&format!("key in \"{reader}\": FAILED: it was removed before writing"));
    }
    if g.json {
        output::json(&report)?;
    }
    if failed > 0 {
        return Err(made.tell(CliError::new(Exit::Other, format!("\"{id}\" was not written to {failed} of {} key(s)", expected.len()))));
    }
    a.enrol.show(data)
}
