//! Base32 secrets (RFC 4648) as people paste them: any case, spaces and dashes,
//! missing or extra `=` padding, and `%3D` from URL-encoded padding.

use super::key::Secret;
use data_encoding::BASE32_NOPAD;
use zeroize::Zeroizing;

/// Why a base32 secret was refused. The messages never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Nothing left after removing spaces and padding.
    #[error("the secret is empty")]
    Empty,
    /// A character outside A–Z and 2–7, at this 1-based position (the character itself
    /// is part of the secret, or of a secret pasted by mistake: it is never shown).
    #[error("the secret has a character that is not base32 at position {0}; base32 uses A-Z and 2-7")]
    BadCharacter(usize),
    /// A length no base32 encoder produces.
    #[error("the secret's length is not valid base32 (it may be cut short)")]
    BadLength,
    /// Fewer than 2 bytes, which the key refuses.
    #[error("the secret is too short: it must be at least 2 bytes (4 base32 characters)")]
    TooShort,
}

/// Decodes a pasted base32 secret into bytes, zeroizing every intermediate copy.
pub fn decode_secret(input: &str) -> Result<Secret, SecretError> {
    let unescaped = Zeroizing::new(input.replace("%3D", "=").replace("%3d", "="));
    let mut clean = Zeroizing::new(String::with_capacity(unescaped.len()));
    for (i, c) in unescaped.chars().enumerate() {
        match c {
            ' ' | '\t' | '\n' | '\r' | '-' | '=' => {}
            'a'..='z' => clean.push(c.to_ascii_uppercase()),
            'A'..='Z' | '2'..='7' => clean.push(c),
            _ => return Err(SecretError::BadCharacter(i + 1)),
        }
    }
    if clean.is_empty() {
        return Err(SecretError::Empty);
    }
    let bytes = BASE32_NOPAD.decode(clean.as_bytes()).map_err(|_| SecretError::BadLength)?;
    Ok(Secret::new(bytes))
}

/// Encodes bytes as unpadded upper-case base32 (the form otpauth URIs use).
pub fn encode_secret(bytes: &[u8]) -> String {
    BASE32_NOPAD.encode(bytes)
}
