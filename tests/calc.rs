//! `ykotp calc` prints exactly what oathtool prints for the same inputs.

mod common;
use common::*;
use std::process::Command;

fn oathtool(args: &[&str]) -> (i32, String) {
    let out = Command::new("oathtool").args(args).output().expect("oathtool is installed by scripts/bootstrap");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

const SHA256_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
const SHA512_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQNA";

#[test]
fn same_codes_as_oathtool() {
    let y = Ykotp::virtual_key();
    // (ykotp args, oathtool args, secret)
    let cases: &[(&[&str], &[&str], &str)] = &[
        (&["--at", "1111111109"], &["--totp", "--now", "@1111111109"], DEMO_B32),
        (&["--at", "59", "--digits", "8"], &["--totp", "--now", "@59", "-d", "8"], RFC_SEED_B32),
        (&["--at", "1234567890", "-a", "sha256", "--digits", "8"], &["--totp=sha256", "--now", "@1234567890", "-d", "8"], SHA256_SEED),
        (&["--at", "2000000000", "-a", "sha512", "--digits", "8"], &["--totp=sha512", "--now", "@2000000000", "-d", "8"], SHA512_SEED),
        (
            &["--at", "1111111109", "-P", "60", "--digits", "7"],
            &["--totp", "--now", "@1111111109", "--time-step-size=60s", "-d", "7"],
            DEMO_B32,
        ),
        (&["--at", "1111111109", "--t0", "1000"], &["--totp", "--now", "@1111111109", "--start-time=@1000"], DEMO_B32),
        (&["--at", "1111111109", "--window", "3"], &["--totp", "--now", "@1111111109", "-w", "3"], DEMO_B32),
        (&["-o", "hotp", "-c", "5", "--window", "4"], &["--hotp", "-c", "5", "-w", "4"], RFC_SEED_B32),
        (&["-o", "hotp", "-c", "0", "--digits", "8"], &["--hotp", "-c", "0", "-d", "8"], RFC_SEED_B32),
    ];
    for (ours, theirs, secret) in cases {
        let mut args = vec!["calc", "-"];
        args.extend_from_slice(ours);
        let out = y.run_in(&args, Some(secret));
        let mut oargs = vec!["-b"];
        oargs.extend_from_slice(theirs);
        oargs.push(secret);
        let (code, want) = oathtool(&oargs);
        assert_eq!(code, 0);
        assert_eq!(out.ok(), want, "ykotp {ours:?} vs oathtool {theirs:?}");
    }
}

#[test]
fn verify_like_oathtool() {
    let y = Ykotp::virtual_key();
    let two_back = y.run_in(&["calc", "-", "--at", "1111111049"], Some(DEMO_B32)).ok().trim().to_owned();
    let two_ahead = y.run_in(&["calc", "-", "--at", "1111111169"], Some(DEMO_B32)).ok().trim().to_owned();
    for otp in [&two_back, &two_ahead] {
        let ours = y.run_in(&["calc", "-", "--at", "1111111109", "--verify", otp, "--window", "3"], Some(DEMO_B32));
        let (_, theirs) = oathtool(&["--totp", "-b", "--now", "@1111111109", "-w", "3", DEMO_B32, otp]);
        assert_eq!(ours.ok(), theirs);
    }
    y.run_in(&["calc", "-", "--at", "1111111109", "--verify", &two_back, "--window", "1"], Some(DEMO_B32)).fails(12, "does not match");
    let hotp7 = y.run_in(&["calc", "-", "-o", "hotp", "-c", "7"], Some(DEMO_B32)).ok().trim().to_owned();
    let ours = y.run_in(&["calc", "-", "-o", "hotp", "-c", "5", "-w", "3", "--verify", &hotp7], Some(DEMO_B32));
    let (_, theirs) = oathtool(&["--hotp", "-b", "-c", "5", "-w", "3", DEMO_B32, &hotp7]);
    assert_eq!(ours.ok(), theirs);
}

#[test]
fn secret_sources_uri_steam_and_json() {
    let y = Ykotp::virtual_key();
    std::fs::write(y.path("s"), format!("{DEMO_B32}\n")).unwrap();
    let want = format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6));
    assert_eq!(y.run(&["calc", "--secret-file", y.path("s").to_str().unwrap(), "--at", "59"]).ok(), want);
    assert_eq!(y.run(&["calc", "--secret-cmd", &format!("echo {DEMO_B32}"), "--at", "59"]).ok(), want);
    let uri = format!("otpauth://totp/X:y?secret={RFC_SEED_B32}&digits=8&period=60");
    assert_eq!(y.run(&["calc", "--uri", &uri, "--at", "119"]).ok(), "94287082\n");
    assert_eq!(y.run_in(&["calc", "--uri", "-", "--at", "119"], Some(&uri)).ok(), "94287082\n");
    let steam = y.run_in(&["calc", "-", "--steam", "--at", "59"], Some(RFC_SEED_B32));
    let digest = ykotp::otp::hmac(ykotp::otp::Algorithm::Sha1, b"12345678901234567890", &1u64.to_be_bytes());
    assert_eq!(steam.ok().trim(), ykotp::otp::steam_code(&digest));
    let v: serde_json::Value = serde_json::from_str(y.run_in(&["calc", "-", "--at", "65", "--json"], Some(DEMO_B32)).ok()).unwrap();
    assert_eq!((v["valid_from"].as_u64(), v["valid_to"].as_u64()), (Some(60), Some(90)));
    y.run_in(&["calc", "-"], Some("not base32!")).fails(2, "not base32");
    y.run(&["calc"]).fails(2, "no secret given");
}

/// `--hex` reads oathtool's default secret form; `-v` prints oathtool -v's details line
/// for line, except its two secret lines, which become one line without the secret.
#[test]
fn hex_secrets_and_details_like_oathtool_v() {
    let y = Ykotp::virtual_key();
    let hex_seed = "3132333435363738393031323334353637383930";
    let cases: &[(&[&str], &[&str])] = &[
        (&["--at", "59"], &["--totp", "--now", "@59"]),
        (
            &["--at", "1111111109", "-a", "sha256", "--digits", "8", "-P", "60"],
            &["--totp=sha256", "--now", "@1111111109", "-d", "8", "--time-step-size=60s"],
        ),
        (&["--at", "2000000000", "--t0", "1000", "-w", "2"], &["--totp", "--now", "@2000000000", "--start-time=@1000", "-w", "2"]),
        (&["-o", "hotp", "-c", "5", "-w", "1"], &["--hotp", "-c", "5", "-w", "1"]),
    ];
    for (ours, theirs) in cases {
        let mut args = vec!["calc", "-", "--hex"];
        args.extend_from_slice(ours);
        let plain = y.run_in(&args, Some(hex_seed));
        let (code, want) = oathtool(&[theirs, &[hex_seed][..]].concat());
        assert_eq!(code, 0);
        assert_eq!(plain.ok(), want, "ykotp {ours:?} vs oathtool {theirs:?}");
        args.push("-v");
        let verbose = y.run_in(&args, Some(hex_seed));
        let (_, want_v) = oathtool(&[&["-v"][..], theirs, &[hex_seed][..]].concat());
        let theirs_kept: Vec<&str> = want_v.lines().filter(|l| !l.starts_with("Hex secret:") && !l.starts_with("Base32 secret:")).collect();
        let ours_lines: Vec<&str> = verbose.ok().lines().collect();
        assert_eq!(ours_lines[0], "Secret: 20 bytes (not shown: ykotp never prints a secret)");
        assert_eq!(ours_lines[1..], theirs_kept[..], "ykotp -v {ours:?} vs oathtool -v {theirs:?}");
        assert!(!verbose.stdout.contains(hex_seed) && !verbose.stdout.contains(RFC_SEED_B32), "{verbose:?}");
    }
    y.run_in(&["calc", "-", "--hex"], Some("31323g")).fails(2, "not hexadecimal");
    y.run_in(&["calc", "-", "--hex"], Some("313")).fails(2, "not hexadecimal");
}
