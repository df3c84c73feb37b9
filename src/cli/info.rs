//! `ykotp readers` and `ykotp info`.

use super::device::{self, Needs, Probe};
use super::report::CliError;
use super::{keystore, output, Global};
use crate::transport::pcsc::Pcsc;
use crate::transport::TransportError;

/// Runs `readers`.
pub fn readers(g: &Global) -> Result<(), CliError> {
    let probes = if g.reader.as_deref().is_some_and(|r| r.starts_with("virtual:")) {
        vec![device::with_key(g, Needs { serial: true }, |ctx, s| {
            Ok(Probe {
                reader: ctx.reader.clone(),
                card: true,
                oath: true,
                version: Some(s.version().to_string()),
                serial: ctx.serial,
                device_id: Some(s.device_id()),
                locked: Some(s.is_locked()),
                error: None,
            })
        })?]
    } else {
        let pcsc = Pcsc::establish()?;
        let readers = pcsc.readers()?;
        if readers.is_empty() {
            return Err(TransportError::NoReaders.into());
        }
        let wanted = g.reader.as_deref().map(str::to_lowercase);
        let readers: Vec<_> = readers.into_iter().filter(|(n, _)| wanted.as_ref().is_none_or(|w| n.to_lowercase().contains(w))).collect();
        device::probe_all(g, &pcsc, &readers)
    };
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
            p.device_id.clone().unwrap_or_else(dash),
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
}

/// Runs `info`.
pub fn info(g: &Global) -> Result<(), CliError> {
    let info = device::with_key(g, Needs { serial: true }, |ctx, s| {
        let device_id = s.device_id();
        let password = s.is_locked();
        let remembered = password && keystore::get(&device_id)?.is_some();
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
            capacity: ctx.serial.map(|_| s.version().capacity()),
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
    let password = match (info.password, info.remembered) {
        (false, _) => "none",
        (true, true) => "set (remembered by ykotp)",
        (true, false) => "set",
    };
    output::table(&[
        vec!["Reader:".into(), info.reader],
        vec!["OATH version:".into(), info.version],
        vec!["Password:".into(), password.into()],
        vec!["Device id:".into(), info.device_id],
        vec!["Serial:".into(), info.serial.map_or("unknown".into(), |s| s.to_string())],
        vec!["Accounts:".into(), used],
    ])
}
