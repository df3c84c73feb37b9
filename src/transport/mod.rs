//! The transport seam: one method that sends a command APDU and returns the response
//! bytes. PC/SC, the in-process virtual key, the recorder and the scripted test
//! transport implement it. Response chaining (`61xx`) is handled above it, once, in
//! [`exchange`].

pub mod deadline;
pub mod pcsc;
pub mod recorder;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod scripted;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod transcript;

use crate::iso7816::apdu::{CommandApdu, Response};
use std::time::Duration;

/// YKOATH's SEND REMAINING instruction (the OATH applet's way to continue a `61xx`).
pub const INS_SEND_REMAINING: u8 = 0xA5;
/// ISO 7816-4 GET RESPONSE (how other applets, e.g. the management applet, continue).
pub const INS_GET_RESPONSE: u8 = 0xC0;

/// A chained response longer than this is a broken card: the largest YKOATH answer
/// (CALCULATE ALL of 64 accounts with 64-byte names and SHA-512 responses) is under 9 KiB.
pub const MAX_CHAINED_RESPONSE: usize = 64 * 1024;
/// The smallest piece a real card sends before `61xx`: real keys send 254 or 255 bytes,
/// and no ISO 7816 link carries fewer than 64 bytes per frame.
const MIN_PIECE: usize = 64;
/// At most this many continuations (SEND REMAINING / GET RESPONSE) per command: what
/// [`MAX_CHAINED_RESPONSE`] needs in pieces of 64 bytes. A card that keeps answering
/// `61xx` cannot make us loop.
pub const MAX_CONTINUATIONS: usize = MAX_CHAINED_RESPONSE / MIN_PIECE;

/// How long a card may take to answer one APDU outside a touch wait. Real keys answer
/// in milliseconds; the slowest cards (PIN checks on a Nitrokey 3) take about a second.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(10);
/// How long a card may take when it may be waiting for a touch: a YubiKey gives up
/// after 15 s and a Nitrokey 3 after 15 s; this leaves room for both.
pub const TOUCH_DEADLINE: Duration = Duration::from_secs(40);

/// What the card may be doing before it answers, which decides the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wait {
    /// Computing an answer: [`ANSWER_DEADLINE`].
    #[default]
    Answer,
    /// Maybe waiting for the user's touch first: [`TOUCH_DEADLINE`].
    Touch,
}

impl Wait {
    /// The deadline for one APDU.
    pub fn deadline(self) -> Duration {
        match self {
            Wait::Answer => ANSWER_DEADLINE,
            Wait::Touch => TOUCH_DEADLINE,
        }
    }
}

/// One ISO 7816 exchange.
pub trait Transport {
    /// Sends one command APDU; returns `data ‖ SW1 SW2`.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// Like [`Transport::transmit`], saying how long the card may take. Links that can
    /// hang (PC/SC, whose `SCardTransmit` waits forever for a mute card) enforce
    /// [`Wait::deadline`] and answer [`TransportError::NoAnswer`] after it.
    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        let _ = wait;
        self.transmit(command)
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        (**self).transmit_within(command, wait)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        (**self).transmit_within(command, wait)
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
    /// The card answered with fewer than two bytes.
    Malformed,
    /// The card said more data waits (`61xx`) but sent none with it.
    EmptyMoreData {
        /// The `61xx` status word.
        sw: u16,
    },
    /// The card kept answering `61xx` beyond what any real answer needs.
    EndlessChain {
        /// Pieces received.
        pieces: usize,
        /// Bytes received.
        bytes: usize,
    },
    /// The card did not answer an APDU within its deadline.
    NoAnswer {
        /// The deadline that passed.
        waited: Duration,
    },
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
            T::EmptyMoreData { sw } => return write!(f, "the key announced more data ({sw:04X}) but sent none"),
            T::EndlessChain { pieces, bytes } => return write!(f, "the key's answer did not end after {pieces} pieces ({bytes} bytes)"),
            T::NoAnswer { waited } => return write!(f, "the key did not answer within {} s", waited.as_secs()),
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
            (T::EmptyMoreData { sw: a }, T::EmptyMoreData { sw: b }) => a == b,
            (T::EndlessChain { pieces: a, bytes: x }, T::EndlessChain { pieces: b, bytes: y }) => (a, x) == (b, y),
            (T::NoAnswer { waited: a }, T::NoAnswer { waited: b }) => a == b,
            (a, b) => {
                std::mem::discriminant(a) == std::mem::discriminant(b)
                    && !matches!(a, T::Pcsc(_) | T::Io { .. } | T::EmptyMoreData { .. } | T::EndlessChain { .. } | T::NoAnswer { .. })
            }
        }
    }
}

impl Eq for TransportError {}

/// A command's final answer and how many continuations it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// All pieces' data and the final status word.
    pub response: Response,
    /// How many SEND REMAINING / GET RESPONSE were sent; the final status word is the
    /// last one's when this is not zero.
    pub continuations: usize,
}

/// Sends `command` and follows `61xx` with YKOATH's SEND REMAINING until the final
/// status word.
pub fn exchange(t: &mut dyn Transport, command: &CommandApdu) -> Result<Response, TransportError> {
    exchange_with(t, command, INS_SEND_REMAINING, Wait::Answer).map(|a| a.response)
}

/// Sends `command` with the deadline of `wait` and follows `61xx` with `continue_ins`
/// (SEND REMAINING or GET RESPONSE, with `Le = 00`). Bounded: a `61xx` without data is
/// an error at once, and at most [`MAX_CONTINUATIONS`] pieces and
/// [`MAX_CHAINED_RESPONSE`] bytes are accepted.
pub fn exchange_with(t: &mut dyn Transport, command: &CommandApdu, continue_ins: u8, wait: Wait) -> Result<Answer, TransportError> {
    // the wire form of a PUT or SET CODE holds a key
    let wire = zeroize::Zeroizing::new(command.encode());
    let first = parse(&t.transmit_within(&wire, wait)?)?;
    let (mut sw, mut piece, mut data) = (first.sw, first.data.len(), first.data);
    let more = CommandApdu::expecting_data(continue_ins, 0, 0, vec![]).encode();
    let mut continuations = 0;
    while sw.more_data().is_some() {
        if piece == 0 {
            return Err(TransportError::EmptyMoreData { sw: sw.0 });
        }
        if continuations >= MAX_CONTINUATIONS {
            return Err(TransportError::EndlessChain { pieces: continuations + 1, bytes: data.len() });
        }
        continuations += 1;
        // answered from the card's buffer: no touch can be pending
        let next = parse(&t.transmit_within(&more, Wait::Answer)?)?;
        (sw, piece) = (next.sw, next.data.len());
        data.extend_from_slice(&next.data);
        if data.len() > MAX_CHAINED_RESPONSE {
            return Err(TransportError::EndlessChain { pieces: continuations + 1, bytes: data.len() });
        }
    }
    Ok(Answer { response: Response::new(data, sw), continuations })
}

fn parse(bytes: &[u8]) -> Result<Response, TransportError> {
    Response::parse(bytes).map_err(|_| TransportError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::scripted::Scripted;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    /// A card that answers every command with the same bytes, counting them.
    struct Repeating {
        answer: Vec<u8>,
        sent: usize,
    }

    impl Transport for Repeating {
        fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent += 1;
            Ok(self.answer.clone())
        }
    }

    #[test]
    fn send_remaining_carries_le_and_pieces_are_joined() {
        let mut t = Scripted::new([(h("00A1000000"), h("0102 6102")), (h("00A5000000"), h("0304 9000"))]);
        let a = exchange_with(&mut t, &CommandApdu::expecting_data(0xA1, 0, 0, vec![]), INS_SEND_REMAINING, Wait::Answer).unwrap();
        assert_eq!((a.response.data, a.response.sw, a.continuations), (h("01020304"), crate::iso7816::apdu::Sw::OK, 1));
    }

    #[test]
    fn more_data_without_data_is_an_error_not_a_loop() {
        let mut card = Repeating { answer: h("61FF"), sent: 0 };
        let e = exchange(&mut card, &CommandApdu::expecting_data(0xA1, 0, 0, vec![])).unwrap_err();
        assert_eq!(e, TransportError::EmptyMoreData { sw: 0x61FF });
        assert_eq!(card.sent, 1);
        // an empty piece after real ones too
        let mut t = Scripted::new([(h("00A1000000"), h("0102 6102")), (h("00A5000000"), h("6102"))]);
        let e = exchange(&mut t, &CommandApdu::expecting_data(0xA1, 0, 0, vec![])).unwrap_err();
        assert_eq!(e, TransportError::EmptyMoreData { sw: 0x6102 });
    }

    #[test]
    fn continuations_are_bounded_by_count_and_size() {
        // small pieces forever: the count bound ends it
        let mut card = Repeating { answer: h("00 61FF"), sent: 0 };
        let e = exchange(&mut card, &CommandApdu::expecting_data(0xA1, 0, 0, vec![])).unwrap_err();
        assert!(matches!(e, TransportError::EndlessChain { .. }), "{e:?}");
        assert_eq!(card.sent, 1 + MAX_CONTINUATIONS);
        // big pieces forever: the size bound ends it sooner
        let mut piece = vec![0u8; 4096];
        piece.extend(h("61FF"));
        let mut card = Repeating { answer: piece, sent: 0 };
        let e = exchange(&mut card, &CommandApdu::expecting_data(0xA1, 0, 0, vec![])).unwrap_err();
        assert!(matches!(e, TransportError::EndlessChain { bytes, .. } if bytes > MAX_CHAINED_RESPONSE), "{e:?}");
        assert_eq!(card.sent, MAX_CHAINED_RESPONSE / 4096 + 1);
    }
}
