//! How people name a key: a reader (part of its name, or `virtual:PATH`) and a key
//! identity (serial number or OATH device id). Parsed here and nowhere else.

use std::fmt;
use std::path::PathBuf;

/// The prefix that makes a reader name a file-backed virtual key.
pub const VIRTUAL_PREFIX: &str = "virtual:";

/// Which reader to use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReaderChoice {
    /// Every PC/SC reader whose name contains this, case-insensitively.
    Name(String),
    /// A virtual key kept in this state file, used in-process (no pcscd).
    Virtual(PathBuf),
}

impl ReaderChoice {
    /// `virtual:PATH` is a virtual key; anything else part of a reader name.
    ///
    /// ```
    /// use ykotp::discovery::ReaderChoice;
    /// assert_eq!(ReaderChoice::parse("virtual:/tmp/k.json"), ReaderChoice::Virtual("/tmp/k.json".into()));
    /// assert_eq!(ReaderChoice::parse("Yubico"), ReaderChoice::Name("Yubico".into()));
    /// ```
    pub fn parse(text: &str) -> Self {
        match text.strip_prefix(VIRTUAL_PREFIX) {
            Some(path) => ReaderChoice::Virtual(PathBuf::from(path)),
            None => ReaderChoice::Name(text.to_owned()),
        }
    }

    /// Whether a PC/SC reader called `name` is chosen.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            ReaderChoice::Name(want) => name.to_lowercase().contains(&want.to_lowercase()),
            ReaderChoice::Virtual(_) => false,
        }
    }
}

/// A key's identity as a person gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyId {
    /// The serial number printed on the key (read through the management applet).
    Serial(u32),
    /// ykman's OATH device id (from the salt SELECT reports).
    DeviceId(String),
}

impl KeyId {
    /// Digits are a serial number; anything else a device id (those are 22 base64
    /// characters, which are never all digits in practice).
    ///
    /// ```
    /// use ykotp::discovery::KeyId;
    /// assert_eq!(KeyId::parse("12345678"), KeyId::Serial(12345678));
    /// assert_eq!(KeyId::parse("AJjrx+VFL5BiwAAA0R3WlA"), KeyId::DeviceId("AJjrx+VFL5BiwAAA0R3WlA".into()));
    /// ```
    pub fn parse(text: &str) -> Self {
        match text.parse::<u32>() {
            Ok(serial) if text.bytes().all(|b| b.is_ascii_digit()) => KeyId::Serial(serial),
            _ => KeyId::DeviceId(text.to_owned()),
        }
    }

    /// Whether a key with this serial and (stable) device id is the one meant. A device
    /// id that changes between SELECTs is passed as `None`: it never identifies a key.
    pub fn matches(&self, serial: Option<u32>, device_id: Option<&str>) -> bool {
        match self {
            KeyId::Serial(s) => serial == Some(*s),
            KeyId::DeviceId(d) => device_id == Some(d.as_str()),
        }
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyId::Serial(s) => write!(f, "{s}"),
            KeyId::DeviceId(d) => f.write_str(d),
        }
    }
}

/// Which keys a program may use: none given means every attached key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The reader, if chosen.
    pub reader: Option<ReaderChoice>,
    /// The key's identity, if chosen.
    pub key: Option<KeyId>,
}

impl Selection {
    /// From the two options people type (`--reader`, `--device` in the CLI).
    ///
    /// ```
    /// use ykotp::discovery::{KeyId, Selection};
    /// let s = Selection::parse(Some("virtual:key.json"), None);
    /// assert!(s.virtual_path().is_some());
    /// assert_eq!(Selection::parse(None, Some("123")).key, Some(KeyId::Serial(123)));
    /// assert!(Selection::parse(None, None).is_open());
    /// ```
    pub fn parse(reader: Option<&str>, key: Option<&str>) -> Self {
        Selection { reader: reader.map(ReaderChoice::parse), key: key.map(KeyId::parse) }
    }

    /// Nothing chosen: every attached key is a candidate.
    pub fn is_open(&self) -> bool {
        self.reader.is_none() && self.key.is_none()
    }

    /// The virtual key's state file, when one is chosen.
    pub fn virtual_path(&self) -> Option<&std::path::Path> {
        match &self.reader {
            Some(ReaderChoice::Virtual(p)) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_names_match_case_insensitively_and_virtual_never_matches_pcsc() {
        assert!(ReaderChoice::parse("yubico").allows("Yubico YubiKey OTP+FIDO+CCID 00 00"));
        assert!(!ReaderChoice::parse("nitro").allows("Yubico YubiKey OTP+FIDO+CCID 00 00"));
        assert!(!ReaderChoice::parse("virtual:x").allows("virtual:x"));
    }

    #[test]
    fn key_ids_match_what_they_name_and_never_a_missing_device_id() {
        assert!(KeyId::parse("42").matches(Some(42), None));
        assert!(!KeyId::parse("42").matches(None, Some("42")));
        assert!(KeyId::parse("abc").matches(None, Some("abc")));
        // a volatile device id is given as None and never matches
        assert!(!KeyId::parse("abc").matches(Some(1), None));
        // a number too large for a serial is not a serial
        assert_eq!(KeyId::parse("99999999999"), KeyId::DeviceId("99999999999".into()));
        assert_eq!(KeyId::parse("+12"), KeyId::DeviceId("+12".into()));
    }
}
