//! Through a real pcscd against a stand-in Nitrokey 3: Nitrokey's own OATH applet
//! (`secrets-app`, built from crates.io in `testcards/nitrokey3`) behind vpcd. Every
//! outcome is compared with oathtool or with what the applet's source says it answers;
//! docs/tokens.md lists the differences from a YubiKey these tests pin down.
//! `scripts/test` starts pcscd, the card on reader 0 (touch approved) and on reader 1
//! (touch refused), and runs these with `--ignored --test-threads=1`.

mod common;
use common::*;

const SHA256_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";

fn reader(n: u8) -> String {
    std::env::var(format!("YKOTP_TEST_NK_READER{n}")).expect("scripts/test sets YKOTP_TEST_NK_READERn")
}

/// The card on reader 0, emptied (RESET needs a touch there: reader 0 approves).
fn card() -> Ykotp {
    let y = Ykotp::reader(&reader(0));
    y.run(&["reset", "-f"]).ok();
    y
}

/// LIST's lines, sorted: the applet lists in the order of its file names (a hash of
/// each name), not in the order the accounts were added.
fn sorted(list: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = list.lines().collect();
    lines.sort_unstable();
    lines
}

/// oathtool's HOTP code for `counter`.
fn oathtool_hotp(b32: &str, counter: u64) -> String {
    let out = std::process::Command::new("oathtool")
        .args(["-b", "-c"])
        .arg(counter.to_string())
        .arg(b32)
        .output()
        .expect("oathtool is installed by scripts/bootstrap");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn readers_and_info_show_the_applet() {
    let y = card();
    let mut c = y.bare();
    c.args(["readers", "--json"]);
    let list: serde_json::Value = serde_json::from_str(exec(c, None).ok()).unwrap();
    let row = list.as_array().unwrap().iter().find(|r| r["reader"] == reader(0).as_str()).expect("the card's reader is listed");
    assert_eq!(row["oath"], true, "{list}");
    // secrets-app 0.16 answers SELECT with version 4.16.0 (major 4 for ykman's sake)
    assert_eq!(row["version"], "4.16.0", "{list}");
    let info: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
    assert_eq!(info["credentials"], 0, "{info}");
    assert_eq!(info["password"], false, "{info}");
}

#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn put_list_code_delete() {
    let y = card();
    y.run_in(&["put", "Ex:alice", "-"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "Eight:e", "-", "--digits", "8", "-a", "sha256"], Some(SHA256_B32)).ok();
    y.run_in(&["put", "slow", "-", "-P", "60"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "H:otp", "-", "-o", "hotp"], Some(DEMO_B32)).ok();
    // PUT with the touch property: the applet asks for a touch at once (reader 0 approves)
    y.run_in(&["put", "Touch:t", "-", "--touch"], Some(DEMO_B32)).ok();
    assert_eq!(sorted(y.run(&["list"]).ok()), ["60/slow", "Eight:e", "Ex:alice", "H:otp", "Touch:t"]);
    let long = y.run(&["list", "--long"]);
    assert!(long.ok().contains("Eight:e   TOTP  SHA256"), "{long:?}");
    assert!(long.stdout.contains("H:otp     HOTP  SHA1"), "{long:?}");
    for t in [59u64, 1_111_111_109, 2_000_000_000] {
        let at = t.to_string();
        assert_eq!(y.run(&["code", "alice", "--at", &at]).ok().trim(), oathtool_totp(DEMO_B32, t, &[]));
        assert_eq!(y.run(&["code", "Eight", "--at", &at]).ok().trim(), oathtool_totp(SHA256_B32, t, &["--totp=sha256", "--digits=8"]));
        assert_eq!(y.run(&["code", "slow", "--at", &at]).ok().trim(), oathtool_totp(DEMO_B32, t, &["--time-step-size=60s"]));
        assert_eq!(y.run(&["code", "Touch:t", "--at", &at]).ok().trim(), oathtool_totp(DEMO_B32, t, &[]));
    }
    // the applet has no CALCULATE ALL: the table comes from LIST and single CALCULATEs
    let table = y.run(&["code", "--at", "59"]);
    assert!(table.ok().contains(&format!("Ex:alice  {}\n", oathtool_totp(DEMO_B32, 59, &[]))), "{table:?}");
    assert!(
        table.stdout.contains(&format!("Eight:e   {}\n", oathtool_totp(SHA256_B32, 59, &["--totp=sha256", "--digits=8"]))),
        "{table:?}"
    );
    assert!(table.stdout.contains("H:otp     [HOTP]"), "{table:?}");
    // HOTP: each code advances the card's counter
    for counter in 0..3 {
        assert_eq!(y.run(&["code", "H:otp"]).ok().trim(), oathtool_hotp(DEMO_B32, counter));
    }
    y.run(&["delete", "Eight:e", "-f"]).ok();
    assert_eq!(sorted(y.run(&["list"]).ok()), ["60/slow", "Ex:alice", "H:otp", "Touch:t"]);
    y.run(&["code", "Eight"]).fails(5, "no account matches");
}

#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn put_over_an_existing_name_is_refused_and_the_old_account_kept() {
    let y = card();
    y.run_in(&["put", "Ex:alice", "-"], Some(DEMO_B32)).ok();
    // the applet never overwrites: PUT over an existing name is answered 6983
    y.run_in(&["put", "Ex:alice", "-f", "-"], Some(RFC_SEED_B32)).fails(11, "cannot overwrite");
    assert_eq!(y.run(&["code", "alice", "--at", "59"]).ok().trim(), oathtool_totp(DEMO_B32, 59, &[]));
}

/// No RENAME (`6D00`) on this applet, but its UPDATE CREDENTIAL renames.
#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn rename_by_update_credential() {
    let y = card();
    y.run_in(&["put", "slow", "-", "-P", "60"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "other", "-", "-P", "60"], Some(DEMO_B32)).ok();
    y.run(&["rename", "slow", "Slow:s", "-f"]).ok();
    assert_eq!(sorted(y.run(&["list"]).ok()), ["60/Slow:s", "60/other"]);
    assert_eq!(y.run(&["code", "Slow:s", "--at", "59"]).ok().trim(), oathtool_totp(DEMO_B32, 59, &["--time-step-size=60s"]));
    y.run(&["rename", "Slow:s", "other", "-f"]).fails(10, "already");
}

fn info(y: &Ykotp, extra: &[&str]) -> serde_json::Value {
    let args: Vec<&str> = ["info", "--json"].iter().chain(extra).copied().collect();
    serde_json::from_str(y.run(&args).ok()).unwrap()
}

/// The applet's PIN takes the password's place: set with `password set`, given through
/// --password-cmd or remembered, verified again before every command that needs it.
#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn pin_protected_accounts() {
    let y = card();
    y.run_in(&["put", "plain", "-"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "Secret:s", "-", "--protect-with-pin"], Some(RFC_SEED_B32)).fails(11, "needs a Nitrokey 3 with a PIN");
    assert!(y.run_in(&["password", "set", "--new-password-stdin"], Some("1234abcd\n")).stderr.contains("PIN set"));
    let i = info(&y, &[]);
    assert_eq!((i["password"].as_bool(), i["pin_attempts"].as_u64()), (Some(true), Some(8)), "{i}");
    let pin = ["--password-cmd", "echo 1234abcd"];
    y.run(&["list"]).fails(8, "protected by a PIN");
    y.run_in(&["put", "Secret:s", "-", "--protect-with-pin", pin[0], pin[1]], Some(RFC_SEED_B32)).ok();
    assert_eq!(sorted(y.run(&["list", pin[0], pin[1]]).ok()), ["Secret:s", "plain"]);
    for t in [59u64, 1_111_111_109] {
        let at = t.to_string();
        assert_eq!(y.run(&["code", "Secret", "--at", &at, pin[0], pin[1]]).ok().trim(), oathtool_totp(RFC_SEED_B32, t, &[]));
    }
    // every account in one table: a VERIFY PIN before each command that reads accounts
    let table = y.run(&["code", "--at", "59", pin[0], pin[1]]);
    assert!(table.ok().contains(&format!("Secret:s  {}\n", oathtool_totp(RFC_SEED_B32, 59, &[]))), "{table:?}");
    assert!(table.stdout.contains(&format!("plain     {}\n", oathtool_totp(DEMO_B32, 59, &[]))), "{table:?}");
    // --trace shows the VERIFY PINs, never the PIN ("1234abcd")
    let traced = y.run(&["code", "Secret", "--trace", pin[0], pin[1]]);
    assert!(traced.stderr.contains("> 00 B2 00 00 0A  80 08 [redacted 8 bytes]"), "{traced:?}");
    assert!(!traced.stderr.contains("31 32 33 34 61 62 63 64"), "{traced:?}");
    // a wrong PIN costs one attempt; the right one restores the count
    y.run(&["code", "Secret", "--password-cmd", "echo wrong-pin"]).fails(8, "wrong PIN");
    assert_eq!(info(&y, &[])["pin_attempts"], 7);
    y.run(&["password", "remember", pin[0], pin[1]]).ok();
    assert_eq!(y.run(&["code", "Secret", "--at", "59"]).ok().trim(), oathtool_totp(RFC_SEED_B32, 59, &[]));
    assert_eq!(info(&y, &[])["pin_attempts"], 8);
    // a change while remembered remembers the new PIN
    y.run_in(&["password", "change", "--new-password-stdin"], Some("5678efgh\n")).ok();
    assert_eq!(y.run(&["code", "Secret", "--at", "59"]).ok().trim(), oathtool_totp(RFC_SEED_B32, 59, &[]));
    y.run(&["code", "Secret", pin[0], pin[1]]).fails(8, "wrong PIN");
    y.run(&["password", "clear"]).fails(11, "cannot remove its PIN");
    y.run(&["delete", "Secret:s", "-f"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "plain\n");
    // RESET removes the PIN (and ykotp forgets it)
    y.run(&["reset", "-f"]).ok();
    assert_eq!(info(&y, &[])["password"], false);
}

/// Answers over 256 bytes are split by the firmware's APDU layer, which continues only
/// with GET RESPONSE (SEND REMAINING gets 6985 and drops the rest).
#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn long_answers_are_read_whole() {
    let y = card();
    let names: Vec<String> = (0..12).map(|i| format!("Issuer-{i:02}:a-name-long-enough-{i:02}")).collect();
    for n in &names {
        y.run_in(&["put", n, "-"], Some(DEMO_B32)).ok();
    }
    let mut want: Vec<&str> = names.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(sorted(y.run(&["list"]).ok()), want);
    let table = y.run(&["code", "--at", "59"]);
    assert_eq!(table.ok().lines().filter(|l| l.ends_with(&oathtool_totp(DEMO_B32, 59, &[]))).count(), 12, "{table:?}");
}

#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn reset_removes_every_account() {
    let y = card();
    y.run_in(&["put", "a", "-"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "b", "-"], Some(DEMO_B32)).ok();
    assert_eq!(sorted(y.run(&["list"]).ok()), ["a", "b"]);
    y.run(&["reset", "-f"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "");
}

/// Reader 1 refuses every touch: DELETE and RESET always ask for one on this applet,
/// PUT asks when the account needs touch. Runs last on reader 1 (it cannot be reset).
#[test]
#[ignore = "needs pcscd and the stand-in Nitrokey 3: run by scripts/test"]
fn touch_refused() {
    let y = Ykotp::reader(&reader(1));
    y.run_in(&["put", "plain", "-"], Some(DEMO_B32)).ok();
    assert_eq!(y.run(&["code", "plain", "--at", "59"]).ok().trim(), oathtool_totp(DEMO_B32, 59, &[]));
    y.run_in(&["put", "Touch:t", "-", "--touch"], Some(DEMO_B32)).fails(7, "touch");
    y.run(&["delete", "plain", "-f"]).fails(7, "touch");
    y.run(&["reset", "-f"]).fails(7, "touch");
    y.run(&["rename", "plain", "renamed", "-f"]).fails(7, "touch");
    assert_eq!(y.run(&["list"]).ok(), "plain\n");
}
