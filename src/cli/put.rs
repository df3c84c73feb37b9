//! `ykotp put`: adds an account. Everything is checked before anything is sent, and an
//! existing account is never overwritten without --force or a yes.

use super::device::{self, Needs};
use super::report::{CliError, Exit};
use super::{output, prompt, secret, Global};
use crate::oath::proto::Version;
use crate::oath::{CredentialData, OathType};
use crate::otp::{decode_secret, Algorithm};
use std::path::PathBuf;

/// Arguments of `put`.
#[derive(Debug, clap::Args)]
pub struct PutArgs {
    /// Account name (the issuer can be given as ISSUER:NAME or with --issuer)
    #[arg(required_unless_present = "uri")]
    name: Option<String>,
    /// The base32 secret; `-` reads it from stdin; omitted: asked for without echo
    secret: Option<String>,
    /// Take the secret from this command's first line of output (pass show …, op read …)
    #[arg(long, value_name = "CMD", conflicts_with_all = ["secret", "secret_file", "uri"])]
    secret_cmd: Option<String>,
    /// Take the secret from the first line of this file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["secret", "uri"])]
    secret_file: Option<PathBuf>,
    /// Take everything from an otpauth:// URI (`-` reads it from stdin)
    #[arg(long, value_name = "URI", conflicts_with = "secret")]
    uri: Option<String>,
    /// Issuer
    #[arg(short, long)]
    issuer: Option<String>,
    /// totp or hotp
    #[arg(short, long = "oath-type", value_name = "TYPE", default_value = "totp")]
    oath_type: OathType,
    /// sha1, sha256 or sha512
    #[arg(short, long, default_value = "sha1")]
    algorithm: Algorithm,
    /// Number of digits: 6, 7 or 8
    #[arg(long, default_value_t = 6)]
    digits: u8,
    /// TOTP period in seconds
    #[arg(short = 'P', long, default_value_t = 30)]
    period: u32,
    /// HOTP initial counter
    #[arg(short, long, default_value_t = 0)]
    counter: u32,
    /// Require a touch of the key for every code
    #[arg(short, long)]
    touch: bool,
    /// Overwrite an account of the same name without asking
    #[arg(short, long)]
    force: bool,
}

fn bad(e: impl std::fmt::Display) -> CliError {
    CliError::new(Exit::Usage, e.to_string())
}

/// The credential the arguments describe.
fn credential(a: &PutArgs) -> Result<CredentialData, CliError> {
    let uri_text = match a.uri.as_deref() {
        Some("-") => Some(secret::read_stdin("URI")?),
        Some(u) => Some(zeroize::Zeroizing::new(u.to_owned())),
        None => None,
    };
    let mut data = if let Some(uri) = uri_text {
        CredentialData::from_uri(secret::first_line(uri.trim())).map_err(bad)?
    } else {
        let source = secret::Source { positional: a.secret.as_deref(), command: a.secret_cmd.as_deref(), file: a.secret_file.as_deref() };
        let text = source.read()?;
        if text.starts_with("otpauth://") {
            CredentialData::from_uri(&text).map_err(bad)?
        } else {
            let mut d = CredentialData::totp("", decode_secret(&text).map_err(bad)?);
            d.oath_type = a.oath_type;
            d.algorithm = a.algorithm;
            d.digits = a.digits;
            d.period = a.period;
            d.counter = a.counter;
            d
        }
    };
    if let Some(name) = &a.name {
        data.name = name.clone();
    }
    if a.issuer.is_some() {
        data.issuer = a.issuer.clone();
    }
    data.touch |= a.touch;
    data.validate().map_err(bad)?;
    Ok(data)
}

/// Runs `put`.
pub fn run(g: &Global, a: PutArgs) -> Result<(), CliError> {
    let data = credential(&a)?;
    let id = data.id();
    let overwritten = device::with_key(g, Needs::default(), |_, s| {
        device::unlock(g, s)?;
        let existing = s.list()?;
        let exists = existing.iter().any(|c| c.id == id.as_bytes());
        let v = s.version();
        if exists && !a.force {
            match prompt::confirm(&format!("An account called \"{id}\" already exists on this key. Overwrite it?")) {
                Some(true) => {}
                Some(false) => return Err(CliError::new(Exit::Refused, format!("\"{id}\" was not overwritten"))),
                None => {
                    return Err(CliError::new(Exit::Refused, format!("an account called \"{id}\" already exists"))
                        .hint("add --force (-f) to overwrite it, or choose another name"))
                }
            }
        }
        if !exists && existing.len() >= v.capacity() {
            return Err(CliError::new(Exit::Unsupported, format!("the key is full: {} of {} accounts used", existing.len(), v.capacity()))
                .hint("delete an account with `ykotp delete` first"));
        }
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
        s.put(&data)?;
        Ok(exists)
    })?;
    if g.json {
        return output::json(&serde_json::json!({ "id": id, "overwritten": overwritten }));
    }
    output::status(&format!("{} \"{id}\"", if overwritten { "overwrote" } else { "added" }));
    Ok(())
}
