//! Choosing the key: PC/SC readers (or `virtual:PATH`), several keys never guessed
//! between, one transaction per command, `--trace`, and unlocking.

use super::report::{CliError, Exit};
use super::{keystore, prompt, secret, Global};
use crate::management;
use crate::oath::{Error as OathError, Session};
use crate::transport::pcsc::Pcsc;
use crate::transport::recorder::Recorder;
use crate::transport::{Transport, TransportError};
use crate::virtual_key::{TouchPolicy, VirtualCard};
use std::path::PathBuf;

/// The transport a command's session runs over.
pub type Link<'a> = Box<dyn Transport + 'a>;

/// Which key a command is talking to.
#[derive(Debug, Clone)]
pub struct KeyCtx {
    /// The reader name, or `virtual:PATH`.
    pub reader: String,
    /// Serial number, when asked for and known.
    pub serial: Option<u32>,
}

/// What the caller needs besides the OATH session.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// Read the serial number through the management applet first.
    pub serial: bool,
}

fn virtual_path(g: &Global) -> Option<PathBuf> {
    g.reader.as_deref().and_then(|r| r.strip_prefix("virtual:")).map(PathBuf::from)
}

/// The touch policy `YKOTP_VIRTUAL_TOUCH` sets for in-process virtual keys.
fn virtual_touch() -> Result<Option<TouchPolicy>, CliError> {
    match std::env::var("YKOTP_VIRTUAL_TOUCH") {
        Ok(v) => v.parse().map(Some).map_err(|e: String| CliError::new(Exit::Usage, format!("YKOTP_VIRTUAL_TOUCH: {e}"))),
        Err(_) => Ok(None),
    }
}

/// Opens the chosen key, selects OATH, and runs `f` within one transaction.
pub fn with_key<R>(
    g: &Global,
    needs: Needs,
    f: impl FnOnce(&KeyCtx, &mut Session<Link<'_>>) -> Result<R, CliError>,
) -> Result<R, CliError> {
    if let Some(path) = virtual_path(g) {
        crate::private_file::check_file_and_dir(&path, crate::private_file::Kind::ParentDir)?;
        let mut card = VirtualCard::open(&path, virtual_touch()?)?;
        let ctx = KeyCtx { reader: format!("virtual:{}", path.display()), serial: None };
        return run_on(g, needs, ctx, &mut card, f);
    }
    let pcsc = Pcsc::establish()?;
    let readers = pcsc.readers()?;
    with_chosen_reader(g, &pcsc, readers, needs, f)
}

fn with_chosen_reader<R>(
    g: &Global,
    pcsc: &Pcsc,
    readers: Vec<(String, bool)>,
    needs: Needs,
    f: impl FnOnce(&KeyCtx, &mut Session<Link<'_>>) -> Result<R, CliError>,
) -> Result<R, CliError> {
    let chosen = choose_reader(g, pcsc, readers)?;
    let mut card = pcsc.connect(&chosen)?;
    let ctx = KeyCtx { reader: chosen, serial: None };
    card.transaction(|t| run_on(g, needs, ctx, t, f))?
}

/// Runs `f` on every key the selectors allow (all attached OATH keys without a
/// selector), one transaction each, in reader order.
pub fn each_key<R>(
    g: &Global,
    mut f: impl FnMut(&KeyCtx, &mut Session<Link<'_>>) -> Result<R, CliError>,
) -> Result<Vec<(KeyCtx, R)>, CliError> {
    if virtual_path(g).is_some() {
        let mut ctx = None;
        let r = with_key(g, Needs { serial: true }, |c, s| {
            ctx = Some(c.clone());
            f(c, s)
        })?;
        return Ok(ctx.map(|c| (c, r)).into_iter().collect());
    }
    let pcsc = Pcsc::establish()?;
    let mut out = Vec::new();
    for reader in oath_readers(g, &pcsc)? {
        let mut card = pcsc.connect(&reader)?;
        let mut ctx = None;
        let r = card.transaction(|t| {
            run_on(g, Needs { serial: true }, KeyCtx { reader: reader.clone(), serial: None }, t, |c, s| {
                ctx = Some(c.clone());
                f(c, s)
            })
        })??;
        out.extend(ctx.map(|c| (c, r)));
    }
    Ok(out)
}

/// The readers holding an OATH key that `--reader`/`--device` allow.
fn oath_readers(g: &Global, pcsc: &Pcsc) -> Result<Vec<String>, CliError> {
    let readers = pcsc.readers()?;
    if readers.is_empty() {
        return Err(TransportError::NoReaders.into());
    }
    let wanted = g.reader.as_deref().map(str::to_lowercase);
    let present: Vec<_> = readers.into_iter().filter(|(n, p)| *p && wanted.as_ref().is_none_or(|w| n.to_lowercase().contains(w))).collect();
    let keys: Vec<String> = probe_all(g, pcsc, &present)
        .into_iter()
        .filter(|p| p.oath && g.device.as_deref().is_none_or(|d| matches_device(d, p.serial, p.device_id.as_deref().unwrap_or(""))))
        .map(|p| p.reader)
        .collect();
    if keys.is_empty() {
        return Err(CliError::new(Exit::NoKey, "no key with an OATH applet found")
            .hint("insert your YubiKey; `ykotp readers` lists what pcscd sees"));
    }
    Ok(keys)
}

/// Like [`with_key`], but with several keys attached and no selector, uses the one key
/// that holds `query` (an error when none or several do).
pub fn with_key_holding<R>(
    g: &Global,
    query: &str,
    show_hidden: bool,
    f: impl FnOnce(&KeyCtx, &mut Session<Link<'_>>) -> Result<R, CliError>,
) -> Result<R, CliError> {
    if virtual_path(g).is_some() || g.reader.is_some() || g.device.is_some() {
        return with_key(g, Needs::default(), f);
    }
    let pcsc = Pcsc::establish()?;
    let readers = pcsc.readers()?;
    // one key (the usual case): no probing, the same two APDUs as `with_key`
    if readers.iter().filter(|(_, present)| *present).count() <= 1 {
        return with_chosen_reader(g, &pcsc, readers, Needs::default(), f);
    }
    let holders = each_key(g, |ctx, s| {
        unlock(g, s)?;
        let creds = s.list()?;
        Ok((ctx.serial, s.device_id(), !crate::oath::search::search(&creds, query, show_hidden).is_empty()))
    })?;
    let keys = holders.len();
    let holding: Vec<_> = holders.into_iter().filter(|(_, (_, _, has))| *has).collect();
    match &holding[..] {
        [(ctx, _)] => {
            let mut card = pcsc.connect(&ctx.reader)?;
            card.transaction(|t| run_on(g, Needs::default(), KeyCtx { reader: ctx.reader.clone(), serial: None }, t, f))?
        }
        [] => Err(CliError::new(Exit::NoMatch, format!("no account matches \"{query}\" on any of the {keys} keys"))
            .hint("run `ykotp list --all-keys` to see the accounts")),
        many => {
            let mut e = CliError::new(Exit::NoKey, format!("\"{query}\" is on {} keys; choose one with --device", many.len()));
            for (ctx, (serial, id, _)) in many {
                let serial = serial.map_or("serial hidden".to_owned(), |s| format!("serial {s}"));
                e = e.hint(format!("\"{}\": {serial}, device id {id}", ctx.reader));
            }
            Err(e)
        }
    }
}

fn run_on<R>(
    g: &Global,
    needs: Needs,
    mut ctx: KeyCtx,
    t: &mut dyn Transport,
    f: impl FnOnce(&KeyCtx, &mut Session<Link<'_>>) -> Result<R, CliError>,
) -> Result<R, CliError> {
    let mut link: Link<'_> = if g.trace { Box::new(Recorder::new(t, std::io::stderr())) } else { Box::new(t) };
    if needs.serial || g.device.is_some() {
        ctx.serial = management::read_device_info(&mut link)?.and_then(|i| i.serial);
    }
    let mut session = Session::select(link).map_err(|e| match e {
        OathError::AppletNotFound => CliError::new(Exit::NoKey, format!("the key in \"{}\" has no OATH applet", ctx.reader)),
        other => other.into(),
    })?;
    if let Some(want) = &g.device {
        if !matches_device(want, ctx.serial, &session.device_id()) {
            return Err(CliError::new(Exit::NoKey, format!("no key matches --device {want}"))
                .hint("run `ykotp readers` to see serial numbers and device ids"));
        }
    }
    f(&ctx, &mut session)
}

fn matches_device(want: &str, serial: Option<u32>, device_id: &str) -> bool {
    serial.is_some_and(|s| s.to_string() == want) || device_id == want
}

/// One probed reader, for `readers` and for choosing among several keys.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Probe {
    /// Reader name.
    pub reader: String,
    /// A card is in it.
    pub card: bool,
    /// The card answers SELECT of the OATH applet.
    pub oath: bool,
    /// OATH version.
    pub version: Option<String>,
    /// Serial number.
    pub serial: Option<u32>,
    /// OATH device id.
    pub device_id: Option<String>,
    /// A password is set.
    pub locked: Option<bool>,
    /// Why the card could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Reads serial, version and device id of every reader's card.
pub fn probe_all(g: &Global, pcsc: &Pcsc, readers: &[(String, bool)]) -> Vec<Probe> {
    readers.iter().map(|(name, present)| probe(g, pcsc, name, *present)).collect()
}

fn probe(g: &Global, pcsc: &Pcsc, reader: &str, present: bool) -> Probe {
    let mut p = Probe {
        reader: reader.to_owned(),
        card: present,
        oath: false,
        version: None,
        serial: None,
        device_id: None,
        locked: None,
        error: None,
    };
    if !present {
        return p;
    }
    let result = pcsc.connect(reader).and_then(|mut card| {
        card.transaction(|t| -> Result<(), OathError> {
            let mut link: Link<'_> = if g.trace { Box::new(Recorder::new(t, std::io::stderr())) } else { Box::new(t) };
            p.serial = management::read_device_info(&mut link)?.and_then(|i| i.serial);
            let s = Session::select(link)?;
            p.oath = true;
            p.version = Some(s.version().to_string());
            p.device_id = Some(s.device_id());
            p.locked = Some(s.is_locked());
            Ok(())
        })
    });
    match result {
        Ok(Ok(())) | Ok(Err(OathError::AppletNotFound)) => {}
        Ok(Err(e)) => p.error = Some(e.to_string()),
        Err(e) => p.error = Some(e.to_string()),
    }
    p
}

fn choose_reader(g: &Global, pcsc: &Pcsc, readers: Vec<(String, bool)>) -> Result<String, CliError> {
    if readers.is_empty() {
        return Err(TransportError::NoReaders.into());
    }
    let filtered: Vec<(String, bool)> = match &g.reader {
        Some(want) => {
            let w = want.to_lowercase();
            let f: Vec<_> = readers.iter().filter(|(n, _)| n.to_lowercase().contains(&w)).cloned().collect();
            if f.is_empty() {
                let names = readers.iter().map(|(n, _)| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
                return Err(CliError::new(Exit::NoKey, format!("no reader matches \"{want}\"")).hint(format!("readers: {names}")));
            }
            f
        }
        None => readers,
    };
    let present: Vec<_> = filtered.iter().filter(|(_, p)| *p).cloned().collect();
    if present.is_empty() {
        return Err(CliError::new(Exit::NoKey, "no YubiKey found").hint("insert your key; `ykotp readers` lists what pcscd sees"));
    }
    if present.len() == 1 && g.device.is_none() {
        return Ok(present[0].0.clone());
    }
    let probes: Vec<Probe> = probe_all(g, pcsc, &present).into_iter().filter(|p| p.oath).collect();
    let chosen: Vec<&Probe> = match &g.device {
        Some(want) => probes.iter().filter(|p| matches_device(want, p.serial, p.device_id.as_deref().unwrap_or(""))).collect(),
        None => probes.iter().collect(),
    };
    match chosen[..] {
        [one] => Ok(one.reader.clone()),
        [] if g.device.is_some() => {
            Err(CliError::new(Exit::NoKey, format!("no key matches --device {}", g.device.as_deref().unwrap_or("")))
                .hint("run `ykotp readers` to see serial numbers and device ids"))
        }
        [] => Err(CliError::new(Exit::NoKey, "no key with an OATH applet found")
            .hint("insert your YubiKey; `ykotp readers` lists what pcscd sees")),
        _ => {
            let mut e = CliError::new(Exit::NoKey, format!("{} keys found; choose one with --device or --reader", chosen.len()));
            for p in chosen {
                let serial = p.serial.map_or("serial hidden".to_owned(), |s| format!("serial {s}"));
                e = e.hint(format!("\"{}\": {serial}, device id {}", p.reader, p.device_id.as_deref().unwrap_or("?")));
            }
            Err(e)
        }
    }
}

/// 8 random bytes for VALIDATE and SET CODE.
pub fn host_challenge() -> [u8; 8] {
    let mut c = [0u8; 8];
    crate::virtual_key::card::fill_random(&mut c);
    c
}

/// Unlocks a locked key: --password-cmd, then the remembered key, then a prompt.
/// The prompt happens only when there is a terminal.
pub fn unlock(g: &Global, session: &mut Session<Link<'_>>) -> Result<(), CliError> {
    if !session.is_locked() {
        return Ok(());
    }
    let device_id = session.device_id();
    if let Some(cmd) = &g.password_cmd {
        let password = secret::run_command(cmd, "--password-cmd")?;
        let key = session.derive_key(secret::first_line(&password));
        return session.unlock(&key, &host_challenge()).map_err(|e| match e {
            OathError::WrongPassword => CliError::new(Exit::Password, "wrong password (from --password-cmd)"),
            other => other.into(),
        });
    }
    if let Some(key) = keystore::get(&device_id)? {
        match session.unlock(&key, &host_challenge()) {
            Ok(()) => return Ok(()),
            // a stale remembered key (the password changed elsewhere): drop it, then ask
            Err(OathError::WrongPassword) => {
                keystore::remove(&device_id)?;
                prompt::notice("ykotp: the remembered password no longer works; forgot it");
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !prompt::interactive() {
        return Err(OathError::Locked.into());
    }
    for attempt in 1..=3 {
        let password = prompt::password("Password for the key: ")?;
        let key = session.derive_key(&password);
        match session.unlock(&key, &host_challenge()) {
            Ok(()) => return Ok(()),
            Err(OathError::WrongPassword) if attempt < 3 => prompt::notice("ykotp: wrong password, try again"),
            Err(e) => return Err(e.into()),
        }
    }
    Err(OathError::WrongPassword.into())
}
