//! Backup and export files of other OTP tools, read into credentials: Google Authenticator
//! exports ([`migration`]), PSKC (RFC 6030,
//! what ykman writes and imports), Aegis vaults, 2FAS and andOTP backups. Pure: bytes
//! and a passphrase in, entries out; the CLI reads files and asks for passphrases.
//!
//! Every parser faces untrusted files: none panics, each bounds what it reads
//! ([`MAX_ENTRIES`], key-derivation costs), and an entry a YubiKey cannot hold is
//! returned as such with the reason, never dropped.

pub mod aegis;
pub mod andotp;
pub mod migration;
pub mod pskc;
pub mod twofas;

use crate::oath::credential::{CredentialData, DEFAULT_PERIOD};
use crate::oath::OathType;
use crate::otp::{Algorithm, Secret};

/// More entries than any authenticator holds; a file claiming more is refused.
pub const MAX_ENTRIES: usize = 10_000;

/// The formats [`detect`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 6030 Portable Symmetric Key Container (XML).
    Pskc,
    /// Aegis Authenticator's vault export (JSON, plain or encrypted).
    Aegis,
    /// 2FAS Authenticator's `.2fas` backup (JSON).
    TwoFas,
    /// andOTP's plain JSON backup.
    AndOtp,
    /// andOTP's encrypted backup (`.json.aes`, binary).
    AndOtpEncrypted,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Pskc => "PSKC",
            Format::Aegis => "Aegis vault",
            Format::TwoFas => "2FAS backup",
            Format::AndOtp => "andOTP backup",
            Format::AndOtpEncrypted => "encrypted andOTP backup",
        })
    }
}

/// One account found in a file: what the key will store, or why it cannot.
#[derive(Debug)]
pub struct Entry {
    /// How a person recognises it (issuer:name, or the file's own id). Never the secret.
    pub label: String,
    /// The credential, or why a YubiKey cannot hold it.
    pub account: Result<CredentialData, String>,
}

/// Why a file could not be read as a whole. Never contains a secret or passphrase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The file is broken or not what it claims.
    #[error("the {0} is damaged: {1}")]
    Damaged(Format, String),
    /// It is encrypted and no passphrase was given.
    #[error("the {0} is encrypted and needs its passphrase")]
    NeedsPassphrase(Format),
    /// The passphrase does not open it (or the file was altered).
    #[error("the passphrase does not open the {0} (or the file was altered)")]
    WrongPassphrase(Format),
    /// A valid file using something this reader does not implement.
    #[error("the {0} uses {1}, which ykotp cannot read")]
    Unsupported(Format, String),
    /// Over [`MAX_ENTRIES`] entries or an unreasonable key-derivation cost.
    #[error("the {0} asks for too much: {1}")]
    TooLarge(Format, String),
}

/// Which format these bytes are in, if one of ours.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let text = std::str::from_utf8(bytes).ok();
    let Some(text) = text.map(|t| t.trim_start_matches('\u{feff}').trim_start()) else {
        return andotp::looks_encrypted(bytes).then_some(Format::AndOtpEncrypted);
    };
    if text.starts_with('<') {
        return text.contains("KeyContainer").then_some(Format::Pskc);
    }
    if !(text.starts_with('{') || text.starts_with('[')) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    match &value {
        serde_json::Value::Object(o) if o.contains_key("header") && o.contains_key("db") => Some(Format::Aegis),
        serde_json::Value::Object(o) if o.contains_key("services") || o.contains_key("servicesEncrypted") => Some(Format::TwoFas),
        serde_json::Value::Array(a) if a.iter().all(|e| e.get("secret").is_some()) => Some(Format::AndOtp),
        _ => None,
    }
}

/// Whether the file needs a passphrase before [`parse`] can read it.
pub fn is_encrypted(format: Format, bytes: &[u8]) -> bool {
    let text = std::str::from_utf8(bytes).unwrap_or("");
    match format {
        Format::Pskc => pskc::is_encrypted(text),
        Format::Aegis => aegis::is_encrypted(text),
        // encrypted 2FAS backups are refused by parse without asking for a password
        Format::TwoFas | Format::AndOtp => false,
        Format::AndOtpEncrypted => true,
    }
}

/// Every entry of a file in `format`.
pub fn parse(format: Format, bytes: &[u8], passphrase: Option<&str>) -> Result<Vec<Entry>, FormatError> {
    let text = || std::str::from_utf8(bytes).map_err(|_| FormatError::Damaged(format, "it is not UTF-8 text".into()));
    match format {
        Format::Pskc => pskc::parse(text()?, passphrase),
        Format::Aegis => aegis::parse(text()?, passphrase),
        Format::TwoFas => twofas::parse(text()?),
        Format::AndOtp => andotp::parse(text()?),
        Format::AndOtpEncrypted => andotp::parse_encrypted(bytes, passphrase),
    }
}

/// An account as the JSON formats describe it, before it is checked against what a
/// YubiKey can hold.
pub(crate) struct Described<'a> {
    pub name: &'a str,
    pub issuer: &'a str,
    /// "totp", "hotp", "steam", … (any case).
    pub kind: &'a str,
    /// "SHA1", "SHA256", "SHA512", "MD5", … (any case; empty means SHA1).
    pub algorithm: &'a str,
    pub digits: Option<u64>,
    pub period: Option<u64>,
    pub counter: Option<u64>,
    /// Base32, as every JSON format stores it.
    pub secret: &'a str,
}

impl Described<'_> {
    /// The entry: a credential, or why a YubiKey cannot hold it.
    pub(crate) fn entry(&self) -> Entry {
        let (issuer, name) = split_label(self.issuer, self.name);
        let label = if issuer.is_empty() { name.clone() } else { format!("{issuer}:{name}") };
        Entry { account: self.credential(issuer, name), label }
    }

    fn credential(&self, issuer: String, name: String) -> Result<CredentialData, String> {
        let kind = self.kind.to_ascii_lowercase();
        let (oath_type, steam) = match kind.as_str() {
            "totp" | "" => (OathType::Totp, false),
            "hotp" => (OathType::Hotp, false),
            "steam" => (OathType::Totp, true),
            other => return Err(format!("{other} codes cannot be computed by a YubiKey (only TOTP, HOTP and Steam)")),
        };
        let algorithm = algorithm(self.algorithm)?;
        let secret = crate::otp::decode_secret(self.secret).map_err(|e| e.to_string())?;
        let digits = self.digits.unwrap_or(if steam { 5 } else { 6 });
        let period = self.period.unwrap_or(u64::from(DEFAULT_PERIOD));
        // Steam codes are always 5 characters, whatever digits the file says
        if steam && (algorithm != Algorithm::Sha1 || period != u64::from(DEFAULT_PERIOD)) {
            return Err("a Steam account with other parameters than SHA1 and 30 s".into());
        }
        let data = CredentialData {
            // a YubiKey shows Steam codes for TOTP accounts whose issuer is "Steam"
            issuer: if steam { Some("Steam".into()) } else { Some(issuer).filter(|i| !i.is_empty()) },
            name,
            oath_type,
            algorithm,
            digits: if steam {
                6
            } else {
                u8::try_from(digits).ok().filter(|d| (6..=8).contains(d)).ok_or(format!("{digits} digits (a YubiKey shows 6, 7 or 8)"))?
            },
            period: u32::try_from(period).map_err(|_| format!("a period of {period} s"))?,
            counter: u32::try_from(self.counter.unwrap_or(0)).map_err(|_| "the HOTP counter does not fit in 32 bits".to_owned())?,
            secret,
            touch: false,
        };
        data.validate().map_err(|e| e.to_string())?;
        Ok(data)
    }
}

/// The hash a file names, or why a YubiKey cannot use it.
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, String> {
    let clean = name.trim().to_ascii_uppercase().replace("HMAC", "").replace(['-', '_'], "");
    match clean.as_str() {
        "" | "SHA1" => Ok(Algorithm::Sha1),
        "SHA256" => Ok(Algorithm::Sha256),
        "SHA512" => Ok(Algorithm::Sha512),
        "MD5" => Err("MD5 is not supported by YubiKeys (only SHA1, SHA256, SHA512)".into()),
        _ => Err(format!("the algorithm \"{}\" is not supported by YubiKeys", name.escape_debug())),
    }
}

/// Issuer and name the way authenticators label accounts: an empty issuer may come as
/// an "Issuer:" prefix of the name.
pub(crate) fn split_label(issuer: &str, name: &str) -> (String, String) {
    let (issuer, name) = (issuer.trim(), name.trim());
    match name.split_once(':') {
        Some((i, n)) if issuer.is_empty() || i.trim() == issuer => (i.trim().to_owned(), n.trim().to_owned()),
        _ => (issuer.to_owned(), name.to_owned()),
    }
}

/// Rejects files claiming more than [`MAX_ENTRIES`] entries.
pub(crate) fn check_count(format: Format, n: usize) -> Result<(), FormatError> {
    if n > MAX_ENTRIES {
        return Err(FormatError::TooLarge(format, format!("{n} entries (at most {MAX_ENTRIES})")));
    }
    Ok(())
}

/// Secret bytes as a [`Secret`], so they are zeroized when dropped.
pub(crate) fn secret(bytes: Vec<u8>) -> Secret {
    Secret::new(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described<'a>(kind: &'a str, algorithm: &'a str, digits: u64) -> Described<'a> {
        Described {
            name: "alice",
            issuer: "Example",
            kind,
            algorithm,
            digits: Some(digits),
            period: None,
            counter: None,
            secret: "JBSWY3DPEHPK3PXP",
        }
    }

    #[test]
    fn what_a_yubikey_cannot_hold_is_said() {
        assert!(described("totp", "SHA256", 8).entry().account.is_ok());
        assert!(described("totp", "MD5", 6).entry().account.unwrap_err().contains("MD5"));
        assert!(described("yandex", "SHA256", 8).entry().account.unwrap_err().contains("yandex"));
        assert!(described("motp", "MD5", 6).entry().account.unwrap_err().contains("motp"));
        assert!(described("totp", "SHA1", 10).entry().account.unwrap_err().contains("10 digits"));
        let steam = described("steam", "SHA1", 5).entry().account.unwrap();
        assert_eq!((steam.issuer.as_deref(), steam.digits, steam.oath_type), (Some("Steam"), 6, OathType::Totp));
        assert!(described("steam", "SHA256", 5).entry().account.is_err());
        let long = Described { name: &"n".repeat(60), ..described("totp", "SHA1", 6) };
        assert!(long.entry().account.unwrap_err().contains("at most 64 bytes"));
    }

    #[test]
    fn labels_split_like_authenticators_show_them() {
        assert_eq!(split_label("", "GitHub:bob"), ("GitHub".into(), "bob".into()));
        assert_eq!(split_label("GitHub", "GitHub:bob"), ("GitHub".into(), "bob".into()));
        assert_eq!(split_label("Other", "GitHub:bob"), ("Other".into(), "GitHub:bob".into()));
    }

    #[test]
    fn detection() {
        assert_eq!(detect(b"<?xml version=\"1.0\"?><KeyContainer/>"), Some(Format::Pskc));
        assert_eq!(detect(br#"{"version":1,"header":{},"db":{}}"#), Some(Format::Aegis));
        assert_eq!(detect(br#"{"services":[],"schemaVersion":4}"#), Some(Format::TwoFas));
        assert_eq!(detect(br#"[{"secret":"AB","type":"TOTP"}]"#), Some(Format::AndOtp));
        assert_eq!(detect(b"otpauth://totp/x?secret=AB"), None);
        assert_eq!(detect(br#"{"a":1}"#), None);
    }
}
