//! andOTP's backups: `otp_accounts.json`, a JSON list of accounts (secret, issuer,
//! label, digits, type TOTP/HOTP/STEAM, algorithm, period, counter), and its encrypted
//! form `otp_accounts.json.aes`: a big-endian 32-bit PBKDF2 iteration count, a 12-byte
//! salt, a 12-byte nonce, then the JSON under AES-256-GCM (tag last) with the key
//! PBKDF2-HMAC-SHA1(password, salt, iterations, 32 bytes).

use super::{Described, Entry, Format, FormatError};
use serde::Deserialize;
use zeroize::Zeroizing;

const F: Format = Format::AndOtp;
const FE: Format = Format::AndOtpEncrypted;
/// andOTP writes 140,000 to 160,000 iterations; anything far outside is not andOTP.
const ITERATIONS: std::ops::RangeInclusive<u32> = 1_000..=10_000_000;
const HEADER: usize = 4 + 12 + 12;

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    secret: Zeroizing<String>,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    label: String,
    digits: Option<u64>,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    algorithm: String,
    period: Option<u64>,
    counter: Option<u64>,
}

/// Every account of a plain backup.
pub fn parse(json: &str) -> Result<Vec<Entry>, FormatError> {
    parse_as(F, json)
}

fn parse_as(format: Format, json: &str) -> Result<Vec<Entry>, FormatError> {
    let accounts: Vec<Account> = serde_json::from_str(json)
        .map_err(|e| FormatError::Damaged(format, format!("not an andOTP backup: {}", crate::private_file::json_problem(&e))))?;
    super::check_count(format, accounts.len())?;
    Ok(accounts
        .iter()
        .map(|a| {
            Described {
                name: &a.label,
                issuer: &a.issuer,
                kind: &a.kind,
                algorithm: &a.algorithm,
                digits: a.digits,
                period: a.period,
                counter: a.counter,
                secret: &a.secret,
            }
            .entry()
        })
        .collect())
}

/// Whether these bytes can be an encrypted backup (its header holds a plausible
/// iteration count, and there is room for a tag).
pub fn looks_encrypted(bytes: &[u8]) -> bool {
    bytes.len() > HEADER + 16 && bytes.get(..4).and_then(|b| b.try_into().ok()).is_some_and(|b| ITERATIONS.contains(&u32::from_be_bytes(b)))
}

/// Every account of an encrypted backup.
pub fn parse_encrypted(bytes: &[u8], password: Option<&str>) -> Result<Vec<Entry>, FormatError> {
    use aes_gcm::aead::{Aead, KeyInit};
    if !looks_encrypted(bytes) {
        return Err(FormatError::Damaged(FE, "it is too short or its header is not andOTP's".into()));
    }
    let password = password.ok_or(FormatError::NeedsPassphrase(FE))?;
    let iterations = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let (salt, nonce, body) = (&bytes[4..16], &bytes[16..28], &bytes[HEADER..]);
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), salt, iterations, &mut *key);
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&*key).map_err(|_| FormatError::Damaged(FE, "bad key length".into()))?;
    let plain = Zeroizing::new(cipher.decrypt(nonce.into(), body).map_err(|_| FormatError::WrongPassphrase(FE))?);
    let json = std::str::from_utf8(&plain).map_err(|_| FormatError::Damaged(FE, "the decrypted backup is not text".into()))?;
    parse_as(FE, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_foreign_bytes_are_refused() {
        assert!(matches!(parse_encrypted(&[0, 2, 0x22, 0xE0, 1, 2, 3], Some("pw")), Err(FormatError::Damaged(..))));
        assert!(matches!(parse_encrypted(&[0xFF; 80], Some("pw")), Err(FormatError::Damaged(..))));
        let mut fake = 150_000u32.to_be_bytes().to_vec();
        fake.extend([7u8; 60]);
        assert_eq!(parse_encrypted(&fake, None).unwrap_err(), FormatError::NeedsPassphrase(FE));
        assert_eq!(parse_encrypted(&fake, Some("pw")).unwrap_err(), FormatError::WrongPassphrase(FE));
        assert!(matches!(parse("{\"not\":\"a list\"}"), Err(FormatError::Damaged(..))));
    }
}
