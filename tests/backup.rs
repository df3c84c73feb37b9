//! Backups: `calc` against oathtool over a generated matrix, Google Authenticator exports
//! and QR images imported into the virtual key, the software fallback of `code`, `check`.

mod common;
use common::*;
use std::process::Command;

/// A small deterministic generator, so a failure names a reproducible case.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

#[test]
fn calc_equals_oathtool_over_a_generated_matrix() {
    let y = Ykotp::virtual_key();
    let mut rng = Rng(0x9E3779B97F4A7C15);
    for case in 0..150 {
        let len = rng.pick(&[2usize, 10, 14, 20, 32, 64, 65, 100]);
        let secret: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let b32 = ykotp::otp::encode_secret(&secret);
        let alg = rng.pick(&["sha1", "sha256", "sha512"]);
        let digits = rng.pick(&["6", "7", "8"]);
        let window = rng.pick(&["0", "1", "3"]);
        let (ours, theirs): (Vec<String>, Vec<String>) = if rng.next().is_multiple_of(4) {
            let counter = (rng.next() % 1_000_000).to_string();
            // oathtool's HOTP is HMAC-SHA1 only
            let ours = ["-o", "hotp", "--digits", digits, "-c", &counter, "--window", window].map(String::from).to_vec();
            let theirs = ["--hotp", "-d", digits, "-c", &counter, "-w", window].map(|s| s.to_string()).to_vec();
            (ours, theirs)
        } else {
            let period = rng.pick(&["15", "30", "60"]);
            let t = (rng.next() % 4_000_000_000).to_string();
            let ours = ["-a", alg, "--digits", digits, "-P", period, "--at", &t, "--window", window].map(String::from).to_vec();
            let theirs =
                [&format!("--totp={alg}"), "-d", digits, &format!("--time-step-size={period}s"), "--now", &format!("@{t}"), "-w", window]
                    .map(|s| s.to_string())
                    .to_vec();
            (ours, theirs)
        };
        let mut args = vec!["calc".to_owned(), "-".to_owned()];
        args.extend(ours.clone());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = y.run_in(&args, Some(&b32));
        let want = Command::new("oathtool").arg("-b").args(&theirs).arg(&b32).output().expect("oathtool is installed by scripts/bootstrap");
        assert!(want.status.success(), "oathtool {theirs:?}: {}", String::from_utf8_lossy(&want.stderr));
        assert_eq!(
            got.ok(),
            String::from_utf8_lossy(&want.stdout),
            "case {case}: ykotp calc {ours:?} vs oathtool {theirs:?} (secret {len} bytes)"
        );
    }
}

// ---- Google Authenticator exports, built here byte by byte ----

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_bytes(n: u64, b: &[u8], out: &mut Vec<u8>) {
    varint(n << 3 | 2, out);
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn field_int(n: u64, v: u64, out: &mut Vec<u8>) {
    varint(n << 3, out);
    varint(v, out);
}

struct Ga<'a> {
    secret: &'a [u8],
    name: &'a str,
    issuer: &'a str,
    alg: u64,
    digits: u64,
    kind: u64,
    counter: u64,
}

fn export(accounts: &[Ga<'_>], index: u64, size: u64) -> String {
    let mut payload = Vec::new();
    for a in accounts {
        let mut p = Vec::new();
        field_bytes(1, a.secret, &mut p);
        field_bytes(2, a.name.as_bytes(), &mut p);
        if !a.issuer.is_empty() {
            field_bytes(3, a.issuer.as_bytes(), &mut p);
        }
        field_int(4, a.alg, &mut p);
        field_int(5, a.digits, &mut p);
        field_int(6, a.kind, &mut p);
        if a.counter > 0 {
            field_int(7, a.counter, &mut p);
        }
        field_bytes(1, &p, &mut payload);
    }
    field_int(2, 1, &mut payload);
    field_int(3, size, &mut payload);
    field_int(4, index, &mut payload);
    field_int(5, 4242, &mut payload);
    let b64 = data_encoding::BASE64.encode(&payload);
    format!("otpauth-migration://offline?data={}", percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC))
}

const SEED20: &[u8] = b"12345678901234567890";
const SEED32: &[u8] = b"12345678901234567890123456789012";
const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

fn two_batches() -> String {
    let first = export(
        &[
            Ga { secret: SEED20, name: "alice@example.com", issuer: "Example", alg: 1, digits: 1, kind: 2, counter: 0 },
            Ga { secret: SEED32, name: "Bank:bob", issuer: "", alg: 2, digits: 2, kind: 2, counter: 0 },
        ],
        0,
        2,
    );
    let second = export(
        &[
            Ga { secret: SEED64, name: "carol", issuer: "Big", alg: 3, digits: 2, kind: 2, counter: 0 },
            Ga { secret: SEED20, name: "counter", issuer: "Hotp", alg: 1, digits: 1, kind: 1, counter: 5 },
        ],
        1,
        2,
    );
    format!("{first}\n{second}\n")
}

fn check_imported(y: &Ykotp) {
    assert_eq!(y.run(&["list"]).ok(), "Bank:bob\nBig:carol\nExample:alice@example.com\nHotp:counter\n");
    assert_eq!(y.run(&["code", "Example:alice", "--at", "59"]).ok(), "287082\n");
    assert_eq!(y.run(&["code", "Bank:bob", "--at", "59"]).ok(), "46119246\n");
    assert_eq!(y.run(&["code", "Big:carol", "--at", "59"]).ok(), "90693936\n");
    assert_eq!(y.run(&["code", "Hotp:counter"]).ok(), "254676\n");
}

#[test]
fn imports_a_google_authenticator_export_in_two_batches() {
    let y = Ykotp::virtual_key();
    let input = two_batches();
    let dry = y.run_in(&["import", "--dry-run"], Some(&input));
    assert!(dry.ok().contains("Big:carol"), "{dry:?}");
    assert!(!y.state_path().exists(), "--dry-run wrote to the key");
    let out = y.run_in(&["import", "-"], Some(&input));
    out.ok();
    assert!(out.stderr.contains("imported 4 account(s), overwrote 0, skipped 0"), "{out:?}");
    check_imported(&y);
    // again: everything exists and is skipped with a warning, nothing changes
    let again = y.run_in(&["import", "-"], Some(&input));
    again.ok();
    assert!(again.stderr.contains("warning: skipped \"Bank:bob\": already on the key"), "{again:?}");
    assert!(again.stderr.contains("imported 0 account(s), overwrote 0, skipped 4"));
    let forced = y.run_in(&["import", "-", "--force", "--json"], Some(&input));
    let v: serde_json::Value = serde_json::from_str(forced.ok()).unwrap();
    assert_eq!(v["overwritten"].as_array().unwrap().len(), 4);
}

#[test]
fn imports_a_qr_code_image() {
    let y = Ykotp::virtual_key();
    let uri = export(&[Ga { secret: SEED20, name: "qr", issuer: "Png", alg: 1, digits: 2, kind: 2, counter: 0 }], 0, 1);
    let code = qrcode::QrCode::new(uri.as_bytes()).unwrap();
    let img = code.render::<image::Luma<u8>>().min_dimensions(400, 400).build();
    let png = y.path("export.png");
    img.save(&png).unwrap();
    let out = y.run(&["import", png.to_str().unwrap()]);
    out.ok();
    assert_eq!(y.run(&["code", "Png:qr", "--at", "59"]).ok(), "94287082\n");
    // an otpauth:// QR code as a JPEG
    let plain = format!("otpauth://totp/Jpeg:j?secret={RFC_SEED_B32}&digits=8");
    let img = qrcode::QrCode::new(plain.as_bytes()).unwrap().render::<image::Luma<u8>>().min_dimensions(400, 400).build();
    let jpg = y.path("code.jpg");
    img.save(&jpg).unwrap();
    y.run(&["import", jpg.to_str().unwrap()]).ok();
    assert_eq!(y.run(&["code", "Jpeg:j", "--at", "59"]).ok(), "94287082\n");
    // the two QR codes of a two-batch export, in one command, on a fresh key
    y.run(&["reset", "-f"]).ok();
    let batches = two_batches();
    let files: Vec<std::path::PathBuf> = batches
        .lines()
        .enumerate()
        .map(|(i, uri)| {
            let img = qrcode::QrCode::new(uri.as_bytes()).unwrap().render::<image::Luma<u8>>().min_dimensions(500, 500).build();
            let f = y.path(&format!("batch{i}.png"));
            img.save(&f).unwrap();
            f
        })
        .collect();
    let out = y.run(&["import", files[0].to_str().unwrap(), files[1].to_str().unwrap()]);
    assert!(out.ok().is_empty() && out.stderr.contains("imported 4 account(s)"), "{out:?}");
    check_imported(&y);
}

#[test]
fn import_checks_everything_before_writing() {
    let y = Ykotp::virtual_key();
    let input = format!(
        "otpauth://totp/Good:one?secret={DEMO_B32}\n# a comment\n\notpauth://totp/Bad:two?secret=!!!\nhttps://example.com\n{}\n",
        export(&[Ga { secret: SEED20, name: "md5", issuer: "Old", alg: 4, digits: 1, kind: 2, counter: 0 }], 0, 1)
    );
    let out = y.run_in(&["import", "-"], Some(&input));
    out.fails(2, "3 problem(s) in the input; nothing was imported");
    assert!(out.stderr.contains("stdin:4: the secret has a character that is not base32"), "{out:?}");
    assert!(out.stderr.contains("stdin:5: not an otpauth:// or otpauth-migration:// URI"));
    assert!(out.stderr.contains("MD5 is not supported"));
    assert!(!y.state_path().exists());
    // more new accounts than the key has room for: nothing is written
    let many: String = (0..33).map(|i| format!("otpauth://totp/n{i}?secret={DEMO_B32}\n")).collect();
    y.run_in(&["import", "-"], Some(&many)).fails(11, "33 new account(s) do not fit: 0 of 32 are used");
    assert_eq!(y.run(&["list"]).ok(), "");
}

// ---- software fallback and check ----

fn config(y: &Ykotp, text: &str) {
    std::fs::create_dir_all(y.dir.path().join("config/ykotp")).unwrap();
    std::fs::write(y.dir.path().join("config/ykotp/config.toml"), text).unwrap();
}

#[test]
fn fallback_when_no_key_holds_the_account() {
    let y = Ykotp::virtual_key();
    let arn = "arn:aws:iam::123456789012:mfa/alice";
    config(&y, &format!("[account.aws]\nname = \"{arn}\"\nfallback_cmd = \"echo {DEMO_B32}\"\n"));
    y.run_in(&["put", arn, "-"], Some(DEMO_B32)).ok();
    // a key holding it is present: the key wins, silently
    let from_key = y.run(&["code", "aws", "--at", "59", "--json"]);
    let v: serde_json::Value = serde_json::from_str(from_key.ok()).unwrap();
    assert_eq!((v["source"].as_str(), v["id"].as_str()), (Some("key"), Some(arn)));
    assert_eq!(from_key.stderr, "");
    // --soft: the software engine even though the key is there
    let soft = y.run(&["code", "aws", "--at", "59", "--soft"]);
    assert_eq!(soft.ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    // no key at all (pcscd unreachable): software, said on stderr
    let mut c = y.bare();
    c.env("PCSCLITE_CSOCK_NAME", y.path("none")).args(["code", "aws", "--at", "59", "--json"]);
    let out = exec(c, None);
    let v: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!((v["source"].as_str(), v["code"].as_str()), (Some("software"), Some(soft_totp(DEMO_B32, 59, 30, 6).as_str())));
    assert!(out.stderr.contains("computing the code in software from fallback_cmd"), "{out:?}");
    // a present key without the account: software too
    y.run(&["delete", arn, "-f"]).ok();
    assert_eq!(y.run(&["code", "aws", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    // --no-fallback forbids it
    y.run(&["code", "aws", "--no-fallback"]).fails(5, "no account matches");
    // an account with no fallback_cmd has none
    y.run(&["code", "other", "--soft"]).fails(2, "--soft needs a fallback_cmd for \"other\"");
}

#[test]
fn fallback_from_an_otpauth_uri_and_config_errors() {
    let y = Ykotp::virtual_key();
    config(&y, &format!("[account.slow]\nfallback_cmd = \"echo 'otpauth://totp/S:slow?secret={RFC_SEED_B32}&period=60&digits=8'\"\n"));
    assert_eq!(y.run(&["code", "slow", "--soft", "--at", "119"]).ok(), "94287082\n");
    config(&y, "[account.x]\nname = \"a\"\nfalback_cmd = \"echo\"\n");
    let out = y.run(&["code", "x"]);
    out.fails(2, "config.toml:3: unknown field `falback_cmd`");
}

#[test]
fn check_proves_a_backup_without_printing_it() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "Bank:me", "-", "-a", "sha256", "--digits", "8"], Some(DEMO_B32)).ok();
    let good = y.run(&["check", "Bank:me", "--secret-cmd", &format!("echo {DEMO_B32}")]);
    good.ok();
    assert!(good.stderr.contains("the backup matches \"Bank:me\" on the key"), "{good:?}");
    assert_eq!(good.stdout, "");
    let bad = y.run_in(&["check", "Bank:me", "-"], Some(RFC_SEED_B32));
    bad.fails(12, "the backup does not match \"Bank:me\" on the key");
    assert!(!bad.stderr.contains(RFC_SEED_B32) && !bad.stderr.contains(DEMO_B32));
    // a URI with other parameters says which differ
    let uri = format!("otpauth://totp/Bank:me?secret={DEMO_B32}&algorithm=SHA1&digits=6");
    let differs = y.run_in(&["check", "Bank:me", "-"], Some(&uri));
    differs.fails(12, "does not match");
    assert!(differs.stderr.contains("the backup uses SHA1 but the key SHA256"), "{differs:?}");
    // from the config's fallback_cmd, and a HOTP account searched over counters
    config(&y, &format!("[account.h]\nname = \"Hotp:h\"\nfallback_cmd = \"echo {RFC_SEED_B32}\"\n"));
    y.run_in(&["put", "Hotp:h", "-", "-o", "hotp", "-c", "40"], Some(RFC_SEED_B32)).ok();
    let hotp = y.run(&["check", "h"]);
    hotp.ok();
    assert!(hotp.stderr.contains("at counter 40"), "{hotp:?}");
    // a touch account asks for the touch
    y.run_in(&["put", "T:t", "-", "--touch"], Some(DEMO_B32)).ok();
    let touch = y.run_in(&["check", "T:t", "-"], Some(DEMO_B32));
    touch.ok();
    assert!(touch.stderr.contains("Touch your YubiKey"));
    // no key: check cannot prove anything
    let mut c = y.bare();
    c.env("PCSCLITE_CSOCK_NAME", y.path("none")).args(["check", "h"]);
    exec(c, None).fails(3, "cannot reach the PC/SC service");
}
