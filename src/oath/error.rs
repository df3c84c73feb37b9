//! Typed YKOATH errors, and the one place where a (command, status word, context)
//! triple is given its meaning: the same SW means different things after different
//! commands, and `6982` after LIST means "locked" only when a password is set and not
//! yet given (protocol reference §5; docs/tokens.md lists every status word).

use super::proto::{ins, Version};
use crate::iso7816::apdu::Sw;
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
    /// A card that asks for a touch before PUT, DELETE, RESET, RENAME or SET CODE
    /// (`6982` with no password pending) was not touched.
    #[error("the key refused {command} without a touch ({sw}: security status not satisfied)")]
    TouchRequired {
        /// The command.
        command: &'static str,
        /// The status word.
        sw: Sw,
    },
    /// PUT over an existing name on a card that cannot overwrite (`6983`).
    #[error("the key cannot overwrite an existing account (PUT answered {sw})")]
    CannotOverwrite {
        /// The status word.
        sw: Sw,
    },
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
    /// The card broke response chaining: `61xx` without data, or no end to it.
    #[error("the key's answer to {command} is broken: {why}")]
    BrokenChain {
        /// The command whose answer was being read.
        command: &'static str,
        /// What the transport saw.
        why: TransportError,
    },
    /// The card did not answer within the deadline.
    #[error("the key did not answer {command} within {secs} s")]
    NoAnswer {
        /// The command that got no answer.
        command: &'static str,
        /// The deadline, in seconds.
        secs: u64,
    },
    /// Any other status word: the command, the word and what ISO 7816-4 says it means.
    #[error("the key refused {command} ({sw}: {})", sw_meaning(*.sw))]
    Refused {
        /// The command (SEND REMAINING when the status came after response chaining).
        command: &'static str,
        /// The status word.
        sw: Sw,
    },
}

impl Error {
    /// The status word a card answered, for errors that came from one.
    pub fn status(&self) -> Option<Sw> {
        match self {
            Error::Refused { sw, .. } | Error::TouchRequired { sw, .. } | Error::CannotOverwrite { sw } => Some(*sw),
            _ => None,
        }
    }
}

/// What the session knew when a status word came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    /// SELECT showed a password and VALIDATE has not succeeded yet.
    pub locked: bool,
    /// The status came after response chaining: it is SEND REMAINING's.
    pub continued: bool,
}

/// The YKOATH name of a command (SELECT and CALCULATE ALL share A4, told apart by P1).
pub fn command_name(instruction: u8, p1: u8) -> &'static str {
    use ins::*;
    match instruction {
        SELECT if p1 == 0x04 => "SELECT",
        CALCULATE_ALL => "CALCULATE ALL",
        PUT => "PUT",
        DELETE => "DELETE",
        SET_CODE => "SET CODE",
        RESET => "RESET",
        RENAME => "RENAME",
        LIST => "LIST",
        CALCULATE => "CALCULATE",
        VALIDATE => "VALIDATE",
        SEND_REMAINING => "SEND REMAINING",
        GET_DEVICE_INFO => "GET DEVICE INFO",
        0xC0 => "GET RESPONSE",
        super::pin::ins::VERIFY_PIN => "VERIFY PIN",
        super::pin::ins::SET_PIN => "SET PIN",
        super::pin::ins::CHANGE_PIN => "CHANGE PIN",
        super::pin::ins::UPDATE_CREDENTIAL => "UPDATE CREDENTIAL",
        _ => "an unknown command",
    }
}

/// What ISO 7816-4 (and YKOATH) say a status word means.
pub fn sw_meaning(sw: Sw) -> &'static str {
    match sw.0 {
        0x6581 => "memory failure",
        0x6700 => "wrong length",
        0x6982 => "security status not satisfied",
        0x6983 => "authentication method blocked",
        0x6984 => "referenced data not usable",
        0x6985 => "conditions of use not satisfied",
        0x6986 => "command not allowed",
        0x6A80 => "incorrect data",
        0x6A81 => "function not supported",
        0x6A82 => "not found",
        0x6A84 => "not enough memory",
        0x6A86 | 0x6B00 => "wrong parameters P1-P2",
        0x6D00 => "instruction not supported",
        0x6E00 => "class not supported",
        0x6F00 => "no precise diagnosis",
        w if w >> 8 == 0x6C => "wrong Le",
        w if w >> 8 == 0x61 => "more data",
        _ => "unknown status",
    }
}

/// Gives a failed status word its meaning for the command that got it, in `ctx`.
pub fn classify(instruction: u8, p1: u8, sw: Sw, ctx: Context) -> Error {
    use ins::*;
    let select = instruction == SELECT && p1 == 0x04;
    let command = if ctx.continued { "SEND REMAINING" } else { command_name(instruction, p1) };
    let refused = Error::Refused { command, sw };
    match (instruction, sw.0) {
        _ if select => match sw.0 {
            0x6A82 | 0x6999 | 0x6D00 | 0x6B00 => Error::AppletNotFound,
            _ => refused,
        },
        (VALIDATE, 0x6A80) => Error::WrongPassword,
        (VALIDATE, 0x6984) => Error::NoPassword,
        // a password set and not given explains 6982 for anything else
        (_, 0x6982) if ctx.locked && instruction != VALIDATE && instruction != RESET => Error::Locked,
        (CALCULATE, 0x6982) => Error::TouchNotGiven,
        // unlocked: cards that ask for a touch before changing anything (a Nitrokey 3)
        (PUT | DELETE | RESET | RENAME | SET_CODE, 0x6982) => Error::TouchRequired { command, sw },
        (SET_CODE, 0x6984) => Error::WrongResponse,
        (DELETE | CALCULATE | RENAME, 0x6984) => Error::NoSuchAccount,
        (PUT, 0x6A84 | 0x6F00) => Error::NoSpace,
        (PUT, 0x6983) => Error::CannotOverwrite { sw },
        (_, 0x6A80) if !ctx.continued => Error::BadRequest,
        (_, 0x6D00) if !ctx.continued => Error::NotSupported,
        _ => refused,
    }
}

/// Names the command in a transport failure that is about the card's answer.
pub fn in_command(e: TransportError, instruction: u8, p1: u8) -> Error {
    let command = command_name(instruction, p1);
    match e {
        TransportError::EmptyMoreData { .. } | TransportError::EndlessChain { .. } => Error::BrokenChain { command, why: e },
        TransportError::NoAnswer { waited } => Error::NoAnswer { command, secs: waited.as_secs() },
        other => Error::Transport(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Context = Context { locked: false, continued: false };
    const LOCKED: Context = Context { locked: true, continued: false };

    #[test]
    fn same_sw_different_meaning() {
        assert_eq!(classify(ins::LIST, 0, Sw(0x6982), LOCKED), Error::Locked);
        assert_eq!(classify(ins::CALCULATE, 0, Sw(0x6982), OPEN), Error::TouchNotGiven);
        assert_eq!(classify(ins::DELETE, 0, Sw(0x6984), OPEN), Error::NoSuchAccount);
        assert_eq!(classify(ins::SET_CODE, 0, Sw(0x6984), OPEN), Error::WrongResponse);
        assert_eq!(classify(ins::VALIDATE, 0, Sw(0x6A80), LOCKED), Error::WrongPassword);
        assert_eq!(classify(ins::PUT, 0, Sw(0x6A80), OPEN), Error::BadRequest);
        assert_eq!(classify(ins::PUT, 0, Sw(0x6A84), OPEN), Error::NoSpace);
        assert_eq!(classify(ins::PUT, 0, Sw(0x6983), OPEN), Error::CannotOverwrite { sw: Sw(0x6983) });
        assert_eq!(classify(ins::SELECT, 4, Sw(0x6A82), OPEN), Error::AppletNotFound);
        assert_eq!(classify(ins::RENAME, 0, Sw(0x6D00), OPEN), Error::NotSupported);
    }

    #[test]
    fn sw_6982_by_context() {
        // a locked CALCULATE is the password's fault, not the touch's
        assert_eq!(classify(ins::CALCULATE, 0, Sw(0x6982), LOCKED), Error::Locked);
        // no password pending: never the password
        let delete = classify(ins::DELETE, 0, Sw(0x6982), OPEN);
        assert_eq!(delete, Error::TouchRequired { command: "DELETE", sw: Sw(0x6982) });
        assert_eq!(classify(ins::RESET, 0xDE, Sw(0x6982), OPEN), Error::TouchRequired { command: "RESET", sw: Sw(0x6982) });
        let list = classify(ins::LIST, 0, Sw(0x6982), OPEN);
        assert_eq!(list.to_string(), "the key refused LIST (6982: security status not satisfied)");
    }

    #[test]
    fn messages_name_the_command_that_was_refused() {
        let e = classify(ins::CALCULATE_ALL, 0, Sw(0x6985), OPEN);
        assert_eq!(e.to_string(), "the key refused CALCULATE ALL (6985: conditions of use not satisfied)");
        assert_eq!(classify(ins::CALCULATE_ALL, 0, Sw(0x6A82), OPEN).to_string(), "the key refused CALCULATE ALL (6A82: not found)");
        // after chaining the status is SEND REMAINING's
        let e = classify(ins::LIST, 0, Sw(0x6F00), Context { continued: true, ..OPEN });
        assert_eq!(e.to_string(), "the key refused SEND REMAINING (6F00: no precise diagnosis)");
        let e = in_command(TransportError::EmptyMoreData { sw: 0x61FF }, ins::LIST, 0);
        assert_eq!(e.to_string(), "the key's answer to LIST is broken: the key announced more data (61FF) but sent none");
    }

    #[test]
    fn validate_and_continued_statuses() {
        // VALIDATE on a key without a password
        assert_eq!(classify(ins::VALIDATE, 0, Sw(0x6984), OPEN), Error::NoPassword);
        // 6A80 and 6D00 after chaining are SEND REMAINING's, not the command's
        let continued = Context { continued: true, ..OPEN };
        for sw in [0x6A80, 0x6D00] {
            assert_eq!(classify(ins::LIST, 0, Sw(sw), continued), Error::Refused { command: "SEND REMAINING", sw: Sw(sw) });
        }
        assert_eq!(classify(ins::LIST, 0, Sw(0x6D00), OPEN), Error::NotSupported);
    }

    #[test]
    fn every_instruction_has_its_protocol_name() {
        // (INS, P1, name) as the protocol reference and the PIN extension name them
        let table = [
            (0xA4, 0x04, "SELECT"),
            (0xA4, 0x00, "CALCULATE ALL"),
            (0xA4, 0x01, "CALCULATE ALL"),
            (0x01, 0, "PUT"),
            (0x02, 0, "DELETE"),
            (0x03, 0, "SET CODE"),
            (0x04, 0xDE, "RESET"),
            (0x05, 0, "RENAME"),
            (0xA1, 0, "LIST"),
            (0xA2, 0, "CALCULATE"),
            (0xA3, 0, "VALIDATE"),
            (0xA5, 0, "SEND REMAINING"),
            (0x1D, 0, "GET DEVICE INFO"),
            (0xC0, 0, "GET RESPONSE"),
            (0xB2, 0, "VERIFY PIN"),
            (0xB3, 0, "CHANGE PIN"),
            (0xB4, 0, "SET PIN"),
            (0xB7, 0, "UPDATE CREDENTIAL"),
            (0x99, 0, "an unknown command"),
        ];
        for (instruction, p1, name) in table {
            assert_eq!(command_name(instruction, p1), name, "INS {instruction:02X} P1 {p1:02X}");
        }
    }

    #[test]
    fn every_status_word_has_its_iso_meaning() {
        let table = [
            (0x6581, "memory failure"),
            (0x6700, "wrong length"),
            (0x6982, "security status not satisfied"),
            (0x6983, "authentication method blocked"),
            (0x6984, "referenced data not usable"),
            (0x6985, "conditions of use not satisfied"),
            (0x6986, "command not allowed"),
            (0x6A80, "incorrect data"),
            (0x6A81, "function not supported"),
            (0x6A82, "not found"),
            (0x6A84, "not enough memory"),
            (0x6A86, "wrong parameters P1-P2"),
            (0x6B00, "wrong parameters P1-P2"),
            (0x6D00, "instruction not supported"),
            (0x6E00, "class not supported"),
            (0x6F00, "no precise diagnosis"),
            (0x6C10, "wrong Le"),
            (0x61FF, "more data"),
            (0x6A83, "unknown status"),
        ];
        for (sw, meaning) in table {
            assert_eq!(sw_meaning(Sw(sw)), meaning, "{sw:04X}");
        }
    }

    #[test]
    fn errors_from_a_status_word_keep_it() {
        let refused = classify(ins::LIST, 0, Sw(0x6F00), OPEN);
        assert_eq!(refused.status(), Some(Sw(0x6F00)));
        let touch = classify(ins::DELETE, 0, Sw(0x6982), OPEN);
        assert_eq!(touch.status(), Some(Sw(0x6982)));
        assert_eq!(classify(ins::PUT, 0, Sw(0x6983), OPEN).status(), Some(Sw(0x6983)));
        // errors with their own meaning carry no raw status
        assert_eq!(classify(ins::PUT, 0, Sw(0x6A84), OPEN).status(), None);
    }
}
