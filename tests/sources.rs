//! A secret source whose first line is not what was asked for is refused with the source
//! named (and never quoted): a password where a URI is expected, a pass-otp entry read
//! with `pass show`, a password manager's password taken for a base32 secret.

mod common;
use common::*;

const URI: &str = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";

#[test]
fn a_password_is_not_taken_for_a_secret() {
    let y = Ykotp::virtual_key();
    // hunterhunter2 is valid base32 (8 bytes): only its size gives it away
    let out = y.run(&["put", "x", "--secret-cmd", "echo hunterhunter2"]);
    out.fails(2, "the first line of the output of --secret-cmd does not look like a TOTP secret: it is 64 bits");
    assert!(out.stderr.contains("hint: if it really is the secret, give it on stdin"), "{out:?}");
    std::fs::write(y.path("pw"), "HunterHunter2\nuser: alice\n").unwrap();
    let file = y.path("pw").display().to_string();
    let out = y.run(&["put", "x", "--secret-file", &file]);
    out.fails(2, &format!("the first line of the file {file} does not look like a TOTP secret: it mixes upper- and lower-case"));
    y.run(&["calc", "--secret-cmd", "echo 'hunter2!'"])
        .fails(2, "the first line of the output of --secret-cmd: the secret has a character that is not base32");
    // typed or piped on purpose, a short secret is still taken
    y.run_in(&["put", "short", "-"], Some("JBSWY3DP")).ok();
    assert!(!y.run(&["list"]).ok().contains('x'));
}

#[test]
fn a_pass_otp_entry_read_with_pass_show_points_to_pass_otp() {
    let y = Ykotp::virtual_key();
    // what `pass show` prints for a pass-otp entry: the password first, the URI below
    std::fs::write(y.path("entry"), format!("JBSWY3DPEHPK3PXP\nlogin: alice\n{URI}\n")).unwrap();
    let entry = format!("cat {}", y.path("entry").display());
    let out = y.run(&["put", "x", "--secret-cmd", &entry]);
    out.fails(2, "is not the secret: it is followed by an otpauth:// URI");
    assert!(
        out.stderr.contains("hint: line 3 holds an otpauth:// URI: for a pass-otp entry use `pass otp uri NAME` with --uri-cmd"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("JBSWY3DPEHPK3PXP"), "{out:?}");
}

#[test]
fn a_uri_is_expected_and_a_password_found() {
    let y = Ykotp::virtual_key();
    let out = y.run(&["put", "--uri-cmd", "echo hunterhunter2"]);
    out.fails(2, "the first line of the output of --uri-cmd is not an otpauth:// URI");
    let out = y.run_in(&["put", "--uri", "-"], Some(&format!("hunterhunter2\n{URI}\n")));
    out.fails(2, "the first line of stdin is not an otpauth:// URI");
    assert!(out.stderr.contains("hint: line 2 holds an otpauth:// URI"), "{out:?}");
    assert!(!y.state_path().exists());
    // the URI itself is taken, and named by the one naming rule
    y.run(&["put", "--uri-cmd", &format!("echo '{URI}'")]).ok();
    y.run(&["put", "work", "--uri-cmd", &format!("echo '{URI}'")]).ok();
    assert_eq!(y.run(&["list"]).ok(), "GitHub:alice\nGitHub:work\n");
    assert_eq!(y.run(&["calc", "--uri-cmd", &format!("echo '{URI}'"), "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
}
