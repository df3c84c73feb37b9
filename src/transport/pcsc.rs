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
        E::ResetCard => TransportError::CardReset,
        E::NoAccess | E::SecurityViolation => TransportError::AccessDenied,
        other => TransportError::Pcsc(other.to_string()),
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
        let card = self.ctx.connect(&name, ShareMode::Shared, Protocols::ANY).map_err(map_error)?;
        Ok(PcscCard { card: Some(card), reader: reader.to_owned() })
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
    /// applet between our commands. A reset by another program before we start makes us
    /// reconnect once.
    pub fn transaction<R>(&mut self, f: impl FnOnce(&mut dyn Transport) -> R) -> Result<R, TransportError> {
        let card = self.card.as_mut().ok_or(TransportError::CardRemoved)?;
        if let Err(pcsc::Error::ResetCard) = card.status2_owned().map(drop) {
            card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard).map_err(map_error)?;
        }
        let tx = match card.transaction2() {
            Ok(tx) => tx,
            Err((card, pcsc::Error::ResetCard)) => {
                card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard).map_err(map_error)?;
                card.transaction().map_err(map_error)?
            }
            Err((_, e)) => return Err(map_error(e)),
        };
        let mut link = TxLink { tx: &tx, buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED] };
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
    tx: &'a pcsc::Transaction<'tx>,
    buf: Vec<u8>,
}

impl Transport for TxLink<'_, '_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let response = self.tx.transmit(command, &mut self.buf).map_err(map_error)?;
        // vpcd turns a vanished card into an empty success; a real answer has an SW
        if response.len() < 2 {
            return Err(TransportError::CardRemoved);
        }
        Ok(response.to_vec())
    }
}
