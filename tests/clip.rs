//! `code --clip` against a real X server (Xvfb, started by scripts/test, in $DISPLAY):
//! the code is read back with xclip after ykotp has exited, and the detached helper
//! clears it after the time, only if the clipboard still holds it.
//! `#[ignore]`: needs an X server and xclip.

mod common;
use common::*;
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
    let after = now();
    let copied = clipboard().expect("the clipboard holds the code after ykotp exited");
    assert!([soft_totp(DEMO_B32, before, 30, 6), soft_totp(DEMO_B32, after, 30, 6)].contains(&copied), "{copied:?}");
    assert_eq!(helpers(&y).len(), 1, "one detached helper serves it");
    // cleared by the helper, not before its time
    loop {
        match clipboard() {
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
    while !helpers(&y).is_empty() {
        assert!(start.elapsed() < DEADLINE, "the helper did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
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
