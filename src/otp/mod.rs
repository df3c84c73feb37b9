//! The software OTP engine: HOTP (RFC 4226), TOTP (RFC 6238) and Steam codes.
//!
//! It is the oracle the tests check the key against, the math inside the virtual key,
//! and the fallback when the key is missing. Pure functions: time is a parameter.

mod base32;
mod key;

pub use base32::{decode_secret, encode_secret, SecretError};
pub use key::{derive_access_key, prepare_key, AccessKey, Secret, MIN_KEY_LEN};

use hmac::{Mac, SimpleHmac};
use std::fmt;
use std::str::FromStr;

/// The HMAC hash of a credential (the low nibble of YKOATH's type/algorithm byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512 (YubiKey 4.3.1 and later).
    Sha512,
}

impl Algorithm {
    /// The hash's block size: keys longer than this are hashed first.
    pub fn block_size(self) -> usize {
        match self {
            Algorithm::Sha1 | Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    /// The HMAC output length.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The name used in otpauth URIs and in our output.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            _ => Err(format!("unknown algorithm \"{s}\" (expected SHA1, SHA256 or SHA512)")),
        }
    }
}

/// HMAC of `message` under `key` with `alg`. HMAC accepts keys of any length.
pub fn hmac(alg: Algorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<D>(key: &[u8], message: &[u8]) -> Vec<u8>
    where
        D: hmac::digest::Digest + hmac::digest::core_api::BlockSizeUser,
    {
        #[allow(clippy::expect_used)]
        let mut mac = <SimpleHmac<D> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    match alg {
        Algorithm::Sha1 => run::<sha1::Sha1>(key, message),
        Algorithm::Sha256 => run::<sha2::Sha256>(key, message),
        Algorithm::Sha512 => run::<sha2::Sha512>(key, message),
    }
}

/// RFC 4226 §5.3 dynamic truncation: 31 bits from the offset in the last nibble.
/// Returns 0 for a digest too short to truncate (never panics on card data).
pub fn truncate(digest: &[u8]) -> u32 {
    let Some(last) = digest.last() else { return 0 };
    let offset = (last & 0x0F) as usize;
    match digest.get(offset..offset + 4) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x7FFF_FFFF,
        None => 0,
    }
}

/// Renders a truncated value as a zero-padded decimal code of `digits` digits.
pub fn format_code(value: u32, digits: u8) -> String {
    let digits = digits.clamp(1, 10) as u32;
    let modulus = 10u64.pow(digits);
    format!("{:0width$}", (value as u64 & 0x7FFF_FFFF) % modulus, width = digits as usize)
}

const STEAM_ALPHABET: &[u8; 26] = b"23456789BCDFGHJKMNPQRTVWXY";

/// Steam Guard's 5-character code from a full HMAC (what ykman does for issuer `Steam`).
pub fn steam_code(digest: &[u8]) -> String {
    let mut value = truncate(digest);
    (0..5)
        .map(|_| {
            let c = STEAM_ALPHABET[(value % 26) as usize] as char;
            value /= 26;
            c
        })
        .collect()
}

/// RFC 4226 HOTP: the code for `counter`.
pub fn hotp(alg: Algorithm, key: &[u8], counter: u64, digits: u8) -> String {
    format_code(truncate(&hmac(alg, key, &counter.to_be_bytes())), digits)
}

/// The RFC 6238 time step of `unix_time`: floor((t - t0) / period). Times before T0 are step 0.
pub fn time_step(unix_time: u64, period: u32, t0: u64) -> u64 {
    unix_time.saturating_sub(t0) / u64::from(period.max(1))
}

/// The message the key signs for a TOTP step: 8 bytes, big-endian (ykman's `>q`).
pub fn totp_challenge(step: u64) -> [u8; 8] {
    step.to_be_bytes()
}

/// RFC 6238 TOTP.
pub fn totp(alg: Algorithm, key: &[u8], unix_time: u64, period: u32, t0: u64, digits: u8) -> String {
    hotp(alg, key, time_step(unix_time, period, t0), digits)
}

/// A code with the window in which it is valid (TOTP) or none (HOTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The digits (or Steam characters).
    pub value: String,
    /// Unix time the window starts.
    pub valid_from: u64,
    /// Unix time the window ends (exclusive).
    pub valid_to: u64,
}

impl Code {
    /// The code of a TOTP window containing `unix_time`.
    pub fn in_window(value: String, unix_time: u64, period: u32) -> Code {
        let period = u64::from(period.max(1));
        let valid_from = unix_time - unix_time % period;
        Code { value, valid_from, valid_to: valid_from + period }
    }
}

#[cfg(test)]
mod tests;
