//! `code --clip` against a real X server (Xvfb, started by scripts/test, in $DISPLAY)
//! and a real Wayland compositor (sway, headless, started here once for this test
//! binary, with no DISPLAY for ykotp): the code is read back with xclip or wl-paste
//! after ykotp has exited, and the detached helper clears it after the time, only if the
//! clipboard still holds it.
//! `#[ignore]`: needs an X server and xclip; sway and wl-clipboard.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DEADLINE: Duration = Duration::from_secs(20);

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The clipboard's text, None when nobody holds it.
fn clipboard() -> Option<String> {
    let out = Command::new("xclip").args(["-o", "-selection", "clipboard"]).stderr(Stdio::null()).output().expect("xclip");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn with_aws() -> Ykotp {
    assert!(std::env::var_os("DISPLAY").is_some(), "these tests need an X server in $DISPLAY (scripts/test starts Xvfb)");
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(&format!("{DEMO_B32}\n"))).ok();
    y
}

/// The detached helpers serving this test's clipboard (found by their $HOME).
fn helpers(y: &Ykotp) -> Vec<u32> {
    let home = format!("HOME={}", y.dir.path().display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            cmd.split(|b| *b == 0).any(|a| a == b"__clip") && env.split(|b| *b == 0).any(|a| a == home.as_bytes())
        })
        .collect()
}

#[test]
#[ignore]
fn clip_copies_then_clears_after_ykotp_has_exited() {
    let y = with_aws();
    let before = now();
    let out = y.run(&["code", "aws", "--clip=3"]);
    let exited = Instant::now();
    assert_eq!(out.ok(), "", "nothing on stdout");
    copied_then_cleared(&y, before, exited, clipboard);
}

#[test]
#[ignore]
fn clip_leaves_alone_what_was_copied_since() {
    let y = with_aws();
    y.run(&["code", "aws", "-c"]).ok();
    assert_eq!(helpers(&y).len(), 1);
    // another program takes the clipboard (xclip serves it from a child of its own)
    let mut xclip = Command::new("xclip").args(["-i", "-selection", "clipboard"]).stdin(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut xclip.stdin.take().unwrap(), b"something else").unwrap();
    assert!(xclip.wait().unwrap().success());
    // our helper sees it lose the clipboard and leaves without clearing
    let start = Instant::now();
    while !helpers(&y).is_empty() {
        assert!(start.elapsed() < DEADLINE, "the helper kept waiting after losing the clipboard");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(clipboard().as_deref(), Some("something else"));
}

/// A headless sway for this test binary: wlroots' headless backend and pixman renderer
/// need no GPU, no input devices and no seat; its data-control protocol
/// (zwlr_data_control_manager_v1) is what arboard's `wayland-data-control` and wl-paste
/// use.
struct Wayland {
    runtime_dir: std::path::PathBuf,
    display: String,
}

fn wayland() -> &'static Wayland {
    static SWAY: std::sync::OnceLock<Wayland> = std::sync::OnceLock::new();
    SWAY.get_or_init(start_sway)
}

fn start_sway() -> Wayland {
    // nothing runs when a test binary exits: the directories of earlier runs whose sway
    // is gone are removed here
    for e in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        let old = e.path();
        let pid = std::fs::read_to_string(old.join("sway.pid")).unwrap_or_default();
        if e.file_name().to_string_lossy().starts_with("ykotp-wayland")
            && !pid.is_empty()
            && !Path::new(&format!("/proc/{}", pid.trim())).exists()
        {
            let _ = std::fs::remove_dir_all(old);
        }
    }
    let dir = tempfile::Builder::new().prefix("ykotp-wayland").tempdir().unwrap().keep();
    let ready = dir.join("ready");
    assert!(Command::new("mkfifo").arg(&ready).status().unwrap().success());
    // sway says which display it serves, once it serves it
    let config = format!("xwayland disable\nexec sh -c 'echo \"$WAYLAND_DISPLAY\" > {}'\n", ready.display());
    std::fs::write(dir.join("config"), config).unwrap();
    let log = std::fs::File::create(dir.join("sway.log")).unwrap();
    // sway refuses to run as root: as root (CI), it runs as nobody in a directory of its own
    let root = rustix::process::geteuid().is_root();
    if root {
        for p in [&dir, &ready] {
            assert!(Command::new("chown").arg("nobody").arg(p).status().unwrap().success());
        }
    }
    let mut sway = Command::new("setpriv");
    // the compositor ends with this test binary (the thread below lives as long as it)
    sway.arg("--pdeathsig=KILL");
    if root {
        sway.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]);
    }
    sway.arg("sway").arg("--config").arg(dir.join("config"));
    sway.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("XDG_RUNTIME_DIR", &dir)
        .env("WLR_BACKENDS", "headless")
        .env("WLR_RENDERER", "pixman")
        .env("WLR_LIBINPUT_NO_DEVICES", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let (started, spawned) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let child = sway.spawn();
        let failed = child.is_err();
        let _ = started.send(child.map(|c| c.id()).map_err(|e| e.to_string()));
        if !failed {
            // setpriv's parent-death signal follows this thread: it must outlive the tests
            loop {
                std::thread::park();
            }
        }
    });
    let pid = spawned.recv().unwrap().unwrap_or_else(|e| panic!("cannot start sway (apt-get install sway): {e}"));
    std::fs::write(dir.join("sway.pid"), pid.to_string()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let fifo = ready.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(fifo));
    });
    let display = match rx.recv_timeout(DEADLINE) {
        Ok(Ok(d)) if !d.trim().is_empty() => d.trim().to_owned(),
        other => {
            let log = std::fs::read_to_string(dir.join("sway.log")).unwrap_or_default();
            panic!("sway (pid {pid}) did not come up: {other:?}\n{log}");
        }
    };
    Wayland { runtime_dir: dir, display }
}

impl Wayland {
    /// A command that sees this compositor and no X server.
    fn env(&self, c: &mut Command) {
        c.env_remove("DISPLAY").env("WAYLAND_DISPLAY", &self.display).env("XDG_RUNTIME_DIR", &self.runtime_dir);
    }

    /// The clipboard's text, None when nobody holds it.
    fn clipboard(&self) -> Option<String> {
        let mut c = Command::new("wl-paste");
        c.arg("--no-newline").stderr(Stdio::null());
        self.env(&mut c);
        let out = c.output().expect("wl-paste (apt-get install wl-clipboard)");
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn ykotp(&self, y: &Ykotp, args: &[&str]) -> Out {
        let mut c = y.bare();
        c.env("YKOTP_READER", &y.reader).args(args);
        self.env(&mut c);
        exec(c, None)
    }
}

fn with_aws_on_wayland() -> (Ykotp, &'static Wayland) {
    let w = wayland();
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(&format!("{DEMO_B32}\n"))).ok();
    (y, w)
}

#[test]
#[ignore]
fn wayland_clip_copies_then_clears_after_ykotp_has_exited() {
    let (y, w) = with_aws_on_wayland();
    let before = now();
    let out = w.ykotp(&y, &["code", "aws", "--clip=3"]);
    let exited = Instant::now();
    assert_eq!(out.ok(), "", "nothing on stdout");
    copied_then_cleared(&y, before, exited, || w.clipboard());
}

#[test]
#[ignore]
fn wayland_clip_leaves_alone_what_was_copied_since() {
    let (y, w) = with_aws_on_wayland();
    // long enough that the helper is surely still there below on a loaded machine (with
    // 2 s it had once left already): on Wayland it stays its whole time anyway
    w.ykotp(&y, &["code", "aws", "--clip=6"]).ok();
    assert_eq!(helpers(&y).len(), 1);
    // another program takes the clipboard and serves it until we stop it
    let mut c = Command::new("wl-copy");
    c.args(["--foreground", "something else"]).stdout(Stdio::null()).stderr(Stdio::null());
    w.env(&mut c);
    let mut other = c.spawn().expect("wl-copy");
    let start = Instant::now();
    while w.clipboard().as_deref() != Some("something else") {
        assert!(start.elapsed() < DEADLINE, "wl-copy did not take the clipboard");
        std::thread::sleep(Duration::from_millis(20));
    }
    // our helper's time passes, and it leaves without clearing what is not its code
    while !helpers(&y).is_empty() {
        assert!(start.elapsed() < DEADLINE, "the helper kept waiting");
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = w.clipboard();
    let _ = other.kill();
    let _ = other.wait();
    assert_eq!(left.as_deref(), Some("something else"));
}

/// After `ykotp code aws --clip=3` ran from `before` until `exited`: the code is on the
/// clipboard (as `read` sees it), one detached helper serves it, and clears it after its
/// 3 s, not before, then leaves.
fn copied_then_cleared(y: &Ykotp, before: u64, exited: Instant, read: impl Fn() -> Option<String>) {
    let after = now();
    let copied = read().expect("the clipboard holds the code after ykotp exited");
    assert!([soft_totp(DEMO_B32, before, 30, 6), soft_totp(DEMO_B32, after, 30, 6)].contains(&copied), "{copied:?}");
    assert_eq!(helpers(y).len(), 1, "one detached helper serves it");
    // cleared by the helper, not before its time
    loop {
        match read() {
            Some(c) if c == copied => assert!(exited.elapsed() < DEADLINE, "never cleared"),
            other => {
                assert!(other.as_ref().is_none_or(|c| c.is_empty()), "cleared, not replaced: {other:?}");
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(exited.elapsed() >= Duration::from_secs(2), "cleared after {:?}, before its 3 s", exited.elapsed());
    let start = Instant::now();
    while !helpers(y).is_empty() {
        assert!(start.elapsed() < DEADLINE, "the helper did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}
