//! The transport seam: one method that sends a command APDU and returns the response
//! bytes. PC/SC, the in-process virtual key, the recorder and the scripted test
//! transport implement it. Response chaining (`61xx`) is handled above it, once, in
//! [`exchange`].

pub mod pcsc;
pub mod recorder;
pub mod scripted;

use crate::apdu::{CommandApdu, Response};

/// YKOATH's SEND REMAINING instruction (not ISO GET RESPONSE `C0`).
pub const INS_SEND_REMAINING: u8 = 0xA5;

/// A chained response longer than this is treated as a broken card, so a card that
/// answers `61xx` forever cannot hang us.
const MAX_CHAINED_RESPONSE: usize = 64 * 1024;

/// One ISO 7816 exchange.
pub trait Transport {
    /// Sends one command APDU; returns `data ‖ SW1 SW2`.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
}

/// Failures below YKOATH: the PC/SC stack, the reader, or the card link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// pcscd is not running or not reachable.
    #[error("the PC/SC service (pcscd) is not running")]
    NoService,
    /// No reader is attached.
    #[error("no smart card reader found")]
    NoReaders,
    /// Access to pcscd was refused (polkit).
    #[error("access to the PC/SC service was denied")]
    AccessDenied,
    /// Another program holds the card exclusively.
    #[error("the key is in use by another program")]
    Busy,
    /// The card was removed.
    #[error("the key was removed")]
    CardRemoved,
    /// The card was reset by another program during our work.
    #[error("the key was reset by another program")]
    CardReset,
    /// The card answered with fewer than two bytes or a never-ending chain.
    #[error("the key sent a malformed response")]
    Malformed,
    /// Any other PC/SC error.
    #[error("PC/SC error: {0}")]
    Pcsc(String),
    /// The scripted test transport saw something it did not expect.
    #[error("script mismatch: {0}")]
    Script(String),
    /// I/O on a local device (the virtual key's state file, a socket).
    #[error("{0}")]
    Io(String),
}

/// Sends `command` and follows `61xx` with SEND REMAINING until the final status word.
pub fn exchange(t: &mut dyn Transport, command: &CommandApdu) -> Result<Response, TransportError> {
    // the wire form of a PUT or SET CODE holds a key
    let wire = zeroize::Zeroizing::new(command.encode());
    let mut response = parse(&t.transmit(&wire)?)?;
    let mut data = std::mem::take(&mut response.data);
    let send_remaining = CommandApdu::new(INS_SEND_REMAINING, 0, 0, vec![]).encode();
    while response.sw.more_data().is_some() {
        response = parse(&t.transmit(&send_remaining)?)?;
        data.extend_from_slice(&response.data);
        if data.len() > MAX_CHAINED_RESPONSE {
            return Err(TransportError::Malformed);
        }
    }
    Ok(Response::new(data, response.sw))
}

fn parse(bytes: &[u8]) -> Result<Response, TransportError> {
    Response::parse(bytes).map_err(|_| TransportError::Malformed)
}
