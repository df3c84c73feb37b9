//! `code --clip`: the code goes to the clipboard, and is cleared after a while if the
//! clipboard still holds it, as `pass -c` does.
//!
//! On X11 and Wayland the clipboard is served by the program that set it: its content
//! vanishes when that program exits. So ykotp starts a detached copy of itself
//! (`ykotp __clip SECONDS`, in its own session, outliving the command), hands it the
//! code on a pipe (never argv), waits for its "copied" or its error, and returns. The
//! helper serves the clipboard until the time is up or someone copies something else,
//! then clears it only if it still holds the code.

use super::report::{CliError, Exit};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long the code stays without `--clip=SECONDS` or `YKOTP_CLIP_TIME`.
pub const DEFAULT_SECONDS: u64 = 45;
/// The helper must answer within this (an X server or compositor that does not answer).
const HANDOFF_DEADLINE: Duration = Duration::from_secs(10);

/// The time to keep the code: `--clip=SECONDS`, else `YKOTP_CLIP_TIME`, else 45 s.
pub fn seconds(flag: Option<u64>) -> Result<u64, CliError> {
    let secs = match flag {
        Some(s) => s,
        None => match std::env::var("YKOTP_CLIP_TIME") {
            Ok(v) => v.trim().parse().map_err(|_| {
                CliError::new(Exit::Usage, format!("YKOTP_CLIP_TIME=\"{v}\" is not a number of seconds"))
                    .hint(format!("unset it for the default of {DEFAULT_SECONDS} s"))
            })?,
            Err(_) => DEFAULT_SECONDS,
        },
    };
    if secs == 0 {
        return Err(CliError::new(Exit::Usage, "the clipboard time must be at least 1 second"));
    }
    Ok(secs)
}

/// Copies `text` and arranges for it to be cleared after `secs`.
pub fn copy(text: &str, secs: u64) -> Result<(), CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::new(Exit::Other, format!("cannot find ykotp's own program: {e}")))?;
    let mut cmd = Command::new(exe);
    cmd.arg("__clip").arg(secs.to_string()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    detach(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| CliError::new(Exit::Other, format!("cannot start the clipboard helper: {e}")))?;
    let mut stdin = child.stdin.take().ok_or_else(|| CliError::new(Exit::Other, "the clipboard helper has no input"))?;
    let stdout = child.stdout.take().ok_or_else(|| CliError::new(Exit::Other, "the clipboard helper has no output"))?;
    let sent = stdin.write_all(text.as_bytes()).and_then(|()| stdin.write_all(b"\n"));
    drop(stdin);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let _ = BufReader::new(stdout).read_line(&mut answer);
        let _ = tx.send(answer);
    });
    let answer = rx.recv_timeout(HANDOFF_DEADLINE).unwrap_or_default();
    if let Some(err) = answer.trim_end().strip_prefix("error: ") {
        let _ = child.wait();
        return Err(
            CliError::new(Exit::Other, format!("cannot copy to the clipboard: {err}")).hint("without --clip the code is printed on stdout")
        );
    }
    if answer.trim_end() != "copied" {
        let _ = child.kill();
        let _ = child.wait();
        let why = if sent.is_err() { "it stopped at once" } else { "it did not answer" };
        return Err(
            CliError::new(Exit::Other, format!("cannot copy to the clipboard: {why}")).hint("without --clip the code is printed on stdout")
        );
    }
    Ok(())
}

#[cfg(unix)]
fn detach(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // its own process group: the shell's Ctrl-C and job control do not reach it
    cmd.process_group(0);
}

#[cfg(not(unix))]
fn detach(_cmd: &mut Command) {}

/// `ykotp __clip SECONDS`, the detached helper: reads the text from stdin, sets the
/// clipboard, says "copied" (or "error: …") on stdout, serves until the time is up or
/// the clipboard changes hands, then clears it if it still holds the text.
pub fn serve(secs: u64) -> Result<(), CliError> {
    let mut text = Zeroizing::new(String::new());
    std::io::stdin().lock().take(4096).read_to_string(&mut text).map_err(|e| CliError::new(Exit::Other, e.to_string()))?;
    let text = Zeroizing::new(text.trim_end_matches('\n').to_owned());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut out = std::io::stdout();
    let mut clipboard = match open_and_set(&text) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            return Err(CliError::new(Exit::Other, e));
        }
    };
    let _ = writeln!(out, "copied").and_then(|()| out.flush());
    // closing the terminal must not end the wait before the clear
    let _ = signal_hook::flag::register(signal_hook::consts::SIGHUP, std::sync::Arc::default());
    hold_until(&mut clipboard, &text, deadline);
    if clipboard.get_text().is_ok_and(|now| *now == **text) {
        let _ = clipboard.clear();
    }
    Ok(())
}

fn open_and_set(text: &str) -> Result<arboard::Clipboard, String> {
    let mut c = arboard::Clipboard::new().map_err(|e| no_clipboard(&e))?;
    set(&mut c, text).map_err(|e| no_clipboard(&e))?;
    Ok(c)
}

fn no_clipboard(e: &arboard::Error) -> String {
    #[cfg(all(unix, not(target_os = "macos")))]
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return "there is no clipboard here (neither WAYLAND_DISPLAY nor DISPLAY is set)".into();
    }
    format!("the clipboard is not available ({e})")
}

#[cfg(all(unix, not(target_os = "macos")))]
fn set(c: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    use arboard::SetExtLinux;
    // clipboard managers that honour the hint keep no history of a one-time code
    c.set().exclude_from_history().text(text.to_owned())
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn set(c: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    use arboard::SetExtApple as _;
    c.set().exclude_from_history().text(text.to_owned())
}

/// Keeps the clipboard served until `deadline`; on X11 this returns early when another
/// program takes the clipboard.
#[cfg(all(unix, not(target_os = "macos")))]
fn hold_until(c: &mut arboard::Clipboard, text: &str, deadline: Instant) {
    use arboard::SetExtLinux;
    let _ = c.set().wait_until(deadline).exclude_from_history().text(text.to_owned());
    // Wayland serves from a thread and returns at once: the time still has to pass
    if c.get_text().is_ok_and(|now| now == text) {
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
    }
}

/// macOS keeps the clipboard after we exit: the time only has to pass.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn hold_until(_c: &mut arboard::Clipboard, _text: &str, deadline: Instant) {
    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
}
