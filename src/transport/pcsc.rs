//! PC/SC through pcscd: reader discovery, a shared connection, one transaction per
//! command, reconnect once on a reset by another program, a deadline on every call that
//! can block, and `LeaveCard` on the way out (dropping a `pcsc::Card` would reset the
//! card and wipe gpg's and PIV's state).

use super::{Transport, TransportError, Wait, TOUCH_DEADLINE};
use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
use std::ffi::CString;
use std::sync::mpsc;
use std::time::Duration;

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
        self.ctx.get_status_change(Duration::ZERO, &mut states).map_err(map_error)?;
        Ok(states.iter().map(|s| (s.name().to_string_lossy().into_owned(), s.event_state().contains(pcsc::State::PRESENT))).collect())
    }

    /// Connects to `reader` (shared). The card gets its own thread (see [`PcscCard`]);
    /// connecting waits at most [`TOUCH_DEADLINE`]: another program may hold the card
    /// that long while its user touches it.
    pub fn connect(&self, reader: &str) -> Result<PcscCard, TransportError> {
        let name = CString::new(reader).map_err(|_| TransportError::NoReaders)?;
        let ctx = self.ctx.clone();
        PcscCard::spawn(reader, move || settled(|| ctx.connect(&name, ShareMode::Shared, Protocols::ANY)))
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
                std::thread::sleep(Duration::from_millis(10));
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
        let ctx = self.ctx.clone();
        PcscCard::spawn(reader, move || ctx.connect(&name, ShareMode::Direct, Protocols::UNDEFINED)).unwrap()
    }
}

type Reply<T> = mpsc::SyncSender<Result<T, TransportError>>;

/// What the calling thread asks the card's thread to do.
enum Request {
    /// Begin a transaction (reconnecting after another program's reset).
    Begin(Reply<()>),
    /// One APDU inside the transaction.
    Transmit(Vec<u8>, Reply<Vec<u8>>),
    /// End the transaction, leaving the card as it is.
    End,
}

/// A connected card. pcsc-lite's `SCardConnect`, `SCardBeginTransaction` and
/// `SCardTransmit` block for as long as the card (or its driver) does not answer, and
/// `SCardCancel` does not interrupt them; so the card lives on its own thread, and the
/// caller waits for each answer at most its deadline ([`Wait::deadline`]). A card that
/// misses one is given up ([`TransportError::NoAnswer`]); its thread stays blocked until
/// the process ends, which closes the connection to pcscd. Disconnects with `LeaveCard`
/// when dropped (dropping a `pcsc::Card` would reset the card and wipe gpg's and PIV's
/// state).
pub struct PcscCard {
    to_card: Option<mpsc::Sender<Request>>,
    thread: Option<std::thread::JoinHandle<()>>,
    stuck: Option<Duration>,
    /// The reader's name.
    pub reader: String,
}

impl PcscCard {
    fn spawn(reader: &str, connect: impl FnOnce() -> Result<pcsc::Card, pcsc::Error> + Send + 'static) -> Result<Self, TransportError> {
        let (to_card, requests) = mpsc::channel();
        let (ready, connected) = mpsc::sync_channel(1);
        let thread = std::thread::spawn(move || {
            let card = match connect() {
                Ok(card) => card,
                Err(e) => {
                    let _ = ready.send(Err(map_error(e)));
                    return;
                }
            };
            if ready.send(Ok(())).is_ok() {
                serve(card, &requests);
            } else {
                leave(card);
            }
        });
        let mut card = PcscCard { to_card: Some(to_card), thread: Some(thread), stuck: None, reader: reader.to_owned() };
        card.wait(connected, TOUCH_DEADLINE)?;
        Ok(card)
    }

    /// Sends a request and waits for its answer at most `limit`.
    fn ask<T>(&mut self, request: impl FnOnce(Reply<T>) -> Request, limit: Duration) -> Result<T, TransportError> {
        if let Some(waited) = self.stuck {
            return Err(TransportError::NoAnswer { waited });
        }
        let (reply, answer) = mpsc::sync_channel(1);
        let gone = || TransportError::Pcsc(::pcsc::Error::InternalError);
        self.to_card.as_ref().ok_or_else(gone)?.send(request(reply)).map_err(|_| gone())?;
        self.wait(answer, limit)
    }

    fn wait<T>(&mut self, answer: mpsc::Receiver<Result<T, TransportError>>, limit: Duration) -> Result<T, TransportError> {
        match answer.recv_timeout(limit) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.stuck = Some(limit);
                Err(TransportError::NoAnswer { waited: limit })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(TransportError::Pcsc(::pcsc::Error::InternalError)),
        }
    }

    /// Runs `f` inside one PC/SC transaction, so no other program can select another
    /// applet between our commands. Resets by another program before we start make us
    /// reconnect (a few times: a program that keeps resetting can win a race or two);
    /// inside the transaction nobody else can reset the card. Beginning waits at most
    /// [`TOUCH_DEADLINE`] for another program's transaction to end.
    pub fn transaction<R>(&mut self, f: impl FnOnce(&mut dyn Transport) -> R) -> Result<R, TransportError> {
        self.ask(Request::Begin, TOUCH_DEADLINE)?;
        let result = f(&mut Link { card: self });
        if let Some(to_card) = &self.to_card {
            // ending can fail when the card is gone; the result already says so
            let _ = to_card.send(Request::End);
        }
        Ok(result)
    }
}

impl Drop for PcscCard {
    fn drop(&mut self) {
        // the card's thread disconnects when the channel closes
        drop(self.to_card.take());
        if self.stuck.is_none() {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

struct Link<'a> {
    card: &'a mut PcscCard,
}

impl Transport for Link<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.transmit_within(command, Wait::Answer)
    }

    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        self.card.ask(|reply| Request::Transmit(command.to_vec(), reply), wait.deadline())
    }
}

/// The card's thread: transactions and APDUs as the caller asks, until it hangs up.
fn serve(mut card: pcsc::Card, requests: &mpsc::Receiver<Request>) {
    while let Ok(request) = requests.recv() {
        match request {
            Request::Begin(reply) => in_transaction(&mut card, requests, reply),
            Request::Transmit(_, reply) => {
                let _ = reply.send(Err(TransportError::Pcsc(::pcsc::Error::NotTransacted)));
            }
            Request::End => {}
        }
    }
    leave(card);
}

fn leave(card: pcsc::Card) {
    if let Err((card, _)) = card.disconnect(Disposition::LeaveCard) {
        // leak rather than let Drop reset the card
        std::mem::forget(card);
    }
}

fn in_transaction(card: &mut pcsc::Card, requests: &mpsc::Receiver<Request>, reply: Reply<()>) {
    for _ in 0..RESET_RETRIES {
        match card.status2_owned() {
            Err(pcsc::Error::ResetCard) => {
                if let Err(e) = reconnect(card) {
                    let _ = reply.send(Err(e));
                    return;
                }
            }
            _ => break,
        }
    }
    let mut tx = match card.transaction2() {
        Ok(tx) => tx,
        Err((card, pcsc::Error::ResetCard)) => match reconnect(card).and_then(|()| card.transaction().map_err(map_error)) {
            Ok(tx) => tx,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        },
        Err((_, e)) => {
            let _ = reply.send(Err(map_error(e)));
            return;
        }
    };
    if reply.send(Ok(())).is_err() {
        let _ = tx.end(Disposition::LeaveCard);
        return;
    }
    let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    // End, or the caller gone, ends the transaction
    while let Ok(Request::Transmit(command, reply)) = requests.recv() {
        let _ = reply.send(transmit(&mut tx, &command, &mut buf));
    }
    let _ = tx.end(Disposition::LeaveCard);
}

fn transmit(tx: &mut pcsc::Transaction<'_>, command: &[u8], buf: &mut [u8]) -> Result<Vec<u8>, TransportError> {
    let response = match guarded_transmit(tx, command, buf) {
        Some(r) => r,
        None => {
            // Nothing was sent. Inside our transaction nobody else can reset the card,
            // so reconnecting now yields the protocol the card really speaks.
            tx.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard).map_err(map_error)?;
            guarded_transmit(tx, command, buf).ok_or(TransportError::CardReset)?
        }
    };
    let response = response.map_err(map_error)?;
    // vpcd turns a vanished card into an empty success; a real answer has an SW
    if response.len() < 2 {
        return Err(TransportError::CardRemoved);
    }
    Ok(response.to_vec())
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
