//! Typed YKOATH errors, and the one place where an (instruction, status word) pair is
//! given its meaning: the same SW means different things after different commands
//! (protocol reference §5).

use super::proto::{ins, Version};
use crate::apdu::Sw;
use crate::transport::TransportError;

/// Everything that can go wrong talking to an OATH applet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Below YKOATH.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// SELECT failed: no OATH applet, or it is disabled.
    #[error("the card has no OATH applet (or it is disabled)")]
    AppletNotFound,
    /// A password is set and the session is not unlocked.
    #[error("the key is protected by a password")]
    Locked,
    /// VALIDATE refused the proof.
    #[error("wrong password")]
    WrongPassword,
    /// VALIDATE on a key without a password.
    #[error("the key has no password set")]
    NoPassword,
    /// The card's VALIDATE answer did not prove knowledge of the key.
    #[error("the key's answer to the password check is wrong; it may not be genuine")]
    CardNotAuthentic,
    /// CALCULATE of a touch credential timed out or was refused.
    #[error("the key was not touched in time")]
    TouchNotGiven,
    /// DELETE, CALCULATE or RENAME of an id the key does not have.
    #[error("the key has no such account")]
    NoSuchAccount,
    /// SET CODE's proof did not match its key.
    #[error("the key rejected the new password's proof")]
    WrongResponse,
    /// PUT on a full key.
    #[error("the key has no space left for another account")]
    NoSpace,
    /// The key refused the data (`6A80` outside VALIDATE).
    #[error("the key refused the request as malformed")]
    BadRequest,
    /// The key does not know the instruction.
    #[error("the key does not support this operation")]
    NotSupported,
    /// A feature needs newer firmware.
    #[error("{feature} needs firmware {needs} or later; this key has {has}")]
    NeedsFirmware {
        /// What was asked.
        feature: &'static str,
        /// The minimum version.
        needs: Version,
        /// The key's version.
        has: Version,
    },
    /// The card's answer could not be parsed.
    #[error("the key sent a response that cannot be understood ({0})")]
    Malformed(&'static str),
    /// Any other status word.
    #[error("the key answered {sw} to instruction {ins:02X}")]
    Status {
        /// The instruction.
        ins: u8,
        /// The status word.
        sw: Sw,
    },
}

/// Gives a failed status word its meaning for the instruction that got it.
pub fn classify(instruction: u8, p1: u8, sw: Sw) -> Error {
    use ins::*;
    let select = instruction == SELECT && p1 == 0x04;
    match (instruction, sw.0) {
        _ if select => match sw.0 {
            0x6A82 | 0x6999 | 0x6D00 | 0x6B00 => Error::AppletNotFound,
            _ => Error::Status { ins: instruction, sw },
        },
        (VALIDATE, 0x6A80) => Error::WrongPassword,
        (VALIDATE, 0x6984) => Error::NoPassword,
        (CALCULATE, 0x6982) => Error::TouchNotGiven,
        (SET_CODE, 0x6984) => Error::WrongResponse,
        (DELETE | CALCULATE | RENAME, 0x6984) => Error::NoSuchAccount,
        (PUT, 0x6A84 | 0x6F00) => Error::NoSpace,
        (_, 0x6982) => Error::Locked,
        (_, 0x6A80) => Error::BadRequest,
        (_, 0x6D00) => Error::NotSupported,
        _ => Error::Status { ins: instruction, sw },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_sw_different_meaning() {
        assert_eq!(classify(ins::LIST, 0, Sw(0x6982)), Error::Locked);
        assert_eq!(classify(ins::CALCULATE, 0, Sw(0x6982)), Error::TouchNotGiven);
        assert_eq!(classify(ins::DELETE, 0, Sw(0x6984)), Error::NoSuchAccount);
        assert_eq!(classify(ins::SET_CODE, 0, Sw(0x6984)), Error::WrongResponse);
        assert_eq!(classify(ins::VALIDATE, 0, Sw(0x6A80)), Error::WrongPassword);
        assert_eq!(classify(ins::PUT, 0, Sw(0x6A80)), Error::BadRequest);
        assert_eq!(classify(ins::PUT, 0, Sw(0x6A84)), Error::NoSpace);
        assert_eq!(classify(ins::SELECT, 4, Sw(0x6A82)), Error::AppletNotFound);
        assert_eq!(classify(ins::CALCULATE_ALL, 0, Sw(0x6A82)), Error::Status { ins: 0xA4, sw: Sw(0x6A82) });
        assert_eq!(classify(ins::RENAME, 0, Sw(0x6D00)), Error::NotSupported);
    }
}
