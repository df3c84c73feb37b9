//! PC/SC through pcscd: reader discovery, a shared connection, one transaction per
//! command, reconnect once on a reset by another program, and `LeaveCard` on the way out
//! (dropping a `pcsc::Card` would reset the card and wipe gpg's and PIV's state).

use super::{Transport, TransportError};
use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
use std::ffi::CString;

/// Maps PC/SC errors to what a person can act on.
pub fn map_error(e: pcsc::Error) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::NoService | E::ServiceStopped | E::CommError => TransportError::NoService,
        E::NoReadersAvailable | E::UnknownReader | E::ReaderUnavailable => TransportError::NoReaders,
        E::SharingViolation => TransportError::Busy,
        E::RemovedCard | E::NoSmartcard | E::UnpoweredCard | E::UnresponsiveCard => TransportError::CardRemoved,
        // for a few seconds after a removal pcscd still lists the card but answers the
        // transaction calls with these: the key is gone, not PC/SC broken
        E::NotTransacted | E::InvalidHandle => TransportError::CardRemoved,
        // pcscd answers a protocol mismatch while another program's reset is still under way
        E::ResetCard | E::ProtoMismatch => TransportError::CardReset,
        E::NoAccess | E::SecurityViolation => TransportError::AccessDenied,
        other => TransportError::Pcsc(other),
    }
}

/// A PC/SC context.
pub struct Pcsc {
    ctx: Context,
}

impl Pcsc {
    /// Connects to pcscd.
    pub fn establish() -> Result<Self, TransportError> {
        Context::establish(Scope::User).map(|ctx| Pcsc { ctx }).map_err(map_error)
    }

    /// Every reader's name, and whether a card is in it (no APDU is sent).
    pub fn readers(&self) -> Result<Vec<(String, bool)>, TransportError> {
        let names = match self.ctx.list_readers_owned() {
            Ok(n) => n,
            Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
            Err(e) => return Err(map_error(e)),
        };
        let mut states: Vec<pcsc::ReaderState> = names.iter().map(|n| pcsc::ReaderState::new(n.clone(), pcsc::State::UNAWARE)).collect();
        self.ctx.get_status_change(std::time::Duration::ZERO, &mut states).map_err(map_error)?;
        Ok(states.iter().map(|s| (s.name().to_string_lossy().into_owned(), s.event_state().contains(pcsc::State::PRESENT))).collect())
    }

    /// Connects to `reader` (shared).
    pub fn connect(&self, reader: &str) -> Result<PcscCard, TransportError> {
        let name = CString::new(reader).map_err(|_| TransportError::NoReaders)?;
        let card = settled(|| self.ctx.connect(&name, ShareMode::Shared, Protocols::ANY)).map_err(map_error)?;
        Ok(PcscCard { card: Some(card), reader: reader.to_owned() })
    }
}

const RESET_RETRIES: usize = 3;

fn reconnect(card: &mut pcsc::Card) -> Result<(), TransportError> {
    settled(|| card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard)).map_err(map_error)
}

/// Runs a connect or reconnect until the card has settled. While another program resets
/// the card, pcscd can see it without an ATR for a moment and answers "protocol mismatch";
/// a moment later the same call succeeds.
fn settled<T>(mut call: impl FnMut() -> Result<T, pcsc::Error>) -> Result<T, pcsc::Error> {
    let mut tries = 0;
    loop {
        match call() {
            Err(pcsc::Error::ProtoMismatch) if tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
impl Pcsc {
    /// A handle without a protocol, like the ones pcscd hands out during a reset race.
    fn connect_direct(&self, reader: &str) -> PcscCard {
        let name = CString::new(reader).unwrap();
        let card = self.ctx.connect(&name, ShareMode::Direct, Protocols::UNDEFINED).unwrap();
        PcscCard { card: Some(card), reader: reader.to_owned() }
    }
}

/// A connected card. Disconnects with `LeaveCard` when dropped.
pub struct PcscCard {
    card: Option<pcsc::Card>,
    /// The reader's name.
    pub reader: String,
}

impl PcscCard {
    /// Runs `f` inside one PC/SC transaction, so no other program can select another
    /// applet between our commands. Resets by another program before we start make us
    /// reconnect (a few times: a program that keeps resetting can win a race or two);
    /// inside the transaction nobody else can reset the card.
    pub fn transaction<R>(&mut self, f: impl FnOnce(&mut dyn Transport) -> R) -> Result<R, TransportError> {
        let card = self.card.as_mut().ok_or(TransportError::CardRemoved)?;
        for _ in 0..RESET_RETRIES {
            match card.status2_owned() {
                Err(pcsc::Error::ResetCard) => reconnect(card)?,
                _ => break,
            }
        }
        let mut tx = match card.transaction2() {
            Ok(tx) => tx,
            Err((card, pcsc::Error::ResetCard)) => {
                reconnect(card)?;
                card.transaction().map_err(map_error)?
            }
            Err((_, e)) => return Err(map_error(e)),
        };
        let mut link = TxLink { tx: &mut tx, buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED] };
        let result = f(&mut link);
        drop(link);
        // Ending can fail when the card is gone; the result already says so.
        let _ = tx.end(Disposition::LeaveCard);
        Ok(result)
    }
}

impl Drop for PcscCard {
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            if let Err((card, _)) = card.disconnect(Disposition::LeaveCard) {
                // leak rather than let Drop reset the card
                std::mem::forget(card);
            }
        }
    }
}

struct TxLink<'a, 'tx> {
    tx: &'a mut pcsc::Transaction<'tx>,
    buf: Vec<u8>,
}

impl Transport for TxLink<'_, '_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let response = match guarded_transmit(self.tx, command, &mut self.buf) {
            Some(r) => r,
            None => {
                // Nothing was sent. Inside our transaction nobody else can reset the card,
                // so reconnecting now yields the protocol the card really speaks.
                self.tx.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard).map_err(map_error)?;
                guarded_transmit(self.tx, command, &mut self.buf).ok_or(TransportError::CardReset)?
            }
        };
        let response = response.map_err(map_error)?;
        // vpcd turns a vanished card into an empty success; a real answer has an SW
        if response.len() < 2 {
            return Err(TransportError::CardRemoved);
        }
        Ok(response.to_vec())
    }
}

thread_local! {
    static QUIET_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `pcsc::Card::transmit`, or `None` where the crate would panic because the card handle
/// has no protocol. pcscd hands out such a handle when another program's reset lands
/// between its setting the protocol and reporting it to us, and the crate offers no way
/// to look at the handle's protocol beforehand; the panic happens before anything is sent.
fn guarded_transmit<'b>(card: &pcsc::Card, command: &[u8], buf: &'b mut [u8]) -> Option<Result<&'b [u8], pcsc::Error>> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANIC.with(std::cell::Cell::get) {
                previous(info)
            }
        }));
    });
    QUIET_PANIC.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let buf = buf;
        card.transmit(command, buf)
    }));
    QUIET_PANIC.with(|q| q.set(false));
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_states_after_a_removal_mean_no_key() {
        for e in [pcsc::Error::NotTransacted, pcsc::Error::InvalidHandle, pcsc::Error::RemovedCard, pcsc::Error::NoSmartcard] {
            assert_eq!(map_error(e), TransportError::CardRemoved, "{e}");
        }
        // a real PC/SC failure stays one
        assert!(matches!(map_error(pcsc::Error::InternalError), TransportError::Pcsc(_)));
    }

    #[test]
    #[ignore = "needs pcscd with a virtual key: run by scripts/test"]
    fn a_handle_without_a_protocol_reconnects_instead_of_panicking() {
        let reader = std::env::var("YKOTP_TEST_READER0").expect("scripts/test sets YKOTP_TEST_READER0");
        let pcsc = Pcsc::establish().unwrap();
        let mut card = pcsc.connect_direct(&reader);
        let select = [0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];
        let response = card.transaction(|t| t.transmit(&select)).unwrap().unwrap();
        assert_eq!(response[response.len() - 2..], [0x90, 0x00]);
        // the handle now has a protocol: a second transaction works straight away
        let again = card.transaction(|t| t.transmit(&select)).unwrap().unwrap();
        assert_eq!(again, response);
    }
}
