//! `ykotp readers` and `ykotp info`.

use super::device::{self, Needs};
use super::report::{with_causes, CliError};
use super::{keystore, output, Global};
use crate::discovery::SlotState;

/// One reader as `readers --json` shows it.
#[derive(Debug, Clone, serde::Serialize)]
struct Probe {
    reader: String,
    card: bool,
    oath: bool,
    version: Option<String>,
    serial: Option<u32>,
    /// Absent (null) when it changes on every SELECT: it names nothing then.
    device_id: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    device_id_changes: bool,
    locked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs `readers`.
pub fn readers(g: &Global) -> Result<(), CliError> {
    let probes: Vec<Probe> = device::keys(g)?
        .list()?
        .into_iter()
        .map(|slot| {
            let mut p = Probe {
                reader: slot.reader,
                card: true,
                oath: false,
                version: None,
                serial: None,
                device_id: None,
                device_id_changes: false,
                locked: None,
                error: None,
            };
            match slot.state {
                SlotState::Empty => p.card = false,
                SlotState::Key(k) => {
                    p.oath = true;
                    p.version = Some(k.version.to_string());
                    p.serial = k.serial;
                    p.device_id = k.device_id.stable().map(str::to_owned);
                    p.device_id_changes = p.device_id.is_none();
                    p.locked = Some(k.locked);
                }
                SlotState::Failed(e) => p.error = Some(with_causes(&e)),
                _ => {}
            }
            p
        })
        .collect();
    if g.json {
        return output::json(&probes);
    }
    let mut rows = vec![vec!["READER".into(), "OATH".into(), "VERSION".into(), "SERIAL".into(), "DEVICE ID".into(), "PASSWORD".into()]];
    for p in &probes {
        let oath = match (&p.error, p.card, p.oath) {
            (Some(e), _, _) => format!("error: {e}"),
            (None, false, _) => "no card".into(),
            (None, true, false) => "no".into(),
            (None, true, true) => "yes".into(),
        };
        let dash = || "-".to_owned();
        rows.push(vec![
            p.reader.clone(),
            oath,
            p.version.clone().unwrap_or_else(dash),
            p.serial.map_or_else(dash, |s| s.to_string()),
            match (&p.device_id, p.device_id_changes) {
                (Some(id), _) => id.clone(),
                (None, true) => "(changes)".into(),
                (None, false) => dash(),
            },
            p.locked.map_or_else(dash, |l| if l { "set".into() } else { "none".into() }),
        ]);
    }
    output::table(&rows)
}

#[derive(serde::Serialize)]
struct Info {
    reader: String,
    version: String,
    password: bool,
    remembered: bool,
    device_id: String,
    serial: Option<u32>,
    credentials: Option<usize>,
    /// Known only for YubiKeys (their management applet answers): other cards' room is
    /// theirs to say, with 6A84 when full.
    capacity: Option<usize>,
    /// A Nitrokey 3's PIN: the attempts left, when one is set.
    pin_attempts: Option<u8>,
}

/// Runs `info`.
pub fn info(g: &Global) -> Result<(), CliError> {
    let info = device::with_key(g, Needs { serial: true }, |ctx, s| {
        let device_id = s.device_id();
        let password = s.is_locked();
        let remembered = password && (keystore::get(&device_id)?.is_some() || keystore::get_pin(&device_id)?.is_some());
        // count the accounts only when that needs no prompt
        if s.is_locked() && (remembered || g.password_cmd.is_some()) {
            device::unlock(g, s)?;
        }
        let credentials = if s.is_locked() { None } else { Some(s.list()?.len()) };
        Ok(Info {
            reader: ctx.reader.clone(),
            version: s.version().to_string(),
            password,
            remembered,
            device_id,
            serial: ctx.serial,
            credentials,
            // a serial from the management applet: a YubiKey (Nitrokey's SELECT has one too)
            capacity: ctx.serial.filter(|_| !s.has_pin_extension()).map(|_| s.version().capacity()),
            pin_attempts: s.info().pin_attempts,
        })
    })?;
    if g.json {
        return output::json(&info);
    }
    let used = match (info.credentials, info.capacity) {
        (Some(n), Some(m)) => format!("{n} of {m}"),
        (Some(n), None) => n.to_string(),
        (None, Some(m)) => format!("unknown (locked) of {m}"),
        (None, None) => "unknown (locked)".to_owned(),
    };
    let remembered = if info.remembered { " (remembered by ykotp)" } else { "" };
    let password = match (info.password, info.pin_attempts) {
        (false, _) => "none".to_owned(),
        (true, Some(n)) => format!("a PIN, {n} attempts left{remembered}"),
        (true, None) => format!("set{remembered}"),
    };
    output::table(&[
        vec!["Reader:".into(), info.reader],
        vec!["OATH version:".into(), info.version],
        vec!["Password:".into(), password],
        vec!["Device id:".into(), info.device_id],
        vec!["Serial:".into(), info.serial.map_or("unknown".into(), |s| s.to_string())],
        vec!["Accounts:".into(), used],
    ])
}
