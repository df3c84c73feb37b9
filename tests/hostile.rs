//! ykotp on a shared machine, under concurrency and hostile input (docs/hardening.md,
//! "Attacks"): planted symlinks and files, files other users could have written, two
//! ykotp at once, huge inputs, closed pipes, escape sequences. Each test is an attack that
//! worked before its fix; `YKOTP_TEST_BIN=old/ykotp cargo test --test hostile` shows it.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const T: u64 = 1_111_111_109;
const SECRET: &str = "MZXW6YTBOJRGC4TCMF4GQ33SOFZXI5LWO54HS6TB";

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn secret_hex() -> String {
    hex::encode(ykotp::otp::decode_secret(SECRET).unwrap().as_bytes())
}

/// The PIDs the next processes are likely to get (old ykotp named its temp files after them).
fn next_pids(n: u32) -> std::ops::Range<u32> {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid").unwrap().trim().parse().unwrap();
    last + 1..last + 1 + n
}

#[test]
#[cfg(target_os = "linux")]
fn predictable_temp_files_neither_leak_nor_overwrite() {
    let y = Ykotp::virtual_key();
    y.run(&["list"]).ok();
    // another user who can write the directory plants, at the names of the next PIDs,
    // symlinks to a file of the victim's and regular files it keeps open for reading
    let victim = y.path("profile");
    std::fs::write(&victim, "# the victim's own file\n").unwrap();
    let mut readers = Vec::new();
    for (i, pid) in next_pids(600).enumerate() {
        let tmp = y.path(&format!(".key.json.tmp{pid}"));
        if i % 2 == 0 {
            std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        } else {
            std::fs::write(&tmp, "").unwrap();
            chmod(&tmp, 0o666);
            readers.push(std::fs::File::open(&tmp).unwrap());
        }
    }
    let out = y.run_in(&["put", "a", "-"], Some(SECRET));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "# the victim's own file\n", "the victim's file was overwritten");
    let meta = std::fs::symlink_metadata(y.state_path()).unwrap();
    assert!(meta.file_type().is_file(), "the state file became a symlink");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    for mut r in readers {
        let mut got = String::new();
        std::io::Read::read_to_string(&mut r, &mut got).unwrap();
        assert!(!got.contains(&secret_hex()), "the secret was written into a file another user holds open");
    }
    // our stale temp names are gone after the write; the key works
    let left: Vec<_> = std::fs::read_dir(y.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".key.json.tmp"))
        .collect();
    assert!(left.is_empty(), "{} stale temp files left", left.len());
    y.run(&["code", "a", "--at", "59"]).ok();
}

#[test]
fn a_symlinked_lock_file_creates_nothing() {
    let y = Ykotp::virtual_key();
    let target = y.path("created-through-the-lock-symlink");
    std::os::unix::fs::symlink(&target, y.path("key.json.lock")).unwrap();
    let out = y.run(&["list"]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("key.json.lock"), "{out:?}");
    assert!(!target.exists(), "a file was created through the lock file's symlink");
    // the same for the remembered keys' lock
    let y = Ykotp::virtual_key();
    y.run_in(&["password", "set", "--new-password-stdin"], Some("pw\n")).ok();
    std::fs::create_dir_all(y.path("data/ykotp")).unwrap();
    chmod(&y.path("data/ykotp"), 0o700);
    std::os::unix::fs::symlink(&target, y.path("data/ykotp/keys.json.lock")).unwrap();
    let out = y.run(&["password", "remember", "--password-cmd", "echo pw"]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(!target.exists(), "a file was created through the lock file's symlink");
}

/// A config whose fallback_cmd leaves a mark when it runs.
fn config_with_marker(y: &Ykotp) -> (PathBuf, PathBuf) {
    let marker = y.path("fallback-ran");
    let dir = y.path("config/ykotp");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o700);
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, format!("[account.x]\nfallback_cmd = \"touch {}; echo {SECRET}\"\n", marker.display())).unwrap();
    chmod(&cfg, 0o600);
    (cfg, marker)
}

#[test]
fn a_config_others_could_write_runs_no_command() {
    let y = Ykotp::virtual_key();
    y.run(&["list"]).ok();
    let (cfg, marker) = config_with_marker(&y);
    // trusted: the fallback runs (no key holds "x")
    y.run(&["code", "x", "--at", "59"]).ok();
    assert!(marker.exists());
    std::fs::remove_file(&marker).unwrap();
    for (path, mode, hint) in
        [(&cfg, 0o666, "chmod go-w"), (&cfg, 0o620, "chmod go-w"), (&cfg.parent().unwrap().to_owned(), 0o777, "chmod go-w")]
    {
        let old = std::fs::metadata(path).unwrap().permissions().mode();
        chmod(path, mode);
        for args in [&["code", "x", "--at", "59"][..], &["code", "x", "--soft"], &["check", "x"]] {
            let out = y.run(args);
            out.fails(2, "is not safe to use");
            assert!(out.stderr.contains(hint), "{out:?}");
            assert!(!marker.exists(), "fallback_cmd of an untrusted config ran: {args:?} with {} {mode:o}", path.display());
        }
        // doctor reports it
        let out = y.run(&["doctor"]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stdout.contains("FAIL  config:") && out.stdout.contains("writable by"), "{out:?}");
        chmod(path, old);
    }
    // --config names a file in a directory others may write (without the sticky bit)
    let shared = y.path("shared");
    std::fs::create_dir(&shared).unwrap();
    chmod(&shared, 0o777);
    std::fs::copy(&cfg, shared.join("c.toml")).unwrap();
    chmod(&shared.join("c.toml"), 0o600);
    y.run(&["--config", shared.join("c.toml").to_str().unwrap(), "code", "x"]).fails(2, "is not safe to use");
    assert!(!marker.exists());
}

#[test]
fn state_files_others_could_write_are_refused() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(SECRET)).ok();
    y.run_in(&["password", "set", "--new-password-stdin", "--remember"], Some("pw\n")).ok();
    y.run(&["code", "aws", "--fresh", "--at", "59"]).ok();
    let cases = [
        (y.path("data/ykotp/keys.json"), 0o666),
        (y.path("data/ykotp"), 0o777),
        (y.path("state/ykotp/fresh.json"), 0o660),
        (y.path("state/ykotp"), 0o770),
        (y.state_path(), 0o646),
    ];
    for (path, mode) in cases {
        let old = std::fs::metadata(&path).unwrap().permissions().mode();
        chmod(&path, mode);
        let out = y.run(&["code", "aws", "--fresh", "--at", "3600"]);
        out.fails(2, &format!("{} is not safe to use: it is writable by", path.display()));
        assert!(out.stderr.contains(&format!("ykotp: hint: chmod go-w '{}'", path.display())), "{out:?}");
        let out = y.run(&["doctor"]);
        assert!(out.stdout.contains("FAIL") && out.stdout.contains(&path.display().to_string()), "{out:?}");
        chmod(&path, old);
        y.run(&["code", "aws", "--at", "59"]).ok();
    }
}

#[test]
#[ignore = "needs root to give a file to another user; scripts/test runs it when root"]
fn files_owned_by_another_user_are_refused() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(SECRET)).ok();
    let (cfg, marker) = config_with_marker(&y);
    for path in [cfg.clone(), y.state_path()] {
        let status = Command::new("chown").arg("65534").arg(&path).status().unwrap();
        assert!(status.success(), "chown needs root");
        let out = y.run(&["code", "x", "--at", "59"]);
        out.fails(2, "is owned by another user (uid 65534)");
        assert!(out.stderr.contains("chown"), "{out:?}");
        assert!(!marker.exists());
        Command::new("chown").arg("0").arg(&path).status().unwrap();
    }
}

/// Runs two commands at once and returns both outcomes.
fn pair(cmds: [Command; 2]) -> [Out; 2] {
    let children = cmds.map(|mut c| {
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        c.spawn().unwrap()
    });
    children.map(|child| {
        let o = child.wait_with_output().unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into(),
            stderr: String::from_utf8_lossy(&o.stderr).into(),
        }
    })
}

#[test]
fn two_fresh_codes_at_once_are_never_the_same() {
    // two keys holding the same account (the backup story), one shared --fresh state
    let y = Ykotp::virtual_key();
    let other = format!("virtual:{}", y.path("key2.json").display());
    y.run_in(&["put", "aws", "-"], Some(SECRET)).ok();
    let mut c = y.bare();
    c.args(["--reader", &other, "put", "aws", "-"]);
    exec(c, Some(SECRET)).ok();
    let fresh = y.path("state/ykotp/fresh.json");
    let this = soft_totp(SECRET, T, 30, 6);
    let next = soft_totp(SECRET, T + 30, 30, 6);
    let mut duplicates = 0;
    for _ in 0..50 {
        let _ = std::fs::remove_file(&fresh);
        let [a, b] = pair([&y.reader, &other].map(|r| {
            let mut c = y.bare();
            c.args(["--reader", r, "code", "aws", "--fresh", "--at", &T.to_string()]);
            c
        }));
        assert_eq!(a.code, 0, "{a:?}");
        assert_eq!(b.code, 0, "{b:?}");
        if a.stdout == b.stdout {
            duplicates += 1;
            continue;
        }
        let mut got = [a.stdout.trim(), b.stdout.trim()];
        got.sort();
        let mut want = [this.as_str(), next.as_str()];
        want.sort();
        assert_eq!(got, want, "one run gets this window's code, the other the next one's");
    }
    eprintln!("50 concurrent --fresh pairs: {duplicates} printed the same code");
    assert_eq!(duplicates, 0, "{duplicates} of 50 pairs printed the same code");
}

#[test]
fn two_keystore_updates_at_once_are_both_kept() {
    let y = Ykotp::virtual_key();
    let other = format!("virtual:{}", y.path("key2.json").display());
    let mut ids = Vec::new();
    for r in [&y.reader, &other] {
        let mut c = y.bare();
        c.args(["--reader", r, "password", "set", "--new-password-stdin"]);
        exec(c, Some("pw\n")).ok();
        let mut c = y.bare();
        c.args(["--reader", r, "info", "--json", "--password-cmd", "echo pw"]);
        let info: serde_json::Value = serde_json::from_str(exec(c, None).ok()).unwrap();
        ids.push(info["device_id"].as_str().unwrap().to_owned());
    }
    assert_ne!(ids[0], ids[1]);
    let keys = y.path("data/ykotp/keys.json");
    let mut lost = 0;
    for i in 0..50 {
        let _ = std::fs::remove_file(&keys);
        for o in pair([&y.reader, &other].map(|r| {
            let mut c = y.bare();
            c.args(["--reader", r, "password", "remember", "--password-cmd", "echo pw"]);
            c
        })) {
            assert_eq!(o.code, 0, "pair {i}: {o:?}");
        }
        let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&keys).unwrap()).unwrap();
        lost += ids.iter().filter(|id| file["keys"].get(id.as_str()).is_none()).count();
    }
    eprintln!("50 concurrent pairs of `password remember`: {lost} of 100 updates lost");
    assert_eq!(lost, 0, "{lost} of 100 remembered keys were lost");
}

#[test]
#[cfg(target_os = "linux")]
fn fresh_prints_nothing_when_the_step_cannot_be_recorded() {
    let mut y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(SECRET)).ok();
    // a state directory nobody can create, even root (a full or read-only disk alike)
    y.set_env("XDG_STATE_HOME", "/proc");
    let out = y.run(&["code", "aws", "--fresh", "--at", "59"]);
    out.fails(1, "/proc/ykotp");
}
