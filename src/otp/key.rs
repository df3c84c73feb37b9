//! Secret key material: the OATH secret, its preparation for the key (protocol
//! reference §7), and the PBKDF2 access key derived from a password (§8).

use super::{hmac, Algorithm};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The YubiKey wants HMAC keys of at least 14 bytes; shorter ones are zero-padded.
pub const MIN_KEY_LEN: usize = 14;

/// An OATH secret. Zeroized on drop; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Takes ownership of raw secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The key bytes as the applet stores them: hashed when longer than the hash's block,
/// then right-padded with zeros to 14 bytes. Both steps leave every HMAC unchanged
/// (HMAC itself hashes long keys and zero-pads short ones), so RFC codes still hold.
pub fn prepare_key(alg: Algorithm, secret: &[u8]) -> Secret {
    let mut key = if secret.len() > alg.block_size() { hash(alg, secret) } else { secret.to_vec() };
    if key.len() < MIN_KEY_LEN {
        key.resize(MIN_KEY_LEN, 0);
    }
    Secret(key)
}

fn hash(alg: Algorithm, data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    match alg {
        Algorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
        Algorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        Algorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
    }
}

/// The 16-byte OATH access key derived from a password. Zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct AccessKey([u8; 16]);

impl AccessKey {
    /// Wraps 16 key bytes (e.g. a remembered key).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        AccessKey(bytes)
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// HMAC-SHA1 of `challenge` under this key: the proof VALIDATE and SET CODE carry.
    pub fn respond(&self, challenge: &[u8]) -> Vec<u8> {
        hmac(Algorithm::Sha1, &self.0, challenge)
    }

    /// Checks a proof in constant time.
    pub fn verify(&self, challenge: &[u8], response: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.respond(challenge);
        expected.len() == response.len() && bool::from(expected.ct_eq(response))
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey([redacted])")
    }
}

/// PBKDF2-HMAC-SHA1(password, salt, 1000 iterations, 16 bytes): the YKOATH access key.
pub fn derive_access_key(password: &str, salt: &[u8]) -> AccessKey {
    let mut out = [0u8; 16];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), salt, 1000, &mut out);
    let key = AccessKey(out);
    out.zeroize();
    key
}
