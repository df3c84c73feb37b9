//! Runs the built `ykotp` binary in an isolated home, against a virtual key or a reader.
#![allow(dead_code)]

pub mod tmux;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// RFC 4226/6238's SHA-1 seed "12345678901234567890" in base32.
pub const RFC_SEED_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// A secret people paste in tutorials.
pub const DEMO_B32: &str = "JBSWY3DPEHPK3PXP";

/// The outcome of one run.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success, got {self:#?}");
        &self.stdout
    }

    /// Asserts an exit code, an empty stdout and an error line containing `text`.
    #[track_caller]
    pub fn fails(&self, code: i32, text: &str) {
        assert_eq!(self.code, code, "exit code; {self:#?}");
        assert_eq!(self.stdout, "", "stdout must stay empty on error; {self:#?}");
        assert!(self.stderr.contains("ykotp: error: "), "{self:#?}");
        assert!(self.stderr.contains(text), "stderr should contain {text:?}; {self:#?}");
    }
}

/// The binary under test. `YKOTP_TEST_BIN` points the tests at another build, to show
/// that a test fails on the code before a fix (`YKOTP_TEST_BIN=old/ykotp cargo test …`).
pub fn bin() -> String {
    std::env::var("YKOTP_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ykotp").to_owned())
}

/// An isolated ykotp: its own XDG directories and its own key.
pub struct Ykotp {
    pub dir: tempfile::TempDir,
    pub reader: String,
    pub env: Vec<(String, String)>,
}

impl Ykotp {
    /// With a file-backed virtual key (created on first use).
    pub fn virtual_key() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let reader = format!("virtual:{}", dir.path().join("key.json").display());
        Ykotp { dir, reader, env: Vec::new() }
    }

    /// With a PC/SC reader name.
    pub fn reader(name: &str) -> Self {
        Ykotp { dir: tempfile::tempdir().unwrap(), reader: name.to_owned(), env: Vec::new() }
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join("key.json")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn set_env(&mut self, k: &str, v: &str) {
        self.env.push((k.into(), v.into()));
    }

    /// The command, with no reader preset.
    pub fn bare(&self) -> Command {
        let mut c = Command::new(bin());
        for (k, _) in std::env::vars() {
            if k.starts_with("YKOTP_") || k.starts_with("XDG_") {
                c.env_remove(k);
            }
        }
        let d = self.dir.path();
        c.env("HOME", d)
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_STATE_HOME", d.join("state"));
        c.env("YKOTP_NO_TTY", "1");
        // no session bus: a touch never pops a notification up on the desktop of whoever
        // runs the tests (tests/notify.rs gives its own bus)
        c.env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", d.join("no-session-bus").display()));
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// The environment `bare` gives, less YKOTP_NO_TTY, plus the binary as $YKOTP and the
    /// reader as $YKOTP_READER: for a script in a real terminal.
    pub fn shell_env(&self) -> Vec<(String, String)> {
        let d = self.dir.path();
        let mut env: Vec<(String, String)> = vec![
            ("HOME".into(), d.display().to_string()),
            ("XDG_DATA_HOME".into(), d.join("data").display().to_string()),
            ("XDG_CONFIG_HOME".into(), d.join("config").display().to_string()),
            ("XDG_STATE_HOME".into(), d.join("state").display().to_string()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("YKOTP".into(), env!("CARGO_BIN_EXE_ykotp").into()),
            ("YKOTP_READER".into(), self.reader.clone()),
        ];
        env.extend(self.env.iter().cloned());
        env
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_in(args, None)
    }

    pub fn run_in(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let mut c = self.bare();
        c.arg("--reader").arg(&self.reader).args(args);
        exec(c, stdin)
    }
}

pub fn exec(mut c: Command, stdin: Option<&str>) -> Out {
    c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn ykotp");
    if let Some(input) = stdin {
        // a command refused before it reads stdin (a usage error) closes the pipe early
        match child.stdin.take().unwrap().write_all(input.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.unwrap(),
        }
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

/// The software engine's TOTP for a base32 secret.
pub fn soft_totp(b32: &str, t: u64, period: u32, digits: u8) -> String {
    let secret = ykotp::otp::decode_secret(b32).unwrap();
    ykotp::otp::totp(ykotp::otp::Algorithm::Sha1, secret.as_bytes(), t, period, 0, digits)
}

/// oathtool's TOTP, for the same inputs.
pub fn oathtool_totp(b32: &str, t: u64, extra: &[&str]) -> String {
    let mut c = Command::new("oathtool");
    if !extra.iter().any(|e| e.starts_with("--totp")) {
        c.arg("--totp");
    }
    let out =
        c.args(["-b", "--now"]).arg(format!("@{t}")).args(extra).arg(b32).output().expect("oathtool is installed by scripts/bootstrap");
    assert!(out.status.success(), "oathtool failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn file_mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Waits (10 s at most) until `readers` shows a key with an OATH applet: pcscd polls vpcd,
/// so a served virtual key appears a little after its process starts.
#[allow(dead_code)]
pub fn wait_for_oath_key(y: &Ykotp) {
    let start = std::time::Instant::now();
    loop {
        let out = y.run(&["readers", "--json"]);
        if out.code == 0 && out.stdout.contains("\"oath\": true") {
            return;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "the virtual key did not appear: {out:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A virtual key served behind pcscd's vpcd reader (`ykotp virtual serve`), pulled (the
/// server killed) when dropped.
pub struct ServedKey(std::process::Child);

impl Drop for ServedKey {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serves the key in `state` with `options` (e.g. `--touch delay=1500`) and waits until
/// `reader` shows it.
pub fn serve_key(state: &Path, options: &[&str], reader: &str) -> ServedKey {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ykotp"));
    c.args(["virtual", "serve"]).args(options).args(["--state", state.to_str().unwrap()]).stdout(Stdio::null()).stderr(Stdio::null());
    let key = ServedKey(c.spawn().unwrap());
    wait_for_oath_key(&Ykotp::reader(reader));
    key
}
