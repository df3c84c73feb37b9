//! Google Authenticator's "Transfer accounts" export: `otpauth-migration://offline?data=…`,
//! a base64 protobuf `MigrationPayload` (users-and-anchors.md §2.9). Decoded by hand: two
//! small messages do not justify a protobuf toolchain, and this parser faces untrusted
//! QR codes, so it never panics and never trusts a length.

use crate::oath::credential::{CredentialData, CredentialError, DEFAULT_PERIOD};
use crate::oath::OathType;
use crate::otp::{Algorithm, Secret};
use percent_encoding::percent_decode_str;

/// One export QR code: its accounts and where it sits in a multi-code export.
#[derive(Debug)]
pub struct Batch {
    /// The accounts.
    pub accounts: Vec<CredentialData>,
    /// 0-based index of this code.
    pub index: u64,
    /// How many codes the export has.
    pub size: u64,
    /// Export id, shared by its codes.
    pub id: u64,
}

/// Why an export could not be read. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    /// Not `otpauth-migration://offline?data=…`.
    #[error("not a Google Authenticator export (otpauth-migration://offline?data=…)")]
    NotMigration,
    /// The data parameter is not base64.
    #[error("the export's data is not valid base64")]
    Base64,
    /// The protobuf is broken.
    #[error("the export's data is damaged ({0})")]
    Protobuf(&'static str),
    /// An account the key cannot hold.
    #[error("account \"{0}\": {1}")]
    Account(String, String),
}

/// Parses one export URI.
pub fn parse(uri: &str) -> Result<Batch, MigrationError> {
    let rest = uri.trim().strip_prefix("otpauth-migration://offline?").ok_or(MigrationError::NotMigration)?;
    let data = rest.split('&').find_map(|kv| kv.strip_prefix("data=")).ok_or(MigrationError::NotMigration)?;
    // percent-decoding, not form decoding: a literal '+' is base64, not a space
    // the payload holds every account's secret: no copy of it outlives the parse
    let raw = percent_decode_str(data).decode_utf8().map_err(|_| MigrationError::Base64)?;
    let decoded = zeroize::Zeroizing::new(raw.replace(' ', "+"));
    if let std::borrow::Cow::Owned(mut s) = raw {
        zeroize::Zeroize::zeroize(&mut s);
    }
    let bytes = zeroize::Zeroizing::new(
        // padding is optional in exports: drop it and decode unpadded
        data_encoding::BASE64_NOPAD.decode(decoded.trim_end_matches('=').as_bytes()).map_err(|_| MigrationError::Base64)?,
    );
    parse_payload(&bytes)
}

fn parse_payload(mut input: &[u8]) -> Result<Batch, MigrationError> {
    let mut batch = Batch { accounts: Vec::new(), index: 0, size: 1, id: 0 };
    while !input.is_empty() {
        let (field, value, rest) = next_field(input)?;
        input = rest;
        match (field, value) {
            (1, Value::Bytes(b)) => batch.accounts.push(parse_account(b)?),
            (3, Value::Varint(v)) => batch.size = v,
            (4, Value::Varint(v)) => batch.index = v,
            (5, Value::Varint(v)) => batch.id = v,
            _ => {}
        }
    }
    Ok(batch)
}

fn parse_account(mut input: &[u8]) -> Result<CredentialData, MigrationError> {
    let (mut secret, mut name, mut issuer) = (zeroize::Zeroizing::new(Vec::new()), String::new(), String::new());
    let (mut alg, mut digits, mut kind, mut counter) = (1u64, 1u64, 2u64, 0u64);
    while !input.is_empty() {
        let (field, value, rest) = next_field(input)?;
        input = rest;
        match (field, value) {
            (1, Value::Bytes(b)) => {
                zeroize::Zeroize::zeroize(&mut *secret);
                secret.extend_from_slice(b);
            }
            (2, Value::Bytes(b)) => name = String::from_utf8_lossy(b).into_owned(),
            (3, Value::Bytes(b)) => issuer = String::from_utf8_lossy(b).into_owned(),
            (4, Value::Varint(v)) => alg = v,
            (5, Value::Varint(v)) => digits = v,
            (6, Value::Varint(v)) => kind = v,
            (7, Value::Varint(v)) => counter = v,
            _ => {}
        }
    }
    let secret = Secret::new(std::mem::take(&mut *secret));
    // the name may carry "issuer:" itself, with or without an issuer field. Unlike an
    // otpauth label, a different prefix is not a conflict: the export cannot be edited,
    // and Google Authenticator itself shows such an account as issuer + the whole name.
    let (issuer, name) = match name.split_once(':') {
        Some((i, n)) if issuer.is_empty() || i == issuer => (i.trim().to_owned(), n.trim().to_owned()),
        _ => (issuer, name),
    };
    let label = if issuer.is_empty() { name.clone() } else { format!("{issuer}:{name}") };
    let bad = |why: &str| MigrationError::Account(label.clone(), why.to_owned());
    let algorithm = match alg {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        4 => return Err(bad("MD5 is not supported by YubiKeys")),
        _ => return Err(bad("unknown algorithm")),
    };
    let oath_type = match kind {
        1 => OathType::Hotp,
        0 | 2 => OathType::Totp,
        _ => return Err(bad("unknown OTP type")),
    };
    let data = CredentialData {
        name,
        issuer: Some(issuer).filter(|i| !i.is_empty()),
        oath_type,
        algorithm,
        digits: match digits {
            2 => 8,
            _ => 6,
        },
        period: DEFAULT_PERIOD,
        counter: u32::try_from(counter).map_err(|_| bad("the HOTP counter does not fit in 32 bits"))?,
        secret,
        touch: false,
    };
    data.validate().map_err(|e: CredentialError| bad(&e.to_string()))?;
    Ok(data)
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn next_field(input: &[u8]) -> Result<(u64, Value<'_>, &[u8]), MigrationError> {
    let (key, rest) = varint(input)?;
    let (field, wire) = (key >> 3, key & 7);
    match wire {
        0 => varint(rest).map(|(v, rest)| (field, Value::Varint(v), rest)),
        1 => rest.get(8..).map(|r| (field, Value::Fixed, r)).ok_or(MigrationError::Protobuf("truncated field")),
        5 => rest.get(4..).map(|r| (field, Value::Fixed, r)).ok_or(MigrationError::Protobuf("truncated field")),
        2 => {
            let (len, rest) = varint(rest)?;
            let len = usize::try_from(len).map_err(|_| MigrationError::Protobuf("length too large"))?;
            if rest.len() < len {
                return Err(MigrationError::Protobuf("truncated field"));
            }
            let (bytes, rest) = rest.split_at(len);
            Ok((field, Value::Bytes(bytes), rest))
        }
        _ => Err(MigrationError::Protobuf("unknown wire type")),
    }
}

fn varint(input: &[u8]) -> Result<(u64, &[u8]), MigrationError> {
    let mut value = 0u64;
    for (i, &b) in input.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, &input[i + 1..]));
        }
    }
    Err(MigrationError::Protobuf("bad varint"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_known_export() {
        // one TOTP account "Example:alice", secret "Hello!\xDE\xAD\xBE\xEF", SHA1, 6 digits
        let mut acct = vec![0x0A, 10];
        acct.extend_from_slice(b"Hello!\xDE\xAD\xBE\xEF");
        acct.extend([0x12, 5]);
        acct.extend_from_slice(b"alice");
        acct.extend([0x1A, 7]);
        acct.extend_from_slice(b"Example");
        acct.extend([0x20, 1, 0x28, 1, 0x30, 2]);
        let mut payload = vec![0x0A, acct.len() as u8];
        payload.extend(acct);
        payload.extend([0x10, 1, 0x18, 1, 0x20, 0, 0x28, 7]);
        let uri = format!(
            "otpauth-migration://offline?data={}",
            percent_encoding::utf8_percent_encode(&data_encoding::BASE64.encode(&payload), percent_encoding::NON_ALPHANUMERIC)
        );
        let batch = parse(&uri).unwrap();
        assert_eq!((batch.size, batch.index, batch.id), (1, 0, 7));
        let a = &batch.accounts[0];
        assert_eq!(a.id(), "Example:alice");
        assert_eq!(crate::otp::encode_secret(a.secret.as_bytes()), "JBSWY3DPEHPK3PXP");
    }

    #[test]
    fn damaged_data_is_an_error() {
        assert_eq!(parse("otpauth://totp/x").unwrap_err(), MigrationError::NotMigration);
        assert_eq!(parse("otpauth-migration://offline?data=%%%").unwrap_err(), MigrationError::Base64);
        assert!(matches!(parse_payload(&[0x0A, 0x05, 0x01]), Err(MigrationError::Protobuf(_))));
        assert!(matches!(parse_payload(&[0xFF; 12]), Err(MigrationError::Protobuf(_))));
    }
}
