//! Why no key (or not exactly one) could be used. The PC/SC and YKOATH errors underneath
//! are kept whole, as the [`source`](std::error::Error::source) of these.

use super::probe::KeyInfo;
use super::selector::KeyId;
use crate::oath::Error as OathError;
use crate::transport::TransportError;

/// Choosing or opening a key failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Talking to the key, or to pcscd, failed.
    #[error(transparent)]
    Oath(#[from] OathError),
    /// No reader's name contains the one asked for.
    #[error("no reader matches \"{wanted}\"")]
    NoReaderMatches {
        /// What was asked for.
        wanted: String,
        /// The readers there are.
        readers: Vec<String>,
    },
    /// Readers are attached, but no card is in any of them (that the selection allows).
    #[error("no key is inserted")]
    NoCard,
    /// Cards are present, but none has an OATH applet.
    #[error("no key with an OATH applet found")]
    NoOathKey,
    /// The chosen reader's card has no OATH applet (or it is disabled).
    #[error("the key in \"{reader}\" has no OATH applet")]
    NoApplet {
        /// The reader.
        reader: String,
    },
    /// No key has this serial number or (stable) device id.
    #[error("no key has the serial number or device id {0}")]
    NoKeyMatches(KeyId),
    /// Several keys fit where one is needed.
    #[error("{} keys found where one is needed", .0.len())]
    Several(Vec<KeyInfo>),
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Oath(OathError::Transport(e))
    }
}

impl Error {
    /// The PC/SC or link failure underneath, if that is what this is.
    pub fn transport(&self) -> Option<&TransportError> {
        match self {
            Error::Oath(OathError::Transport(t)) => Some(t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn the_pcsc_and_io_errors_underneath_are_kept() {
        let e = Error::from(TransportError::Pcsc(pcsc::Error::InvalidHandle));
        assert_eq!(e.transport(), Some(&TransportError::Pcsc(pcsc::Error::InvalidHandle)));
        // transparent layers: the first source is the PC/SC error itself
        let cause = e.source().and_then(|s| s.downcast_ref::<pcsc::Error>());
        assert_eq!(cause, Some(&pcsc::Error::InvalidHandle));
        let io = TransportError::io("cannot lock k.lock", std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let cause = io.source().and_then(|s| s.downcast_ref::<std::io::Error>()).map(std::io::Error::kind);
        assert_eq!(cause, Some(std::io::ErrorKind::PermissionDenied));
        assert_eq!(io.to_string(), "cannot lock k.lock");
    }
}
