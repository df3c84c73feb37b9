//! The PIN extension of Nitrokey's OATH applet (`secrets-app`, the Nitrokey 3's
//! "Secrets" app; docs/tokens.md). Instead of YKOATH's password (SET CODE / VALIDATE,
//! which it does not implement) it has one PIN with an attempt counter, and accounts
//! that may be encrypted with it. Such accounts are invisible to LIST and CALCULATE
//! unless VERIFY PIN came immediately before: the applet forgets the PIN after the next
//! command. Every VERIFY PIN, SET PIN and CHANGE PIN asks for a touch first.
//!
//! The applet has no RENAME either; its UPDATE CREDENTIAL renames (after a touch).
//!
//! SELECT tells the extension apart: `8F` (a 4-byte serial) is always there; with a PIN
//! set, `82` (attempts left) replaces the salt `71`. No I/O here: bytes in, bytes out.

use super::error::Error;
use crate::iso7816::apdu::{CommandApdu, Sw};
use crate::iso7816::tlv;

/// Instruction bytes of the extension.
pub mod ins {
    /// VERIFY PIN: `80 <pin>`.
    pub const VERIFY_PIN: u8 = 0xB2;
    /// CHANGE PIN: `80 <old> 81 <new>`.
    pub const CHANGE_PIN: u8 = 0xB3;
    /// SET PIN (only when none is set): `80 <pin>`.
    pub const SET_PIN: u8 = 0xB4;
    /// UPDATE CREDENTIAL: `71 <name> 71 <new name>` renames.
    pub const UPDATE_CREDENTIAL: u8 = 0xB7;
}

/// Tag bytes of the extension.
pub mod tag {
    /// The PIN.
    pub const PIN: u8 = 0x80;
    /// The new PIN (CHANGE PIN).
    pub const NEW_PIN: u8 = 0x81;
    /// In SELECT: a PIN is set; the value is the attempts left.
    pub const PIN_ATTEMPTS: u8 = 0x82;
    /// In SELECT: the device's serial number (4 bytes, big-endian).
    pub const SERIAL: u8 = 0x8F;
}

/// PUT property: encrypt the account with the PIN (next to touch, `02`).
pub const PROP_PIN_ENCRYPTED: u8 = 0x04;

/// Status word of a wrong PIN (VERIFY PIN, CHANGE PIN): `6300`, with no counter in it;
/// SELECT's `82` tells the attempts left.
pub const SW_WRONG_PIN: u16 = 0x6300;

/// The applet sets no minimum; ykotp asks for at least 4 bytes, as Nitrokey's tools do.
pub const MIN_PIN_LEN: usize = 4;
/// trussed-auth's limit on a PIN's length.
pub const MAX_PIN_LEN: usize = 64;

/// VERIFY PIN.
pub fn verify_pin(pin: &[u8]) -> CommandApdu {
    CommandApdu::new(ins::VERIFY_PIN, 0, 0, tlv_pin(pin))
}

/// SET PIN: only on an applet without a PIN.
pub fn set_pin(pin: &[u8]) -> CommandApdu {
    CommandApdu::new(ins::SET_PIN, 0, 0, tlv_pin(pin))
}

/// CHANGE PIN.
pub fn change_pin(old: &[u8], new: &[u8]) -> CommandApdu {
    let mut data = tlv_pin(old);
    tlv::write(&mut data, tag::NEW_PIN, new);
    CommandApdu::new(ins::CHANGE_PIN, 0, 0, data)
}

/// UPDATE CREDENTIAL with a new name: the applet's rename.
pub fn rename(old: &[u8], new: &[u8]) -> CommandApdu {
    let mut data = Vec::with_capacity(old.len() + new.len() + 4);
    tlv::write(&mut data, super::proto::tag::NAME, old);
    tlv::write(&mut data, super::proto::tag::NAME, new);
    CommandApdu::new(ins::UPDATE_CREDENTIAL, 0, 0, data)
}

fn tlv_pin(pin: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(pin.len() + 2);
    tlv::write(&mut data, tag::PIN, pin);
    data
}

/// Whether the applet needs a fresh VERIFY PIN before `command` to see the accounts
/// encrypted with the PIN: every command that reads or deletes an existing account
/// (SELECT shares CALCULATE ALL's instruction byte; P1 tells them apart). PUT is not
/// among them: only a new encrypted account needs the PIN, and the session asks then.
pub fn needs_pin(command: &CommandApdu) -> bool {
    use super::proto::ins::*;
    match command.ins {
        LIST | CALCULATE | DELETE | ins::UPDATE_CREDENTIAL => true,
        CALCULATE_ALL => command.p1 == 0,
        _ => false,
    }
}

/// What a refused VERIFY PIN, SET PIN or CHANGE PIN means: `6300` a wrong PIN; `6982`
/// no touch (each of them waits for one), or for SET PIN a PIN already set.
pub fn error(e: Error) -> Error {
    match e {
        Error::Refused { sw: Sw(SW_WRONG_PIN), .. } => Error::WrongPassword,
        Error::Refused { command, sw: sw @ Sw(0x6982) } => Error::TouchRequired { command, sw },
        e => e,
    }
}

/// Whether a PIN is acceptable to send: ykotp's minimum and trussed-auth's maximum.
pub fn check_pin(pin: &[u8]) -> Result<(), &'static str> {
    if pin.len() < MIN_PIN_LEN {
        return Err("the PIN must have at least 4 characters");
    }
    if pin.len() > MAX_PIN_LEN {
        return Err("the PIN must have at most 64 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oath::proto;

    #[test]
    fn encodings() {
        assert_eq!(hex::encode_upper(verify_pin(b"1234").encode()), "00B2000006800431323334");
        assert_eq!(hex::encode_upper(set_pin(b"1234").encode()), "00B4000006800431323334");
        assert_eq!(hex::encode_upper(change_pin(b"1234", b"98765").encode()), "00B300000D80043132333481053938373635");
        assert_eq!(hex::encode_upper(rename(b"a", b"bc").encode()), "00B700000771016171026263");
    }

    #[test]
    fn which_commands_need_the_pin() {
        for c in
            [proto::list(), proto::calculate(b"a", &[0; 8], true), proto::calculate_all(&[0; 8]), proto::delete(b"a"), rename(b"a", b"b")]
        {
            assert!(needs_pin(&c), "{c:?}");
        }
        for c in [proto::select(), proto::reset(), verify_pin(b"1234")] {
            assert!(!needs_pin(&c), "{c:?}");
        }
    }

    const SERIAL: [u8; 6] = [tag::SERIAL, 4, 0x4E, 0x4B, 0x33, 0x01];

    fn select_answer(pin_attempts: Option<u8>) -> Vec<u8> {
        let mut a = vec![0x79, 3, 4, 16, 0];
        match pin_attempts {
            Some(n) => a.extend_from_slice(&[tag::PIN_ATTEMPTS, 1, n]),
            None => a.extend_from_slice(&[0x71, 8, 1, 2, 3, 4, 5, 6, 7, 8]),
        }
        a.extend_from_slice(&SERIAL);
        a.extend_from_slice(&[0x90, 0x00]);
        a
    }

    #[test]
    fn select_with_and_without_pin() {
        let body = |a: Vec<u8>| a[..a.len() - 2].to_vec();
        let with = proto::parse_select(&body(select_answer(Some(7)))).unwrap();
        assert_eq!((with.pin_attempts, with.serial, with.salt.len(), with.has_pin()), (Some(7), Some(0x4E4B_3301), 0, true));
        let without = proto::parse_select(&body(select_answer(None))).unwrap();
        assert_eq!((without.pin_attempts, without.has_pin(), without.salt.len()), (None, false, 8));
        // the device id follows the serial, so setting a PIN (which hides the salt) keeps it
        assert_eq!(with.device_id(), without.device_id());
        // a YubiKey's answer still needs its salt
        assert!(proto::parse_select(&[0x79, 3, 5, 4, 3]).is_err());
    }

    #[test]
    fn the_pin_is_verified_again_before_each_command_that_needs_it() {
        use crate::oath::Session;
        use crate::transport::scripted::Scripted;
        let ok = || vec![0x90, 0x00];
        let list = proto::list().encode();
        let listed = vec![0x72, 2, 0x21, b'a', 0x90, 0x00];
        let script = Scripted::new([
            (proto::select().encode(), select_answer(Some(8))),
            (verify_pin(b"1234").encode(), ok()),
            // the VERIFY PIN of unlocking serves the first LIST
            (list.clone(), listed.clone()),
            // the applet has forgotten the PIN: verified again
            (verify_pin(b"1234").encode(), ok()),
            (list, listed),
        ]);
        let mut s = Session::select(script).unwrap();
        assert!(s.is_locked() && s.has_pin_extension());
        s.unlock_pin(b"1234").unwrap();
        assert!(!s.is_locked());
        assert_eq!(s.list().unwrap().len(), 1);
        assert_eq!(s.list().unwrap().len(), 1);
        assert_eq!(s.into_transport().remaining(), 0);
    }

    #[test]
    fn a_wrong_pin_is_a_wrong_password_and_nothing_is_kept() {
        use crate::oath::Session;
        use crate::transport::scripted::Scripted;
        let script = Scripted::new([
            (proto::select().encode(), select_answer(Some(8))),
            (verify_pin(b"9999").encode(), vec![0x63, 0x00]),
            (verify_pin(b"1234").encode(), vec![0x69, 0x82]),
        ]);
        let mut s = Session::select(script).unwrap();
        assert_eq!(s.unlock_pin(b"9999"), Err(Error::WrongPassword));
        assert!(s.is_locked());
        // 6982: the key was not touched for VERIFY PIN
        assert!(matches!(s.unlock_pin(b"1234"), Err(Error::TouchRequired { command: "VERIFY PIN", .. })));
        assert!(s.is_locked());
    }

    #[test]
    fn pin_length_limits() {
        assert!(check_pin(b"123").is_err());
        assert!(check_pin(b"1234").is_ok());
        assert!(check_pin(&[b'1'; 64]).is_ok());
        assert!(check_pin(&[b'1'; 65]).is_err());
    }
}
