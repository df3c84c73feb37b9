//! The built binary against a file-backed virtual key: stdout, stderr wording, exit codes.

mod common;
use common::*;

const T: u64 = 1_111_111_109;

fn with_aws() -> Ykotp {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(&format!("{DEMO_B32}\n"))).ok();
    y
}

#[test]
fn code_prints_only_the_code_and_matches_the_engine() {
    let y = with_aws();
    let out = y.run(&["code", "aws", "--at", &T.to_string()]);
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    assert_eq!(out.stderr, "");
    // RFC 3339 is the same instant
    let out = y.run(&["code", "aws", "--at", "2005-03-18T01:58:29Z"]);
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
}

#[test]
fn code_sends_two_apdus_for_a_plain_totp_account() {
    let y = with_aws();
    // other accounts that need their own CALCULATE must not cost anything here
    y.run_in(&["put", "slow", "-", "-P", "60"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "Steam:s", "-"], Some(DEMO_B32)).ok();
    let out = y.run(&["code", "aws", "--trace"]);
    out.ok();
    let sent: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("> ")).collect();
    assert_eq!(sent.len(), 2, "{}", out.stderr);
    assert!(sent[0].starts_with("> 00 A4 04 00 07 A0 00 00 05 27 21 01"));
    assert!(sent[1].starts_with("> 00 A4 00 01 0A 74 08"));
}

#[test]
fn code_table_never_asks_for_touch_nor_burns_hotp() {
    let mut y = with_aws();
    y.set_env("YKOTP_VIRTUAL_TOUCH", "deny");
    y.run_in(&["put", "Touchy:t", "-", "--touch"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "counter", "-", "-o", "hotp"], Some(RFC_SEED_B32)).ok();
    let out = y.run(&["code", "--at", &T.to_string()]);
    let text = out.ok();
    let want = format!("aws       {}\ncounter   [HOTP]\nTouchy:t  [touch]\n", soft_totp(DEMO_B32, T, 30, 6));
    assert_eq!(text, want);
    // the HOTP counter is still at 0
    assert_eq!(y.run(&["code", "counter"]).ok(), "755224\n");
    assert_eq!(y.run(&["code", "counter"]).ok(), "287082\n");
}

#[test]
fn touch_approved_and_denied() {
    let mut y = Ykotp::virtual_key();
    y.run_in(&["put", "GitHub:bob", "-", "--touch"], Some(DEMO_B32)).ok();
    let out = y.run(&["code", "bob", "--at", &T.to_string()]);
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    assert!(out.stderr.contains("Touch your YubiKey"), "{out:?}");
    y.set_env("YKOTP_VIRTUAL_TOUCH", "deny");
    y.run(&["code", "bob"]).fails(7, "not touched in time");
}

#[test]
fn matching_exact_first_then_substring() {
    let y = with_aws();
    y.run_in(&["put", "aws-prod", "-"], Some(RFC_SEED_B32)).ok();
    // "aws" is exact although "aws-prod" contains it
    assert_eq!(y.run(&["code", "aws", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    assert_eq!(y.run(&["code", "PROD", "--at", "59"]).ok(), "287082\n");
    let out = y.run(&["code", "Aw"]);
    out.fails(6, "\"Aw\" matches 2 accounts");
    assert!(out.stderr.contains("hint: matches \"aws-prod\""));
    y.run(&["code", "gitlab"]).fails(5, "no account matches \"gitlab\"");
}

#[test]
fn consecutive_and_min_valid() {
    let y = with_aws();
    let out = y.run(&["code", "aws", "--at", &T.to_string(), "--consecutive", "2"]);
    assert_eq!(out.ok(), format!("{}\n{}\n", soft_totp(DEMO_B32, T, 30, 6), soft_totp(DEMO_B32, T + 30, 30, 6)));
    // T is 29 s into its window: 1 s left < 5 s wanted → the next window's code
    let out = y.run(&["code", "aws", "--at", &T.to_string(), "--min-valid", "5"]);
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T + 1, 30, 6)));
    assert!(out.stderr.contains("waiting for the next one"), "{out:?}");
    let out = y.run(&["code", "aws", "--at", &(T - 20).to_string(), "--min-valid", "5"]);
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T - 20, 30, 6)));
    assert_eq!(out.stderr, "");
}

#[test]
fn min_valid_longer_than_the_period_is_a_usage_error() {
    let y = with_aws();
    y.run(&["code", "aws", "--min-valid", "31"]).fails(2, "--min-valid 31 is longer than \"aws\"'s whole period of 30s");
    // the whole period is allowed: it waits only at the very start of no window
    assert_eq!(y.run(&["code", "aws", "--at", "30", "--min-valid", "30"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 30, 30, 6)));
}

#[test]
fn clip_without_a_clipboard_is_a_clear_error() {
    let y = with_aws();
    let mut c = y.bare();
    c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").args(["--reader", &y.reader, "code", "aws", "--clip"]);
    let out = exec(c, None);
    out.fails(1, "cannot copy to the clipboard: there is no clipboard here");
    assert!(out.stderr.contains("hint: without --clip the code is printed"), "{out:?}");
    y.run(&["code", "--clip"]).fails(2, "--clip copies one account's code");
    let both = y.run(&["code", "aws", "--clip", "--json"]);
    assert_eq!(both.code, 2, "{both:?}");
    assert!(both.stderr.contains("'--clip[=<SECONDS>]' cannot be used with '--json'"), "{both:?}");
    let mut c = y.bare();
    c.env("YKOTP_CLIP_TIME", "soon").args(["--reader", &y.reader, "code", "aws", "--clip"]);
    exec(c, None).fails(2, "YKOTP_CLIP_TIME=\"soon\" is not a number");
}

#[test]
fn periods_digits_algorithms_and_steam() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "slow", "-", "-P", "60", "--digits", "8"], Some(RFC_SEED_B32)).ok();
    y.run_in(&["put", "Steam:me", "-"], Some(RFC_SEED_B32)).ok();
    let sha256 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
    y.run_in(&["put", "s256", "-", "-a", "sha256", "--digits", "8"], Some(sha256)).ok();
    assert_eq!(y.run(&["code", "60/slow", "--at", "119"]).ok(), "94287082\n");
    assert_eq!(y.run(&["code", "s256", "--at", "59"]).ok(), "46119246\n");
    let steam = y.run(&["code", "Steam", "--at", "59"]);
    let code = steam.ok().trim().to_owned();
    let digest = ykotp::otp::hmac(ykotp::otp::Algorithm::Sha1, b"12345678901234567890", &1u64.to_be_bytes());
    assert_eq!(code, ykotp::otp::steam_code(&digest));
    let list = y.run(&["list"]);
    // ykman's order: by issuer or else name, so "60/slow" sorts as "slow"
    assert_eq!(list.ok(), "s256\n60/slow\nSteam:me\n");
}

#[test]
fn json_output() {
    let y = with_aws();
    let out = y.run(&["--json", "code", "aws", "--at", &T.to_string()]);
    let v: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(v["code"], soft_totp(DEMO_B32, T, 30, 6));
    assert_eq!(v["id"], "aws");
    assert_eq!(v["valid_from"], T - 29);
    assert_eq!(v["valid_to"], T + 1);
    assert_eq!(v["period"], 30);
    assert_eq!(v["touch"], false);
    assert_eq!(v["type"], "TOTP");
    let all: serde_json::Value = serde_json::from_str(y.run(&["code", "--json"]).ok()).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
    let list: serde_json::Value = serde_json::from_str(y.run(&["list", "--json"]).ok()).unwrap();
    assert_eq!(list[0]["algorithm"], "SHA1");
    assert_eq!(list[0]["digits"], 6);
    let info: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
    assert_eq!(info["credentials"], 1);
    assert_eq!(info["capacity"], 32);
    assert_eq!(info["password"], false);
    let readers: serde_json::Value = serde_json::from_str(y.run(&["readers", "--json"]).ok()).unwrap();
    assert_eq!(readers[0]["oath"], true);
    assert_eq!(readers[0]["device_id"], info["device_id"]);
}

#[test]
fn list_hides_hidden_and_sorts_like_ykman() {
    let y = Ykotp::virtual_key();
    for name in ["b:z", "A:y", "carol", "_hidden:h"] {
        y.run_in(&["put", name, "-"], Some(DEMO_B32)).ok();
    }
    assert_eq!(y.run(&["list"]).ok(), "A:y\nb:z\ncarol\n");
    assert_eq!(y.run(&["list", "-H"]).ok(), "_hidden:h\nA:y\nb:z\ncarol\n");
    let long = y.run(&["list", "--long", "carol"]);
    assert_eq!(long.ok(), "carol  TOTP  SHA1  6  30s  -\n");
}

#[test]
fn put_never_overwrites_silently() {
    let y = with_aws();
    let out = y.run_in(&["put", "aws", "-"], Some(RFC_SEED_B32));
    out.fails(10, "an account called \"aws\" already exists");
    assert!(out.stderr.contains("--force"));
    assert_eq!(y.run(&["code", "aws", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    let out = y.run_in(&["put", "aws", "-", "--force"], Some(RFC_SEED_B32));
    out.ok();
    assert!(out.stderr.contains("overwrote \"aws\""));
    assert_eq!(y.run(&["code", "aws", "--at", "59"]).ok(), "287082\n");
}

#[test]
fn put_validates_before_sending() {
    let y = Ykotp::virtual_key();
    let long = "x".repeat(65);
    y.run_in(&["put", &long, "-"], Some(DEMO_B32)).fails(2, "65 bytes");
    y.run_in(&["put", "a", "-", "-i", &"i".repeat(63)], Some(DEMO_B32)).fails(2, "at most 64 bytes");
    y.run_in(&["put", "short", "-"], Some("AE")).fails(2, "at least 2 bytes");
    let out = y.run_in(&["put", "bad", "-"], Some("JBSWY3DP0HPK3PXP"));
    out.fails(2, "not base32");
    assert!(!out.stderr.contains("JBSWY3DP"));
    y.run_in(&["put", "d", "-", "--digits", "9"], Some(DEMO_B32)).fails(2, "9 digits");
    y.run(&["put", "nosecret"]).fails(2, "no secret given");
    // nothing reached the key: its state file was never even created
    assert!(!y.state_path().exists());
}

#[test]
fn put_from_uri_command_and_file() {
    let y = Ykotp::virtual_key();
    let uri = format!("otpauth://totp/ACME:alice?secret={RFC_SEED_B32}&digits=8&period=60");
    y.run(&["put", "--uri", &uri]).ok();
    y.run_in(&["put", "--uri", "-"], Some(&format!("otpauth://hotp/h?secret={RFC_SEED_B32}&counter=5\n"))).ok();
    y.run(&["put", "viacmd", "--secret-cmd", &format!("printf '%s\\nnotes: other lines\\n' {DEMO_B32}")]).ok();
    std::fs::write(y.path("secret.txt"), format!("{DEMO_B32}\n")).unwrap();
    y.run(&["put", "viafile", "--secret-file", y.path("secret.txt").to_str().unwrap()]).ok();
    assert_eq!(y.run(&["list"]).ok(), "60/ACME:alice\nh\nviacmd\nviafile\n");
    assert_eq!(y.run(&["code", "alice", "--at", "119"]).ok(), "94287082\n");
    assert_eq!(y.run(&["code", "h"]).ok(), "254676\n");
    assert_eq!(y.run(&["code", "viacmd", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    y.run(&["put", "x", "--secret-cmd", "exit 3"]).fails(1, "the --secret-cmd command failed with status 3");
}

#[test]
fn full_key_and_firmware_limits() {
    let y = Ykotp::virtual_key();
    let state = y.state_path();
    y.bare().args(["virtual", "init", "--state", state.to_str().unwrap(), "--firmware", "4.2.0"]).status().unwrap();
    y.run_in(&["put", "t", "-", "--touch"], Some(DEMO_B32)).fails(11, "touch needs firmware 4.2.6");
    y.run_in(&["put", "s", "-", "-a", "sha512"], Some(DEMO_B32)).fails(11, "SHA-512 needs firmware 4.3.1");
    y.run_in(&["put", "a", "-"], Some(DEMO_B32)).ok();
    y.run(&["rename", "a", "b", "-f"]).fails(11, "renaming needs firmware 5.3.1");
    for i in 1..32 {
        y.run_in(&["put", &format!("n{i:02}"), "-"], Some(DEMO_B32)).ok();
    }
    // the key's own 6A84 says it is full
    y.run_in(&["put", "one-more", "-"], Some(DEMO_B32)).fails(11, "the key has no space left for another account");
    // overwriting on a full key is still possible
    y.run_in(&["put", "a", "-", "-f"], Some(RFC_SEED_B32)).ok();
}

#[test]
fn sixty_four_accounts_from_firmware_5_7() {
    let y = Ykotp::virtual_key();
    let state = y.state_path();
    y.bare().args(["virtual", "init", "--state", state.to_str().unwrap(), "--firmware", "5.7.0"]).status().unwrap();
    for i in 0..64 {
        y.run_in(&["put", &format!("n{i:02}"), "-"], Some(DEMO_B32)).ok();
    }
    y.run_in(&["put", "one-more", "-"], Some(DEMO_B32)).fails(11, "the key has no space left");
    let info = y.run(&["info"]);
    assert!(info.ok().contains("64 of 64"), "{info:?}");
}

#[test]
fn delete_rename_reset_ask_or_need_force() {
    let y = with_aws();
    y.run(&["delete", "aws"]).fails(10, "refused to delete \"aws\" without --force");
    y.run(&["rename", "aws", "Amazon:me"]).fails(10, "without --force");
    let out = y.run(&["rename", "aws", "Amazon:me", "-f"]);
    out.ok();
    assert!(out.stderr.contains("renamed \"aws\" to \"Amazon:me\""));
    assert_eq!(y.run(&["code", "Amazon:me", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    y.run(&["delete", "nothing", "-f"]).fails(5, "no account matches");
    y.run(&["delete", "amazon", "-f"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "");
    y.run_in(&["put", "x", "-"], Some(DEMO_B32)).ok();
    y.run(&["reset"]).fails(10, "refused to reset the key without --force");
    let before: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
    y.run(&["reset", "-f"]).ok();
    let after: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
    assert_eq!(after["credentials"], 0);
    assert_ne!(before["device_id"], after["device_id"]);
}

#[test]
fn rename_keeps_the_period_and_refuses_existing_names() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "slow", "-", "-P", "60"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "other", "-"], Some(DEMO_B32)).ok();
    y.run(&["rename", "slow", "New:slow", "-f"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "60/New:slow\nother\n");
    y.run_in(&["put", "slow", "-", "-P", "60"], Some(DEMO_B32)).ok();
    y.run(&["rename", "60/New:slow", "slow", "-f"]).fails(10, "an account called \"60/slow\" already exists");
    assert_eq!(y.run(&["list"]).ok(), "60/New:slow\nother\n60/slow\n");
}

#[test]
fn passwords() {
    let y = with_aws();
    y.run_in(&["password", "set", "--new-password-stdin"], Some("hunter2\n")).ok();
    let locked = y.run(&["code", "aws"]);
    locked.fails(8, "the key is protected by a password");
    assert!(locked.stderr.contains("--password-cmd"));
    y.run(&["code", "aws", "--password-cmd", "echo wrong"]).fails(8, "wrong password");
    y.run(&["code", "aws", "--password-cmd", "echo hunter2"]).ok();
    let mut with_env = Ykotp { dir: tempfile::tempdir().unwrap(), reader: y.reader.clone(), env: Vec::new() };
    with_env.set_env("YKOTP_PASSWORD_CMD", "printf 'hunter2\\n'");
    with_env.run(&["list"]).ok();
    // remember: only the derived key, 0600
    y.run(&["password", "remember", "--password-cmd", "echo hunter2"]).ok();
    let keys = y.dir.path().join("data/ykotp/keys.json");
    assert_eq!(file_mode(&keys), 0o600);
    assert!(!std::fs::read_to_string(&keys).unwrap().contains("hunter2"));
    assert_eq!(y.run(&["list"]).ok(), "aws\n");
    let info: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
    assert_eq!((info["password"].as_bool(), info["remembered"].as_bool()), (Some(true), Some(true)));
    // changed elsewhere: the remembered key goes stale and is dropped
    with_env.run_in(&["password", "change", "--new-password-stdin"], Some("correct horse\n")).ok();
    let stale = y.run(&["list"]);
    stale.fails(8, "protected by a password");
    assert!(stale.stderr.contains("no longer works"));
    assert!(!std::fs::read_to_string(&keys).unwrap().contains("\": \""), "stale key not dropped");
    y.run(&["password", "clear", "--password-cmd", "echo correct horse"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "aws\n");
    y.run(&["password", "forget", "--all"]).ok();
}

#[test]
fn secrets_never_reach_output_or_trace() {
    let y = Ykotp::virtual_key();
    let secret = "MZXW6YTBOJRGC4TCMF4GQ33SOFZXI5LWO54HS6TB";
    let raw_hex = hex::encode_upper(ykotp::otp::decode_secret(secret).unwrap().as_bytes());
    let spaced: String = raw_hex.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ");
    let runs = [
        y.run_in(&["put", "a", "-", "--trace"], Some(secret)),
        y.run(&["put", "b", "--secret-cmd", &format!("echo {secret}"), "--trace"]),
        y.run_in(&["password", "set", "--new-password-stdin", "--trace"], Some("s3cr3t-pw\n")),
        y.run(&["code", "--trace", "--password-cmd", "echo s3cr3t-pw"]),
        y.run(&["list", "--trace", "--json", "--password-cmd", "echo s3cr3t-pw"]),
        y.run(&["info", "--trace", "--password-cmd", "echo s3cr3t-pw"]),
    ];
    for out in &runs {
        out.ok();
        for text in [&out.stdout, &out.stderr] {
            assert!(!text.contains(secret), "{out:?}");
            assert!(!text.contains(&spaced), "raw key bytes in {out:?}");
            assert!(!text.contains("s3cr3t-pw"), "{out:?}");
        }
    }
    assert!(runs[0].stderr.contains("[redacted"), "{:?}", runs[0]);
    assert!(runs[3].stderr.contains("00 A3 00 00") && runs[3].stderr.contains("[redacted 20 bytes]"));
}

#[test]
fn state_file_is_private_and_corruption_is_an_error() {
    let y = Ykotp::virtual_key();
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(format!("umask 000; exec {} --reader {} put a -", env!("CARGO_BIN_EXE_ykotp"), y.reader));
    c.env("YKOTP_NO_TTY", "1");
    exec(c, Some(DEMO_B32)).ok();
    assert_eq!(file_mode(&y.state_path()), 0o600);
    std::fs::write(y.state_path(), "{ not json").unwrap();
    y.run(&["list"]).fails(1, "is corrupt");
    assert_eq!(std::fs::read_to_string(y.state_path()).unwrap(), "{ not json");
}

#[test]
fn a_busy_key_is_exit_9() {
    let mut y = with_aws();
    let lock = std::fs::OpenOptions::new().write(true).open(format!("{}.lock", y.state_path().display())).unwrap();
    lock.lock().unwrap();
    y.set_env("YKOTP_VIRTUAL_WAIT_MS", "200");
    y.run(&["code", "aws"]).fails(9, "in use by another program");
    drop(lock);
    y.run(&["code", "aws"]).ok();
}

#[test]
fn no_pcsc_service_is_exit_3() {
    let y = Ykotp::reader("Yubico");
    let mut c = y.bare();
    c.env("PCSCLITE_CSOCK_NAME", y.path("no-such-socket")).args(["code", "aws"]);
    let out = exec(c, None);
    out.fails(3, "cannot reach the PC/SC service (pcscd)");
    assert!(out.stderr.contains("hint: install and start it"));
}

#[test]
fn usage_errors_are_exit_2() {
    let y = Ykotp::virtual_key();
    let out = y.run(&["code", "--no-such-flag"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    let out = y.run(&["code", "x", "--at", "yesterday"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("neither unix seconds nor an RFC 3339 time"));
    assert_eq!(
        exec(
            {
                let mut c = y.bare();
                c.arg("--help");
                c
            },
            None
        )
        .code,
        0
    );
}

#[test]
fn bad_input_never_changes_the_key() {
    let y = with_aws();
    let before = std::fs::read(y.state_path()).unwrap();
    let bad_uris = [
        "otpauth://totp/alice",
        "otpauth://totp/alice?secret=JBSW1!!",
        "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
        "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=9",
        "otpauth://xotp/alice?secret=JBSWY3DPEHPK3PXP",
        "otpauth://totp/alice?secret=AA",
        "otpauth://totp/?secret=JBSWY3DPEHPK3PXP",
        "not a uri",
    ];
    for uri in bad_uris {
        let out = y.run(&["put", "--uri", uri, "-f"]);
        assert_eq!(out.code, 2, "{uri}: {out:?}");
        let out = y.run_in(&["import", "-", "-f"], Some(uri));
        assert_eq!(out.code, 2, "{uri}: {out:?}");
    }
    y.run_in(&["put", &"n".repeat(65), "-", "-f"], Some(DEMO_B32)).fails(2, "65 bytes");
    y.run_in(&["put", "one-byte", "-", "-f"], Some("AE")).fails(2, "at least 2 bytes");
    assert_eq!(std::fs::read(y.state_path()).unwrap(), before, "the key changed");
}

#[test]
fn wrong_password_three_times_then_right() {
    let y = with_aws();
    y.run_in(&["password", "set", "--new-password-stdin"], Some("right\n")).ok();
    for _ in 0..3 {
        y.run(&["code", "aws", "--password-cmd", "echo wrong"]).fails(8, "wrong password");
    }
    // YKOATH has no retry counter: the right password still works
    assert_eq!(y.run(&["code", "aws", "--at", "59", "--password-cmd", "echo right"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
}

/// Completion in a real bash: the script `completions bash` prints calls ykotp back,
/// which lists the key's accounts; `-a` offers algorithms; no key means no names and
/// no message.
#[test]
fn bash_completes_account_names_from_the_key() {
    let y = with_aws();
    for n in ["GitHub:bob", "git-work", "_hidden:secret"] {
        y.run_in(&["put", n, "-"], Some(DEMO_B32)).ok();
    }
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_ykotp")).parent().unwrap().display().to_string();
    let script = r#"
source <(ykotp completions bash)
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
  _clap_complete_ykotp ykotp "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; printf '%s|' "${COMPREPLY[@]}"; echo; }
comp ykotp code g
comp ykotp delete bob
comp ykotp put -a ''
YKOTP_READER=virtual:/nonexistent/key.json comp ykotp code g
"#;
    let mut c = y.bare();
    c.env("YKOTP_READER", &y.reader).env("PATH", format!("{bin_dir}:{}", std::env::var("PATH").unwrap_or_default()));
    let mut bash = std::process::Command::new("bash");
    bash.args(["--noprofile", "--norc", "-c", script]);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => bash.env(k, v),
            None => bash.env_remove(k),
        };
    }
    let out = exec(bash, None);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines, ["GitHub:bob|git-work|", "GitHub:bob|", "sha1|sha256|sha512|", "|"], "{out:?}");
    assert_eq!(out.stderr, "", "completion is silent");
}

/// `program` with the environment of `y.bare()`, the key in $YKOTP_READER and ykotp in
/// PATH, as a shell the completion scripts run in.
fn shell_with_ykotp(y: &Ykotp, program: &str) -> std::process::Command {
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_ykotp")).parent().unwrap().display().to_string();
    let mut c = y.bare();
    c.env("YKOTP_READER", &y.reader).env("PATH", format!("{bin_dir}:{}", std::env::var("PATH").unwrap_or_default()));
    let mut shell = std::process::Command::new(program);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => shell.env(k, v),
            None => shell.env_remove(k),
        };
    }
    shell
}

fn with_completion_fixtures() -> Ykotp {
    let y = with_aws();
    for n in ["GitHub:bob", "git-work", "_hidden:secret"] {
        y.run_in(&["put", n, "-"], Some(DEMO_B32)).ok();
    }
    y
}

/// Completion in a real fish: `complete -C` completes a command line as TAB does, with
/// the script `completions fish` prints (the same fixtures as bash's test).
#[test]
fn fish_completes_account_names_from_the_key() {
    let y = with_completion_fixtures();
    let script = r#"
ykotp completions fish | source
function comp; printf '%s|' (complete -C "$argv[1]" | string replace -r '\t.*' ''); echo; end
comp 'ykotp code g'
comp 'ykotp delete bob'
comp 'ykotp put -a '
YKOTP_READER=virtual:/nonexistent/key.json comp 'ykotp code g'
"#;
    let mut fish = shell_with_ykotp(&y, "fish");
    fish.args(["--no-config", "-c", script]);
    let out = exec(fish, None);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines, ["GitHub:bob|git-work|", "GitHub:bob|", "sha1|sha256|sha512|", "|"], "{out:?}");
    assert_eq!(out.stderr, "", "completion is silent");
}

/// Completion in a real, interactive zsh: zsh/zpty runs `zsh -i` on a pseudo-terminal
/// with compinit and the script `completions zsh` prints, types a line and TAB, and
/// reads back what the completion system offered (a `compadd` wrapper prints each match
/// it adds) and the line after the TAB (a key bound to print $BUFFER). zsh matches
/// what is typed as a case-sensitive prefix of the names ykotp offers (its default
/// matcher), so `g` finds git-work and `Gi` GitHub:bob.
#[test]
fn zsh_completes_account_names_from_the_key() {
    let y = with_completion_fixtures();
    let script = r#"
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1= RPS1=; autoload -Uz compinit && compinit -u -D; source <(ykotp completions zsh)'
zpty -w z 'compadd() { (( ${@[(I)-[OAD]*]} )) || { local -a h; builtin compadd -O h "$@"; print -rl -- "<""hit>"${^h}; }; builtin compadd "$@"; }'
zpty -w z 'complete-and-show() { zle complete-word; print -rn -- "<""buf>$BUFFER</""buf>"; BUFFER=; }; zle -N complete-and-show; bindkey "^T" complete-and-show'
zpty -w z 'echo "<re""ady>"'
zpty -r z out '*<ready>*'
# One key completes, shows the line and clears it: zsh discards typeahead when a
# completion finds nothing, so nothing may be typed before its answer is read.
comp() {
  zpty -w z "$1"$'\C-T'
  zpty -r z out '*</''buf>*'
  print -r -- "$out" | tr -d '\r' | grep -ao '<hit>[^[:cntrl:]]*\|<buf>.*</buf>' | tr '\n' '|'; echo
}
comp 'ykotp code Gi'
comp 'ykotp code g'
comp 'ykotp put -a '
zpty -w z 'export YKOTP_READER=virtual:/nonexistent/key.json'
comp 'ykotp code g'
zpty -d z
"#;
    let mut zsh = shell_with_ykotp(&y, "timeout");
    zsh.args(["60", "zsh", "-f", "-c", script]);
    let out = exec(zsh, None);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "<hit>GitHub:bob|<buf>ykotp code GitHub:bob </buf>|",
            "<hit>git-work|<buf>ykotp code git-work </buf>|",
            "<hit>sha1|<hit>sha256|<hit>sha512|<buf>ykotp put -a sha</buf>|",
            "<buf>ykotp code g</buf>|",
        ],
        "{out:?}"
    );
    assert_eq!(out.stderr, "", "{out:?}");
}

/// What the scripts call: `YKOTP_COMPLETE=SHELL ykotp -- WORDS`. Without a key it
/// prints nothing, says nothing and succeeds, for every shell.
#[test]
fn completion_without_a_key_is_silent_in_every_shell() {
    let y = with_completion_fixtures();
    for shell in ["bash", "zsh", "fish"] {
        let mut c = y.bare();
        c.env("YKOTP_COMPLETE", shell)
            .env("YKOTP_READER", &y.reader)
            .env("_CLAP_COMPLETE_INDEX", "2")
            .env("_CLAP_COMPLETE_COMP_TYPE", "9")
            .env("_CLAP_IFS", "\n")
            .args(["--", "ykotp", "code", "g"]);
        let found = exec(c, None);
        assert_eq!(found.code, 0, "{shell}: {found:?}");
        assert!(found.stdout.contains("git-work"), "{shell}: {found:?}");
        let mut c = y.bare();
        c.env("YKOTP_COMPLETE", shell)
            .env("YKOTP_READER", "virtual:/nonexistent/key.json")
            .env("_CLAP_COMPLETE_INDEX", "2")
            .env("_CLAP_COMPLETE_COMP_TYPE", "9")
            .env("_CLAP_IFS", "\n")
            .args(["--", "ykotp", "code", "g"]);
        let none = exec(c, None);
        assert_eq!((none.code, none.stdout.trim(), none.stderr.as_str()), (0, "", ""), "{shell}: {none:?}");
    }
}

#[test]
fn a_virtual_reader_without_a_path_is_a_usage_error_and_creates_nothing() {
    // `virtual:` alone once locked "" + ".lock": a stray `.lock` in the working directory
    let y = Ykotp::reader("virtual:");
    let mut c = y.bare();
    c.current_dir(y.dir.path()).args(["--reader", "virtual:", "list"]);
    let out = exec(c, None);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("virtual: needs the path"), "{out:#?}");
    let left: Vec<_> = std::fs::read_dir(y.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
}
