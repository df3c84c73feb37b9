//! Integrations, end to end against the virtual key: password+code for sshproxy and VPNs,
//! --fresh for cron, prompts that survive captured output, AWS ids and enrolment codes,
//! completions, the man page, doctor.

mod common;
use common::*;
use std::process::Command;

const T: u64 = 1_111_111_109;

fn nersc() -> Ykotp {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "NERSC:alice", "-"], Some(DEMO_B32)).ok();
    y
}

fn config(y: &Ykotp, text: &str) {
    std::fs::create_dir_all(y.dir.path().join("config/ykotp")).unwrap();
    std::fs::write(y.dir.path().join("config/ykotp/config.toml"), text).unwrap();
}

#[test]
fn password_and_code_in_one_line() {
    let y = nersc();
    let code = soft_totp(DEMO_B32, T, 30, 6);
    let out = y.run(&["code", "NERSC", "--at", &T.to_string(), "--prepend-cmd", "printf 'hunter2\\nsecond line\\n'"]);
    assert_eq!(out.ok(), format!("hunter2{code}\n"));
    assert_eq!(out.stderr, "");
    // per account in the config, with the short name mapped to the id
    let argv_log = y.path("argv.log");
    config(
        &y,
        &format!(
            "[account.nersc]\nname = \"NERSC:alice\"\nprepend_cmd = \"echo \\\"$0 $*\\\" > {} && echo hunter2\"\n",
            argv_log.display()
        ),
    );
    assert_eq!(y.run(&["code", "nersc", "--at", &T.to_string()]).ok(), format!("hunter2{code}\n"));
    // the child got no secret in its arguments
    let argv = std::fs::read_to_string(&argv_log).unwrap();
    assert!(!argv.contains(DEMO_B32) && !argv.contains(&code), "{argv}");
    // a password must not end up in JSON
    let out = y.run(&["code", "NERSC", "--json", "--prepend-cmd", "echo pw"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
}

#[test]
fn fresh_never_prints_a_code_twice() {
    let y = nersc();
    let at = |t: u64| t.to_string();
    // T is 29 s into its window; T-20 is in the same window
    let first = y.run(&["code", "NERSC", "--fresh", "--at", &at(T - 20)]);
    assert_eq!(first.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    let second = y.run(&["code", "NERSC", "--fresh", "--at", &at(T)]);
    assert_eq!(second.ok(), format!("{}\n", soft_totp(DEMO_B32, T + 30, 30, 6)));
    assert!(second.stderr.contains("printed already (--fresh); waiting 1s"), "{second:?}");
    // the state holds only step numbers
    let state = std::fs::read_to_string(y.dir.path().join("state/ykotp/fresh.json")).unwrap();
    assert!(state.contains(&format!("\"30/NERSC:alice\": {}", (T + 30) / 30)), "{state}");
    assert!(!state.contains(&soft_totp(DEMO_B32, T + 30, 30, 6)));
    // without --fresh nothing changes
    assert_eq!(y.run(&["code", "NERSC", "--at", &at(T)]).ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    // a later window is fresh again, with no waiting
    let later = y.run(&["code", "NERSC", "--fresh", "--at", &at(T + 100)]);
    assert_eq!(later.ok(), format!("{}\n", soft_totp(DEMO_B32, T + 100, 30, 6)));
    assert_eq!(later.stderr, "");
}

/// Under a program that captures stdout and stderr (aws-vault's mfa_process, the AWS
/// CLI's credential_process), the touch prompt still reaches the person's terminal.
#[test]
fn touch_prompt_goes_to_the_terminal_when_output_is_captured() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-", "--touch"], Some(DEMO_B32)).ok();
    let (out, err) = (y.path("out"), y.path("err"));
    let inner = format!("{} --reader {} code aws --at {T} > {} 2> {}", env!("CARGO_BIN_EXE_ykotp"), y.reader, out.display(), err.display());
    let mut c = Command::new("script");
    c.args(["-qec", &inner, "/dev/null"]).env_remove("YKOTP_NO_TTY").env("HOME", y.dir.path());
    let terminal = exec(c, None);
    assert_eq!(terminal.code, 0, "{terminal:?}");
    // it says how long the key waits, and is erased once the key answered
    assert!(
        terminal.stdout.contains("Touch your YubiKey (it waits 15 s)...\r\x1b[2K"),
        "the prompt did not reach the terminal: {terminal:?}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    assert_eq!(std::fs::read_to_string(&err).unwrap(), "");
    // and with no terminal at all, it goes to stderr and nothing waits
    let no_tty = y.run(&["code", "aws", "--at", &T.to_string()]);
    assert_eq!(no_tty.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    assert!(no_tty.stderr.contains("Touch your YubiKey"));
}

#[test]
fn aws_mfa_arn_ids_and_enrolment() {
    let y = Ykotp::virtual_key();
    let arn = "arn:aws:iam::123456789012:mfa/alice";
    y.run_in(&["put", arn, "-"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "arn:aws:iam::123456789012:mfa/bob", "-"], Some(RFC_SEED_B32)).ok();
    assert_eq!(y.run(&["list"]).ok(), format!("{arn}\narn:aws:iam::123456789012:mfa/bob\n"));
    // aws-vault runs `ykotp code ARN` as mfa_process and reads stdout whole
    let mfa = y.run(&["code", arn, "--at", &T.to_string()]);
    assert_eq!(mfa.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    assert!(mfa.stdout.trim().chars().all(|c| c.is_ascii_digit()) && mfa.stdout.trim().len() == 6);
    // `aws sts get-session-token --token-code "$(ykotp code aws)"`
    let shell = format!("echo \"--token-code $({} --reader {} code alice --at {T})\"", env!("CARGO_BIN_EXE_ykotp"), y.reader);
    let mut c = Command::new("sh");
    c.arg("-c").arg(shell).env("YKOTP_NO_TTY", "1").env("HOME", y.dir.path());
    assert_eq!(exec(c, None).ok(), format!("--token-code {}\n", soft_totp(DEMO_B32, T, 30, 6)));
    // enrolling a virtual MFA device wants two consecutive codes, now
    let two = y.run(&["code", arn, "--consecutive", "2", "--at", &T.to_string()]);
    assert_eq!(two.ok(), format!("{}\n{}\n", soft_totp(DEMO_B32, T, 30, 6), soft_totp(DEMO_B32, T + 30, 30, 6)));
    // a short name in the config maps to the ARN
    config(&y, &format!("[account.aws]\nname = \"{arn}\"\n"));
    assert_eq!(y.run(&["code", "aws", "--at", &T.to_string()]).ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
}

#[test]
fn cron_sees_clear_failures() {
    let mut y = nersc();
    y.run_in(&["put", "T:t", "-", "--touch"], Some(DEMO_B32)).ok();
    // the key is unplugged (no pcscd answer): one clear line, non-zero exit
    let mut c = Ykotp::reader("Yubico").bare();
    c.env("PCSCLITE_CSOCK_NAME", y.path("none")).args(["code", "nersc", "--prepend-cmd", "echo pw"]);
    let unplugged = exec(c, None);
    unplugged.fails(3, "cannot reach the PC/SC service");
    // no touch in time
    y.set_env("YKOTP_VIRTUAL_TOUCH", "deny");
    y.run(&["code", "T:t", "--prepend-cmd", "echo pw"]).fails(7, "not touched in time");
}

#[test]
fn completions_and_man_page() {
    let y = Ykotp::virtual_key();
    for shell in ["bash", "zsh", "fish"] {
        // the scripts call ykotp back for every completion (tests/cli.rs runs bash's)
        let out = y.run(&["completions", shell]);
        for word in ["YKOTP_COMPLETE", shell, "ykotp"] {
            assert!(out.ok().contains(word), "{shell} completion lacks {word}");
        }
    }
    // the page itself is tested in tests/manual.rs
    let man = y.run(&["man"]);
    assert!(man.ok().starts_with(".ie"), "{}", &man.stdout[..40]);
    assert!(man.stdout.contains(".TH YKOTP 1"));
}

#[test]
fn doctor_healthy_busy_and_without_pcscd() {
    let mut y = nersc();
    let healthy = y.run(&["doctor"]);
    assert!(healthy.code == 0, "{healthy:?}");
    assert!(healthy.stdout.contains("ok    key in \"virtual:"), "{healthy:?}");
    assert!(healthy.stdout.contains("ok    config: no config file"));
    let json: serde_json::Value = serde_json::from_str(y.run(&["doctor", "--json"]).ok()).unwrap();
    assert!(json.as_array().unwrap().iter().any(|c| c["check"] == "clock"));
    // a remembered password that went stale is reported
    y.run_in(&["password", "set", "--new-password-stdin", "--remember"], Some("pw1\n")).ok();
    assert!(y.run(&["doctor"]).ok().contains("password remembered and valid"));
    // busy: another process holds the key
    let lock = std::fs::OpenOptions::new().write(true).open(format!("{}.lock", y.state_path().display())).unwrap();
    lock.lock().unwrap();
    y.set_env("YKOTP_VIRTUAL_WAIT_MS", "100");
    let busy = y.run(&["doctor"]);
    assert_eq!(busy.code, 9, "{busy:?}");
    assert!(busy.stdout.contains("FAIL  key in \"virtual:") && busy.stdout.contains("held exclusively by"), "{busy:?}");
    assert!(busy.stdout.contains("gpgconf --kill scdaemon"));
    drop(lock);
    // pcscd stopped
    let mut c = Ykotp::reader("x").bare();
    c.env("PCSCLITE_CSOCK_NAME", y.path("none")).arg("doctor");
    let stopped = exec(c, None);
    assert_eq!(stopped.code, 3);
    assert!(stopped.stdout.contains("FAIL  pcscd: cannot reach the PC/SC service"), "{stopped:?}");
    // a config whose command does not exist
    config(&y, "[account.a]\nfallback_cmd = \"no-such-program-xyz show a\"\n");
    let bad = y.run(&["doctor"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stdout.contains("`no-such-program-xyz` not found"), "{bad:?}");
}
