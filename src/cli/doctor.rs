//! `ykotp doctor`: checks what ykotp depends on and says how to fix what is wrong.

use super::config::Config;
use super::device::{self, Needs};
use super::report::{CliError, Exit};
use super::{keystore, output, Global};
use crate::oath::Error as OathError;
use crate::transport::pcsc::Pcsc;
use crate::transport::TransportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(serde::Serialize)]
struct Check {
    check: String,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip)]
    exit: Option<Exit>,
}

#[derive(Default)]
struct Report(Vec<Check>);

impl Report {
    fn ok(&mut self, check: &str, detail: impl Into<String>) {
        self.0.push(Check { check: check.into(), status: Status::Ok, detail: detail.into(), hint: None, exit: None });
    }
    fn warn(&mut self, check: &str, detail: impl Into<String>, hint: impl Into<String>) {
        self.0.push(Check { check: check.into(), status: Status::Warn, detail: detail.into(), hint: Some(hint.into()), exit: None });
    }
    fn fail(&mut self, check: &str, e: &CliError) {
        let hint = (!e.hints.is_empty()).then(|| e.hints.join("; "));
        self.0.push(Check { check: check.into(), status: Status::Fail, detail: e.message.clone(), hint, exit: Some(e.exit) });
    }
}

/// Runs `doctor`.
pub fn run(g: &Global) -> Result<(), CliError> {
    let mut r = Report::default();
    if g.reader.as_deref().is_some_and(|x| x.starts_with("virtual:")) {
        r.ok("pcscd", "not needed for a virtual key");
        check_key(g, &mut r, g.reader.as_deref().unwrap_or_default());
    } else {
        check_pcsc(g, &mut r);
    }
    check_clock(&mut r);
    check_config(g, &mut r);
    check_state_files(&mut r);
    print(g, &r)?;
    match r.0.iter().find_map(|c| c.exit) {
        Some(exit) => Err(CliError::new(exit, format!("{} check(s) failed", r.0.iter().filter(|c| c.status == Status::Fail).count()))),
        None => Ok(()),
    }
}

fn check_pcsc(g: &Global, r: &mut Report) {
    let pcsc = match Pcsc::establish() {
        Ok(p) => p,
        Err(e) => return r.fail("pcscd", &e.into()),
    };
    let readers = match pcsc.readers() {
        Ok(list) => list,
        Err(e) => return r.fail("pcscd", &e.into()),
    };
    r.ok("pcscd", "reachable");
    if readers.is_empty() {
        return r.fail("readers", &TransportError::NoReaders.into());
    }
    r.ok("readers", readers.iter().map(|(n, _)| format!("\"{n}\"")).collect::<Vec<_>>().join(", "));
    let mut keys = 0;
    for (reader, _) in readers.iter().filter(|(_, present)| *present) {
        keys += 1;
        check_key(g, r, reader);
    }
    if keys == 0 {
        r.fail("keys", &CliError::new(Exit::NoKey, "no key is inserted").hint("insert your YubiKey"));
    }
}

/// OATH reachable on one reader; a remembered password still valid.
fn check_key(g: &Global, r: &mut Report, reader: &str) {
    let name = format!("key in \"{reader}\"");
    let sub = Global { reader: Some(reader.to_owned()), device: None, password_cmd: None, trace: g.trace, json: false, config: None };
    let result = device::with_key(&sub, Needs { serial: true }, |ctx, s| {
        let serial = ctx.serial.map_or("serial hidden".to_owned(), |s| format!("serial {s}"));
        let mut detail = format!("OATH {} ({serial}, device id {})", s.version(), s.device_id());
        let mut stale = None;
        if s.is_locked() {
            match keystore::get(&s.device_id())? {
                Some(key) => match s.unlock(&key, &device::host_challenge()) {
                    Ok(()) => detail.push_str(", password remembered and valid"),
                    Err(OathError::WrongPassword) => stale = Some(s.device_id()),
                    Err(e) => return Err(e.into()),
                },
                None => detail.push_str(", password set (not remembered)"),
            }
        }
        Ok((detail, stale))
    });
    match result {
        Ok((detail, None)) => r.ok(&name, detail),
        Ok((detail, Some(_))) => {
            r.warn(&name, format!("{detail}; the remembered password no longer works"), "run `ykotp password remember` again")
        }
        Err(e) if e.exit == Exit::Busy => {
            let holders = holders();
            let who = if holders.is_empty() { "another program".to_owned() } else { holders.join(", ") };
            r.fail(&name, &CliError { message: format!("held exclusively by {who}"), ..e });
        }
        Err(e) => r.fail(&name, &e),
    }
}

/// Programs known to hold YubiKeys exclusively, if running.
fn holders() -> Vec<String> {
    const KNOWN: [&str; 5] = ["scdaemon", "yubikey-agent", "yubioath-desktop", "authenticator", "yubico-authenticator"];
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return found };
    for entry in dir.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
            let comm = comm.trim();
            if KNOWN.contains(&comm) {
                found.push(format!("{comm} (pid {pid})"));
            }
        }
    }
    found
}

fn check_clock(r: &mut Report) {
    let out = std::process::Command::new("timedatectl").args(["show", "-p", "NTPSynchronized", "--value"]).output();
    match out {
        Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "yes" => r.ok("clock", "synchronised (NTP)"),
        Ok(o) if o.status.success() => {
            r.warn("clock", "not synchronised: TOTP codes may be rejected", "enable time sync: sudo timedatectl set-ntp true")
        }
        _ if std::path::Path::new("/run/systemd/timesync/synchronized").exists() => r.ok("clock", "synchronised (systemd-timesyncd)"),
        _ => r.warn("clock", "cannot tell whether the clock is synchronised", "make sure NTP (chrony, systemd-timesyncd, ntpd) runs"),
    }
}

fn check_config(g: &Global, r: &mut Report) {
    let config = match Config::load(g.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return r.fail("config", &e),
    };
    let Some(path) = &config.path else { return r.ok("config", "no config file (optional)") };
    let mut missing = Vec::new();
    for (name, account) in &config.account {
        for (key, cmd) in [("fallback_cmd", &account.fallback_cmd), ("prepend_cmd", &account.prepend_cmd)] {
            let Some(cmd) = cmd else { continue };
            let program = cmd.split_whitespace().next().unwrap_or("");
            let found = std::process::Command::new("sh").arg("-c").arg("command -v \"$1\" >/dev/null").arg("sh").arg(program).status();
            if !found.is_ok_and(|s| s.success()) {
                missing.push(format!("[account.{name}] {key}: `{program}` not found"));
            }
        }
    }
    if missing.is_empty() {
        r.ok("config", format!("{} parses; {} account(s)", path.display(), config.account.len()));
    } else {
        r.fail("config", &CliError::new(Exit::Usage, missing.join("; ")).hint("install the program or fix the command in the config file"));
    }
}

/// keys.json and fresh.json, and their directories: ours, and writable only by us.
fn check_state_files(r: &mut Report) {
    for (check, file) in [("remembered keys", keystore::state_file()), ("--fresh state", super::fresh::state_file())] {
        let file = match file {
            Ok(f) => f,
            Err(e) => return r.fail(check, &e),
        };
        match file.check() {
            Err(e) => r.fail(check, &e),
            Ok(()) if !file.path().exists() => r.ok(check, format!("{} (none yet)", file.path().display())),
            Ok(()) => r.ok(check, format!("{} (private)", file.path().display())),
        }
    }
}

fn print(g: &Global, r: &Report) -> Result<(), CliError> {
    if g.json {
        return output::json(&r.0);
    }
    for c in &r.0 {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        output::line(&format!("{mark}  {}: {}", c.check, c.detail))?;
        if let Some(h) = &c.hint {
            output::line(&format!("      fix: {h}"))?;
        }
    }
    Ok(())
}
