//! The transport seam: one method that sends a command APDU and returns the response
//! bytes. PC/SC, the in-process virtual key, the recorder and the scripted test
//! transport implement it. Response chaining (`61xx`) is handled above it, once, in
//! [`exchange`].

pub mod pcsc;
pub mod recorder;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
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

/// Failures below YKOATH: the PC/SC stack, the reader, or the card link. The PC/SC or
/// I/O error underneath is kept as the [`source`](std::error::Error::source).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TransportError {
    /// pcscd is not running or not reachable.
    NoService,
    /// No reader is attached.
    NoReaders,
    /// Access to pcscd was refused (polkit).
    AccessDenied,
    /// Another program holds the card exclusively.
    Busy,
    /// The card was removed.
    CardRemoved,
    /// The card was reset by another program during our work.
    CardReset,
    /// The card answered with fewer than two bytes or a never-ending chain.
    Malformed,
    /// Any other PC/SC error.
    Pcsc(::pcsc::Error),
    /// The scripted test transport saw something it did not expect.
    #[cfg(any(test, feature = "testing"))]
    Script(String),
    /// I/O on a local device (the virtual key's state file or lock, a socket).
    Io {
        /// What was being done, e.g. "cannot lock /path/key.json.lock".
        context: String,
        /// Why it failed (shared, so the error stays `Clone`).
        source: std::sync::Arc<dyn std::error::Error + Send + Sync>,
    },
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use TransportError as T;
        f.write_str(match self {
            T::NoService => "the PC/SC service (pcscd) is not running",
            T::NoReaders => "no smart card reader found",
            T::AccessDenied => "access to the PC/SC service was denied",
            T::Busy => "the key is in use by another program",
            T::CardRemoved => "the key was removed",
            T::CardReset => "the key was reset by another program",
            T::Malformed => "the key sent a malformed response",
            T::Pcsc(_) => "PC/SC error",
            #[cfg(any(test, feature = "testing"))]
            T::Script(m) => return write!(f, "script mismatch: {m}"),
            T::Io { context, .. } => context,
        })
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TransportError::Pcsc(e) => Some(e),
            TransportError::Io { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

impl TransportError {
    /// An I/O failure while `context`.
    pub fn io(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        TransportError::Io { context: context.into(), source: std::sync::Arc::new(source) }
    }
}

/// Equal kinds, equal PC/SC codes, equal I/O contexts (I/O sources are not compared).
impl PartialEq for TransportError {
    fn eq(&self, other: &Self) -> bool {
        use TransportError as T;
        match (self, other) {
            (T::Pcsc(a), T::Pcsc(b)) => a == b,
            #[cfg(any(test, feature = "testing"))]
            (T::Script(a), T::Script(b)) => a == b,
            (T::Io { context: a, .. }, T::Io { context: b, .. }) => a == b,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b) && !matches!(a, T::Pcsc(_) | T::Io { .. }),
        }
    }
}

impl Eq for TransportError {}

/// Sends `command` and follows `61xx` with SEND REMAINING until the final status word.
pub fn exchange(t: &mut dyn Transport, command: &CommandApdu) -> Result<Response, TransportError> {
    let mut response = parse(&t.transmit(&command.encode())?)?;
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
