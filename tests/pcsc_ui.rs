//! `ykotp ui` in a real terminal (tmux) against a virtual key behind a real pcscd: live
//! codes, type-to-filter, Enter copies (read back from the X clipboard), a touch account
//! with its prompt, the key pulled out and plugged back in while it runs.
//! scripts/test starts pcscd with no keys and Xvfb; this test serves its own key.

mod common;
use common::tmux::Tmux;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};

const READER: &str = "Virtual PCD 00 00";

fn serve(state: &Path) -> ServedKey {
    // a touch takes 1.5 s, so that the prompt can be seen
    serve_key(state, &["--touch", "delay=1500"], READER)
}

fn clipboard() -> Option<String> {
    let out = Command::new("xclip").args(["-o", "-selection", "clipboard"]).stderr(Stdio::null()).output().expect("xclip");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The code shown on the row of `account`.
fn code_on_screen(screen: &str, account: &str) -> String {
    let line = screen.lines().find(|l| l.starts_with(account)).unwrap_or_else(|| panic!("no row {account}:\n{screen}"));
    line.split_whitespace().nth(1).unwrap().to_owned()
}

#[test]
#[ignore]
fn ui_filters_copies_touches_and_survives_unplugging() {
    assert!(std::env::var_os("DISPLAY").is_some(), "needs an X server in $DISPLAY (scripts/test starts Xvfb)");
    let offline = Ykotp::virtual_key();
    for n in ["aws", "git-work", "GitHub:bob"] {
        offline.run_in(&["put", n, "-"], Some(DEMO_B32)).ok();
    }
    offline.run_in(&["put", "Touchy:t", "-", "--touch"], Some(DEMO_B32)).ok();
    let state = offline.state_path();
    let card = serve(&state);
    // the dashboard finds the key itself: no reader given
    let y = Ykotp::reader(READER);
    let mut env: Vec<(String, String)> = y.shell_env().into_iter().filter(|(k, _)| k != "YKOTP_READER").collect();
    env.push(("DISPLAY".into(), std::env::var("DISPLAY").unwrap()));
    let t = Tmux::run(80, 14, &env, "\"$YKOTP\" ui");
    let screen = t.wait_for("GitHub:bob");
    assert!(screen.contains("30s period"), "{screen}");
    assert_eq!(code_on_screen(&screen, "Touchy:t"), "[touch]", "touch accounts wait for Enter");

    // type to filter, arrow down, Enter copies
    t.keys(&["git"]);
    let screen = t.wait_until("the filtered rows", |s| s.contains("Filter: git") && !s.contains("aws "));
    assert!(screen.contains("git-work") && screen.contains("GitHub:bob"), "{screen}");
    t.keys(&["Down", "Enter"]);
    let screen = t.wait_for("copied the code of GitHub:bob");
    let shown = code_on_screen(&screen, "GitHub:bob");
    assert_eq!(clipboard().as_deref(), Some(shown.as_str()));

    // a touch account: the prompt while the key waits, then the code
    t.keys(&["BSpace", "BSpace", "BSpace", "touchy"]);
    t.wait_until("only Touchy", |s| s.contains("Touchy:t") && !s.contains("git-work"));
    t.keys(&["Enter"]);
    t.wait_for("Touch your YubiKey (it waits 15 s)");
    t.wait_for("copied the code of Touchy:t");
    let copied = clipboard().unwrap();
    assert!((0..=6).map(|d| soft_totp(DEMO_B32, common_now() - d, 30, 6)).any(|c| c == copied), "{copied:?}");

    // pulled out: the dashboard says so and keeps running; plugged back: the codes return
    t.keys(&["BSpace"; 6]);
    drop(card);
    let screen = t.wait_until("no key", |s| !s.contains("aws ") && s.to_lowercase().contains("no yubikey found"));
    assert!(!screen.contains("GitHub:bob"), "{screen}");
    let _card = serve(&state);
    t.wait_for("GitHub:bob");

    // Esc leaves the terminal as it was
    t.keys(&["Escape"]);
    let (code, screen) = t.wait_exit();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("Filter:"), "{screen}");
}

fn common_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}
