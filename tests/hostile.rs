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

/// Runs `c` with `stdin`, its stdout a pipe already closed by the reader, and kills it
/// after `secs` seconds: a hang is a failure, not a stuck test run.
fn run_bounded(mut c: Command, stdin: Stdio, close_stdout: bool, secs: u64) -> Out {
    let what = format!("{:?}", c.get_args().collect::<Vec<_>>());
    let (reader, writer) = std::io::pipe().unwrap();
    let stderr_file = tempfile::NamedTempFile::new().unwrap();
    c.stdin(stdin).stderr(stderr_file.reopen().unwrap());
    let stdout_file = tempfile::NamedTempFile::new().unwrap();
    if close_stdout {
        drop(reader);
        c.stdout(writer);
    } else {
        c.stdout(stdout_file.reopen().unwrap());
    }
    let mut child = c.spawn().unwrap();
    drop(c);
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed().as_secs() >= secs {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {secs}s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Out {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(stdout_file.path()).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&std::fs::read(stderr_file.path()).unwrap()).into(),
    }
}

fn noise_png(path: &Path, side: u32) {
    let mut x: u32 = 2_463_534_242;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let [a, b, c, _] = x.to_le_bytes();
        image::Rgb([a, b, c])
    });
    img.save(path).unwrap();
}

#[test]
fn hostile_images_are_bounded() {
    let y = Ykotp::virtual_key();
    // 2 MB of noise: rqrr tries every pair of finder-like patterns
    let noise = y.path("noise.png");
    noise_png(&noise, 840);
    let mut c = y.bare();
    c.args(["--reader", &y.reader, "import", "--dry-run", noise.to_str().unwrap()]);
    run_bounded(c, Stdio::null(), false, 60).fails(2, "noise.png");
    // a small file whose header promises 64 million pixels
    let huge = y.path("huge.png");
    image::GrayImage::new(8000, 8000).save(&huge).unwrap();
    assert!(std::fs::metadata(&huge).unwrap().len() < 1 << 20);
    let mut c = y.bare();
    c.args(["--reader", &y.reader, "import", "--dry-run", huge.to_str().unwrap()]);
    run_bounded(c, Stdio::null(), false, 60).fails(2, "is 8000x8000 pixels; at most 24000000 are read");
}

#[test]
fn huge_numbers_are_usage_errors() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(SECRET)).ok();
    let max = u64::MAX.to_string();
    for (args, text) in [
        (vec!["calc", "-", "--window", &max], "--window"),
        (vec!["calc", "-", "--window", "1001"], "--window"),
        (vec!["calc", "-", "--verify", "123456", "--window", "50000000"], "--window"),
        (vec!["calc", "-", "-o", "hotp", "-c", &max, "--window", "1"], "passes the largest counter"),
        (vec!["calc", "-", "--at", &max], "--at"),
        (vec!["calc", "-", "--t0", &max], "--t0"),
        (vec!["code", "aws", "--at", &max], "--at"),
        (vec!["check", "aws", "-", "--window", "1001"], "--window"),
        (vec!["check", "aws", "-", "--counter", &max, "--window", "1"], "passes the largest counter"),
    ] {
        let mut c = y.bare();
        c.arg("--reader").arg(&y.reader).args(&args);
        let out = run_bounded(c, Stdio::from(std::fs::File::open(write_tmp(&y, SECRET)).unwrap()), false, 30);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains(text), "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}");
    }
}

fn write_tmp(y: &Ykotp, text: &str) -> PathBuf {
    let p = y.path("stdin.txt");
    std::fs::write(&p, format!("{text}\n")).unwrap();
    p
}

#[test]
fn endless_input_is_cut() {
    let y = Ykotp::virtual_key();
    // (arguments, stdin is /dev/zero, exit, message)
    let cases: [(&[&str], bool, i32, &str); 5] = [
        (&["calc", "--secret-cmd", "yes JBSWY3DPEHPK3PXP"], false, 1, "printed more than 64 KiB"),
        (&["calc", "-"], true, 2, "stdin holds more than 64 KiB"),
        (&["calc", "--secret-file", "/dev/zero"], false, 2, "/dev/zero holds more than 64 KiB"),
        (&["import", "/dev/zero"], false, 2, "/dev/zero is larger than 32 MiB"),
        (&["put", "x", "--secret-file", "/dev/urandom"], false, 2, "more than 64 KiB"),
    ];
    for (args, zero, code, text) in cases {
        let mut c = y.bare();
        c.arg("--reader").arg(&y.reader).args(args);
        let stdin = if zero { Stdio::from(std::fs::File::open("/dev/zero").unwrap()) } else { Stdio::null() };
        run_bounded(c, stdin, false, 60).fails(code, text);
    }
}

#[test]
fn card_digits_outside_ykoath_are_a_malformed_answer() {
    use ykotp::oath::proto::parse_calculate;
    for digits in [0u8, 4, 9, 255] {
        assert!(parse_calculate(&[0x76, 0x05, digits, 1, 2, 3, 4]).is_err(), "{digits} digits accepted");
        assert!(parse_calculate(&[0x77, 0x01, digits]).is_err(), "{digits} digits accepted");
    }
    for digits in [6u8, 8] {
        assert!(parse_calculate(&[0x76, 0x05, digits, 1, 2, 3, 4]).is_ok());
    }
}

#[test]
fn a_hotp_counter_never_wraps() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "c", "-", "-o", "hotp"], Some(SECRET)).ok();
    let text = std::fs::read_to_string(y.state_path()).unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
    state["credentials"][0]["counter"] = serde_json::json!(u64::MAX);
    std::fs::write(y.state_path(), serde_json::to_string(&state).unwrap()).unwrap();
    let out = y.run(&["code", "c"]);
    assert_ne!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "");
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(y.state_path()).unwrap()).unwrap();
    assert_eq!(after["credentials"][0]["counter"], serde_json::json!(u64::MAX), "the counter wrapped");
}

#[test]
fn no_command_panics_with_hostile_arguments_and_a_closed_stdout() {
    let y = Ykotp::virtual_key();
    let evil = "Evil\u{1b}]0;t\u{7}\u{1b}[2J\nBank:alice 999999";
    y.run_in(
        &["put", "--uri", "-"],
        Some(&format!(
            "otpauth://totp/{}?secret={SECRET}",
            percent_encoding::utf8_percent_encode(evil, percent_encoding::NON_ALPHANUMERIC)
        )),
    )
    .ok();
    y.run_in(&["put", "h", "-", "-o", "hotp"], Some(SECRET)).ok();
    y.run_in(&["put", "t", "-", "--touch"], Some(SECRET)).ok();
    let uris = write_tmp(&y, &format!("otpauth://totp/I:i?secret={SECRET}"));
    let uris = uris.to_str().unwrap();
    let long = "A".repeat(100_000);
    let max = u64::MAX.to_string();
    let over = "18446744073709551616";
    let st = y.path("v.json").display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["completions", "bash"],
        vec!["completions", "zsh"],
        vec!["completions", "fish"],
        vec!["man"],
        vec!["--help"],
        vec!["--version"],
        vec!["list"],
        vec!["list", "--long", "-H"],
        vec!["list", "--json"],
        vec!["list", &long],
        vec!["code"],
        vec!["code", "--json"],
        vec!["code", "Evil"],
        vec!["code", "Evil", "--consecutive", "10", "--json"],
        vec!["code", "Evil", "--at", &max],
        vec!["code", "Evil", "--at", over],
        vec!["code", "Evil", "--at", "-1"],
        vec!["code", "Evil", "--consecutive", "0"],
        vec!["code", "Evil", "--min-valid", &max, "--at", "0"],
        vec!["code", &long],
        vec!["code", "Evil", "--fresh", "--at", "253402300799"],
        vec!["info"],
        vec!["info", "--json"],
        vec!["readers"],
        vec!["doctor"],
        vec!["doctor", "--json"],
        vec!["calc", "-"],
        vec!["calc", "-", "--json", "--window", "1000"],
        vec!["calc", "-", "--window", &max],
        vec!["calc", "-", "-o", "hotp", "-c", &max],
        vec!["calc", "-", "-o", "hotp", "-c", &max, "--verify", "123456", "--window", "1000"],
        vec!["calc", "-", "--verify", "123456", "--window", "1000", "--at", "0"],
        vec!["calc", "-", "--digits", "255"],
        vec!["calc", "-", "-P", "0"],
        vec!["calc", "-", "-P", "4294967295", "--at", "253402300799", "--window", "1000"],
        vec!["calc", "-", "--t0", "253402300799", "--at", "0"],
        vec!["calc", "-", "--steam", "--window", "3"],
        vec!["calc", &long],
        vec!["calc", "--uri", &long],
        vec!["check", "Evil", "-"],
        vec!["check", "h", "-", "--counter", &max],
        vec!["put", "x", "-", "--digits", "0"],
        vec!["put", &long, "-"],
        vec!["put", "x", "-", "-P", "0"],
        vec!["put", "x", "-", "-o", "hotp", "-c", "4294967295"],
        vec!["put", "x", "--uri", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=255&period=0"],
        vec!["import", uris, "--dry-run"],
        vec!["import", uris, "--dry-run", "--json"],
        vec!["import", "/dev/null"],
        vec!["delete", "nothing", "-f"],
        vec!["rename", "Evil", &long, "-f"],
        vec!["password", "set", "--new-password-stdin"],
        vec!["password", "forget", "--all"],
        vec!["reset"],
        vec!["virtual", "init", "--state", &st, "--chunk", "0"],
        vec!["virtual", "init", "--state", &st, "--chunk", &max, "--force"],
        vec!["--reader", "virtual:", "list"],
        vec!["--reader", "virtual:/dev/null", "list"],
        vec!["--reader", "virtual:/proc/self/mem", "list"],
        vec!["--config", "/dev/zero", "code", "x"],
        vec!["--config", "/dev/urandom", "code", "x"],
        vec!["--device", &long, "list"],
    ];
    for args in &runs {
        let mut c = y.bare();
        if !args.contains(&"--reader") {
            c.arg("--reader").arg(&y.reader);
        }
        c.args(args).env("YKOTP_VIRTUAL_TOUCH", "deny");
        let stdin = Stdio::from(std::fs::File::open(write_tmp(&y, SECRET)).unwrap());
        let out = run_bounded(c, stdin, true, 60);
        assert!((0..=12).contains(&out.code), "{args:?}: exit {}; {out:?}", out.code);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {out:?}");
        assert!(!out.stderr.contains('\u{1b}'), "{args:?}: raw escape on stderr: {out:?}");
    }
}

#[test]
fn names_with_control_characters_are_shown_escaped() {
    let y = Ykotp::virtual_key();
    let evil = "Evil\u{1b}]0;pwned\u{7}\nBank:alice 999999";
    let uri = format!("otpauth://totp/{}?secret={SECRET}", percent_encoding::utf8_percent_encode(evil, percent_encoding::NON_ALPHANUMERIC));
    let added = y.run(&["put", "--uri", &uri]);
    added.ok();
    assert!(added.stderr.contains(r#"added "Evil\x1b]0;pwned\x07\nBank:alice 999999""#), "{added:?}");
    let escaped = r"Evil\x1b]0;pwned\x07\nBank:alice 999999";
    for args in [&["list"][..], &["list", "--long"], &["code", "--at", "59"]] {
        let out = y.run(args);
        let text = out.ok();
        assert_eq!(text.lines().count(), 1, "{args:?}: a fake row: {text:?}");
        assert!(text.contains(escaped) && !text.contains('\u{1b}') && !text.contains('\u{7}'), "{args:?}: {text:?}");
    }
    // JSON keeps the exact value
    let json: serde_json::Value = serde_json::from_str(y.run(&["list", "--json"]).ok()).unwrap();
    assert_eq!(json[0]["id"], evil);
    // errors and the import table
    let out = y.run(&["code", "\u{1b}[2Jnothing"]);
    out.fails(5, r#"no account matches "\x1b[2Jnothing""#);
    std::fs::write(y.path("uris.txt"), format!("{uri}\n")).unwrap();
    let out = y.run(&["import", "--dry-run", y.path("uris.txt").to_str().unwrap()]);
    assert!(out.ok().contains(escaped) && !out.stdout.contains('\u{1b}'), "{out:?}");
}

#[test]
fn messages_never_echo_secrets_commands_or_damaged_values() {
    let y = Ykotp::virtual_key();
    // a character of a mistyped secret
    let out = y.run_in(&["put", "x", "-"], Some("JBSWY3DPü9EHPK3PXP"));
    out.fails(2, "not base32 at position 9");
    assert!(!out.stderr.contains('ü'), "{out:?}");
    // a failing helper's command line
    let out = y.run(&["calc", "--secret-cmd", "exit 3 # pass show totp/private-bank"]);
    out.fails(1, "the --secret-cmd command failed with status 3");
    assert!(!out.stderr.contains("private-bank"), "{out:?}");
    // a value from a damaged file
    y.run_in(&["password", "set", "--new-password-stdin"], Some("pw\n")).ok();
    std::fs::create_dir_all(y.path("data/ykotp")).unwrap();
    chmod(&y.path("data/ykotp"), 0o700);
    std::fs::write(y.path("data/ykotp/keys.json"), r#"{"format": "00112233445566778899aabbccddeeff", "keys": {}}"#).unwrap();
    let out = y.run(&["list"]);
    out.fails(1, "keys.json is corrupt: a value has the wrong type or form (line 1, column");
    assert!(!out.stderr.contains("00112233445566778899aabbccddeeff"), "{out:?}");
    std::fs::write(y.state_path(), std::fs::read_to_string(y.state_path()).unwrap().replace("\"salt\": \"", "\"salt\": \"zz")).unwrap();
    let out = y.run(&["list"]);
    out.fails(1, "is corrupt");
    assert!(!out.stderr.contains("zz"), "{out:?}");
}

#[test]
#[cfg(target_os = "linux")]
fn core_dumps_and_attach_are_disabled() {
    let y = Ykotp::virtual_key();
    let out = y.run(&["doctor", "--json"]);
    let checks: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let memory = checks.as_array().unwrap().iter().find(|c| c["check"] == "memory").expect("a memory check");
    assert_eq!(memory["status"], "ok", "{memory}");
    // and from outside, while ykotp waits for a secret on stdin
    let mut c = y.bare();
    c.args(["calc", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    // the limit is set first thing; poll until ykotp has started
    let start = std::time::Instant::now();
    let mut limits = limits;
    while !limits.lines().any(|l| l.starts_with("Max core file size") && l.split_whitespace().nth(5) == Some("0")) {
        assert!(start.elapsed().as_secs() < 10, "{limits}");
        std::thread::sleep(std::time::Duration::from_millis(10));
        limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    }
    let line = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(line.split_whitespace().skip(4).take(2).collect::<Vec<_>>(), ["0", "0"], "{line}");
    drop(child.stdin.take());
    child.wait().unwrap();
}
