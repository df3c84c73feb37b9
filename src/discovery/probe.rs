//! What an attached key says about itself: serial (management applet), OATH version,
//! device id and password state (SELECT). The device id is checked with a second SELECT,
//! so a card whose salt changes every time is never offered as `--device ID`.

use super::management;
use crate::oath::proto::Version;
use crate::oath::{Error as OathError, Session};
use crate::transport::Transport;
use std::fmt;

/// ykman's OATH device id, as far as it identifies the key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceId {
    /// The same on every SELECT: usable to choose the key.
    Stable(String),
    /// Different on every SELECT (the card makes up a new salt): it names nothing.
    Volatile,
}

impl DeviceId {
    /// The id, if it identifies the key.
    pub fn stable(&self) -> Option<&str> {
        match self {
            DeviceId::Stable(id) => Some(id),
            DeviceId::Volatile => None,
        }
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceId::Stable(id) => f.write_str(id),
            DeviceId::Volatile => f.write_str("(changes on every SELECT)"),
        }
    }
}

/// One attached key with an OATH applet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The PC/SC reader's name, or `virtual:PATH`.
    pub reader: String,
    /// The serial number, where the card reports one (YubiKeys, unless hidden).
    pub serial: Option<u32>,
    /// The OATH applet's version.
    pub version: Version,
    /// The OATH device id.
    pub device_id: DeviceId,
    /// A password is set.
    pub locked: bool,
}

impl KeyInfo {
    /// How to name this key to a person who has to choose it: serial if known, else the
    /// device id if stable, else the reader.
    pub fn label(&self) -> String {
        match (self.serial, self.device_id.stable()) {
            (Some(s), _) => format!("serial {s}"),
            (None, Some(id)) => format!("device id {id}"),
            (None, None) => format!("the key in \"{}\"", self.reader),
        }
    }
}

/// Reads what a key says about itself; `Ok(None)` when the card has no OATH applet.
/// Costs SELECT + GET DEVICE INFO of the management applet and two SELECTs of OATH.
pub fn probe(reader: &str, t: &mut dyn Transport) -> Result<Option<KeyInfo>, OathError> {
    let serial = management::read_device_info(t)?.and_then(|i| i.serial);
    let first = match Session::select(&mut *t) {
        Ok(s) => s.info().clone(),
        Err(OathError::AppletNotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let again = Session::select(&mut *t)?;
    let device_id = if again.info().salt == first.salt { DeviceId::Stable(first.device_id()) } else { DeviceId::Volatile };
    Ok(Some(KeyInfo {
        reader: reader.to_owned(),
        serial: serial.or(first.serial),
        version: first.version,
        device_id,
        locked: again.is_locked(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportError;

    /// A card that answers SELECT with a new salt each time, if `volatile`.
    struct Card {
        volatile: bool,
        selects: u8,
    }

    impl Transport for Card {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            Ok(match command.get(1) {
                Some(0xA4) if command.get(5) == Some(&0xA0) && command.get(10) == Some(&0x47) => vec![0x6A, 0x82],
                Some(0xA4) => {
                    self.selects += 1;
                    let salt = if self.volatile { self.selects } else { 7 };
                    vec![0x79, 3, 5, 4, 3, 0x71, 8, 1, 2, 3, 4, 5, 6, 7, salt, 0x90, 0x00]
                }
                _ => vec![0x6D, 0x00],
            })
        }
    }

    #[test]
    fn a_salt_that_changes_between_selects_gives_no_device_id() {
        let stable = probe("r", &mut Card { volatile: false, selects: 0 }).unwrap().unwrap();
        assert!(matches!(stable.device_id, DeviceId::Stable(_)));
        assert_eq!(stable.label(), format!("device id {}", stable.device_id));
        let volatile = probe("r", &mut Card { volatile: true, selects: 0 }).unwrap().unwrap();
        assert_eq!(volatile.device_id, DeviceId::Volatile);
        assert_eq!(volatile.device_id.stable(), None);
        // never suggested: the label falls back to the reader
        assert_eq!(volatile.label(), "the key in \"r\"");
        assert_eq!(volatile.serial, None);
        assert_eq!(volatile.version, Version(5, 4, 3));
    }
}
