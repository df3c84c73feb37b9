//! Secrets hygiene: a known secret and password go through every command that handles
//! them; they must appear nowhere in stdout, stderr, --trace output, or any file but the
//! virtual key's own state; helper commands never get them in argv; files that hold
//! secrets are 0600 whatever the umask; secret types redact Debug and zeroize on drop.

mod common;
use common::*;
use std::path::Path;

const SECRET: &str = "MZXW6YTBOJRGC4TCMF4GQ33SOFZXI5LWO54HS6TB";
const PASSWORD: &str = "s3cr3t-pw-4711";

fn forbidden() -> Vec<String> {
    let raw = ykotp::otp::decode_secret(SECRET).unwrap();
    let hex = hex::encode(raw.as_bytes());
    let spaced: String =
        hex::encode_upper(raw.as_bytes()).as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ");
    vec![SECRET.to_owned(), SECRET.to_lowercase(), hex.clone(), hex.to_uppercase(), spaced, PASSWORD.to_owned()]
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for f in forbidden() {
        assert!(!text.contains(&f), "{what} contains a secret ({f}):\n{text}");
    }
}

fn scan(dir: &Path, skip: &[&str], found: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            scan(&p, skip, found);
        } else if !skip.iter().any(|s| p.file_name().unwrap().to_string_lossy().starts_with(s)) {
            let bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for f in forbidden() {
                if text.contains(&f) {
                    found.push(format!("{} holds {f}", p.display()));
                }
            }
        }
    }
}

#[test]
fn a_known_secret_and_password_leak_nowhere() {
    let y = Ykotp::virtual_key();
    let secret_file = y.path("backup.txt");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let pw_file = y.path("pw.txt");
    std::fs::write(&pw_file, format!("{PASSWORD}\n")).unwrap();
    // helper commands log their arguments, and those of the shell that runs them
    let log = y.path("argv.log");
    let helper = |file: &Path| {
        let script = y.path(&format!("helper-{}", file.file_name().unwrap().to_string_lossy()));
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$0 $*\" >> {0}\ntr '\\0' ' ' < /proc/$PPID/cmdline >> {0}; echo >> {0}\ncat {1}\n",
                log.display(),
                file.display()
            ),
        )
        .unwrap();
        std::os::unix::fs::PermissionsExt::set_mode(&mut std::fs::metadata(&script).unwrap().permissions(), 0o755);
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        script.display().to_string()
    };
    let secret_cmd = helper(&secret_file);
    let pw_cmd = helper(&pw_file);
    // the login password prepend_cmd prints is meant for stdout: another value
    let login_file = y.path("login.txt");
    std::fs::write(&login_file, "login-pw\n").unwrap();
    let login_cmd = helper(&login_file);
    let pskc = y.path("backup.pskc");
    let sink = y.path("sink-pass-entry");
    let sink_cmd =
        format!("echo \"$0 $*\" >> {0}; tr '\\0' ' ' < /proc/$PPID/cmdline >> {0}; echo >> {0}; cat > {1}", log.display(), sink.display());
    let uri = format!("otpauth://totp/U:u?secret={SECRET}");
    std::fs::write(y.path("uris.txt"), format!("{uri}\notpauth://hotp/H:h?secret={SECRET}&counter=3\n")).unwrap();
    std::fs::create_dir_all(y.dir.path().join("config/ykotp")).unwrap();
    std::fs::write(
        y.dir.path().join("config/ykotp/config.toml"),
        format!("[account.b]\nname = \"b\"\nfallback_cmd = \"{secret_cmd}\"\nprepend_cmd = \"{login_cmd}\"\n"),
    )
    .unwrap();
    let runs = [
        y.run_in(&["put", "a", "-", "--trace"], Some(SECRET)),
        y.run(&["put", "b", "--secret-cmd", &secret_cmd, "--trace"]),
        y.run(&["put", "c", "--secret-file", secret_file.to_str().unwrap(), "--trace", "--touch"]),
        y.run(&["put", "--uri", &uri, "--trace"]),
        y.run(&["import", y.path("uris.txt").to_str().unwrap(), "--trace"]),
        y.run(&["import", "--dry-run", "--json", y.path("uris.txt").to_str().unwrap()]),
        y.run_in(&["password", "set", "--new-password-stdin", "--trace"], Some(&format!("{PASSWORD}\n"))),
        y.run(&["code", "--trace", "--password-cmd", &pw_cmd]),
        y.run(&["code", "c", "--trace", "--json", "--password-cmd", &pw_cmd]),
        y.run(&["list", "--long", "--json", "--trace", "--password-cmd", &pw_cmd]),
        y.run(&["password", "remember", "--password-cmd", &pw_cmd, "--trace"]),
        y.run(&["info", "--trace"]),
        y.run(&["check", "b", "--trace"]),
        y.run(&["code", "b", "--trace"]),
        y.run(&["code", "b", "--soft"]),
        y.run_in(&["calc", "-", "--json"], Some(SECRET)),
        y.run(&["calc", "--secret-cmd", &secret_cmd, "--verify", "000000", "--window", "0"]),
        y.run(&["password", "clear", "--trace"]),
        y.run(&["doctor", "--json"]),
        // enrolment backups: a PSKC file (encrypted: it must not hold the secret in any
        // form) and a command's stdin (its file is the one chosen sink)
        y.run_in(&["put", "d", "-", "--backup-file", pskc.to_str().unwrap(), "--backup-passphrase-cmd", &pw_cmd, "--trace"], Some(SECRET)),
        y.run_in(&["put", "e", "-", "--backup-cmd", &sink_cmd, "--trace"], Some(SECRET)),
        y.run(&["check", "d", "--secret-file", pskc.to_str().unwrap(), "--passphrase-cmd", &pw_cmd, "--trace"]),
        y.run(&["import", pskc.to_str().unwrap(), "--passphrase-cmd", &pw_cmd, "--dry-run", "--json"]),
        y.run(&["import", pskc.to_str().unwrap(), "--passphrase-cmd", &pw_cmd, "--force", "--trace"]),
        y.run_in(&["calc", "-", "--hex", "-v", "--json"], Some(&hex::encode(ykotp::otp::decode_secret(SECRET).unwrap().as_bytes()))),
        y.run_in(&["calc", "-", "-v"], Some(SECRET)),
    ];
    for (i, out) in runs.iter().enumerate() {
        assert!(out.code == 0 || (i == 16 && out.code == 12), "run {i}: {out:?}");
        assert_clean(&format!("stdout of run {i}"), &out.stdout);
        assert_clean(&format!("stderr of run {i}"), &out.stderr);
    }
    assert!(runs[0].stderr.contains("73 1B [redacted 27 bytes]"), "{:?}", runs[0].stderr);
    assert!(runs[7].stderr.contains("00 A3 00 00 20  75 14 [redacted 20 bytes]"), "{:?}", runs[7].stderr);
    assert!(runs[13].stdout.starts_with("login-pw"), "{:?}", runs[13]);
    // no file but the key's own state holds the secret or the password
    let mut found = Vec::new();
    scan(y.dir.path(), &["key.json", "backup.txt", "pw.txt", "login.txt", "uris.txt", "config.toml", "helper-", "sink-"], &mut found);
    assert!(found.is_empty(), "{found:?}");
    assert!(std::fs::read_to_string(&sink).unwrap().starts_with(&format!("otpauth://totp/e?secret={SECRET}")));
    assert_eq!(file_mode(&pskc), 0o600);
    // the helpers never got a secret in their arguments
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(argv.lines().count() >= 10, "{argv}");
    assert_clean("helper argv", &argv);
}

#[test]
fn prepend_is_the_only_output_with_a_password() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "n", "-"], Some(SECRET)).ok();
    let out = y.run(&["code", "n", "--at", "59", "--prepend-cmd", &format!("echo {PASSWORD}"), "--trace"]);
    assert!(out.ok().starts_with(PASSWORD));
    assert_clean("stderr", &out.stderr);
}

#[test]
fn secret_files_are_private_under_a_permissive_umask() {
    let y = Ykotp::virtual_key();
    let bin = env!("CARGO_BIN_EXE_ykotp");
    let script = format!(
        "umask 000; echo {SECRET} | {bin} --reader {r} put a - && echo pw | {bin} --reader {r} password set --new-password-stdin --remember && {bin} --reader {r} code a --fresh --at 59",
        r = y.reader
    );
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(script)
        .env("YKOTP_NO_TTY", "1")
        .env("HOME", y.dir.path())
        .env("XDG_DATA_HOME", y.path("data"))
        .env("XDG_STATE_HOME", y.path("state"));
    exec(c, None).ok();
    for f in [y.state_path(), y.path("data/ykotp/keys.json"), y.path("state/ykotp/fresh.json")] {
        assert_eq!(file_mode(&f), 0o600, "{}", f.display());
    }
    for d in [y.path("data/ykotp"), y.path("state/ykotp")] {
        assert_eq!(file_mode(&d), 0o700, "{}", d.display());
    }
}

fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}

#[test]
fn secret_types_redact_and_zeroize() {
    zeroized_on_drop::<ykotp::otp::Secret>();
    zeroized_on_drop::<ykotp::otp::AccessKey>();
    zeroized_on_drop::<ykotp::virtual_key::StoredCredential>();
    zeroized_on_drop::<ykotp::virtual_key::state::StoredAccessKey>();
    let secret = ykotp::otp::decode_secret(SECRET).unwrap();
    let key = ykotp::otp::derive_access_key(PASSWORD, &[0; 8]);
    let data = ykotp::oath::CredentialData::totp("x", secret.clone());
    let apdu = ykotp::oath::proto::put(&data);
    for text in [format!("{secret:?}"), format!("{key:?}"), format!("{data:?}"), format!("{apdu:?}")] {
        assert_clean("Debug", &text);
        assert!(!text.contains(&hex::encode(key.as_bytes())), "{text}");
    }
    // zeroize empties the buffer (what drop does)
    let mut s = secret.clone();
    zeroize::Zeroize::zeroize(&mut s);
    assert!(s.as_bytes().iter().all(|b| *b == 0));
}
