//! The one naming rule, through every command that writes an account (put with a bare
//! secret, put with a URI however it arrives, import, put --all-keys), and `put` reading
//! a piped secret.

mod common;
use common::*;

const LINOTP: &str = "otpauth://totp/LinOTP:TOTP0001A2B3?secret=JBSWY3DPEHPK3PXP&issuer=LinOTP";
const AWS: &str = "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services";
const ONEPASSWORD: &str = "otpauth://totp/alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";

/// The ids on the key, one per line.
fn ids(y: &Ykotp) -> String {
    y.run(&["list"]).ok().to_owned()
}

#[test]
fn put_names_each_account_once() {
    let y = Ykotp::virtual_key();
    // the README's line: NAME with its issuer, and -i saying the same
    y.run_in(&["put", "GitHub:alice", "-", "-i", "GitHub", "-P", "60"], Some(DEMO_B32)).ok();
    // a URI as the secret, NAME with the URI's issuer
    y.run_in(&["put", "LinOTP:TOTP0001A2B3", "-"], Some(LINOTP)).ok();
    // --uri with a NAME: the ARN is the id, the URI's issuer is not added
    y.run(&["put", ARN, "--uri", AWS]).ok();
    // a URI from a command (1Password's `op read`), NAME without issuer: the URI's is added
    y.run(&["put", "alice", "--secret-cmd", &format!("echo '{ONEPASSWORD}'")]).ok();
    // --uri alone: label and issuer= once
    y.run_in(&["put", "--uri", "-"], Some(AWS)).ok();
    assert_eq!(
        ids(&y),
        "Amazon Web Services:alice@123456789012\narn:aws:iam::123456789012:mfa/alice\n60/GitHub:alice\nGitHub:alice\nLinOTP:TOTP0001A2B3\n"
    );
    // the ids are exact: an exact query finds each one
    for id in ["60/GitHub:alice", "GitHub:alice", ARN, "LinOTP:TOTP0001A2B3"] {
        assert_eq!(y.run(&["code", id, "--at", "59"]).ok().len(), 7, "{id}");
    }
}

#[test]
fn a_period_prefix_in_name_is_the_period() {
    let y = Ykotp::virtual_key();
    // the id as `list` shows a 60 s account, typed back as NAME: stored once, not "60/60/…"
    y.run_in(&["put", "60/GitHub:alice", "-"], Some(DEMO_B32)).ok();
    y.run_in(&["put", "90/GitHub:bob", "-", "-P", "90"], Some(DEMO_B32)).ok();
    // 30 s is the default period, which ids leave out
    y.run_in(&["put", "30/carol", "-"], Some(DEMO_B32)).ok();
    // HOTP ids have no period: the prefix stays part of the name
    y.run_in(&["put", "45/dave", "-", "-o", "hotp"], Some(DEMO_B32)).ok();
    assert_eq!(ids(&y), "45/dave\ncarol\n60/GitHub:alice\n90/GitHub:bob\n");
    let long = y.run(&["list", "--long"]).ok().to_owned();
    assert!(long.lines().any(|l| l.starts_with("60/GitHub:alice") && l.contains("60s")), "{long}");
    // the code is the 60 s one
    let want = soft_totp(DEMO_B32, 59, 60, 6);
    assert_eq!(y.run(&["code", "60/GitHub:alice", "--at", "59"]).ok(), format!("{want}\n"));
    // two different periods are a usage error, and nothing is written
    y.run_in(&["put", "30/erin", "-", "-P", "60"], Some(DEMO_B32)).fails(2, "NAME says a 30 s period (30/) but --period says 60");
    let uri = format!("otpauth://totp/x?secret={DEMO_B32}&period=30");
    y.run(&["put", "45/frank", "--uri", &uri]).fails(2, "NAME says a 45 s period (45/) but the URI says 30");
    assert_eq!(ids(&y), "45/dave\ncarol\n60/GitHub:alice\n90/GitHub:bob\n");
}

#[test]
fn two_different_issuers_are_a_usage_error_showing_both() {
    let y = Ykotp::virtual_key();
    let out = y.run_in(&["put", "GitHub:alice", "-", "-i", "GitLab"], Some(DEMO_B32));
    out.fails(2, "two different issuers for one account: \"GitHub\" (NAME) and \"GitLab\" (--issuer)");
    assert!(out.stderr.contains("ykotp: hint: give the whole id as NAME"), "{out:?}");
    y.run(&["put", "nersc", "-i", "NERSC", "--uri", LINOTP]).fails(2, "\"NERSC\" (--issuer) and \"LinOTP\" (the URI's issuer= parameter)");
    y.run(&["put", "--uri", "otpauth://totp/Old:me?secret=JBSWY3DPEHPK3PXP&issuer=New"])
        .fails(2, "\"Old\" (the URI's label) and \"New\" (the URI's issuer= parameter)");
    // nothing reached the key
    assert!(!y.state_path().exists());
}

#[test]
fn a_long_arn_points_to_a_short_name_and_the_config() {
    let y = Ykotp::virtual_key();
    let long = "arn:aws:iam::123456789012:mfa/alice.with.a.rather.long.device-name";
    let out = y.run(&["put", long, "--uri", AWS]);
    out.fails(2, "is 66 bytes; the key stores at most 64 bytes");
    assert!(out.stderr.contains("hint: store it under a short name"), "{out:?}");
}

#[test]
fn import_follows_the_same_rule() {
    let y = Ykotp::virtual_key();
    let input = format!("{LINOTP}\n{AWS}\n{ONEPASSWORD}\n");
    y.run_in(&["import", "-"], Some(&input)).ok();
    assert_eq!(ids(&y), "Amazon Web Services:alice@123456789012\nGitHub:alice@example.com\nLinOTP:TOTP0001A2B3\n");
    let torn = "otpauth://totp/Old:me?secret=JBSWY3DPEHPK3PXP&issuer=New\n";
    let out = y.run_in(&["import", "-"], Some(torn));
    out.fails(2, "nothing was imported");
    assert!(out.stderr.contains("stdin:1: two different issuers for one account: \"Old\" (the URI's label) and \"New\""), "{out:?}");
}

#[test]
fn put_all_keys_follows_the_same_rule() {
    let y = Ykotp::virtual_key();
    y.run(&["put", "LinOTP:TOTP0001A2B3", "--all-keys", "--uri", LINOTP]).ok();
    y.run(&["put", ARN, "--all-keys", "--uri", AWS]).ok();
    assert_eq!(ids(&y), "arn:aws:iam::123456789012:mfa/alice\nLinOTP:TOTP0001A2B3\n");
    y.run(&["put", "x", "--all-keys", "-i", "X", "--uri", LINOTP]).fails(2, "two different issuers");
}

#[test]
fn put_reads_a_piped_secret_without_a_dash() {
    let y = Ykotp::virtual_key();
    // `echo SECRET | ykotp put x`, as ykman takes it; no terminal is needed
    y.run_in(&["put", "piped"], Some(&format!("{DEMO_B32}\n"))).ok();
    assert_eq!(y.run(&["code", "piped", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    // an empty pipe (cron's stdin) is a clear usage error, not a wait
    let out = y.run_in(&["put", "empty"], Some(""));
    out.fails(2, "no secret given");
    assert_eq!(ids(&y), "piped\n");
}
