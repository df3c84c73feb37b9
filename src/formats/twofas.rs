//! 2FAS Authenticator's backup (`.2fas`): JSON with a `services` list; each service has
//! its base32 `secret`, a display `name`, and an `otp` object (account, issuer, digits,
//! period, algorithm, tokenType TOTP/HOTP/STEAM, counter).

use super::{Described, Entry, Format, FormatError};
use serde::Deserialize;

const F: Format = Format::TwoFas;

#[derive(Deserialize)]
struct Backup {
    #[serde(default)]
    services: Vec<Service>,
    #[serde(rename = "servicesEncrypted")]
    services_encrypted: Option<String>,
}

#[derive(Deserialize)]
struct Service {
    #[serde(default)]
    name: String,
    #[serde(default)]
    secret: zeroize::Zeroizing<String>,
    #[serde(default)]
    otp: Otp,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Otp {
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    digits: Option<u64>,
    period: Option<u64>,
    counter: Option<u64>,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
}

/// Every service of a plain backup. A password-protected one (its services are one
/// encrypted blob) is refused: export it again from 2FAS without a password.
pub fn parse(json: &str) -> Result<Vec<Entry>, FormatError> {
    let backup: Backup = serde_json::from_str(json)
        .map_err(|e| FormatError::Damaged(F, format!("not a 2FAS backup: {}", crate::private_file::json_problem(&e))))?;
    if backup.services_encrypted.is_some() {
        return Err(FormatError::Unsupported(F, "password protection".into()));
    }
    super::check_count(F, backup.services.len())?;
    Ok(backup
        .services
        .iter()
        .map(|s| {
            let issuer = s.otp.issuer.as_deref().filter(|i| !i.is_empty()).unwrap_or(&s.name);
            let name = s.otp.account.as_deref().or(s.otp.label.as_deref()).unwrap_or("");
            Described {
                name,
                issuer,
                kind: s.otp.token_type.as_deref().unwrap_or("TOTP"),
                algorithm: s.otp.algorithm.as_deref().unwrap_or("SHA1"),
                digits: s.otp.digits,
                period: s.otp.period,
                counter: s.otp.counter,
                secret: &s.secret,
            }
            .entry()
        })
        .collect())
}
