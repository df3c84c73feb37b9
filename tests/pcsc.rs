//! Through a real pcscd: every command against virtual keys served over vpcd, checked
//! against the software engine and oathtool, and interoperability with Yubico's ykman.
//! `scripts/test` starts pcscd and two keys (reader 0 approves touches, reader 1 denies
//! them) and runs these with `--ignored --test-threads=1`; they share the keys.

mod common;
use common::*;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn reader(n: u8) -> String {
    std::env::var(format!("YKOTP_TEST_READER{n}")).expect("scripts/test sets YKOTP_TEST_READERn")
}

/// A fresh (reset) key on reader `n`.
fn key(n: u8) -> Ykotp {
    let y = Ykotp::reader(&reader(n));
    y.run(&["reset", "-f"]).ok();
    y
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Runs `f` until it finishes within one window of `period` seconds, so codes read at
/// slightly different moments are comparable; gives `f` the window's start.
fn in_one_window<R>(period: u64, mut f: impl FnMut(u64) -> R) -> R {
    loop {
        let before = now();
        let r = f(before);
        if now() / period == before / period {
            return r;
        }
    }
}

fn ykman(args: &[&str]) -> Out {
    let bin = std::env::var("YKOTP_TEST_YKMAN").expect("scripts/test sets YKOTP_TEST_YKMAN");
    let mut c = Command::new(bin);
    c.arg("--reader").arg(reader(0)).args(args);
    exec(c, None)
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn readers_and_choosing_between_keys() {
    let y = Ykotp::reader("Virtual PCD");
    let mut c = y.bare();
    c.args(["readers", "--json"]);
    let list: serde_json::Value = serde_json::from_str(exec(c, None).ok()).unwrap();
    let keys: Vec<&serde_json::Value> = list.as_array().unwrap().iter().filter(|r| r["oath"] == true).collect();
    assert_eq!(keys.len(), 2, "{list}");
    assert_ne!(keys[0]["serial"], keys[1]["serial"]);
    // two keys, no selector, and a command for one key: name them and stop
    let mut c = y.bare();
    c.args(["info"]);
    let out = exec(c, None);
    out.fails(4, "2 keys found; choose one with --device or --reader");
    for k in &keys {
        assert!(out.stderr.contains(&format!("serial {0}; choose it with --device {0}", k["serial"])), "{out:?}");
    }
    // --device by serial, or by OATH device id
    for id in [keys[1]["serial"].to_string(), keys[1]["device_id"].as_str().unwrap().to_owned()] {
        let mut c = y.bare();
        c.args(["--device", &id, "info", "--json"]);
        let info: serde_json::Value = serde_json::from_str(exec(c, None).ok()).unwrap();
        assert_eq!(info["reader"], keys[1]["reader"]);
    }
    let mut c = y.bare();
    c.args(["--device", "999", "info"]);
    exec(c, None).fails(4, "no key matches --device 999");
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn every_command_through_pcscd() {
    let y = key(0);
    let info: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
    assert_eq!(info["credentials"], 0);
    assert!(info["serial"].is_u64());
    let secret = "JBSWY3DPEHPK3PXP";
    let sha256 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
    y.run_in(&["put", "aws", "-"], Some(secret)).ok();
    y.run_in(&["put", "Eight:e", "-", "--digits", "8", "-a", "sha256"], Some(sha256)).ok();
    y.run_in(&["put", "slow", "-", "-P", "60"], Some(secret)).ok();
    y.run_in(&["put", "Touch:t", "-", "--touch"], Some(secret)).ok();
    for t in [59u64, 1_111_111_109, now()] {
        let at = t.to_string();
        assert_eq!(y.run(&["code", "aws", "--at", &at]).ok().trim(), oathtool_totp(secret, t, &[]));
        assert_eq!(y.run(&["code", "aws", "--at", &at]).ok().trim(), soft_totp(secret, t, 30, 6));
        assert_eq!(y.run(&["code", "Eight", "--at", &at]).ok().trim(), oathtool_totp(sha256, t, &["--totp=sha256", "--digits=8"]));
        assert_eq!(y.run(&["code", "slow", "--at", &at]).ok().trim(), oathtool_totp(secret, t, &["--time-step-size=60s"]));
        let touch = y.run(&["code", "Touch:t", "--at", &at]);
        assert_eq!(touch.ok().trim(), oathtool_totp(secret, t, &[]));
        assert!(touch.stderr.contains("Touch your YubiKey"));
    }
    let table = y.run(&["code", "--at", "59"]);
    assert!(table.ok().contains(&format!("aws      {}\n", soft_totp(secret, 59, 30, 6))), "{table:?}");
    assert!(table.stdout.contains("Touch:t  [touch]"));
    assert_eq!(y.run(&["list"]).ok(), "aws\nEight:e\n60/slow\nTouch:t\n");
    let json: serde_json::Value = serde_json::from_str(y.run(&["code", "aws", "--json"]).ok()).unwrap();
    assert_eq!(json["valid_to"].as_u64().unwrap() - json["valid_from"].as_u64().unwrap(), 30);
    // exactly SELECT + CALCULATE ALL for a plain 30 s account
    let traced = y.run(&["code", "aws", "--trace"]);
    assert_eq!(traced.stderr.lines().filter(|l| l.starts_with("> ")).count(), 2, "{traced:?}");
    y.run(&["rename", "slow", "Slow:s", "-f"]).ok();
    y.run(&["delete", "Eight:e", "-f"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "aws\n60/Slow:s\nTouch:t\n");
    // password: set, locked, remembered, cleared
    y.run_in(&["password", "set", "--new-password-stdin"], Some("pcsc-pw\n")).ok();
    y.run(&["list"]).fails(8, "protected by a password");
    y.run(&["password", "remember", "--password-cmd", "echo pcsc-pw"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "aws\n60/Slow:s\nTouch:t\n");
    y.run(&["password", "clear"]).ok();
    let info: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
    assert_eq!(info["password"], false);
    y.run(&["reset", "-f"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "");
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn touch_denied_through_pcscd() {
    let y = key(1);
    y.run_in(&["put", "Touch:t", "-", "--touch"], Some(DEMO_B32)).ok();
    y.run(&["code", "Touch:t"]).fails(7, "the key was not touched in time");
    // the key is still usable afterwards
    y.run_in(&["put", "plain", "-"], Some(DEMO_B32)).ok();
    assert_eq!(y.run(&["code", "plain", "--at", "59"]).ok().trim(), soft_totp(DEMO_B32, 59, 30, 6));
}

/// Accounts made by ykman, read by ykotp: same codes from both and from the engine.
#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn ykman_adds_ykotp_reads() {
    let y = key(0);
    let seed = RFC_SEED_B32;
    let cases: &[(&str, &[&str], u64)] = &[
        ("Ex:sha1", &["-a", "SHA1"], 30),
        ("Ex:sha256-8", &["-a", "SHA256", "-d", "8"], 30),
        ("Ex:sha512", &["-a", "SHA512"], 30),
        ("Ex:sixty", &["-P", "60"], 60),
        ("Ex:touch", &["-t"], 30),
    ];
    for (name, opts, _) in cases {
        let mut args = vec!["oath", "accounts", "add", "-f"];
        args.extend_from_slice(opts);
        args.extend([*name, seed]);
        ykman(&args).ok();
    }
    ykman(&["oath", "accounts", "add", "-f", "-o", "HOTP", "-d", "8", "Ex:hotp", seed]).ok();
    let listed = y.run(&["list"]);
    assert_eq!(listed.ok(), "Ex:hotp\nEx:sha1\nEx:sha256-8\nEx:sha512\n60/Ex:sixty\nEx:touch\n");
    let ykman_list = ykman(&["oath", "accounts", "list"]);
    assert_eq!(ykman_list.ok(), listed.stdout);
    for (name, _, period) in cases {
        let query = if *period == 60 { format!("60/{name}") } else { name.to_string() };
        let (ours, theirs) = in_one_window(*period, |t| {
            let ours = y.run(&["code", &query, "--at", &t.to_string()]).ok().trim().to_owned();
            let theirs = ykman(&["oath", "accounts", "code", "-s", &query]).ok().trim().to_owned();
            (ours, theirs)
        });
        assert_eq!(ours, theirs, "{name}");
    }
    // HOTP: ykman takes counter 0, we take counter 1; both as RFC 4226 says (8 digits)
    assert_eq!(ykman(&["oath", "accounts", "code", "-s", "Ex:hotp"]).ok().trim(), "84755224");
    assert_eq!(y.run(&["code", "Ex:hotp"]).ok().trim(), "94287082");
    // ykman's delete and rename are seen by ykotp
    ykman(&["oath", "accounts", "delete", "-f", "Ex:sha512"]).ok();
    ykman(&["oath", "accounts", "rename", "-f", "Ex:sha1", "New:sha1"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "Ex:hotp\nEx:sha256-8\n60/Ex:sixty\nEx:touch\nNew:sha1\n");
}

/// Accounts made by ykotp, read by ykman.
#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn ykotp_adds_ykman_reads() {
    let y = key(0);
    y.run_in(&["put", "aws", "-"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "Big:b", "-", "-a", "sha512", "--digits", "8", "-P", "60"], Some(RFC_SEED_B32)).ok();
    y.run_in(&["put", "T:t", "-", "--touch"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "H:h", "-", "-o", "hotp", "-c", "5"], Some(RFC_SEED_B32)).ok();
    assert_eq!(ykman(&["oath", "accounts", "list"]).ok(), y.run(&["list"]).ok());
    for (query, period) in [("aws", 30), ("60/Big:b", 60), ("T:t", 30)] {
        let (ours, theirs) = in_one_window(period, |t| {
            (
                y.run(&["code", query, "--at", &t.to_string()]).ok().trim().to_owned(),
                ykman(&["oath", "accounts", "code", "-s", query]).ok().trim().to_owned(),
            )
        });
        assert_eq!(ours, theirs, "{query}");
    }
    assert_eq!(ykman(&["oath", "accounts", "code", "-s", "H:h"]).ok().trim(), "254676");
}

/// A password set by one tool unlocks with the other.
#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn passwords_interoperate_with_ykman() {
    let y = key(0);
    y.run_in(&["put", "aws", "-"], Some(DEMO_B32)).ok();
    y.run_in(&["password", "set", "--new-password-stdin"], Some("from-ykotp\n")).ok();
    assert_eq!(ykman(&["oath", "accounts", "list", "-p", "from-ykotp"]).ok(), "aws\n");
    assert_ne!(ykman(&["oath", "accounts", "list", "-p", "wrong"]).code, 0, "ykman accepted a wrong password");
    ykman(&["oath", "access", "change", "-p", "from-ykotp", "-n", "from-ykman"]).ok();
    y.run(&["list", "--password-cmd", "echo from-ykotp"]).fails(8, "wrong password");
    assert_eq!(y.run(&["list", "--password-cmd", "echo from-ykman"]).ok(), "aws\n");
    y.run(&["password", "clear", "--password-cmd", "echo from-ykman"]).ok();
    assert_eq!(ykman(&["oath", "accounts", "list"]).ok(), "aws\n");
}

/// ykotp with no reader or device chosen.
fn unselected(args: &[&str]) -> Out {
    let y = Ykotp::reader("unused");
    let mut c = y.bare();
    c.args(args);
    exec(c, None)
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn several_keys_route_merge_and_backup() {
    let (k0, k1) = (key(0), key(1));
    k0.run_in(&["put", "only0", "-"], Some(DEMO_B32)).ok();
    k1.run_in(&["put", "only1", "-"], Some(RFC_SEED_B32)).ok();
    // code NAME finds the one key that holds NAME
    assert_eq!(unselected(&["code", "only1", "--at", "59"]).ok(), "287082\n");
    assert_eq!(unselected(&["code", "only0", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    unselected(&["code", "nowhere"]).fails(5, "no account matches \"nowhere\" on any of the 2 keys");
    // the same secret on every key, checked everywhere first
    let both = unselected(&["put", "both", "--all-keys", "--secret-cmd", &format!("echo {DEMO_B32}")]);
    both.ok();
    assert_eq!(both.stderr.matches("added \"both\"").count(), 2, "{both:?}");
    // held by both keys with the same secret: computed on each, printed once
    let want = soft_totp(DEMO_B32, 59, 30, 6);
    assert_eq!(unselected(&["code", "both", "--at", "59"]).ok(), format!("{want}\n"));
    // a backup of an account on several keys is checked on each
    let checked = unselected(&["check", "both", "--secret-cmd", &format!("echo {DEMO_B32}")]);
    checked.ok();
    assert!(checked.stderr.contains("the backup matches \"both\" on each of the 2 keys holding it"), "{checked:?}");
    unselected(&["check", "both", "--secret-cmd", &format!("echo {RFC_SEED_B32}")])
        .fails(12, "the backup does not match \"both\" on 2 of the 2 keys holding it");
    // the same name with different secrets: an error naming both keys
    k0.run_in(&["put", "differs", "-"], Some(DEMO_B32)).ok();
    k1.run_in(&["put", "differs", "-"], Some(RFC_SEED_B32)).ok();
    let differs = unselected(&["code", "differs", "--at", "59"]);
    differs.fails(12, "the 2 keys holding \"differs\" give different codes");
    assert_eq!(differs.stderr.matches("choose it with --device").count(), 2, "{differs:?}");
    // checking a backup finds the one key whose secret differs, and names it alone
    let one_differs = unselected(&["check", "differs", "--secret-cmd", &format!("echo {DEMO_B32}")]);
    one_differs.fails(12, "the backup does not match \"differs\" on 1 of the 2 keys holding it");
    assert_eq!(one_differs.stderr.matches("choose it with --device").count(), 1, "{one_differs:?}");
    k0.run(&["delete", "differs", "-f"]).ok();
    k1.run(&["delete", "differs", "-f"]).ok();
    let refused = unselected(&["put", "only0", "--all-keys", "--secret-cmd", &format!("echo {DEMO_B32}")]);
    refused.fails(10, "an account called \"only0\" already exists");
    assert!(refused.stderr.contains("nothing was written: 1 of 2 keys cannot take \"only0\""), "{refused:?}");
    assert_eq!(k1.run(&["list"]).ok(), "both\nonly1\n", "a refused --all-keys put wrote to another key");
    // every key's problem at once, not one per attempt
    let twice = unselected(&["put", "both", "--all-keys", "--secret-cmd", &format!("echo {DEMO_B32}")]);
    twice.fails(10, "an account called \"both\" already exists");
    assert_eq!(twice.stderr.matches("already exists").count(), 2, "{twice:?}");
    assert!(twice.stderr.contains("nothing was written: 2 of 2 keys cannot take \"both\""), "{twice:?}");
    // list --all-keys merges, with the key's serial
    let info0: serde_json::Value = serde_json::from_str(k0.run(&["info", "--json"]).ok()).unwrap();
    let info1: serde_json::Value = serde_json::from_str(k1.run(&["info", "--json"]).ok()).unwrap();
    let (s0, s1) = (info0["serial"].to_string(), info1["serial"].to_string());
    let want: Vec<String> = if s0 < s1 {
        vec![format!("{s0}  both"), format!("{s1}  both"), format!("{s0}  only0"), format!("{s1}  only1")]
    } else {
        vec![format!("{s1}  both"), format!("{s0}  both"), format!("{s0}  only0"), format!("{s1}  only1")]
    };
    let words = |out: &str| -> Vec<String> { out.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join("  ")).collect() };
    // several keys and none chosen: `list` merges as `list --all-keys` does
    for args in [&["list", "--all-keys"][..], &["list"]] {
        assert_eq!(words(unselected(args).ok()), want, "{args:?}");
    }
    // and so does `code`, with each key's code
    let codes = words(unselected(&["code", "--at", "59"]).ok());
    let with_codes: Vec<String> = want
        .iter()
        .map(|row| {
            let secret = if row.ends_with("only1") { RFC_SEED_B32 } else { DEMO_B32 };
            format!("{row}  {}", soft_totp(secret, 59, 30, 6))
        })
        .collect();
    assert_eq!(codes, with_codes);
    // a script that chooses a key sees that key alone, as before
    assert_eq!(words(k1.run(&["list"]).ok()), ["both", "only1"]);
    assert_eq!(k0.run(&["code", "--at", "59"]).ok().lines().count(), 2);
}

/// Connects pcscd has made so far, from its debug log (scripts/test starts it with --debug).
fn pcscd_connects() -> usize {
    let log = std::env::var("PCSC_DIR").expect("scripts/test sets PCSC_DIR");
    std::fs::read_to_string(format!("{log}/pcscd.log")).unwrap().matches("Attempting Connect").count()
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn code_name_costs_one_connect_and_two_apdus_per_key() {
    let (k0, k1) = (key(0), key(1));
    k0.run_in(&["put", "acct", "-"], Some(DEMO_B32)).ok();
    for holders in [1, 2] {
        let before = pcscd_connects();
        let out = unselected(&["code", "acct", "--at", "59", "--trace"]);
        assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
        let apdus: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("> ")).collect();
        // SELECT and CALCULATE ALL on each key, whether it holds the account or not
        assert_eq!(apdus.len(), 4, "{holders} holder(s): {}", out.stderr);
        assert_eq!(apdus.iter().filter(|l| l.starts_with("> 00 A4 04 00")).count(), 2, "{}", out.stderr);
        assert_eq!(pcscd_connects() - before, 2, "{holders} holder(s)");
        if holders == 1 {
            k1.run_in(&["put", "acct", "-"], Some(DEMO_B32)).ok();
        }
    }
    // one key chosen: one connect, two APDUs
    let before = pcscd_connects();
    let out = k0.run(&["code", "acct", "--at", "59", "--trace"]);
    out.ok();
    assert_eq!(out.stderr.lines().filter(|l| l.starts_with("> ")).count(), 2, "{}", out.stderr);
    assert_eq!(pcscd_connects() - before, 1);
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn a_key_held_exclusively_is_exit_9_until_released() {
    let y = key(0);
    y.run_in(&["put", "aws", "-"], Some(DEMO_B32)).ok();
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let name = std::ffi::CString::new(reader(0)).unwrap();
    let holder = ctx.connect(&name, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY).unwrap();
    let busy = y.run(&["code", "aws"]);
    busy.fails(9, "the key is in use by another program");
    assert!(busy.stderr.contains("gpgconf --kill scdaemon"));
    let doctor = y.run(&["doctor"]);
    assert_eq!(doctor.code, 9, "{doctor:?}");
    holder.disconnect(pcsc::Disposition::LeaveCard).map_err(|(_, e)| e).unwrap();
    assert_eq!(y.run(&["code", "aws", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    assert_eq!(y.run(&["doctor"]).code, 0);
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn fifty_processes_at_once_all_get_the_right_code() {
    let y = key(0);
    y.run_in(&["put", "aws", "-"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "hotp", "-", "-o", "hotp"], Some(RFC_SEED_B32)).ok();
    let spawn = |args: &[&str]| {
        let mut c = y.bare();
        c.arg("--reader").arg(&y.reader).args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let children: Vec<_> = (0..50).map(|_| spawn(&["code", "aws", "--at", "1111111109"])).collect();
    let hotp: Vec<_> = (0..10).map(|_| spawn(&["code", "hotp"])).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{}\n", soft_totp(DEMO_B32, 1111111109, 30, 6)));
    }
    // ten HOTP codes at once: each counter value used exactly once
    let mut got: Vec<String> =
        hotp.into_iter().map(|c| String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap().trim().to_owned()).collect();
    let mut want: Vec<String> = (0..10).map(|c| ykotp::otp::hotp(ykotp::otp::Algorithm::Sha1, b"12345678901234567890", c, 6)).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn doctor_through_pcscd() {
    key(0);
    key(1);
    let out = unselected(&["doctor"]);
    assert!(out.stdout.contains("ok    pcscd: reachable"), "{out:?}");
    assert_eq!(out.stdout.matches("ok    key in \"Virtual PCD").count(), 2, "{out:?}");
}

/// PSKC backups both ways with ykman 5.9: a file `put --backup-file` writes is imported by
/// `ykman oath accounts import`, and one `ykman oath accounts add -O` writes is imported by
/// `ykotp import`; both keys then give the same codes.
#[test]
#[ignore = "needs pcscd and virtual keys: run by scripts/test"]
fn pskc_backups_between_ykotp_and_ykman() {
    const PASSPHRASE: &str = "interop-passphrase";
    let ours = key(1);
    let theirs = key(0);
    let file = ours.path("ykotp.pskc");
    let f = file.to_str().unwrap();
    ours.run_in(
        &["put", "Interop:ykotp", "-", "--backup-file", f, "--backup-passphrase-cmd", &format!("echo {PASSPHRASE}")],
        Some(RFC_SEED_B32),
    )
    .ok();
    // ykman asks for the passphrase with getpass, which reads stdin when the process
    // has no controlling terminal (setsid makes sure of that)
    let mut c = Command::new("setsid");
    c.arg(std::env::var("YKOTP_TEST_YKMAN").unwrap()).args(["--reader", &reader(0), "oath", "accounts", "import", "--force", f]);
    let imported = exec(c, Some(&format!("{PASSPHRASE}\n")));
    assert!(imported.ok().contains("Added account: Interop:ykotp"), "{imported:?}");
    let want = soft_totp(RFC_SEED_B32, 59, 30, 6);
    assert_eq!(theirs.run(&["code", "Interop:ykotp", "--at", "59"]).ok().trim(), want);
    assert_eq!(ykman(&["oath", "accounts", "list"]).ok(), "Interop:ykotp\n");

    let file = theirs.path("ykman.pskc");
    let f = file.to_str().unwrap();
    ykman(&[
        "oath",
        "accounts",
        "add",
        "-f",
        "-g",
        "-i",
        "Made",
        "-a",
        "SHA256",
        "-d",
        "8",
        "-O",
        f,
        "--pskc-passphrase",
        PASSPHRASE,
        "byykman",
    ])
    .ok();
    ours.run(&["import", f]).fails(2, "no terminal to ask for its passphrase");
    ours.run(&["import", f, "--passphrase-cmd", &format!("echo {PASSPHRASE}")]).ok();
    let t = now().to_string();
    let a = ours.run(&["code", "Made:byykman", "--at", &t]).ok().to_owned();
    assert_eq!(a.trim().len(), 8);
    assert_eq!(theirs.run(&["code", "Made:byykman", "--at", &t]).ok(), a);
    // and check proves ykman's backup against our key
    let ok = ours.run(&["check", "Made:byykman", "--secret-file", f, "--passphrase-cmd", &format!("echo {PASSPHRASE}")]);
    assert!(ok.stderr.contains("the backup matches \"Made:byykman\""), "{ok:?}");
}
