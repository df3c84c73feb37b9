//! Aegis Authenticator's vault export: `{"version":1,"header":{…},"db":…}`. Plain, `db`
//! is the content object; encrypted, `db` is base64 AES-256-GCM ciphertext under a
//! random master key, and each password slot of the header holds that master key
//! encrypted (AES-256-GCM) under scrypt(password, salt, N, r, p) — Aegis' docs/vault.md.
//! Entries: type totp/hotp/steam/yandex/motp, name, issuer, info {secret (base32),
//! algo, digits, period, counter}.

use super::{Described, Entry, Format, FormatError};
use crate::private_file::json_problem;
use serde::Deserialize;
use zeroize::Zeroizing;

const F: Format = Format::Aegis;
/// Slot type of a password slot (0 is a raw key, 2 a phone's biometric key).
const PASSWORD_SLOT: u64 = 1;
/// scrypt memory is 128·r·N bytes; Aegis uses N=2^15, r=8 (32 MiB). Refuse over 1 GiB.
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;

#[derive(Deserialize)]
struct Vault {
    header: Header,
    db: serde_json::Value,
}

#[derive(Deserialize)]
struct Header {
    slots: Option<Vec<Slot>>,
    params: Option<Params>,
}

#[derive(Deserialize)]
struct Params {
    nonce: String,
    tag: String,
}

#[derive(Deserialize)]
struct Slot {
    #[serde(rename = "type")]
    kind: u64,
    #[serde(default)]
    key: String,
    key_params: Option<Params>,
    n: Option<u64>,
    r: Option<u64>,
    p: Option<u64>,
    salt: Option<String>,
}

#[derive(Deserialize)]
struct Db {
    entries: Vec<DbEntry>,
}

#[derive(Deserialize)]
struct DbEntry {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    issuer: String,
    info: Info,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    secret: Zeroizing<String>,
    #[serde(default)]
    algo: String,
    digits: Option<u64>,
    period: Option<u64>,
    counter: Option<u64>,
}

fn damaged(why: impl Into<String>) -> FormatError {
    FormatError::Damaged(F, why.into())
}

/// Whether the vault is encrypted (its `db` is a string).
pub fn is_encrypted(json: &str) -> bool {
    serde_json::from_str::<Vault>(json).is_ok_and(|v| v.db.is_string())
}

/// Every entry of the vault; an encrypted one needs its password.
pub fn parse(json: &str, password: Option<&str>) -> Result<Vec<Entry>, FormatError> {
    let vault: Vault = serde_json::from_str(json).map_err(|e| damaged(format!("not an Aegis vault: {}", json_problem(&e))))?;
    let db: Db = match &vault.db {
        serde_json::Value::String(cipher) => {
            let plain = decrypt_db(&vault.header, cipher, password.ok_or(FormatError::NeedsPassphrase(F))?)?;
            serde_json::from_slice(&plain).map_err(|e| damaged(format!("the decrypted content is not Aegis': {}", json_problem(&e))))?
        }
        other => Db::deserialize(other).map_err(|e| damaged(format!("the content is not Aegis': {}", json_problem(&e))))?,
    };
    super::check_count(F, db.entries.len())?;
    Ok(db
        .entries
        .iter()
        .map(|e| {
            Described {
                name: &e.name,
                issuer: &e.issuer,
                kind: &e.kind,
                algorithm: &e.info.algo,
                digits: e.info.digits,
                period: e.info.period,
                counter: e.info.counter,
                secret: &e.info.secret,
            }
            .entry()
        })
        .collect())
}

fn hex(s: &str, what: &str) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    hex::decode(s).map(Zeroizing::new).map_err(|_| damaged(format!("its {what} is not hex")))
}

/// AES-256-GCM with the tag stored apart from the ciphertext, as Aegis does.
fn open(key: &[u8], params: &Params, cipher: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use aes_gcm::aead::{Aead, KeyInit};
    let nonce = hex::decode(&params.nonce).ok().filter(|n| n.len() == 12)?;
    let tag = hex::decode(&params.tag).ok().filter(|t| t.len() == 16)?;
    let mut sealed = cipher.to_vec();
    sealed.extend(tag);
    let gcm = aes_gcm::Aes256Gcm::new_from_slice(key).ok()?;
    gcm.decrypt(nonce.as_slice().into(), sealed.as_slice()).ok().map(Zeroizing::new)
}

fn decrypt_db(header: &Header, cipher: &str, password: &str) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let params = header.params.as_ref().ok_or_else(|| damaged("an encrypted vault without params"))?;
    let slots: Vec<&Slot> = header.slots.iter().flatten().filter(|s| s.kind == PASSWORD_SLOT).collect();
    if slots.is_empty() {
        return Err(FormatError::Unsupported(F, "no password slot (only a biometric or raw key)".into()));
    }
    let cipher = data_encoding::BASE64.decode(cipher.trim().as_bytes()).map_err(|_| damaged("its db is not base64"))?;
    for slot in slots {
        let (n, r, p) = (slot.n.unwrap_or(0), slot.r.unwrap_or(0), slot.p.unwrap_or(0));
        if !n.is_power_of_two() || n < 2 || r == 0 || p == 0 || p > 16 || 128u64.saturating_mul(r).saturating_mul(n) > MAX_SCRYPT_MEMORY {
            return Err(FormatError::TooLarge(F, format!("scrypt with N={n}, r={r}, p={p}")));
        }
        let salt = hex(slot.salt.as_deref().unwrap_or(""), "salt")?;
        let scrypt_params = scrypt::Params::new(n.trailing_zeros() as u8, r as u32, p as u32, 32)
            .map_err(|_| FormatError::TooLarge(F, format!("scrypt with N={n}, r={r}, p={p}")))?;
        let mut derived = Zeroizing::new([0u8; 32]);
        scrypt::scrypt(password.as_bytes(), &salt, &scrypt_params, &mut *derived).map_err(|_| damaged("scrypt refused its parameters"))?;
        let key_params = slot.key_params.as_ref().ok_or_else(|| damaged("a slot without key_params"))?;
        let Some(master) = open(&*derived, key_params, &hex(&slot.key, "slot key")?) else { continue };
        return open(&master, params, &cipher).ok_or(FormatError::WrongPassphrase(F));
    }
    Err(FormatError::WrongPassphrase(F))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_scrypt_costs_are_refused_before_any_work() {
        let vault = |n: u64, r: u64| {
            format!(
                r#"{{"version":1,"header":{{"slots":[{{"type":1,"uuid":"u","key":"00","key_params":{{"nonce":"00","tag":"00"}},"n":{n},"r":{r},"p":1,"salt":"00"}}],"params":{{"nonce":"00","tag":"00"}}}},"db":"AAAA"}}"#
            )
        };
        assert!(matches!(parse(&vault(1 << 30, 8), Some("pw")), Err(FormatError::TooLarge(..))));
        assert!(matches!(parse(&vault(1000, 8), Some("pw")), Err(FormatError::TooLarge(..))));
        assert!(matches!(parse(&vault(1 << 4, 0), Some("pw")), Err(FormatError::TooLarge(..))));
        assert_eq!(parse(&vault(1 << 4, 1), None).unwrap_err(), FormatError::NeedsPassphrase(F));
        assert_eq!(parse(&vault(1 << 4, 1), Some("pw")).unwrap_err(), FormatError::WrongPassphrase(F));
    }
}
