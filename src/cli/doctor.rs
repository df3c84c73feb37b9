//! `ykotp doctor`: checks what ykotp depends on and says how to fix what is wrong.

use super::config::Config;
use super::device::{self, Needs};
use super::report::{CliError, Exit};
use super::{keystore, output, Global};
use crate::discovery::{self, Keys, SlotState};
use crate::oath::Error as OathError;
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
    check_keys(g, &mut r);
    check_clock(&mut r);
    check_config(g, &mut r);
    check_state_files(&mut r);
    check_notifications(g, &mut r);
    if super::memory::protected() {
        r.ok("memory", "core dumps and debugger attach disabled");
    } else {
        r.warn("memory", "core dumps or debugger attach could not be disabled", "check `ulimit -c` and the kernel's ptrace settings");
    }
    print(g, &r)?;
    match r.0.iter().find_map(|c| c.exit) {
        Some(exit) => Err(CliError::new(exit, format!("{} check(s) failed", r.0.iter().filter(|c| c.status == Status::Fail).count()))),
        None => Ok(()),
    }
}

fn check_keys(g: &Global, r: &mut Report) {
    let keys = match device::keys(g) {
        Ok(k) => k,
        Err(e) => return r.fail("pcscd", &e),
    };
    let virtual_key = keys.selection().virtual_path().is_some();
    let slots = match keys.list() {
        Ok(slots) => slots,
        Err(e @ (discovery::Error::NoReaderMatches { .. } | discovery::Error::Oath(OathError::Transport(TransportError::NoReaders)))) => {
            r.ok("pcscd", "reachable");
            return r.fail("readers", &e.into());
        }
        Err(e) => return r.fail("pcscd", &e.into()),
    };
    if virtual_key {
        r.ok("pcscd", "not needed for a virtual key");
    } else {
        r.ok("pcscd", "reachable");
        r.ok("readers", slots.iter().map(|s| format!("\"{}\"", s.reader)).collect::<Vec<_>>().join(", "));
    }
    let mut cards = 0;
    for slot in slots {
        let name = format!("key in \"{}\"", slot.reader);
        match slot.state {
            SlotState::Empty => continue,
            SlotState::Key(k) => check_key(&keys, r, &name, &k),
            SlotState::NoOath => r.fail(&name, &discovery::Error::NoApplet { reader: slot.reader.clone() }.into()),
            SlotState::Failed(e) => fail_key(r, &name, e.into()),
        }
        cards += 1;
    }
    if cards == 0 {
        r.fail("keys", &CliError::new(Exit::NoKey, "no key is inserted").hint("insert your YubiKey"));
    }
}

/// A key with OATH: what it says, and whether a remembered password still works.
fn check_key(keys: &Keys, r: &mut Report, name: &str, k: &discovery::KeyInfo) {
    let serial = k.serial.map_or("serial hidden".to_owned(), |s| format!("serial {s}"));
    let mut detail = format!("OATH {} ({serial}, device id {})", k.version, k.device_id);
    let remembered = match k.device_id.stable() {
        Some(id) if k.locked => keystore::get(id),
        _ => Ok(None),
    };
    let key = match remembered {
        Ok(Some(key)) => key,
        Ok(None) => {
            if k.locked {
                detail.push_str(", password set (not remembered)");
            }
            return r.ok(name, detail);
        }
        Err(e) => return r.fail(name, &e),
    };
    let valid = keys.with_reader(&k.reader, Needs::default(), |_, s| match s.unlock(&key, &device::host_challenge()) {
        Ok(()) => Ok(true),
        Err(OathError::WrongPassword) => Ok(false),
        Err(e) => Err(CliError::from(e)),
    });
    match valid {
        Ok(true) => r.ok(name, format!("{detail}, password remembered and valid")),
        Ok(false) => r.warn(name, format!("{detail}; the remembered password no longer works"), "run `ykotp password remember` again"),
        Err(e) => fail_key(r, name, e),
    }
}

fn fail_key(r: &mut Report, name: &str, e: CliError) {
    if e.exit == Exit::Busy {
        let holders = holders();
        let who = if holders.is_empty() { "another program".to_owned() } else { holders.join(", ") };
        return r.fail(name, &CliError { message: format!("held exclusively by {who}"), ..e });
    }
    r.fail(name, &e)
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

/// Whether a touch without a terminal can be notified.
fn check_notifications(g: &Global, r: &mut Report) {
    const CHECK: &str = "notifications";
    // a config that does not load is the config check's failure
    let configured = Config::load(g.config.as_deref()).ok().and_then(|c| c.touch.notify);
    match super::notify::wanted(configured) {
        Err(e) => return r.fail(CHECK, &e),
        Ok(false) => return r.ok(CHECK, "turned off (YKOTP_NOTIFY or notify = false under [touch])"),
        Ok(true) => {}
    }
    let desktop = ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    match super::notify::server() {
        Ok(server) => r.ok(CHECK, format!("a touch without a terminal is shown by {server}")),
        // a server with no desktop has nobody to show it to: stderr is the right place
        Err(_) if !cfg!(target_os = "macos") && !desktop => {
            r.ok(CHECK, "no desktop session: a touch without a terminal is announced on stderr")
        }
        Err(why) => r.warn(
            CHECK,
            format!("no notification server answers ({why}): a touch without a terminal is announced on stderr only"),
            "start your desktop's notification server (dunst, mako, …), or turn this off with notify = false under [touch] in the config",
        ),
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
        output::line(&output::escape(&format!("{mark}  {}: {}", c.check, c.detail)))?;
        if let Some(h) = &c.hint {
            output::line(&output::escape(&format!("      fix: {h}")))?;
        }
    }
    Ok(())
}
