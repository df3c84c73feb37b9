//! Faults through the real PC/SC stack: the card pulled in the middle of a PUT and of a
//! chained response, resets by another program between commands, pcscd killed in the
//! middle of a command. Every outcome is success or a clean error with a documented exit
//! code, never a panic, and the virtual key's state file is the old or the new state,
//! never a broken one. scripts/test starts pcscd (no keys) and runs these last; the
//! pcscd test kills the daemon, so it runs on its own, after the others.

mod common;
use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READER: &str = "Virtual PCD 00 00";

/// A served virtual key; pulled (killed) when dropped, even by a failing test, so it
/// never lingers in vpcd's slot for the next test.
struct Card(Option<Child>);

impl Drop for Card {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn serve(state: &Path, extra: &[&str]) -> Card {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ykotp"));
    c.args(["virtual", "serve", "--state", state.to_str().unwrap()]).args(extra).stdout(Stdio::null()).stderr(Stdio::piped());
    let card = Card(Some(c.spawn().unwrap()));
    let y = Ykotp::reader(READER);
    wait_for_oath_key(&y);
    card
}

fn pull(card: Card) {
    drop(card);
}

/// A clean outcome: success, or one error line with a documented code and no panic.
#[track_caller]
fn clean(out: &Out, allowed: &[i32]) {
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    if out.code != 0 {
        assert!(allowed.contains(&out.code), "unexpected exit code: {out:?}");
        assert!(out.stderr.lines().any(|l| l.starts_with("ykotp: error: ")), "{out:?}");
        assert_eq!(out.stdout, "", "{out:?}");
    }
}

/// The state file is readable and valid: ykotp opens it in-process.
fn state_ids(state: &Path) -> Vec<String> {
    let y = Ykotp::reader(&format!("virtual:{}", state.display()));
    y.run(&["list"]).ok().lines().map(str::to_owned).collect()
}

fn spawn(args: &[&str], stdin: Option<&str>) -> Child {
    let y = Ykotp::reader(READER);
    let mut c = y.bare();
    c.arg("--reader").arg(READER).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    std::mem::forget(y.dir);
    child
}

fn finish(child: Child) -> Out {
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn card_pulled_in_the_middle_of_a_put() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("key.json");
    let mut written = Vec::new();
    for i in 0..8u64 {
        let card = serve(&state, &["--latency", "200"]);
        let name = format!("acct{i}");
        let put = spawn(&["put", &name, "-"], Some(DEMO_B32));
        // SELECT, LIST, PUT take 200 ms each: pull the card somewhere among them
        std::thread::sleep(Duration::from_millis(40 + i * 70));
        pull(card);
        let out = finish(put);
        clean(&out, &[1, 3, 4]);
        let ids = state_ids(&state);
        if out.code == 0 {
            written.push(name.clone());
        }
        for w in &written {
            assert!(ids.contains(w), "{w} was reported written but is missing: {ids:?}");
        }
        // the PUT either happened whole or not at all
        assert!(ids.iter().all(|id| id.starts_with("acct")), "{ids:?}");
    }
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn card_pulled_in_the_middle_of_a_chained_response() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("key.json");
    let y = Ykotp::reader(&format!("virtual:{}", state.display()));
    y.bare().args(["virtual", "init", "--state", state.to_str().unwrap(), "--chunk", "16"]).status().unwrap();
    for i in 0..6 {
        y.run_in(&["put", &format!("account-{i}"), "-"], Some(DEMO_B32)).ok();
    }
    for delay in [150u64, 350, 550] {
        let card = serve(&state, &["--latency", "100"]);
        let code = spawn(&["code"], None);
        std::thread::sleep(Duration::from_millis(delay));
        pull(card);
        let out = finish(code);
        clean(&out, &[1, 3, 4]);
        assert_eq!(state_ids(&state).len(), 6);
    }
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn resets_by_another_program_between_commands() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("key.json");
    let card = serve(&state, &[]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let resets = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let resetter = {
        let (stop, resets) = (stop.clone(), resets.clone());
        std::thread::spawn(move || {
            let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
            let name = std::ffi::CString::new(READER).unwrap();
            let mut card = ctx.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if card.reconnect(pcsc::ShareMode::Shared, pcsc::Protocols::ANY, pcsc::Disposition::ResetCard).is_ok() {
                    resets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(3));
            }
        })
    };
    let mut written = Vec::new();
    let started = Instant::now();
    // resets by vpcd take a while: keep going for a few seconds
    for i in 0.. {
        if i >= 15 && started.elapsed() > Duration::from_secs(3) {
            break;
        }
        let name = format!("r{}", i % 12);
        let put = finish(spawn(&["put", &name, "-", "-f"], Some(DEMO_B32)));
        clean(&put, &[1, 4]);
        if put.code == 0 {
            if !written.contains(&name) {
                written.push(name.clone());
            }
            let code = finish(spawn(&["code", &name, "--at", "59"], None));
            clean(&code, &[1, 4]);
            if code.code == 0 {
                assert_eq!(code.stdout, format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    resetter.join().unwrap();
    assert!(resets.load(std::sync::atomic::Ordering::Relaxed) >= 3, "the other program did not get to reset the card");
    assert!(written.len() >= 10, "too few commands got through: {written:?}");
    assert_eq!(finish(spawn(&["list"], None)).stdout.lines().count(), written.len());
    pull(card);
    let ids = state_ids(&state);
    for w in &written {
        assert!(ids.contains(w), "{w} missing from {ids:?}");
    }
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn right_after_a_pull_every_command_says_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("key.json");
    let y = Ykotp::reader(&format!("virtual:{}", state.display()));
    y.run_in(&["put", "a", "-"], Some(DEMO_B32)).ok();
    for _ in 0..3 {
        let card = serve(&state, &[]);
        let code = spawn(&["code", "a"], None);
        let first = finish(code);
        clean(&first, &[4]);
        pull(card);
        // pcscd takes a few seconds to forget the card; in between it answers with
        // transaction errors. Each of them is the documented "no key", exit 4, with a hint.
        let start = Instant::now();
        let mut seen_no_key_found = false;
        while start.elapsed() < Duration::from_secs(7) && !seen_no_key_found {
            let out = finish(spawn(&["code", "a"], None));
            out.fails(4, "");
            assert!(out.stderr.contains("ykotp: hint: "), "{out:?}");
            assert!(!out.stderr.contains("PC/SC error"), "{out:?}");
            seen_no_key_found = out.stderr.contains("no YubiKey found");
        }
        assert!(seen_no_key_found, "pcscd never stopped listing the pulled card");
    }
}

#[test]
#[ignore = "kills pcscd: run alone, last, by scripts/test"]
fn pcscd_killed_in_the_middle_of_a_command() {
    let pid = std::env::var("YKOTP_TEST_PCSCD_PID").expect("scripts/test sets YKOTP_TEST_PCSCD_PID");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("key.json");
    let y = Ykotp::reader(&format!("virtual:{}", state.display()));
    y.run_in(&["put", "T:t", "-", "--touch"], Some(DEMO_B32)).ok();
    let card = serve(&state, &["--touch", "delay=3000"]);
    let code = spawn(&["code", "T:t"], None);
    std::thread::sleep(Duration::from_millis(1000));
    assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    let out = finish(code);
    assert_ne!(out.code, 0, "{out:?}");
    clean(&out, &[1, 3, 4]);
    pull(card);
    assert_eq!(state_ids(&state), ["T:t"]);
    // afterwards: a clear "pcscd is not running"
    let after = finish(spawn(&["code", "T:t"], None));
    after.fails(3, "cannot reach the PC/SC service");
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn serve_stops_cleanly_on_sigterm_and_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("key.json");
    for signal in ["-TERM", "-INT"] {
        let mut card = serve(&state, &[]);
        let child = card.0.take().unwrap();
        assert!(Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{signal}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("ykotp: virtual key stopped"), "{signal}: {out:?}");
    }
    // the key is still there and usable afterwards
    assert!(state_ids(&state).is_empty());
}
