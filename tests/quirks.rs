//! The client against cards that are not YubiKeys: each quirk profile of the virtual key
//! (`virtual init --quirk …`, docs/tokens.md) through `virtual:PATH` and the built binary.

mod common;
use common::*;

const T: u64 = 1_111_111_109;

/// A virtual key created with `virtual init` and these extra arguments.
fn key(init: &[&str]) -> Ykotp {
    let y = Ykotp::virtual_key();
    let mut c = y.bare();
    c.args(["virtual", "init", "--state", y.state_path().to_str().unwrap()]).args(init);
    exec(c, None).ok();
    y
}

fn put(y: &Ykotp, args: &[&str], secret: &str) {
    y.run_in(&[&["put"], args, &["-"]].concat(), Some(secret)).ok();
}

/// The same accounts on any key: plain TOTP, 60 s, HOTP, touch.
fn accounts(y: &Ykotp) {
    put(y, &["aws"], DEMO_B32);
    put(y, &["slow", "-P", "60", "--digits", "8"], DEMO_B32);
    put(y, &["counter", "-o", "hotp"], RFC_SEED_B32);
    put(y, &["Touchy:t", "--touch"], DEMO_B32);
}

fn sent(out: &Out) -> Vec<String> {
    out.stderr.lines().filter(|l| l.starts_with("> ")).map(str::to_owned).collect()
}

#[test]
fn missing_le_means_zero_works_because_le_is_sent() {
    let y = key(&["--quirk", "missing-le-means-zero"]);
    accounts(&y);
    let out = y.run(&["code", "aws", "--at", &T.to_string(), "--trace"]);
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
    // SELECT and CALCULATE ALL end in Le = 00
    assert!(sent(&out).iter().all(|l| l.ends_with(" 00")), "{}", out.stderr);
    assert_eq!(y.run(&["list"]).ok(), "aws\ncounter\n60/slow\nTouchy:t\n");
}

#[test]
fn an_empty_61xx_is_an_error_naming_the_command() {
    let y = key(&["--quirk", "empty-61xx", "--chunk", "16"]);
    // LIST of one short id fits in a piece; then the answer needs chaining
    put(&y, &["GitHub:alice-long-name"], DEMO_B32);
    let out = y.run(&["list", "--trace"]);
    out.fails(1, "the key's answer to LIST is broken: the key announced more data");
    assert!(out.stderr.contains("response chaining"), "{out:?}");
    // one LIST, no SEND REMAINING loop
    assert_eq!(sent(&out).len(), 2, "{}", out.stderr);
}

#[test]
fn no_calculate_all_falls_back_with_the_same_output() {
    let plain = key(&[]);
    let quirky = key(&["--quirk", "no-calculate-all"]);
    for y in [&plain, &quirky] {
        accounts(y);
    }
    let at = T.to_string();
    let mut runs: Vec<(Vec<&str>, &str)> = vec![
        (vec!["code", "aws", "--at", &at], ""),
        (vec!["code", "slow", "--at", &at], ""),
        (vec!["code", "--at", &at], ""),
        (vec!["code", "--json", "--at", &at], ""),
        (vec!["list"], ""),
        (vec!["check", "aws", "-"], DEMO_B32),
        (vec!["check", "slow", "-"], DEMO_B32),
    ];
    // a touch that is not given: exit 7 on both
    runs.push((vec!["code", "Touchy"], ""));
    for (args, stdin) in &runs {
        let mut outs = Vec::new();
        for y in [&plain, &quirky] {
            let mut y2 = Ykotp::reader(&y.reader);
            y2.set_env("YKOTP_VIRTUAL_TOUCH", "deny");
            outs.push(y2.run_in(args, (!stdin.is_empty()).then_some(*stdin)));
        }
        assert_eq!((outs[0].code, &outs[0].stdout), (outs[1].code, &outs[1].stdout), "{args:?}: {outs:#?}");
    }
    // the refusal was really there and costs nothing more than LIST + one CALCULATE
    let out = quirky.run(&["code", "aws", "--trace"]);
    out.ok();
    assert!(out.stderr.contains("< 69 85"), "{}", out.stderr);
    assert_eq!(sent(&out).len(), 4, "{}", out.stderr);
    assert_eq!(sent(&plain.run(&["code", "aws", "--trace"])).len(), 2);
    // list --long: what LIST says, and "-" where only CALCULATE ALL would say it
    let long = quirky.run(&["list", "--long"]);
    assert!(long.ok().contains("aws       TOTP  SHA1  -  30s  -\n"), "{long:?}");
}

#[test]
fn no_overwrite_keeps_the_old_account_and_says_so() {
    let y = key(&["--quirk", "no-overwrite"]);
    put(&y, &["aws"], DEMO_B32);
    let out = y.run_in(&["put", "aws", "-", "-f"], Some(RFC_SEED_B32));
    out.fails(11, "the key cannot overwrite \"aws\" (PUT answered 6983); the old account is still on the key, unchanged");
    assert!(out.stderr.contains("hint: to replace it, run `ykotp delete aws`"), "{out:?}");
    assert_eq!(y.run(&["code", "aws", "--at", &T.to_string()]).ok(), format!("{}\n", soft_totp(DEMO_B32, T, 30, 6)));
}

#[test]
fn touch_on_delete_is_a_touch_error_never_a_password_one() {
    let mut y = key(&["--quirk", "touch-on-delete"]);
    put(&y, &["aws"], DEMO_B32);
    y.set_env("YKOTP_VIRTUAL_TOUCH", "deny");
    for args in [&["delete", "aws", "-f"][..], &["reset", "-f"]] {
        let out = y.run(args);
        out.fails(7, "without a touch (6982: security status not satisfied)");
        assert!(!out.stderr.contains("password"), "{out:?}");
        assert!(out.stderr.contains("touch it while it blinks"), "{out:?}");
    }
    assert_eq!(y.run(&["list"]).ok(), "aws\n");
    y.env.clear();
    y.run(&["delete", "aws", "-f"]).ok();
    assert_eq!(y.run(&["list"]).ok(), "");
}

#[test]
fn volatile_salt_changes_the_device_id_on_every_select() {
    let y = key(&["--quirk", "volatile-salt"]);
    let id = |y: &Ykotp| -> String {
        let v: serde_json::Value = serde_json::from_str(y.run(&["info", "--json"]).ok()).unwrap();
        v["device_id"].as_str().unwrap().to_owned()
    };
    assert_ne!(id(&y), id(&y));
}

#[test]
fn set_code_ignored_is_caught_and_nothing_is_remembered() {
    let y = key(&["--quirk", "set-code-ignored"]);
    put(&y, &["aws"], DEMO_B32);
    let out = y.run_in(&["password", "set", "--new-password-stdin", "--remember"], Some("pw\n"));
    out.fails(11, "the key did not store the password");
    assert!(out.stderr.contains("nothing was remembered"), "{out:?}");
    assert!(!y.dir.path().join("data/ykotp/keys.json").exists());
    assert!(y.run(&["info"]).ok().contains("Password:      none"));
    // a faithful key: the same command stores and verifies it
    let plain = key(&[]);
    plain.run_in(&["password", "set", "--new-password-stdin", "--remember"], Some("pw\n")).ok();
    assert!(plain.run(&["info"]).ok().contains("set (remembered by ykotp)"));
}

#[test]
fn a_key_that_never_answers_ends_in_an_error() {
    let y = key(&["--quirk", "never-answers"]);
    // SELECT is answered, LIST never is
    let out = y.run(&["list"]);
    out.fails(4, "the key did not answer LIST within 10 s");
    assert!(out.stderr.contains("hint: unplug the key"), "{out:?}");
}

#[test]
fn capacity_is_the_cards_not_a_guess() {
    // room for 34 on a firmware that YubiKeys give 32
    let y = key(&["--quirk", "capacity=34", "--hide-serial"]);
    for i in 0..34 {
        put(&y, &[&format!("n{i:02}")], DEMO_B32);
    }
    y.run_in(&["put", "one-more", "-"], Some(DEMO_B32)).fails(11, "the key has no space left");
    // not a YubiKey (no serial): no "of 32"
    let info = y.run(&["info"]);
    assert!(info.ok().contains("Accounts:      34\n"), "{info:?}");
}

#[test]
fn any_version_string_and_a_small_chunk_reach_the_management_applet() {
    let y = key(&["--firmware", "4.17.2", "--chunk", "8", "--serial", "4242"]);
    let info = y.run(&["info"]);
    let text = info.ok();
    assert!(text.contains("OATH version:  4.17.2") && text.contains("Serial:        4242"), "{info:?}");
}

#[test]
fn import_trusts_the_cards_room_not_a_guess() {
    // not a YubiKey (no serial) with room for 34: an import of 34 all goes in
    let y = key(&["--quirk", "capacity=34", "--hide-serial"]);
    let uris: String = (0..34).map(|i| format!("otpauth://totp/n{i:02}?secret={DEMO_B32}\n")).collect();
    let out = y.run_in(&["import", "-"], Some(&uris));
    assert!(out.ok().is_empty(), "{out:?}");
    assert_eq!(y.run(&["list"]).ok().lines().count(), 34);
    // a card that runs out of room half-way: the error says what went in
    let y = key(&["--quirk", "capacity=2", "--hide-serial"]);
    let out = y.run_in(&["import", "-"], Some(&uris[..3 * uris.lines().next().unwrap().len() + 3]));
    out.fails(11, "the key has no space left");
    assert!(out.stderr.contains("after taking 2 account(s): n00, n01"), "{out:?}");
}
