//! The virtual key's persistent state and its JSON form (format 1, documented in
//! `docs/virtual-key.md`). Secrets in it are hex; the file is 0600.

use super::quirks::Quirks;
use crate::oath::proto::Version;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The state file's format number.
pub const FORMAT: u32 = 1;

/// What a touch credential's CALCULATE gets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TouchPolicy {
    /// Touched at once.
    #[default]
    Approve,
    /// Never touched: `6982`, as a real key after its timeout.
    Deny,
    /// Touched after this many milliseconds.
    Delay(u64),
    /// Touched or not as the next line read from this FIFO says (`approve`, else
    /// denied): a test decides when the person touches, after seeing what they saw.
    Fifo(std::path::PathBuf),
}

impl fmt::Display for TouchPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TouchPolicy::Approve => f.write_str("approve"),
            TouchPolicy::Deny => f.write_str("deny"),
            TouchPolicy::Delay(ms) => write!(f, "delay={ms}"),
            TouchPolicy::Fifo(path) => write!(f, "fifo={}", path.display()),
        }
    }
}

impl FromStr for TouchPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "approve" => Ok(TouchPolicy::Approve),
            "deny" => Ok(TouchPolicy::Deny),
            _ if s.starts_with("fifo=") && s.len() > 5 => Ok(TouchPolicy::Fifo(s[5..].into())),
            _ => s
                .strip_prefix("delay=")
                .and_then(|ms| ms.parse().ok())
                .map(TouchPolicy::Delay)
                .ok_or_else(|| format!("unknown touch policy \"{s}\" (use approve, deny, delay=MS or fifo=PATH)")),
        }
    }
}

impl Serialize for TouchPolicy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for TouchPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One stored credential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct StoredCredential {
    /// The id bytes (text when UTF-8, else `{"hex": …}`).
    #[serde(with = "id_repr")]
    pub id: Vec<u8>,
    /// The type/algorithm byte.
    pub kind: u8,
    /// Digits.
    pub digits: u8,
    /// HMAC key, hex.
    #[serde(with = "hex_repr")]
    pub key: Vec<u8>,
    /// Requires touch.
    #[serde(default)]
    pub touch: bool,
    /// Only increasing challenges.
    #[serde(default)]
    pub only_increasing: bool,
    /// HOTP counter (the next value to use).
    #[serde(default)]
    pub counter: u64,
    /// Last challenge, for only-increasing credentials.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hex")]
    pub last_challenge: Option<Vec<u8>>,
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("id", &String::from_utf8_lossy(&self.id))
            .field("kind", &format_args!("{:02X}", self.kind))
            .field("digits", &self.digits)
            .field("key", &"[redacted]")
            .field("touch", &self.touch)
            .field("counter", &self.counter)
            .finish()
    }
}

/// The access key (password) of the applet.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct StoredAccessKey {
    /// The algorithm byte sent in SET CODE (echoed in SELECT's `7B`).
    pub algorithm: u8,
    /// The 16-byte key, hex.
    #[serde(with = "hex_repr")]
    pub key: Vec<u8>,
}

impl fmt::Debug for StoredAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredAccessKey([redacted])")
    }
}

/// Everything a virtual key remembers across power cycles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyState {
    /// Always [`FORMAT`].
    pub format: u32,
    /// Firmware version (and OATH applet version).
    #[serde(with = "version_repr")]
    pub version: Version,
    /// Serial number reported by the management applet; `None` hides it.
    #[serde(default)]
    pub serial: Option<u32>,
    /// The OATH salt (device id source), 8 bytes hex.
    #[serde(with = "hex_repr")]
    pub salt: Vec<u8>,
    /// The password's access key, when set.
    #[serde(default)]
    pub access_key: Option<StoredAccessKey>,
    /// Credentials in storage order.
    #[serde(default)]
    pub credentials: Vec<StoredCredential>,
    /// What touch credentials get.
    #[serde(default)]
    pub touch: TouchPolicy,
    /// Largest response data per APDU before `61xx` chaining.
    #[serde(default = "default_chunk")]
    pub chunk_size: usize,
    /// How this key departs from a YubiKey (none by default).
    #[serde(default, skip_serializing_if = "Quirks::is_empty")]
    pub quirks: Quirks,
}

fn default_chunk() -> usize {
    DEFAULT_CHUNK
}

/// Response data per APDU, as the chunks of a real key seen in the Go client's fixture.
pub const DEFAULT_CHUNK: usize = 254;
/// The firmware a new virtual key reports.
pub const DEFAULT_VERSION: Version = Version(5, 4, 3);

impl KeyState {
    /// A new empty key with the given salt and serial.
    pub fn new(version: Version, salt: [u8; 8], serial: Option<u32>) -> Self {
        KeyState {
            format: FORMAT,
            version,
            serial,
            salt: salt.to_vec(),
            access_key: None,
            credentials: Vec::new(),
            touch: TouchPolicy::Approve,
            chunk_size: DEFAULT_CHUNK,
            quirks: Quirks::default(),
        }
    }

    /// How many accounts fit: the quirk's number, else the firmware's.
    pub fn capacity(&self) -> usize {
        self.quirks.capacity.unwrap_or_else(|| self.version.capacity())
    }

    /// The invariants every state must keep; a file breaking them is corrupt.
    pub fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("unsupported state format {} (this ykotp reads format {FORMAT})", self.format));
        }
        if self.salt.len() != 8 {
            return Err("the salt is not 8 bytes".into());
        }
        if self.credentials.len() > self.capacity() {
            return Err(format!("{} credentials exceed the capacity of {}", self.credentials.len(), self.capacity()));
        }
        if self.chunk_size == 0 {
            return Err("chunk_size must be at least 1".into());
        }
        if let Some(k) = &self.access_key {
            if k.key.len() != 16 {
                return Err("the access key is not 16 bytes".into());
            }
        }
        for (i, c) in self.credentials.iter().enumerate() {
            if c.id.is_empty() || c.id.len() > 64 {
                return Err(format!("credential {i} has an id of {} bytes", c.id.len()));
            }
            let Some((_, alg)) = crate::oath::proto::parse_type_alg(c.kind) else {
                return Err(format!("credential {i} has an unknown type {:02X}", c.kind));
            };
            if c.key.len() > alg.block_size() {
                return Err(format!("credential {i} has a key longer than its hash block"));
            }
            if self.credentials[..i].iter().any(|o| o.id == c.id) {
                return Err(format!("credential {i} repeats an id"));
            }
        }
        Ok(())
    }
}

mod hex_repr {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        hex::decode(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&hex::encode(v)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?.map(|h| hex::decode(h).map_err(serde::de::Error::custom)).transpose()
    }
}

mod id_repr {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Hex { hex: String },
    }
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(v) {
            Ok(t) => Repr::Text(t.to_owned()),
            Err(_) => Repr::Hex { hex: hex::encode(v) },
        }
        .serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Text(t) => Ok(t.into_bytes()),
            Repr::Hex { hex } => hex::decode(hex).map_err(serde::de::Error::custom),
        }
    }
}

mod version_repr {
    use crate::oath::proto::Version;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Version, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Version, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}
