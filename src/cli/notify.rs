//! The touch prompt as a desktop notification, for a person with no terminal to read it
//! on (ykotp run by an IDE, aws-vault, ssh's `SSH_ASKPASS`): D-Bus
//! `org.freedesktop.Notifications` on Linux and the BSDs, the notification centre on
//! macOS, through notify-rust. It is sent on its own thread while the key already waits,
//! so it never eats into the key's touch timeout; ending it waits at most [`DEADLINE`]
//! for `CloseNotification`. No session bus, no server, or a server that does not answer:
//! the stderr line stays the only notice, and nothing fails.

use super::output;
use super::prompt::{Touching, TOUCH_WAIT_SECS};
use super::report::{CliError, Exit};
use std::sync::mpsc;
use std::time::Duration;

/// Turns the notification off (`0`, `no`, `false`, `off`) or on, over the config's
/// `[touch] notify`.
pub const ENV: &str = "YKOTP_NOTIFY";

/// How long the end of a touch waits for the notification thread (closing it, or a
/// server still busy with Notify): the most a notification ever adds to a command.
const DEADLINE: Duration = Duration::from_millis(500);

/// The notification's title: no account name, so nothing in it is ever read as markup.
pub const SUMMARY: &str = "Touch your YubiKey";

/// Whether a touch without a terminal gets a notification: `YKOTP_NOTIFY`, else the
/// config's `[touch] notify`, else yes.
pub fn wanted(config: Option<bool>) -> Result<bool, CliError> {
    match std::env::var(ENV) {
        Ok(v) => switch(&v).ok_or_else(|| {
            CliError::new(Exit::Usage, format!("{ENV}={}: expected 1 or 0", output::escape(&v)))
                .hint(format!("{ENV}=0 turns desktop notifications for touch off, {ENV}=1 on"))
        }),
        Err(std::env::VarError::NotPresent) => Ok(config.unwrap_or(true)),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::new(Exit::Usage, format!("{ENV} is not UTF-8 text"))),
    }
}

fn switch(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// What the notification says: which account, on which key, how long the key waits
/// (never a code or a password). `markup`: the server reads the body as markup, so `<`,
/// `>` and `&` in names are escaped.
pub fn body(touching: &Touching, markup: bool) -> String {
    let text = format!(
        "for the code of \"{}\" on {}; the key waits {TOUCH_WAIT_SECS} s",
        output::escape(&touching.account),
        output::escape(&touching.key)
    );
    if !markup {
        return text;
    }
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A notification being shown; closed (and waited for, at most [`DEADLINE`]) on drop.
pub struct Shown {
    done: Option<mpsc::Sender<()>>,
    finished: mpsc::Receiver<()>,
}

/// Shows the notification on its own thread and returns at once.
pub fn show(touching: &Touching) -> Shown {
    let (done, touch_over) = mpsc::channel::<()>();
    let (finished_tx, finished) = mpsc::channel::<()>();
    let touching = touching.clone();
    let spawned = std::thread::Builder::new().name("notify".into()).spawn(move || {
        // dropped when this thread ends, however it ends: what Drop waits for
        let _finished = finished_tx;
        platform::notify(&touching, &touch_over);
    });
    // no thread, no notification: the drop below then returns at once
    drop(spawned);
    Shown { done: Some(done), finished }
}

impl Drop for Shown {
    fn drop(&mut self) {
        // the touch is over: the thread closes the notification (or never shows it)
        drop(self.done.take());
        let _ = self.finished.recv_timeout(DEADLINE);
    }
}

/// For `doctor`: the notification server that would show it ("dunst 1.9.0"), asked with
/// a deadline; otherwise why there is none.
pub fn server() -> Result<String, String> {
    const ASKING: Duration = Duration::from_secs(2);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(platform::server());
    });
    rx.recv_timeout(ASKING).unwrap_or_else(|_| Err(format!("the session bus did not answer within {} s", ASKING.as_secs())))
}

/// Whether the touch ended before the notification went out: then it is not sent at all.
fn over(touch_over: &mpsc::Receiver<()>) -> bool {
    matches!(touch_over.try_recv(), Err(mpsc::TryRecvError::Disconnected))
}

#[cfg(not(target_os = "macos"))]
mod platform {
    use super::{body, over, Touching, SUMMARY, TOUCH_WAIT_SECS};
    use notify_rust::{Hint, Notification, Timeout};
    use std::sync::mpsc;

    pub fn notify(touching: &Touching, touch_over: &mpsc::Receiver<()>) {
        // the spec lets a server read the body as markup only when it says so
        let Ok(capabilities) = notify_rust::get_capabilities() else { return };
        let markup = capabilities.iter().any(|c| c == "body-markup");
        if over(touch_over) {
            return;
        }
        let shown = Notification::new()
            .appname("ykotp")
            .summary(SUMMARY)
            .body(&body(touching, markup))
            // gone by itself when the key gives up, even if CloseNotification never arrives
            .timeout(Timeout::Milliseconds(u32::try_from(TOUCH_WAIT_SECS * 1000).unwrap_or(u32::MAX)))
            // nothing to keep in the server's history once it is closed
            .hint(Hint::Transient(true))
            .show();
        let Ok(handle) = shown else { return };
        let _ = touch_over.recv();
        handle.close();
    }

    pub fn server() -> Result<String, String> {
        let info = notify_rust::get_server_information().map_err(|e| e.to_string())?;
        Ok(format!("{} {} on the D-Bus session bus", info.name, info.version))
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::{body, over, Touching, SUMMARY};
    use notify_rust::Notification;
    use std::sync::mpsc;

    /// The notification centre takes no markup, and an unbundled program cannot withdraw
    /// what it posted: the banner goes away by itself.
    pub fn notify(touching: &Touching, touch_over: &mpsc::Receiver<()>) {
        if over(touch_over) {
            return;
        }
        let _ = Notification::new().summary(SUMMARY).body(&body(touching, false)).show();
    }

    pub fn server() -> Result<String, String> {
        Ok("the notification centre".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touching(account: &str) -> Touching {
        Touching { account: account.into(), key: "the key in \"Virtual PCD 00 00\"".into(), notify: true }
    }

    #[test]
    fn body_names_account_key_and_wait_and_escapes_markup() {
        let t = touching("R&D:<b>alice</b>");
        assert_eq!(
            body(&t, true),
            "for the code of \"R&amp;D:&lt;b&gt;alice&lt;/b&gt;\" on the key in \"Virtual PCD 00 00\"; the key waits 15 s"
        );
        // a server without body-markup shows the text as it is
        assert_eq!(body(&t, false), "for the code of \"R&D:<b>alice</b>\" on the key in \"Virtual PCD 00 00\"; the key waits 15 s");
        // control characters never reach the screen raw
        assert!(!body(&touching("a\u{1b}[2Jb\nc"), false).contains(['\u{1b}', '\n']));
    }

    #[test]
    fn switch_values() {
        for on in ["1", "yes", "TRUE", "on "] {
            assert_eq!(switch(on), Some(true), "{on}");
        }
        for off in ["0", "no", "False", "OFF"] {
            assert_eq!(switch(off), Some(false), "{off}");
        }
        assert_eq!(switch("2"), None);
        assert_eq!(switch(""), None);
    }
}
