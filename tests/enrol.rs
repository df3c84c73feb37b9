//! Enrolment with `put`: generated secrets, backups made before the key is written
//! (--backup-cmd, --backup-file PSKC), `check` against those backups, and the QR code
//! and secret shown only on a terminal.

mod common;
use common::*;

const PASSPHRASE: &str = "correct-horse-battery";

/// Every form a secret could leak in.
fn forms(secret: &[u8]) -> Vec<String> {
    let b32 = ykotp::otp::encode_secret(secret);
    vec![b32.clone(), b32.to_lowercase(), hex::encode(secret), hex::encode_upper(secret)]
}

#[track_caller]
fn assert_clean(out: &Out, secret: &[u8]) {
    for f in forms(secret) {
        assert!(!out.stdout.contains(&f) && !out.stderr.contains(&f), "the secret ({f}) leaked: {out:?}");
    }
}

fn uri_secret(uri: &str) -> Vec<u8> {
    let d = ykotp::oath::CredentialData::from_uri(uri.trim()).unwrap();
    d.secret.as_bytes().to_vec()
}

fn ids(y: &Ykotp) -> String {
    y.run(&["list"]).ok().to_owned()
}

#[test]
fn a_generated_secret_goes_to_the_key_and_the_backup_command_only() {
    let y = Ykotp::virtual_key();
    let sink = y.path("pass-entry");
    let argv = y.path("argv.log");
    let cmd =
        format!("echo \"$0 $*\" >> {a}; tr '\\0' ' ' < /proc/$PPID/cmdline >> {a}; cat > {s}", a = argv.display(), s = sink.display());
    let out = y.run(&["put", "gen", "-i", "Example", "--generate", "-a", "sha256", "--digits", "8", "--backup-cmd", &cmd, "--trace"]);
    out.ok();
    let uri = std::fs::read_to_string(&sink).unwrap();
    assert!(uri.starts_with("otpauth://totp/Example:gen?secret="), "{uri}");
    assert!(uri.contains("algorithm=SHA256&digits=8&period=30"), "{uri}");
    let secret = uri_secret(&uri);
    assert_eq!(secret.len(), 20);
    assert_clean(&out, &secret);
    let logged = std::fs::read_to_string(&argv).unwrap();
    assert!(forms(&secret).iter().all(|f| !logged.contains(f)), "{logged}");
    // the backup is the key's secret
    let check = y.run(&["check", "Example:gen", "--secret-file", sink.to_str().unwrap()]);
    assert!(check.ok().is_empty() && check.stderr.contains("the backup matches \"Example:gen\""), "{check:?}");
    // another generation is another secret, of the length asked
    let sink2 = y.path("second");
    y.run(&["put", "other", "-g", "--generate-bytes", "32", "--backup-cmd", &format!("cat > {}", sink2.display())]).ok();
    let second = uri_secret(&std::fs::read_to_string(&sink2).unwrap());
    assert_eq!(second.len(), 32);
    assert_ne!(second[..20], secret[..]);
    // clap's own usage errors
    let short = y.run(&["put", "x", "-g", "--generate-bytes", "8"]);
    assert!(short.code == 2 && short.stderr.contains("--generate-bytes"), "{short:?}");
    let both = y.run_in(&["put", "x", "-", "-g"], Some(DEMO_B32));
    assert!(both.code == 2 && both.stderr.contains("cannot be used with"), "{both:?}");
    assert_eq!(
        ids(&y),
        "Example:gen
other
"
    );
}

#[test]
fn a_failed_backup_command_leaves_the_key_untouched() {
    let y = Ykotp::virtual_key();
    let out = y.run(&["put", "aws", "-g", "--backup-cmd", "cat > /dev/null; exit 3"]);
    out.fails(1, "the --backup-cmd command failed with status 3");
    assert!(out.stderr.contains("hint: nothing was written to the key"), "{out:?}");
    assert_eq!(ids(&y), "");
    // the same with --all-keys
    y.run(&["put", "aws", "-g", "--all-keys", "--backup-cmd", "exit 1"]).fails(1, "failed with status 1");
    assert_eq!(ids(&y), "");
}

#[test]
fn a_refused_put_says_that_the_backup_exists() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "first", "-"], Some(DEMO_B32)).ok();
    // the backup command takes the virtual key's state away, so writing it fails
    let state = y.state_path();
    let sink = y.path("pass-entry");
    let cmd = format!("cat > {s}; rm {k}; mkdir {k}", s = sink.display(), k = state.display());
    let out = y.run(&["put", "gen", "-g", "--backup-cmd", &cmd]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("hint: the backup exists already, in what --backup-cmd stored"), "{out:?}");
    assert!(!out.stderr.contains("cat >"), "the command line is not repeated: {out:?}");
    assert!(std::fs::read_to_string(&sink).unwrap().starts_with("otpauth://totp/gen?secret="));
}

#[test]
fn an_encrypted_pskc_backup_is_private_and_proves_the_key() {
    let y = Ykotp::virtual_key();
    let file = y.path("aws.pskc");
    let f = file.to_str().unwrap();
    let pw = format!("echo {PASSPHRASE}");
    let out = y.run_in(&["put", "AWS:me", "-", "--backup-file", f, "--backup-passphrase-cmd", &pw, "--trace"], Some(RFC_SEED_B32));
    out.ok();
    assert_eq!(file_mode(&file), 0o600);
    let xml = std::fs::read_to_string(&file).unwrap();
    let secret = b"12345678901234567890";
    assert!(xml.contains("<pskc:EncryptedValue>") && xml.contains("<IterationCount>100000</IterationCount>"), "{xml}");
    assert!(!xml.contains(&base64_of(secret)) && forms(secret).iter().all(|s| !xml.contains(s)), "{xml}");
    assert_clean(&out, secret);
    // check reads the PSKC file
    let ok = y.run(&["check", "AWS:me", "--secret-file", f, "--passphrase-cmd", &pw]);
    assert!(ok.stderr.contains("the backup matches \"AWS:me\""), "{ok:?}");
    y.run(&["check", "AWS:me", "--secret-file", f, "--passphrase-cmd", "echo wrong-passphrase"]).fails(2, "passphrase does not open");
    y.run(&["check", "AWS:me", "--secret-file", f]).fails(2, "no terminal to ask for its passphrase");
    // a different secret under the same name does not match
    let other = y.path("other.pskc");
    y.run_in(&["put", "AWS:me", "-", "-f", "--backup-file", other.to_str().unwrap(), "--backup-passphrase-cmd", &pw], Some(DEMO_B32)).ok();
    y.run(&["check", "AWS:me", "--secret-file", f, "--passphrase-cmd", &pw]).fails(12, "does not match");
    // never overwritten; nothing is written to the key then
    let out = y.run_in(&["put", "new", "-", "--backup-file", f, "--backup-passphrase-cmd", &pw], Some(DEMO_B32));
    out.fails(10, "exists; a backup never overwrites a file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), xml);
    // a passphrase is needed, and not a short one
    y.run_in(&["put", "new", "-", "--backup-file", &format!("{f}.2")], Some(DEMO_B32)).fails(2, "needs a passphrase");
    y.run_in(&["put", "new", "-", "--backup-file", &format!("{f}.2"), "--backup-passphrase-cmd", "echo short"], Some(DEMO_B32))
        .fails(2, "at least 8 characters");
    assert_eq!(ids(&y), "AWS:me\n");
    // --all-keys makes one backup before writing any key
    let all = y.path("all.pskc");
    y.run(&["put", "everywhere", "-g", "--all-keys", "--backup-file", all.to_str().unwrap(), "--backup-passphrase-cmd", &pw]).ok();
    let ok = y.run(&["check", "everywhere", "--secret-file", all.to_str().unwrap(), "--passphrase-cmd", &pw]);
    assert!(ok.stderr.contains("the backup matches \"everywhere\""), "{ok:?}");
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn qr_and_secret_are_shown_only_on_a_terminal() {
    let y = Ykotp::virtual_key();
    y.run(&["put", "phone", "-g", "--qr"]).fails(2, "--qr shows the secret on a terminal, and there is none");
    y.run(&["put", "phone", "-g", "--show-secret"]).fails(2, "--show-secret shows the secret on a terminal");
    assert_eq!(ids(&y), "");
}

/// Under `script`, which gives ykotp a terminal: the QR code and the secret go to the
/// terminal, stdout stays empty.
#[test]
fn qr_and_secret_go_to_the_terminal() {
    let y = Ykotp::virtual_key();
    let typescript = y.path("typescript");
    let inner = format!(
        "{} --reader {} put Ex:phone -g --qr --show-secret --backup-cmd 'cat > {}' > {}",
        env!("CARGO_BIN_EXE_ykotp"),
        y.reader,
        y.path("sink").display(),
        y.path("stdout").display()
    );
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &inner]).arg(&typescript);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("YKOTP_")) {
        c.env_remove(k);
    }
    c.env("HOME", y.dir.path()).env("XDG_STATE_HOME", y.path("state")).env("XDG_DATA_HOME", y.path("data"));
    exec(c, None).ok();
    let terminal = std::fs::read_to_string(&typescript).unwrap();
    let uri = std::fs::read_to_string(y.path("sink")).unwrap();
    let b32 = ykotp::otp::encode_secret(&uri_secret(&uri));
    assert!(terminal.contains(&format!("Secret (base32): {b32}")), "{terminal}");
    assert!(terminal.contains('▀') && terminal.contains('█'), "{terminal}");
    assert_eq!(std::fs::read_to_string(y.path("stdout")).unwrap(), "");
}
