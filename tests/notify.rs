//! The touch prompt as a desktop notification when no terminal is attached (issue 13
//! point 5, issue 15 point 3). A private D-Bus session bus (dbus-daemon), a real
//! notification server on it (Debian's dunst, on the X display scripts/test starts for
//! the clipboard tests) and dbus-monitor printing every message on it. The virtual key's
//! touch is a named pipe (`fifo=PATH`): the test touches only after it saw the
//! notification. The tests with a bus are `#[ignore]` (they need dbus-daemon,
//! dbus-monitor, dunst and $DISPLAY; scripts/test runs them); those without run anywhere.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const T: u64 = 1_700_000_000;

/// How long anything the tests wait for may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// One message as dbus-monitor prints it: its header line and its top-level arguments
/// (strings unquoted, numbers as text).
#[derive(Debug, Clone)]
struct Message {
    header: String,
    args: Vec<String>,
}

impl Message {
    fn field(&self, name: &str) -> &str {
        self.header.split([' ', ';']).find_map(|w| w.strip_prefix(name).and_then(|r| r.strip_prefix('='))).unwrap_or("")
    }
    fn member(&self) -> &str {
        self.field("member")
    }
    fn is_call(&self, member: &str) -> bool {
        self.header.starts_with("method call ") && self.member() == member
    }
}

/// A private session bus, dbus-monitor on it, and (if asked) dunst.
struct Bus {
    dir: tempfile::TempDir,
    address: String,
    children: Vec<Child>,
    messages: mpsc::Receiver<Message>,
    seen: Vec<Message>,
}

impl Bus {
    fn start(with_server: bool) -> Bus {
        let dir = tempfile::tempdir().unwrap();
        // no service directories: nothing is started on demand, only what the test starts
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().join("bus").display()
            ),
        )
        .unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed by scripts/bootstrap");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut address).unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon printed no address");
        let mut monitor = Command::new("dbus-monitor")
            .args(["--address", &address])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-monitor is installed by scripts/bootstrap");
        let (tx, messages) = mpsc::channel();
        let out = monitor.stdout.take().unwrap();
        std::thread::spawn(move || read_monitor(out, &tx));
        let mut bus = Bus { dir, address, children: vec![daemon, monitor], messages, seen: Vec::new() };
        // complete once the next message, dbus-monitor's NameLost, shows it is a monitor
        bus.next("dbus-monitor to start", |m| m.member() == "NameAcquired");
        if with_server {
            let display = std::env::var("DISPLAY").expect("dunst needs an X display ($DISPLAY): scripts/test starts Xvfb");
            let dunst = Command::new("dunst")
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .env("DISPLAY", display)
                .env("HOME", bus.dir.path())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(bus.dir.path().join("dunst.log")).unwrap())
                .spawn()
                .expect("dunst is installed by scripts/bootstrap");
            bus.children.push(dunst);
            bus.next("dunst to own org.freedesktop.Notifications", |m| {
                m.member() == "NameOwnerChanged" && m.args.first().map(String::as_str) == Some("org.freedesktop.Notifications")
            });
        }
        bus
    }

    /// Waits for the first message not seen yet that satisfies `ok`.
    #[track_caller]
    fn next(&mut self, what: &str, ok: impl Fn(&Message) -> bool) -> Message {
        let start = std::time::Instant::now();
        loop {
            let left = DEADLINE.checked_sub(start.elapsed()).unwrap_or_default();
            match self.messages.recv_timeout(left) {
                Ok(m) => {
                    self.seen.push(m.clone());
                    if ok(&m) {
                        return m;
                    }
                }
                Err(_) => {
                    let dunst = std::fs::read_to_string(self.dir.path().join("dunst.log")).unwrap_or_default();
                    panic!("the bus never carried {what}; it carried:\n{:#?}\ndunst said: {dunst}", self.seen)
                }
            }
        }
    }

    /// The id the server gave the notification `notify` asked for (its reply, seen by now).
    #[track_caller]
    fn id_of(&self, notify: &Message) -> String {
        let reply = self.seen.iter().find(|m| {
            m.header.starts_with("method return ")
                && m.field("destination") == notify.field("sender")
                && m.field("reply_serial") == notify.field("serial")
        });
        reply.and_then(|r| r.args.first()).cloned().unwrap_or_else(|| panic!("no reply to {notify:?} in {:#?}", self.seen))
    }

    /// Every message up to a signal the test sends now: what the bus carried before it.
    fn up_to_marker(&mut self) -> Vec<Message> {
        let sent =
            Command::new("dbus-send").arg(format!("--bus={}", self.address)).args(["--type=signal", "/", "org.ykotp.Test.Marker"]).status();
        assert!(sent.unwrap().success());
        self.next("the marker", |m| m.member() == "Marker");
        std::mem::take(&mut self.seen)
    }

    /// Keeps what the bus carries for `margin`: while ykotp waits for a touch, the time
    /// a notification it should not send would have had to arrive (one that is sent
    /// arrives within milliseconds). There is no event for something that never happens.
    fn watch_for(&mut self, margin: Duration) {
        let end = std::time::Instant::now() + margin;
        while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
            match self.messages.recv_timeout(left) {
                Ok(m) => self.seen.push(m),
                Err(_) => break,
            }
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Turns dbus-monitor's text into messages: a line at the left margin starts one, lines
/// indented by three spaces are its arguments (deeper ones belong to arrays). A message
/// is passed on when the next one starts: whatever a test waits for is followed by
/// another (a reply, a signal, the bus's notice that a client left).
fn read_monitor(out: std::process::ChildStdout, tx: &mpsc::Sender<Message>) {
    let mut reader = BufReader::new(out);
    let mut current: Option<Message> = None;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw).trim_end_matches('\n').to_owned();
        if !line.starts_with(' ') {
            if let Some(m) = current.take() {
                if tx.send(m).is_err() {
                    return;
                }
            }
            current = Some(Message { header: line, args: Vec::new() });
        } else if let (Some(m), Some(arg)) = (current.as_mut(), line.strip_prefix("   ")) {
            if arg.starts_with(' ') {
                continue;
            }
            let value = match arg.split_once(' ') {
                Some(("string", s)) => s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s).to_owned(),
                Some((_, v)) => v.to_owned(),
                None => arg.to_owned(),
            };
            m.args.push(value);
        }
    }
    if let Some(m) = current {
        let _ = tx.send(m);
    }
}

/// A virtual key with a touch account whose touch the test gives through a named pipe.
fn touch_key(account: &str) -> (Ykotp, PathBuf) {
    let mut y = Ykotp::virtual_key();
    y.run_in(&["put", account, "-", "--touch"], Some(DEMO_B32)).ok();
    let fifo = y.path("touch");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    y.set_env("YKOTP_VIRTUAL_TOUCH", &format!("fifo={}", fifo.display()));
    (y, fifo)
}

/// The key's touch pipe, open once the key waits on it: opening waits for the reader
/// (at most [`DEADLINE`], so a ykotp that never gets there fails the test).
#[track_caller]
fn key_waiting(fifo: &Path) -> std::fs::File {
    let (tx, rx) = mpsc::channel();
    let path = fifo.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::OpenOptions::new().write(true).open(path));
    });
    rx.recv_timeout(DEADLINE).expect("the key never waited for a touch").unwrap()
}

/// The person touches the key (`approve`) or lets it time out (`deny`).
#[track_caller]
fn touch(fifo: &Path, answer: &str) {
    writeln!(key_waiting(fifo), "{answer}").unwrap();
}

fn spawn(mut c: Command) -> Child {
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Waits for `child` (at most [`DEADLINE`], so a hang fails instead of blocking the run).
#[track_caller]
fn finish(child: Child) -> Out {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let o: Output = rx.recv_timeout(DEADLINE).expect("the command did not end").unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn code_cmd(y: &Ykotp, query: &str) -> Command {
    let mut c = y.bare();
    c.args(["--reader", &y.reader, "code", query, "--at", &T.to_string()]);
    c
}

#[test]
#[ignore]
fn touch_without_a_terminal_is_notified_then_closed() {
    let mut bus = Bus::start(true);
    let (mut y, fifo) = touch_key("R&D:<alice>");
    y.set_env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let code = soft_totp(DEMO_B32, T, 30, 6);

    let child = spawn(code_cmd(&y, "alice"));
    let notify = bus.next("Notify", |m| m.is_call("Notify"));
    // app name, replaces id, icon, summary, body, actions, (hints are nested), timeout
    assert_eq!(notify.args[0], "ykotp");
    assert_eq!(notify.args[3], "Touch your YubiKey");
    // dunst reads markup: the account's < and & are escaped, and no code is in it
    assert_eq!(notify.args[4], format!("for the code of \"R&amp;D:&lt;alice&gt;\" on the key in \"{}\"; the key waits 15 s", y.reader));
    assert_eq!(notify.args.last().unwrap(), "15000");
    assert!(!notify.header.contains(&code) && !notify.args.iter().any(|a| a.contains(&code)));
    touch(&fifo, "approve");
    let close = bus.next("CloseNotification", |m| m.is_call("CloseNotification"));
    assert_eq!(close.field("sender"), notify.field("sender"));
    assert_eq!(close.args, [bus.id_of(&notify)], "the notification closed must be the one shown");
    let out = finish(child);
    assert_eq!(out.ok(), format!("{code}\n"));
    // the stderr line stays as well: a log may be all someone reads
    assert_eq!(out.stderr, "Touch your YubiKey (it waits 15 s)...\n");

    // a touch that never comes: the notification is withdrawn all the same
    let child = spawn(code_cmd(&y, "alice"));
    let notify = bus.next("Notify", |m| m.is_call("Notify"));
    touch(&fifo, "deny");
    let close = bus.next("CloseNotification", |m| m.is_call("CloseNotification"));
    assert_eq!(close.args, [bus.id_of(&notify)]);
    finish(child).fails(7, "not touched in time");
}

#[test]
#[ignore]
fn no_notification_when_turned_off_or_a_terminal_is_attached() {
    let mut bus = Bus::start(true);
    let (mut y, fifo) = touch_key("Work:alice");
    y.set_env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let code = format!("{}\n", soft_totp(DEMO_B32, T, 30, 6));
    let asked = |seen: &[Message]| seen.iter().any(|m| m.is_call("Notify") || m.is_call("GetCapabilities"));

    // YKOTP_NOTIFY=0, and the config's notify = false
    let config = y.path("config.toml");
    std::fs::write(&config, "[touch]\nnotify = false\n").unwrap();
    for (env, value) in [("YKOTP_NOTIFY", "0"), ("YKOTP_CONFIG", config.to_str().unwrap())] {
        let mut c = code_cmd(&y, "alice");
        c.env(env, value);
        let child = spawn(c);
        // opening the pipe waits for the key: ykotp is waiting for the touch now
        let mut pipe = key_waiting(&fifo);
        bus.watch_for(Duration::from_secs(2));
        writeln!(pipe, "approve").unwrap();
        drop(pipe);
        let out = finish(child);
        assert_eq!(out.ok(), code);
        assert!(out.stderr.contains("Touch your YubiKey"), "{out:?}");
        let seen = bus.up_to_marker();
        assert!(!asked(&seen), "{env}={value}: a notification was asked for: {seen:#?}");
    }
    // YKOTP_NOTIFY=1 beats the config's notify = false
    let mut c = code_cmd(&y, "alice");
    c.env("YKOTP_CONFIG", &config).env("YKOTP_NOTIFY", "1");
    let child = spawn(c);
    bus.next("Notify", |m| m.is_call("Notify"));
    touch(&fifo, "approve");
    assert_eq!(finish(child).ok(), code);
    bus.up_to_marker();

    // a terminal: the prompt goes there, and no notification
    let inner = format!("{} --reader {} code alice --at {T}", bin(), y.reader);
    let mut c = Command::new("script");
    c.args(["-qec", &inner, "/dev/null"])
        .env_remove("YKOTP_NO_TTY")
        .env("HOME", y.dir.path())
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("YKOTP_VIRTUAL_TOUCH", format!("fifo={}", fifo.display()));
    let child = spawn(c);
    let mut pipe = key_waiting(&fifo);
    bus.watch_for(Duration::from_secs(2));
    writeln!(pipe, "approve").unwrap();
    drop(pipe);
    let out = finish(child);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Touch your YubiKey (it waits 15 s)...\r\x1b[2K"), "{out:?}");
    let seen = bus.up_to_marker();
    assert!(!asked(&seen), "a terminal was attached, and a notification was asked for: {seen:#?}");
}

/// `doctor` says whether a touch can be notified, and by whom.
#[test]
#[ignore]
fn doctor_reports_the_notification_server() {
    let check = |y: &Ykotp, env: &[(&str, &str)]| -> serde_json::Value {
        let mut c = y.bare();
        c.args(["--reader", &y.reader, "doctor", "--json"]).env("DISPLAY", ":0");
        c.envs(env.iter().copied());
        let out = exec(c, None);
        let checks: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("{out:?}"));
        checks.as_array().unwrap().iter().find(|c| c["check"] == "notifications").cloned().unwrap_or_else(|| panic!("{out:?}"))
    };
    let y = Ykotp::virtual_key();
    let bus = Bus::start(true);
    let served = check(&y, &[("DBUS_SESSION_BUS_ADDRESS", &bus.address)]);
    assert_eq!(served["status"], "ok", "{served}");
    assert!(served["detail"].as_str().unwrap().contains("dunst"), "{served}");
    let off = check(&y, &[("DBUS_SESSION_BUS_ADDRESS", &bus.address), ("YKOTP_NOTIFY", "0")]);
    assert!(off["status"] == "ok" && off["detail"].as_str().unwrap().contains("turned off"), "{off}");
    // a bus without a server, on a desktop: a warning that says what to do
    let empty = Bus::start(false);
    let missing = check(&y, &[("DBUS_SESSION_BUS_ADDRESS", &empty.address)]);
    assert_eq!(missing["status"], "warn", "{missing}");
    assert!(missing["hint"].as_str().unwrap().contains("notify = false"), "{missing}");
}

/// ssh runs SSH_ASKPASS with no terminal: the touch for the answer is notified.
#[test]
#[ignore]
fn askpass_notifies_the_touch() {
    let mut bus = Bus::start(true);
    let (mut y, fifo) = touch_key("Bastion:alice");
    y.set_env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let config = y.path("config.toml");
    std::fs::write(
        &config,
        "[[askpass.rule]]\nprompt = '^Verification code:'\nhost = \"bastion.example.org\"\naccount = \"Bastion:alice\"\n",
    )
    .unwrap();
    y.set_env("YKOTP_CONFIG", config.to_str().unwrap());
    let mut c = y.bare();
    c.args(["--reader", &y.reader, "askpass", "(alice@bastion.example.org) Verification code: "]);
    let child = spawn(c);
    let notify = bus.next("Notify", |m| m.is_call("Notify"));
    assert_eq!(notify.args[4], format!("for the code of \"Bastion:alice\" on the key in \"{}\"; the key waits 15 s", y.reader));
    touch(&fifo, "approve");
    bus.next("CloseNotification", |m| m.is_call("CloseNotification"));
    let out = finish(child);
    let answer = out.ok();
    assert!(answer.len() == 7 && answer[..6].bytes().all(|b| b.is_ascii_digit()), "{out:?}");
}

/// No session bus (cron, a console login): the stderr line, and the command succeeds.
#[test]
fn without_a_session_bus_the_stderr_line_is_all() {
    let mut y = Ykotp::virtual_key();
    y.run_in(&["put", "Work:alice", "-", "--touch"], Some(DEMO_B32)).ok();
    y.set_env("DBUS_SESSION_BUS_ADDRESS", &format!("unix:path={}", y.path("no-bus").display()));
    let out = finish(spawn(code_cmd(&y, "alice")));
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    assert_eq!(out.stderr, "Touch your YubiKey (it waits 15 s)...\n");
    // a bad YKOTP_NOTIFY is a usage error, not silently read as on or off
    let mut c = code_cmd(&y, "alice");
    c.env("YKOTP_NOTIFY", "maybe");
    finish(spawn(c)).fails(2, "YKOTP_NOTIFY=maybe");
}

/// A session bus that accepts the connection and then never answers (a hung desktop):
/// the command still ends, with its code, a bounded time after the touch.
#[test]
fn a_bus_that_never_answers_does_not_hold_the_command() {
    let (mut y, fifo) = touch_key("Work:alice");
    let socket = y.path("hung-bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let (accepted, connected) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            held.push(stream);
            let _ = accepted.send(());
        }
    });
    y.set_env("DBUS_SESSION_BUS_ADDRESS", &format!("unix:path={}", socket.display()));
    let child = spawn(code_cmd(&y, "alice"));
    // ykotp tries the bus while the key waits, and the touch is not held back by it
    connected.recv_timeout(DEADLINE).expect("ykotp never connected to the session bus");
    touch(&fifo, "approve");
    let out = finish(child);
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    assert_eq!(out.stderr, "Touch your YubiKey (it waits 15 s)...\n");
}
