//! Finding keys and choosing one: every attached key (PC/SC readers, or a file-backed
//! virtual key), what each says about itself, opening the one a [`Selection`] names, and
//! finding the keys that hold an account. Each key costs one connect and one
//! transaction; nothing here prompts, prints or decides wording.
//!
//! ```no_run
//! use ykotp::discovery::{Keys, Needs, Options, Selection};
//!
//! # fn main() -> Result<(), ykotp::discovery::Error> {
//! let keys = Keys::new(Selection::parse(None, None), Options::default())?;
//! for slot in keys.list()? {
//!     println!("{}: {:?}", slot.reader, slot.state);
//! }
//! // the one key a selection names (an error when several fit)
//! let accounts = keys.with_one(Needs::default(), |_key, session| Ok::<_, ykotp::discovery::Error>(session.list()?))?;
//! println!("{} accounts", accounts.len());
//! # Ok(()) }
//! ```

mod error;
pub mod management;
mod probe;
mod selector;

pub use error::Error;
pub use probe::{probe, DeviceId, KeyInfo};
pub use selector::{KeyId, ReaderChoice, Selection, VIRTUAL_PREFIX};

use crate::oath::search::search;
use crate::oath::{CalculatedEntry, Error as OathError, Session};
use crate::transport::pcsc::Pcsc;
use crate::transport::recorder::Recorder;
use crate::transport::{Transport, TransportError};
use crate::virtual_key::{TouchPolicy, VirtualCard};
use std::path::{Path, PathBuf};

/// The link a session runs over: the card's transaction, maybe traced.
pub type Link<'a> = Box<dyn Transport + 'a>;

/// How keys are opened.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Write every APDU exchange to stderr (keys and MACs redacted).
    pub trace: bool,
    /// The touch policy an in-process virtual key uses instead of its file's.
    pub virtual_touch: Option<TouchPolicy>,
}

/// What a caller needs besides the OATH session.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// Read the serial number (two more APDUs, to the management applet).
    pub serial: bool,
}

/// The key a closure is running on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    /// The reader's name, or `virtual:PATH`.
    pub reader: String,
    /// The serial number, when asked for ([`Needs::serial`]) and reported.
    pub serial: Option<u32>,
}

/// One reader and what is in it, as [`Keys::list`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The reader's name, or `virtual:PATH`.
    pub reader: String,
    /// What is in it.
    pub state: SlotState,
}

/// What a reader holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotState {
    /// No card.
    Empty,
    /// A card without an OATH applet.
    NoOath,
    /// A key with an OATH applet.
    Key(KeyInfo),
    /// The card could not be read.
    Failed(Error),
}

/// The keys holding an account, as [`Keys::find`] found them.
#[derive(Debug)]
pub struct Found<R> {
    /// How many keys were searched.
    pub searched: usize,
    /// Each key holding a match, with what the caller's closure made of it.
    pub holders: Vec<(KeyRef, R)>,
}

enum Backend {
    Pcsc(Pcsc),
    Virtual(PathBuf),
}

/// The keys a [`Selection`] allows, and ways to use them.
pub struct Keys {
    selection: Selection,
    options: Options,
    backend: Backend,
}

impl Keys {
    /// Connects to pcscd (unless the selection names a virtual key).
    pub fn new(selection: Selection, options: Options) -> Result<Self, Error> {
        let backend = match selection.virtual_path() {
            Some(path) => Backend::Virtual(path.to_owned()),
            None => Backend::Pcsc(Pcsc::establish()?),
        };
        Ok(Keys { selection, options, backend })
    }

    /// The selection in force.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// Every reader the selection allows and what is in it (a key selector does not
    /// filter this list). Costs four APDUs per card: see [`probe()`].
    pub fn list(&self) -> Result<Vec<Slot>, Error> {
        let pcsc = match &self.backend {
            Backend::Virtual(path) => {
                let reader = virtual_name(path);
                let state = match self.open_virtual(path).and_then(|mut card| {
                    let probed = probe(&reader, &mut self.link(&mut card));
                    probed.map_err(Error::from)
                }) {
                    Ok(Some(info)) => SlotState::Key(info),
                    Ok(None) => SlotState::NoOath,
                    Err(e) => SlotState::Failed(e),
                };
                return Ok(vec![Slot { reader, state }]);
            }
            Backend::Pcsc(p) => p,
        };
        let slots = self
            .readers(pcsc)?
            .into_iter()
            .map(|(reader, present)| {
                let state = if present { self.probe_reader(pcsc, &reader) } else { SlotState::Empty };
                Slot { reader, state }
            })
            .collect();
        Ok(slots)
    }

    fn probe_reader(&self, pcsc: &Pcsc, reader: &str) -> SlotState {
        let result = pcsc.connect(reader).and_then(|mut card| card.transaction(|t| probe(reader, &mut self.link(t))));
        match result {
            Ok(Ok(Some(info))) => SlotState::Key(info),
            Ok(Ok(None)) => SlotState::NoOath,
            Ok(Err(e)) => SlotState::Failed(e.into()),
            Err(e) => SlotState::Failed(e.into()),
        }
    }

    /// Runs `f` on the one key the selection names (or the only key attached), within
    /// one transaction, with OATH selected. With several candidates and no key id, it
    /// is [`Error::Several`]: one key is never guessed among several.
    pub fn with_one<R, E: From<Error>>(
        &self,
        needs: Needs,
        f: impl FnOnce(&KeyRef, &mut Session<Link<'_>>) -> Result<R, E>,
    ) -> Result<R, E> {
        let pcsc = match &self.backend {
            Backend::Virtual(path) => {
                let mut card = self.open_virtual(path)?;
                return self.run_on(needs, virtual_name(path), &mut card, f);
            }
            Backend::Pcsc(p) => p,
        };
        let reader = self.choose(pcsc)?;
        let mut card = pcsc.connect(&reader).map_err(Error::from)?;
        card.transaction(|t| self.run_on(needs, reader.clone(), t, f)).map_err(Error::from)?
    }

    /// Runs `f` on the key in the reader named exactly `reader` (as [`Keys::list`]
    /// names it), whatever the selection's key id.
    pub fn with_reader<R, E: From<Error>>(
        &self,
        reader: &str,
        needs: Needs,
        f: impl FnOnce(&KeyRef, &mut Session<Link<'_>>) -> Result<R, E>,
    ) -> Result<R, E> {
        match &self.backend {
            Backend::Virtual(path) if reader == virtual_name(path) => {
                let mut card = self.open_virtual(path)?;
                let (key, mut session) = self.open_session(needs, reader.to_owned(), &mut card, false)?;
                f(&key, &mut session)
            }
            Backend::Virtual(path) => Err(Error::NoReaderMatches { wanted: reader.to_owned(), readers: vec![virtual_name(path)] }.into()),
            Backend::Pcsc(pcsc) => {
                let mut card = pcsc.connect(reader).map_err(Error::from)?;
                card.transaction(|t| {
                    let (key, mut session) = self.open_session(needs, reader.to_owned(), t, false)?;
                    f(&key, &mut session)
                })
                .map_err(Error::from)?
            }
        }
    }

    /// How many allowed readers hold a card (no APDU is sent): more than one means
    /// [`Keys::each`] may find several keys.
    pub fn cards_present(&self) -> Result<usize, Error> {
        match &self.backend {
            Backend::Virtual(_) => Ok(1),
            Backend::Pcsc(pcsc) => Ok(self.readers(pcsc)?.iter().filter(|(_, p)| *p).count()),
        }
    }

    /// The one reader to use: without probing when only one card is present and no key
    /// id is asked for (the usual case costs no APDU here).
    fn choose(&self, pcsc: &Pcsc) -> Result<String, Error> {
        let present: Vec<String> = self.readers(pcsc)?.into_iter().filter(|(_, p)| *p).map(|(n, _)| n).collect();
        match (&present[..], &self.selection.key) {
            ([], _) => return Err(Error::NoCard),
            ([one], None) => return Ok(one.clone()),
            _ => {}
        }
        let keys: Vec<KeyInfo> = present
            .iter()
            .filter_map(|r| match self.probe_reader(pcsc, r) {
                SlotState::Key(info) => Some(info),
                _ => None,
            })
            .filter(|k| self.selection.key.as_ref().is_none_or(|id| id.matches(k.serial, k.device_id.stable())))
            .collect();
        match (keys.len(), &self.selection.key) {
            (1, _) => Ok(keys.into_iter().map(|k| k.reader).collect::<Vec<_>>().remove(0)),
            (0, Some(id)) => Err(Error::NoKeyMatches(id.clone())),
            (0, None) => Err(Error::NoOathKey),
            _ => Err(Error::Several(keys)),
        }
    }

    /// Runs `f` on every key the selection allows (every attached OATH key without
    /// one), in reader order, one connect and one transaction each. Cards without an
    /// OATH applet, and keys a key id does not name, are skipped.
    pub fn each<R, E: From<Error>>(
        &self,
        needs: Needs,
        mut f: impl FnMut(&KeyRef, &mut Session<Link<'_>>) -> Result<R, E>,
    ) -> Result<Vec<(KeyRef, R)>, E> {
        let pcsc = match &self.backend {
            Backend::Virtual(_) => {
                let mut key = None;
                let r = self.with_one(needs, |k, s| {
                    key = Some(k.clone());
                    f(k, s)
                })?;
                return Ok(key.map(|k| (k, r)).into_iter().collect());
            }
            Backend::Pcsc(p) => p,
        };
        let present: Vec<String> = self.readers(pcsc)?.into_iter().filter(|(_, p)| *p).map(|(n, _)| n).collect();
        let mut out = Vec::new();
        for reader in &present {
            let mut card = pcsc.connect(reader).map_err(Error::from)?;
            let result = card
                .transaction(|t| match self.open_session(needs, reader.clone(), t, true) {
                    Ok((k, mut s)) => f(&k, &mut s).map(|r| Some((k, r))),
                    // not a candidate: no OATH applet, or not the key asked for
                    Err(Error::NoApplet { .. } | Error::NoKeyMatches(_)) => Ok(None),
                    Err(e) => Err(e.into()),
                })
                .map_err(Error::from)?;
            out.extend(result?);
        }
        if out.is_empty() {
            return Err(match (&present[..], &self.selection.key) {
                ([], _) => Error::NoCard,
                (_, Some(id)) => Error::NoKeyMatches(id.clone()),
                ([one], None) => Error::NoApplet { reader: one.clone() },
                (_, None) => Error::NoOathKey,
            }
            .into());
        }
        Ok(out)
    }

    /// Finds the keys holding accounts that match `query` (see
    /// [`search`]) and runs `f` on each, in the same
    /// transaction: SELECT, `unlock` (which does nothing on a key without a password),
    /// one CALCULATE ALL at `now`, and whatever `f` sends. `f` gets the matching rows.
    /// With a selection, only the selected key is searched.
    pub fn find<R, E: From<Error>>(
        &self,
        query: &str,
        show_hidden: bool,
        now: u64,
        mut unlock: impl FnMut(&mut Session<Link<'_>>) -> Result<(), E>,
        mut f: impl FnMut(&KeyRef, &mut Session<Link<'_>>, Vec<CalculatedEntry>) -> Result<R, E>,
    ) -> Result<Found<R>, E> {
        let mut visit = |k: &KeyRef, s: &mut Session<Link<'_>>| -> Result<Option<R>, E> {
            unlock(s)?;
            let entries = s.calculate_all(now).map_err(Error::from)?;
            let matched: Vec<CalculatedEntry> = search(&entries, query, show_hidden).into_iter().cloned().collect();
            if matched.is_empty() {
                return Ok(None);
            }
            f(k, s, matched).map(Some)
        };
        let visited = if self.selection.is_open() {
            self.each(Needs::default(), visit)?
        } else {
            let mut key = None;
            let r = self.with_one(Needs::default(), |k, s| {
                key = Some(k.clone());
                visit(k, s)
            })?;
            key.map(|k| (k, r)).into_iter().collect()
        };
        let searched = visited.len();
        let holders = visited.into_iter().filter_map(|(k, r)| r.map(|r| (k, r))).collect();
        Ok(Found { searched, holders })
    }

    /// The readers the selection's reader name allows, with whether a card is present.
    fn readers(&self, pcsc: &Pcsc) -> Result<Vec<(String, bool)>, Error> {
        let readers = pcsc.readers()?;
        if readers.is_empty() {
            return Err(TransportError::NoReaders.into());
        }
        let Some(choice) = &self.selection.reader else { return Ok(readers) };
        let chosen: Vec<_> = readers.iter().filter(|(n, _)| choice.allows(n)).cloned().collect();
        if chosen.is_empty() {
            let wanted = match choice {
                ReaderChoice::Name(n) => n.clone(),
                ReaderChoice::Virtual(p) => virtual_name(p),
            };
            return Err(Error::NoReaderMatches { wanted, readers: readers.into_iter().map(|(n, _)| n).collect() });
        }
        Ok(chosen)
    }

    fn open_virtual(&self, path: &Path) -> Result<VirtualCard, Error> {
        Ok(VirtualCard::open(path, self.options.virtual_touch.clone())?)
    }

    fn link<'a>(&self, t: &'a mut dyn Transport) -> Link<'a> {
        if self.options.trace {
            Box::new(Recorder::new(t, std::io::stderr()))
        } else {
            Box::new(t)
        }
    }

    /// SELECT (after reading the serial if needed), check the key id, run `f`.
    fn run_on<R, E: From<Error>>(
        &self,
        needs: Needs,
        reader: String,
        t: &mut dyn Transport,
        f: impl FnOnce(&KeyRef, &mut Session<Link<'_>>) -> Result<R, E>,
    ) -> Result<R, E> {
        let (key, mut session) = self.open_session(needs, reader, t, true)?;
        f(&key, &mut session)
    }

    fn open_session<'a>(
        &self,
        needs: Needs,
        reader: String,
        t: &'a mut dyn Transport,
        check_id: bool,
    ) -> Result<(KeyRef, Session<Link<'a>>), Error> {
        let wanted = self.selection.key.as_ref().filter(|_| check_id);
        let mut link = self.link(t);
        let mut key = KeyRef { reader, serial: None };
        if needs.serial || wanted.is_some() {
            key.serial = management::read_device_info(&mut link)?.and_then(|i| i.serial);
        }
        let session = Session::select(link).map_err(|e| match e {
            OathError::AppletNotFound => Error::NoApplet { reader: key.reader.clone() },
            other => other.into(),
        })?;
        // Nitrokey's applet reports its serial in SELECT
        key.serial = key.serial.or(session.info().serial);
        if let Some(id) = wanted {
            if !id.matches(key.serial, Some(&session.device_id())) {
                return Err(Error::NoKeyMatches(id.clone()));
            }
        }
        Ok((key, session))
    }
}

fn virtual_name(path: &Path) -> String {
    format!("{VIRTUAL_PREFIX}{}", path.display())
}
