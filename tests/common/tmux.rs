//! A real terminal for the tests of what a person sees: tmux runs a command in a pane of
//! a given size, `send-keys` types, `capture-pane` reads the screen. Each `Tmux` has its
//! own server (its own socket), killed on drop.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a screen may take to show what a test waits for.
pub const SCREEN_DEADLINE: Duration = Duration::from_secs(30);

pub struct Tmux {
    _dir: tempfile::TempDir,
    socket: PathBuf,
}

impl Tmux {
    /// Runs the bash `script` in a `width`×`height` pane with exactly `env`; the pane
    /// stays after the script ends, with "[exit N]" as its last line.
    pub fn run(width: u16, height: u16, env: &[(String, String)], script: &str) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let file = dir.path().join("script.sh");
        let mut text = String::from("set +e\n");
        for (k, v) in env {
            text.push_str(&format!("export {k}='{}'\n", v.replace('\'', "'\\''")));
        }
        text.push_str(&format!("{script}\necho \"[exit $?]\"\nexec sleep 600\n"));
        std::fs::write(&file, text).unwrap();
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["-f", "/dev/null", "new-session", "-d", "-x", &width.to_string(), "-y", &height.to_string()])
            .arg(format!("bash --noprofile --norc {}", file.display()))
            .env_remove("TMUX")
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is installed by scripts/bootstrap");
        assert!(status.success(), "tmux did not start");
        Tmux { _dir: dir, socket }
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    /// The screen now, trailing blanks trimmed.
    pub fn screen(&self) -> String {
        let out = self.tmux().args(["capture-pane", "-p", "-t", "0"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        lines.join("\n").trim_end().to_owned()
    }

    /// Waits until the screen satisfies `ok`; panics with the screen after the deadline.
    #[track_caller]
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(start.elapsed() < SCREEN_DEADLINE, "the screen never showed {what}:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen shows `needle`.
    #[track_caller]
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?}"), |s| s.contains(needle))
    }

    /// Waits for the script to end; its exit code and the screen.
    #[track_caller]
    pub fn wait_exit(&self) -> (i32, String) {
        let s = self.wait_for("[exit ");
        let code = s.rsplit("[exit ").next().and_then(|r| r.split(']').next()).and_then(|n| n.parse().ok()).unwrap();
        (code, s)
    }

    /// Types keys (tmux key names: "Enter", "Escape", "Down", or text).
    pub fn keys(&self, keys: &[&str]) {
        let status = self.tmux().args(["send-keys", "-t", "0"]).args(keys).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
