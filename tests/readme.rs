//! The README runs. Every shell line of its Installing, Usage and Recipes sections is read from
//! README.md itself and run, in order, in one scratch home against a file-backed virtual
//! key (`YKOTP_READER=virtual:…`), with no terminal (setsid), the real `pass`,
//! `pass-otp`, `keepassxc-cli`, `gpg` and `oathtool` (scripts/bootstrap installs them),
//! and a cron-like run (`env -i`, `PATH=/usr/bin:/bin`, `sh`, no terminal) for the
//! crontab line. Named stand-ins replace only what cannot run here: `op`, `lpass`,
//! `aws-vault` (not in Debian), `aws` (in Debian, but it needs AWS's network), NERSC's
//! server (the sshproxy.sh stand-in reads its input exactly as NERSC's client does), and
//! the servers behind `ssh`, `sudo -A` and `openconnect` (their stand-ins ask through
//! SSH_ASKPASS / SUDO_ASKPASS / stdin as the real programs do; scripts/test-askpass runs
//! the real ssh and sudo against sshd and pam_oath).
//!
//! A README line without a step here fails the test, and so does a step whose line left
//! the README: the two cannot drift. To add a recipe, add its line to STEPS. Lines that
//! cannot run here are steps too, with the reason (`not_run`).

mod common;
use common::Out;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SECRET: &str = "JBSWY3DPEHPK3PXP";
/// The secret behind the pass-otp, KeePassXC and NERSC entries.
const OTHER: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const LOGIN_PASSWORD: &str = "correct-horse";

/// The shell lines of README's Usage and Recipes, comments dropped and continuation
/// lines joined, with the language of their block; and the other blocks (toml, ini).
fn readme_blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("\n## Installing for real use\n").expect("README has an Installing section before Usage");
    assert!(readme[start..].contains("\n## Usage\n"), "Usage follows Installing");
    let end = readme[start..].find("\n## Exit codes\n").map(|e| start + e).expect("README has Exit codes after Recipes");
    let mut blocks = Vec::new();
    let mut lang: Option<String> = None;
    let mut body = String::new();
    for line in readme[start..end].lines() {
        if let Some(tag) = line.strip_prefix("```") {
            match lang.take() {
                Some(l) => blocks.push((l, std::mem::take(&mut body))),
                None => lang = Some(tag.to_owned()),
            }
        } else if lang.is_some() {
            body.push_str(line);
            body.push('\n');
        }
    }
    blocks
}

/// The README's toml block that contains `marker`.
fn readme_toml(marker: &str) -> String {
    readme_blocks()
        .into_iter()
        .find(|(l, b)| l == "toml" && b.contains(marker))
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("README has a toml block with {marker}"))
}

/// A shell block's commands: comment lines dropped, ` # comments` cut, `\` lines joined.
fn shell_lines(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in body.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = match line.find(" # ") {
            Some(i) => line[..i].trim_end(),
            None => line,
        };
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head.trim_end());
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        out.push(std::mem::take(&mut pending));
    }
    out
}

/// The scratch home every line runs in, like a fresh account.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// `bash -c SCRIPT` with no terminal, the README's environment and `stdin`.
    fn sh(&self, script: &str, stdin: &str) -> Out {
        let mut c = Command::new("setsid");
        c.arg("-w").arg("bash").arg("-c").arg(script).env_clear();
        c.env("HOME", self.path())
            .env("PATH", format!("{}:{}:/usr/bin:/bin", self.p("standins").display(), self.p(".cargo/bin").display()))
            .env("YKOTP_READER", format!("virtual:{}", self.p("key.json").display()))
            .env("SECRET", SECRET)
            .env("LANG", "C.UTF-8")
            .current_dir(self.path());
        run(c, stdin)
    }

    /// The crontab line as cron runs it: `sh -c` with cron's environment (HOME, LOGNAME,
    /// SHELL, PATH=/usr/bin:/bin and the crontab's own variables), stdin /dev/null, no
    /// terminal. The virtual key is the crontab variable YKOTP_READER, standing in for
    /// the YubiKey a real cron job finds through pcscd.
    fn cron(&self, entry: &str, reader: &str) -> Out {
        let fields: Vec<&str> = entry.splitn(6, ' ').collect();
        assert_eq!(fields.len(), 6, "a crontab line has five time fields and a command: {entry}");
        assert!(!fields[5].contains('%'), "cron turns % into newlines: {entry}");
        let mut c = Command::new("setsid");
        c.arg("-w").arg("/bin/sh").arg("-c").arg(fields[5]).env_clear();
        c.env("HOME", self.path())
            .env("LOGNAME", "alice")
            .env("SHELL", "/bin/sh")
            .env("PATH", "/usr/bin:/bin")
            .env("YKOTP_READER", reader)
            .current_dir(self.path());
        run(c, "")
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.p(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }

    fn exe(&self, rel: &str, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        self.write(rel, text);
        std::fs::set_permissions(self.p(rel), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        // the gpg-agent that pass started in this home
        let _ = Command::new("gpgconf").args(["--kill", "gpg-agent"]).env("GNUPGHOME", self.p(".gnupg")).status();
    }
}

fn run(mut c: Command, stdin: &str) -> Out {
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut w = child.stdin.take().unwrap();
        let _ = w.write_all(stdin.as_bytes());
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// oathtool's output for `secret` at unix time `t`, trimmed.
fn oathtool_at(secret: &str, t: u64, extra: &[&str]) -> String {
    let mut c = Command::new("oathtool");
    if !extra.iter().any(|e| e.starts_with("--totp")) {
        c.arg("--totp");
    }
    let o = c.args(["-b", "--now"]).arg(format!("@{t}")).args(extra).arg(secret).output().unwrap();
    assert!(o.status.success(), "oathtool: {o:?}");
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// oathtool's TOTP codes for `secret` around now (this window and the one before, as a
/// line may finish in the next window).
fn oathtool_now(secret: &str, extra: &[&str]) -> Vec<String> {
    let t = now();
    [t, t - 30, t + 30].iter().map(|t| oathtool_at(secret, *t, extra)).collect()
}

type Check = Box<dyn Fn(&Home, &Out)>;

/// One README line: how to run it, and what must come out.
struct Step {
    /// The line as README.md has it (comment cut).
    line: &'static str,
    /// Shell run first, in the same home (not part of the README).
    setup: String,
    /// Placeholders of the line and what they become (NAME, FILE, `…`, `[-f]`).
    subst: Vec<(&'static str, String)>,
    stdin: String,
    expect: Option<Check>,
    /// Why the line is not run here.
    not_run: Option<&'static str>,
}

fn step(line: &'static str) -> Step {
    Step { line, setup: String::new(), subst: Vec::new(), stdin: String::new(), expect: None, not_run: None }
}

impl Step {
    fn setup(mut self, s: &str) -> Self {
        self.setup = s.to_owned();
        self
    }
    fn sub(mut self, from: &'static str, to: &str) -> Self {
        self.subst.push((from, to.to_owned()));
        self
    }
    fn stdin(mut self, s: &str) -> Self {
        self.stdin = s.to_owned();
        self
    }
    fn expect(mut self, f: impl Fn(&Home, &Out) + 'static) -> Self {
        self.expect = Some(Box::new(f));
        self
    }
    fn not_run(mut self, why: &'static str) -> Self {
        self.not_run = Some(why);
        self
    }
}

#[track_caller]
fn ok(o: &Out) -> &str {
    assert_eq!(o.code, 0, "{o:#?}");
    &o.stdout
}

#[track_caller]
fn one_code_of(o: &Out, secret: &str) {
    let got = ok(o).trim().to_owned();
    assert!(oathtool_now(secret, &[]).contains(&got), "{got} is not oathtool's code now: {o:#?}");
}

fn list(h: &Home) -> String {
    h.sh("ykotp list", "").stdout
}

/// What every README line does here, in README order.
fn steps() -> Vec<Step> {
    let s = SECRET;
    vec![
        // Installing
        step("cargo install --path .").not_run("builds and installs a release binary into ~/.cargo/bin; the test links the binary cargo test built there instead"),
        step("sudo systemctl enable --now pcscd.socket").not_run("needs root and systemd; scripts/test starts pcscd itself for the PC/SC tests"),
        step("ykotp doctor").expect(|_, o| {
            let text = ok(o);
            assert!(text.contains("ok    pcscd: not needed for a virtual key") && text.contains("ok    key in \"virtual:"), "{o:#?}");
        }),
        step("mkdir -p ~/.local/share/bash-completion/completions ~/.cargo/share/man/man1").expect(|_, o| {
            ok(o);
        }),
        step("ykotp completions bash > ~/.local/share/bash-completion/completions/ykotp").expect(|h, o| {
            ok(o);
            let script = std::fs::read_to_string(h.p(".local/share/bash-completion/completions/ykotp")).unwrap();
            assert!(script.contains("-F _clap_complete_ykotp ykotp"), "{script:.200}");
        }),
        step("mkdir -p ~/.zfunc ~/.config/fish/completions").expect(|_, o| {
            ok(o);
        }),
        step("ykotp completions zsh  > ~/.zfunc/_ykotp").expect(|h, o| {
            ok(o);
            assert!(std::fs::read_to_string(h.p(".zfunc/_ykotp")).unwrap().starts_with("#compdef ykotp"));
        }),
        step("ykotp completions fish > ~/.config/fish/completions/ykotp.fish").expect(|h, o| {
            ok(o);
            assert!(std::fs::read_to_string(h.p(".config/fish/completions/ykotp.fish")).unwrap().contains("complete --keep-order --exclusive --command ykotp"));
        }),
        step("ykotp man > ~/.cargo/share/man/man1/ykotp.1").expect(|h, o| {
            ok(o);
            assert!(std::fs::read_to_string(h.p(".cargo/share/man/man1/ykotp.1")).unwrap().contains(".TH YKOTP 1"));
        }),
        // man-db (and macOS's man) search X/share/man for every X/bin in PATH
        step("man ykotp").expect(|_, o| {
            let page = ok(o);
            assert!(page.contains("EXIT STATUS") && page.contains("ykotp code"), "{o:#?}");
        }),
        // Usage: codes
        step("ykotp code aws").setup(&format!("ykotp put aws - <<< {s}")).expect(|_, o| one_code_of(o, SECRET)),
        step("ykotp code").expect(|_, o| assert!(ok(o).starts_with("aws "), "{o:#?}")),
        step("ykotp code aws --json").expect(|_, o| {
            let v: serde_json::Value = serde_json::from_str(ok(o)).unwrap();
            assert!(oathtool_now(SECRET, &[]).contains(&v["code"].as_str().unwrap().to_owned()), "{v}");
            assert_eq!((v["id"].as_str(), v["period"].as_u64(), v["type"].as_str()), (Some("aws"), Some(30), Some("TOTP")));
        }),
        step("ykotp code aws --consecutive 2").expect(|_, o| assert_eq!(ok(o).lines().count(), 2, "{o:#?}")),
        step("ykotp code aws --min-valid 10").expect(|_, o| one_code_of(o, SECRET)),
        step("ykotp code aws --at 2026-01-31T12:00:00Z").expect(|_, o| {
            let want = Command::new("oathtool").args(["--totp", "-b", "--now", "2026-01-31 12:00:00 UTC", SECRET]).output().unwrap();
            assert_eq!(ok(o), String::from_utf8(want.stdout).unwrap());
        }),
        step("ykotp code aws --clip")
            .not_run("needs a clipboard (X11 or Wayland): tests/clip.rs runs it under Xvfb and a headless sway and reads the clipboard back with xclip and wl-paste"),
        step("ykotp code aws --clip=20").not_run("needs a clipboard: tests/clip.rs, with --clip=SECONDS, checks the clear after ykotp exited"),
        step("ykotp ui").not_run("a full-screen program on a terminal: tests/pcsc_ui.rs and tests/terminal.rs drive it through tmux"),
        step("ykotp ui --print").not_run("a full-screen program on a terminal: tests/terminal.rs picks a code with it through tmux"),
        // Usage: accounts
        step("ykotp put NAME -").sub("NAME", "one").stdin(&format!("{s}\n")).expect(|h, o| {
            ok(o);
            assert!(list(h).contains("one\n"));
        }),
        step("ykotp put NAME").sub("NAME", "piped").stdin(&format!("{s}\n")).expect(|h, o| {
            ok(o);
            assert!(list(h).contains("piped\n"));
        }),
        step("ykotp put NAME --secret-cmd 'pass show totp/github'").sub("NAME", "fromPass").expect(|h, o| {
            ok(o);
            one_code_of(&h.sh("ykotp code fromPass", ""), SECRET);
        }),
        step("ykotp put NAME --secret-file FILE").setup(&format!("echo {s} > secret.txt")).sub("NAME", "fromFile").sub("FILE", "secret.txt").expect(
            |h, o| {
                ok(o);
                one_code_of(&h.sh("ykotp code fromFile", ""), SECRET);
            },
        ),
        step("ykotp put --uri 'otpauth://totp/GitHub:alice?secret=…'").sub("…", s).expect(|h, o| {
            ok(o);
            assert!(list(h).contains("\nGitHub:alice\n"), "{}", list(h));
        }),
        step("ykotp put GitHub:alice - -i GitHub -o totp -a sha256 --digits 8 -P 60 --touch").stdin(s).expect(|h, o| {
            ok(o);
            let code = h.sh("YKOTP_VIRTUAL_TOUCH=approve ykotp code 60/GitHub:alice", "");
            let got = ok(&code).trim().to_owned();
            assert!(oathtool_now(SECRET, &["--totp=sha256", "-d", "8", "-s", "60s"]).contains(&got), "{code:#?}");
        }),
        step("ykotp put counter - -o hotp -c 42").stdin(s).expect(|h, o| {
            ok(o);
            let want = Command::new("oathtool").args(["--hotp", "-b", "-c", "42", SECRET]).output().unwrap();
            assert_eq!(ok(&h.sh("ykotp code counter", "")), String::from_utf8(want.stdout).unwrap());
        }),
        step("ykotp list [QUERY] [--long] [-H]").sub("[QUERY] [--long] [-H]", "GitHub --long -H").expect(|_, o| {
            let text = ok(o);
            assert!(text.contains("60/GitHub:alice") && text.contains("SHA256") && !text.contains("counter"), "{text}");
        }),
        step("ykotp delete QUERY [-f]").sub("QUERY [-f]", "one -f").expect(|h, o| {
            ok(o);
            assert!(!list(h).contains("one\n"));
        }),
        step("ykotp rename QUERY NEW_NAME [-f]").sub("QUERY NEW_NAME [-f]", "piped Piped:renamed -f").expect(|h, o| {
            ok(o);
            assert!(list(h).contains("Piped:renamed\n"));
        }),
        step("ykotp reset [-f]").sub("[-f]", "-f").expect(|h, o| {
            ok(o);
            assert_eq!(list(h), "");
        }),
        // Usage: enrolment, with the real pass and pass-otp (other entry names than the
        // Recipes' totp/aws, which later lines still read)
        step("ykotp put aws -g --backup-cmd 'pass insert -m totp/aws'").sub("totp/aws'", "totp/gen-aws'").expect(|h, o| {
            ok(o);
            let uri = ok(&h.sh("pass show totp/gen-aws", "")).trim().to_owned();
            assert!(uri.starts_with("otpauth://totp/aws?secret="), "{uri}");
            let backup = ok(&h.sh(&format!("ykotp calc --uri '{uri}'"), "")).trim().to_owned();
            assert_eq!(ok(&h.sh("ykotp code aws", "")).trim(), backup, "the backup gives the key's code");
        }),
        step("ykotp put aws -g --backup-cmd 'pass otp insert totp/aws'").sub("totp/aws'", "totp/gen-otp'").setup("ykotp delete aws -f").expect(
            |h, o| {
                ok(o);
                let pass_otp = ok(&h.sh("pass otp totp/gen-otp", "")).trim().to_owned();
                assert_eq!(ok(&h.sh("ykotp code aws", "")).trim(), pass_otp, "pass-otp computes the key's code");
            },
        ),
        step("ykotp put aws --secret-cmd 'op read …' --backup-file aws.pskc --backup-passphrase-cmd 'pass show pskc-pw'")
            .sub("op read …", "pass show totp/github")
            .setup("ykotp delete aws -f && echo pskc-passphrase | pass insert -e pskc-pw >/dev/null")
            .expect(|h, o| {
                ok(o);
                assert_eq!(std::fs::metadata(h.p("aws.pskc")).unwrap().permissions().mode() & 0o777, 0o600);
                assert!(!std::fs::read_to_string(h.p("aws.pskc")).unwrap().contains(SECRET));
                one_code_of(&h.sh("ykotp code aws", ""), SECRET);
            }),
        step("ykotp put phone -g --qr --show-secret")
            .not_run("writes to the terminal only, and is refused without one: tests/enrol.rs runs it under script(1)"),
        step("ykotp check aws --secret-file aws.pskc --passphrase-cmd 'pass show pskc-pw'").expect(|h, o| {
            ok(o);
            let wrong = h.sh("ykotp check aws --secret-file aws.pskc --passphrase-cmd 'echo wrong-passphrase'", "");
            assert_ne!(wrong.code, 0, "{wrong:#?}");
        }),
        // Usage: passwords (no terminal here: the new password comes on stdin, as the comment says)
        step("ykotp password set [--remember]").sub("[--remember]", "--remember --new-password-stdin").stdin("pw1\n").expect(|h, o| {
            ok(o);
            ok(&h.sh("ykotp list", ""));
        }),
        step("ykotp password change").sub("change", "change --new-password-stdin").stdin("pw2\n").expect(|h, o| {
            ok(o);
            assert_eq!(h.sh("ykotp password forget && ykotp list", "").code, 8);
        }),
        step("ykotp password clear").setup("true").expect(|h, o| {
            // the remembered key was forgotten above: clearing needs the password
            assert_eq!(o.code, 8, "{o:#?}");
            ok(&h.sh("ykotp --password-cmd 'echo pw2' password clear", ""));
        }),
        step("ykotp password remember").setup("echo pw3 | ykotp password set --new-password-stdin").stdin("").expect(|h, o| {
            // no terminal to type the password on: exit 8, and with --password-cmd it works
            assert_eq!(o.code, 8, "{o:#?}");
            ok(&h.sh("ykotp --password-cmd 'echo pw3' password remember && ykotp list", ""));
        }),
        step("ykotp password forget [--all]").sub("[--all]", "--all").expect(|h, o| {
            ok(o);
            assert_eq!(h.sh("ykotp list", "").code, 8);
            ok(&h.sh("ykotp --password-cmd 'echo pw3' password clear", ""));
        }),
        // Usage: codes without the key
        step("ykotp calc - <<< \"$SECRET\"").expect(|_, o| one_code_of(o, SECRET)),
        step("ykotp calc --secret-cmd 'pass show totp/aws' --window 2").expect(|_, o| {
            let text = ok(o);
            assert_eq!(text.lines().count(), 3, "{o:#?}");
            let first = text.lines().next().unwrap().to_owned();
            let t = now();
            let when = [t, t - 30].into_iter().find(|w| oathtool_at(SECRET, *w, &[]) == first).expect("this code is oathtool's");
            assert_eq!(text, oathtool_at(SECRET, when, &["-w", "2"]) + "\n");
        }),
        step("ykotp calc --secret-cmd 'pass show totp/aws' --consecutive 2").expect(|_, o| assert_eq!(ok(o).lines().count(), 2, "{o:#?}")),
        step("ykotp calc - -a sha256 --digits 8 -P 60 --t0 0 --at 1111111109").stdin(s).expect(|_, o| {
            let want = Command::new("oathtool")
                .args(["--totp=sha256", "-b", "-d", "8", "-s", "60s", "--now", "@1111111109", SECRET])
                .output()
                .unwrap();
            assert_eq!(ok(o), String::from_utf8(want.stdout).unwrap());
        }),
        step("ykotp calc - -o hotp -c 5").stdin(s).expect(|_, o| {
            let want = Command::new("oathtool").args(["--hotp", "-b", "-c", "5", SECRET]).output().unwrap();
            assert_eq!(ok(o), String::from_utf8(want.stdout).unwrap());
        }),
        step("ykotp calc --uri 'otpauth://totp/…'").sub("…", &format!("x?secret={s}")).expect(|_, o| one_code_of(o, SECRET)),
        step("ykotp calc - --steam").stdin(s).expect(|_, o| {
            let code = ok(o).trim();
            assert!(code.len() == 5 && code.chars().all(|c| "23456789BCDFGHJKMNPQRTVWXY".contains(c)), "{code}");
        }),
        step("ykotp calc - --verify 123456 --window 1").stdin(s).expect(|_, o| {
            if oathtool_now(SECRET, &[]).iter().any(|c| c == "123456") {
                return;
            }
            assert_eq!(o.code, 12, "{o:#?}");
        }),
        // Usage: checking and importing
        step("ykotp check github --secret-cmd 'pass show totp/github'").setup(&format!("ykotp put GitHub:alice - <<< {s}")).expect(|h, o| {
            ok(o);
            let wrong = h.sh(&format!("ykotp check github --secret-cmd 'echo {OTHER}'"), "");
            assert_eq!(wrong.code, 12, "{wrong:#?}");
        }),
        step("ykotp import accounts.txt")
            .setup(&format!("printf 'otpauth://totp/Txt:a?secret={s}\\notpauth://hotp/Txt:h?secret={s}&counter=3\\n' > accounts.txt"))
            .expect(|h, o| {
                ok(o);
                assert!(list(h).contains("Txt:a\nTxt:h\n"), "{}", list(h));
            }),
        step("ykotp import export1.png export2.png").expect(|h, o| {
            ok(o);
            assert!(list(h).contains("Png:one\nPng:two\n"), "{}", list(h));
        }),
        step("ykotp import --dry-run - < uris.txt").setup(&format!("echo 'otpauth://totp/Dry:run?secret={s}' > uris.txt")).expect(|h, o| {
            assert!(ok(o).contains("Dry:run"), "{o:#?}");
            assert!(!list(h).contains("Dry:run"));
        }),
        step("ykotp import backup.pskc --passphrase-cmd 'pass show pskc-pw'").setup("cp aws.pskc backup.pskc && ykotp delete aws -f").expect(
            |h, o| {
                ok(o);
                one_code_of(&h.sh("ykotp code aws", ""), SECRET);
            },
        ),
        step("ykotp import aegis-export.json")
            .setup(&format!(
                "printf '%s' '{{\"version\":1,\"header\":{{\"slots\":null,\"params\":null}},\"db\":{{\"version\":2,\"entries\":[{{\"type\":\"totp\",\"uuid\":\"1\",\"name\":\"bob\",\"issuer\":\"Aegis\",\"info\":{{\"secret\":\"{s}\",\"algo\":\"SHA1\",\"digits\":6,\"period\":30}}}}]}}}}' > aegis-export.json"
            ))
            .expect(|h, o| {
                ok(o);
                one_code_of(&h.sh("ykotp code Aegis:bob", ""), SECRET);
            }),
        step("ykotp import backup.2fas")
            .setup(&format!(
                "printf '%s' '{{\"schemaVersion\":4,\"services\":[{{\"name\":\"TwoFas\",\"secret\":\"{s}\",\"otp\":{{\"account\":\"carol\",\"issuer\":\"TwoFas\",\"digits\":6,\"period\":30,\"algorithm\":\"SHA1\",\"tokenType\":\"TOTP\"}}}}]}}' > backup.2fas"
            ))
            .expect(|h, o| {
                ok(o);
                one_code_of(&h.sh("ykotp code TwoFas:carol", ""), SECRET);
            }),
        // andOTP's plain export is otp_accounts.json; its encrypted one (.aes) is tested in
        // tests/import_formats.rs
        step("ykotp import otp_accounts.json.aes")
            .sub("otp_accounts.json.aes", "otp_accounts.json")
            .setup(&format!(
                "printf '%s' '[{{\"secret\":\"{s}\",\"issuer\":\"AndOTP\",\"label\":\"dave\",\"digits\":6,\"type\":\"TOTP\",\"algorithm\":\"SHA1\",\"period\":30}}]' > otp_accounts.json"
            ))
            .expect(|h, o| {
                ok(o);
                one_code_of(&h.sh("ykotp code AndOTP:dave", ""), SECRET);
            }),
        // Usage: askpass. The README's rule, with an [account.nersc] of its own (the NERSC
        // recipe below writes the real config's)
        step("mkdir -p ~/.local/bin && ln -sf \"$(command -v ykotp)\" ~/.local/bin/ykotp-askpass").expect(|h, o| {
            ok(o);
            assert!(h.p(".local/bin/ykotp-askpass").exists());
        }),
        step("ykotp askpass '(alice@perlmutter.nersc.gov) Password + OTP: '")
            .setup(&format!(
                "ykotp put NERSC:alice - <<< {OTHER} && \
                 printf '[account.nersc]\\nname = \"NERSC:alice\"\\nprepend_cmd = \"pass show nersc/password\"\\n\\n' > askpass.toml && \
                 cat >> askpass.toml <<'EOF'\n{}EOF",
                readme_toml("password \\+ OTP")
            ))
            .sub("ykotp askpass", "YKOTP_CONFIG=askpass.toml ykotp askpass")
            .expect(|h, o| {
                let answer = ok(o).trim().to_owned();
                let code = answer.strip_prefix(LOGIN_PASSWORD).unwrap_or_else(|| panic!("the password first: {o:#?}"));
                assert!(oathtool_now(OTHER, &[]).iter().any(|c| c == code), "{o:#?}");
                // through the ykotp-askpass link, as ssh runs it; a prompt for another host is refused
                let other = h.sh("YKOTP_CONFIG=askpass.toml ~/.local/bin/ykotp-askpass '(alice@evil.example.org) Password + OTP: '", "");
                assert_eq!((other.code, other.stdout.as_str()), (5, ""), "{other:#?}");
            }),
        // Usage: a virtual YubiKey (the test keeps its files in its own home, not /tmp)
        step("ykotp --reader virtual:/tmp/key.json put test - <<< JBSWY3DPEHPK3PXP").sub("/tmp/", "tmp/").setup("mkdir -p tmp").expect(|_, o| {
            ok(o);
        }),
        step("YKOTP_VIRTUAL_TOUCH=deny ykotp --reader virtual:/tmp/key.json code test").sub("/tmp/", "tmp/").expect(|h, o| {
            // test has no touch: the policy does not matter and the code comes
            one_code_of(o, SECRET);
            let touchy = h.sh(&format!("ykotp -r virtual:tmp/key.json put t - --touch <<< {SECRET} && YKOTP_VIRTUAL_TOUCH=deny ykotp -r virtual:tmp/key.json code t"), "");
            assert_eq!(touchy.code, 7, "{touchy:#?}");
        }),
        step("ykotp virtual serve --state /tmp/key.json")
            .not_run("needs pcscd with vpcd; scripts/test serves virtual keys behind pcscd for every PC/SC test (tests/pcsc.rs)"),
        step("ykotp virtual init --state /tmp/k.json --firmware 5.7.0 --touch delay=2000").sub("/tmp/", "tmp/").expect(|h, o| {
            ok(o);
            let info = h.sh("ykotp -r virtual:tmp/k.json info", "");
            assert!(ok(&info).contains("5.7.0"), "{info:#?}");
        }),
        step("ykotp virtual init --state /tmp/nk.json --quirk no-calculate-all --quirk touch-on-delete").sub("/tmp/", "tmp/").expect(|h, o| {
            ok(o);
            // codes come without CALCULATE ALL; DELETE wants a touch
            let code = h.sh(&format!("ykotp -r virtual:tmp/nk.json put nk - <<< {SECRET} && ykotp -r virtual:tmp/nk.json code nk"), "");
            one_code_of(&code, SECRET);
            let delete = h.sh("YKOTP_VIRTUAL_TOUCH=deny ykotp -r virtual:tmp/nk.json delete nk -f", "");
            assert_eq!(delete.code, 7, "{delete:#?}");
        }),
        // Recipes: password managers
        step("pass insert -e totp/github").stdin(&format!("{s}\n")).expect(|h, o| {
            ok(o);
            assert_eq!(ok(&h.sh("pass show totp/github", "")), format!("{SECRET}\n"));
        }),
        step("ykotp put GitHub:alice --secret-cmd 'pass show totp/github'").setup("ykotp delete GitHub:alice -f").expect(|h, o| {
            ok(o);
            one_code_of(&h.sh("ykotp code GitHub:alice", ""), SECRET);
        }),
        step("pass insert -m github").stdin(&format!("hunterhunter2\notpauth://totp/GitHub:alice?secret={OTHER}&issuer=GitHub\n")).expect(|h, o| {
            ok(o);
            // read the pass-otp entry with pass show, the password would be taken: refused
            let wrong = h.sh("ykotp put GitHub:alice --secret-cmd 'pass show github' -f", "");
            assert_eq!(wrong.code, 2, "{wrong:#?}");
            assert!(wrong.stderr.contains("the output of --secret-cmd is not the secret") && wrong.stderr.contains("pass otp uri"), "{wrong:#?}");
        }),
        step("ykotp put GitHub:alice --uri-cmd 'pass otp uri github' -f").expect(|h, o| {
            ok(o);
            let code = ok(&h.sh("ykotp code GitHub:alice", "")).trim().to_owned();
            assert_eq!(code, ok(&h.sh("pass otp github", "")).trim(), "the key and pass-otp agree");
            assert!(oathtool_now(OTHER, &[]).contains(&code));
        }),
        step("ykotp put --uri-cmd 'keepassxc-cli show -q -a otp ~/Passwords.kdbx GitHub' -f").stdin("db-password\n").expect(|h, o| {
            ok(o);
            let code = ok(&h.sh("ykotp code GitHub:kee", "")).trim().to_owned();
            let kee = h.sh("keepassxc-cli show -q -t ~/Passwords.kdbx GitHub", "db-password\n");
            assert_eq!(code, ok(&kee).trim(), "the key and KeePassXC agree");
            // the entry's password (line 1 of `show`) is never taken for a URI
            let pw = h.sh("ykotp put --uri-cmd 'keepassxc-cli show -q -a password ~/Passwords.kdbx GitHub' -f", "db-password\n");
            assert_eq!(pw.code, 2, "{pw:#?}");
            assert!(pw.stderr.contains("is not an otpauth:// URI"), "{pw:#?}");
        }),
        step("ykotp put AWS:root --uri-cmd 'op read \"op://Private/AWS root/one-time password\"'").expect(|h, o| {
            ok(o);
            assert!(list(h).contains("AWS:root\n"), "{}", list(h));
            one_code_of(&h.sh("ykotp code AWS:root", ""), SECRET);
        }),
        step("ykotp put Work:me --secret-cmd 'lpass show --password totp/work'").expect(|h, o| {
            ok(o);
            one_code_of(&h.sh("ykotp code Work:me", ""), SECRET);
        }),
        // Recipes: the key is lost
        step("ykotp calc --secret-cmd 'pass show totp/github'").expect(|_, o| one_code_of(o, SECRET)),
        step("mkdir -p ~/.config/ykotp").expect(|h, o| {
            ok(o);
            assert!(h.p(".config/ykotp").is_dir());
        }),
        step("printf '[account.github]\\nname = \"GitHub:alice\"\\nfallback_cmd = \"pass show totp/github\"\\n' >> ~/.config/ykotp/config.toml")
            .expect(|_, o| {
                ok(o);
            }),
        step("ykotp code github").setup("mv key.json key.away").expect(|h, o| {
            one_code_of(o, SECRET);
            assert!(o.stderr.contains("computing the code in software"), "{o:#?}");
            h.sh("mv key.away key.json", "");
        }),
        // Recipes: check a backup
        step("ykotp check GitHub:alice --secret-cmd 'pass show totp/github'").setup(&format!("ykotp put GitHub:alice -f - <<< {s}")).expect(|_, o| {
            ok(o);
        }),
        step("ykotp check github").expect(|h, o| {
            ok(o);
            let other = h.sh(&format!("ykotp put GitHub:alice -f - <<< {OTHER} && ykotp check github"), "");
            assert_eq!(other.code, 12, "{other:#?}");
        }),
        // Recipes: Google Authenticator
        step("ykotp import --dry-run shot1.png shot2.png").setup("cp export1.png shot1.png && cp export2.png shot2.png && ykotp delete Png:one -f && ykotp delete Png:two -f").expect(
            |h, o| {
                assert!(ok(o).contains("Png:one") && ok(o).contains("Png:two"), "{o:#?}");
                assert!(!list(h).contains("Png:"));
            },
        ),
        step("ykotp import shot1.png shot2.png").expect(|h, o| {
            ok(o);
            assert!(list(h).contains("Png:one\nPng:two\n"));
        }),
        // Recipes: AWS
        step("ykotp put arn:aws:iam::123456789012:mfa/alice --uri 'otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services'").expect(|h, o| {
            ok(o);
            assert!(list(h).contains("arn:aws:iam::123456789012:mfa/alice\n"), "{}", list(h));
            // aws-vault (stand-in) runs mfa_process from the README's ~/.aws/config
            let vault = h.sh("aws-vault exec work", "");
            assert!(ok(&vault).contains("mfa ok"), "{vault:#?}");
        }),
        step("aws sts get-session-token --serial-number arn:aws:iam::123456789012:mfa/alice --token-code \"$(ykotp code arn:aws:iam::123456789012:mfa/alice)\"").expect(|_, o| {
            assert!(ok(o).contains("\"SessionToken\""), "{o:#?}");
        }),
        // Recipes: NERSC
        step("mkdir -p ~/.config/ykotp ~/.cache ~/bin").expect(|h, o| {
            ok(o);
            assert!(h.p("bin").is_dir() && h.p(".cache").is_dir());
        }),
        step("printf '[account.nersc]\\nname = \"LinOTP:TOTP0001A2B3\"\\nprepend_cmd = \"pass show nersc/password\"\\n' >> ~/.config/ykotp/config.toml")
            .setup(&format!("ykotp put -f --uri 'otpauth://totp/LinOTP:TOTP0001A2B3?secret={OTHER}&issuer=LinOTP'"))
            .expect(|h, o| {
                ok(o);
                assert!(list(h).contains("LinOTP:TOTP0001A2B3\n"));
            }),
        step("ykotp code nersc --fresh --min-valid 5 | ~/bin/sshproxy.sh -u alice").expect(|h, o| {
            assert!(ok(o).contains("Successfully obtained ssh key"), "{o:#?}");
            assert!(h.p(".ssh/nersc").exists());
        }),
        // Recipes: ssh answered by ykotp askpass (the ssh stand-in asks as OpenSSH does;
        // scripts/test-askpass logs in with the real ssh against sshd + pam_oath). The
        // sshproxy line above took this window's code: a person logs in later.
        step("SSH_ASKPASS=\"$HOME/.local/bin/ykotp-askpass\" SSH_ASKPASS_REQUIRE=force ssh alice@perlmutter.nersc.gov")
            .setup(&format!("rm -f ~/.local/state/ykotp/fresh.json && cat >> ~/.config/ykotp/config.toml <<'EOF'\n{}EOF", readme_toml("password \\+ OTP")))
            .expect(|_, o| {
                assert!(ok(o).contains("logged in to perlmutter"), "{o:#?}");
            }),
        // Recipes: sudo -A (the sudo stand-in asks as sudo with pam_oath does; the real one
        // runs in scripts/test-askpass)
        step("SUDO_ASKPASS=\"$HOME/.local/bin/ykotp-askpass\" sudo -A true")
            .setup(&format!(
                "echo {LOGIN_PASSWORD} | pass insert -e login/alice >/dev/null && ykotp put sudo:alice - <<< {SECRET} && \
                 cat >> ~/.config/ykotp/config.toml <<'EOF'\n{}EOF",
                readme_toml("[account.sudo]")
            ))
            .expect(|_, o| {
                ok(o);
                assert!(o.stderr.contains("sudo stand-in: password and code accepted"), "{o:#?}");
            }),
        // Recipes: openconnect
        step("ykotp code vpn --fresh | sudo openconnect --user alice --passwd-on-stdin vpn.example.org")
            .setup(&format!(
                "echo vpn-password | pass insert -e vpn/alice >/dev/null && ykotp put VPN:alice - <<< {SECRET} && \
                 printf '[account.vpn]\\nname = \"VPN:alice\"\\nprepend_cmd = \"pass show vpn/alice\"\\n' >> ~/.config/ykotp/config.toml"
            ))
            .expect(|_, o| {
                assert!(ok(o).contains("Connected as alice"), "{o:#?}");
            }),
    ]
}

/// Installs the stand-ins, the password store, the KeePassXC database and the QR codes.
fn prepare(h: &Home) {
    // `cargo install --path .` puts ykotp here; cron's recipe names it by this path
    std::fs::create_dir_all(h.p(".cargo/bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ykotp"), h.p(".cargo/bin/ykotp")).unwrap();
    let uri_aws = format!("otpauth://totp/Amazon%20Web%20Services:root@123456789012?secret={SECRET}&issuer=Amazon%20Web%20Services");
    // stand-in for 1Password's `op read`: the field holds the URI of AWS's QR code
    h.exe("standins/op", &format!("#!/bin/sh\n# stand-in for 1Password's op\n[ \"$1 $2\" = 'read op://Private/AWS root/one-time password' ] || exit 1\necho '{uri_aws}'\n"));
    // stand-in for LastPass's lpass
    h.exe(
        "standins/lpass",
        &format!("#!/bin/sh\n# stand-in for LastPass's lpass\n[ \"$*\" = 'show --password totp/work' ] || exit 1\necho {SECRET}\n"),
    );
    // stand-in for the AWS CLI (Debian has it, but the call needs AWS): checks the code
    h.exe(
        "standins/aws",
        &format!(
            "#!/bin/bash\n# stand-in for the AWS CLI: sts get-session-token checks the MFA code like STS would\n\
             [ \"$1 $2 $3 $4 $5\" = 'sts get-session-token --serial-number arn:aws:iam::123456789012:mfa/alice --token-code' ] || exit 252\n\
             t=$(date +%s); for w in 0 -30; do [ \"$6\" = \"$(oathtool --totp -b --now @$((t + w)) {SECRET})\" ] && {{ echo '{{\"Credentials\": {{\"SessionToken\": \"x\"}}}}'; exit 0; }}; done\n\
             echo 'An error occurred (AccessDenied): MultiFactorAuthentication failed with invalid MFA one time pass code.' >&2; exit 254\n"
        ),
    );
    // stand-in for aws-vault: runs the profile's mfa_process through sh and captures its
    // stdout, with no terminal, as aws-vault does
    h.exe(
        "standins/aws-vault",
        &format!(
            "#!/bin/bash\n# stand-in for aws-vault exec PROFILE\n\
             cmd=$(sed -n \"/^\\[profile $2\\]/,/^\\[/s/^mfa_process *= *//p\" ~/.aws/config)\n\
             code=$(sh -c \"$cmd\" </dev/null) || exit 1\n\
             t=$(date +%s); for w in 0 -30; do [ \"$code\" = \"$(oathtool --totp -b --now @$((t + w)) {SECRET})\" ] && {{ echo 'mfa ok'; exit 0; }}; done\n\
             echo \"aws-vault: bad MFA code\" >&2; exit 1\n"
        ),
    );
    // stand-in for NERSC's sshproxy.sh: reads the password+OTP with the same `read` line
    // as NERSC's client, then checks it as NERSC's server would (instead of curl)
    h.exe(
        "bin/sshproxy.sh",
        &format!(
            "#!/bin/bash\n# stand-in for NERSC's sshproxy.sh: the same prompt and read, a local check instead of curl\n\
             echo called >> ~/.cache/sshproxy-calls\n\
             INPWPROMPT=yes read -p \"Enter your password+OTP: \" -s pw\nprintf \"\\n\"\n\
             t=$(date +%s); for w in 0 30; do\n\
             [ \"$pw\" = \"{LOGIN_PASSWORD}$(oathtool --totp -b --now @$((t + w)) {OTHER})\" ] && {{ mkdir -p ~/.ssh; echo key > ~/.ssh/nersc; printf 'Successfully obtained ssh key %s\\n' ~/.ssh/nersc; exit 0; }}\n\
             done\necho \"sshproxy.sh: The sshproxy server said: Authentication failed. Failed login\" >&2; exit 2\n"
        ),
    );
    // stand-in for ssh to NERSC: with SSH_ASKPASS_REQUIRE=force, OpenSSH runs SSH_ASKPASS
    // with the keyboard-interactive prompt (ssh's "(user@host) " in front) as its only
    // argument and no stdin; the check is NERSC's password immediately followed by the code
    h.exe(
        "standins/ssh",
        &format!(
            "#!/bin/bash\n# stand-in for ssh alice@perlmutter.nersc.gov: asks through SSH_ASKPASS as OpenSSH does\n\
             [ \"$SSH_ASKPASS_REQUIRE\" = force ] && [ \"$*\" = alice@perlmutter.nersc.gov ] || exit 255\n\
             pw=$(\"$SSH_ASKPASS\" '(alice@perlmutter.nersc.gov) Password + OTP: ' </dev/null) || exit 255\n\
             t=$(date +%s); for w in 0 -30; do\n\
             [ \"$pw\" = \"{LOGIN_PASSWORD}$(oathtool --totp -b --now @$((t + w)) {OTHER})\" ] && {{ echo 'logged in to perlmutter'; exit 0; }}\n\
             done\necho 'alice@perlmutter.nersc.gov: Permission denied (keyboard-interactive).' >&2; exit 255\n"
        ),
    );
    // stand-in for sudo: with -A, a PAM stack of pam_unix then pam_oath asks through
    // SUDO_ASKPASS, sudo's own prompt first; without -A it runs the command
    h.exe(
        "standins/sudo",
        &format!(
            "#!/bin/bash\n# stand-in for sudo with pam_unix + pam_oath\n\
             if [ \"$1\" = -A ]; then shift\n\
             pw=$(\"$SUDO_ASKPASS\" '[sudo] password for alice: ' </dev/null) || exit 1\n\
             code=$(\"$SUDO_ASKPASS\" \"One-time password (OATH) for \\`alice': \" </dev/null) || exit 1\n\
             [ \"$pw\" = {LOGIN_PASSWORD} ] || {{ echo 'sudo: 1 incorrect password attempt' >&2; exit 1; }}\n\
             t=$(date +%s); ok=; for w in 0 -30; do [ \"$code\" = \"$(oathtool --totp -b --now @$((t + w)) {SECRET})\" ] && ok=1; done\n\
             [ -n \"$ok\" ] || {{ echo 'sudo: 1 incorrect password attempt' >&2; exit 1; }}\n\
             echo 'sudo stand-in: password and code accepted' >&2\nfi\nexec \"$@\"\n"
        ),
    );
    // stand-in for openconnect --passwd-on-stdin: reads the password field's line from
    // stdin, checked as a VPN that takes the password followed by the code
    h.exe(
        "standins/openconnect",
        &format!(
            "#!/bin/bash\n# stand-in for openconnect\n\
             [ \"$*\" = '--user alice --passwd-on-stdin vpn.example.org' ] || exit 1\n\
             read -r pw\nt=$(date +%s); for w in 0 -30; do\n\
             [ \"$pw\" = \"vpn-password$(oathtool --totp -b --now @$((t + w)) {SECRET})\" ] && {{ echo 'Connected as alice, using SSL'; exit 0; }}\n\
             done\necho 'Login failed.' >&2; exit 1\n"
        ),
    );
    // the password store: a gpg key without passphrase, pass and its entries
    let setup = h.sh(
        &format!(
            "set -e; gpg --batch --quiet --passphrase '' --quick-gen-key 'ykotp readme test' default default never 2>/dev/null\n\
             pass init 'ykotp readme test' >/dev/null\n\
             echo {SECRET} | pass insert -e totp/github >/dev/null\n\
             echo {SECRET} | pass insert -e totp/aws >/dev/null\n\
             echo {LOGIN_PASSWORD} | pass insert -e nersc/password >/dev/null\n\
             printf 'db-password\\ndb-password\\n' | keepassxc-cli import -q -p kee.xml Passwords.kdbx\n\
             rm kee.xml"
        ),
        "",
    );
    assert_eq!(setup.code, 0, "preparing pass and KeePassXC: {setup:#?}");
    // the README's ~/.aws/config, and its first askpass rule
    for (lang, body) in readme_blocks() {
        if lang == "ini" {
            h.write(".aws/config", &body);
        }
        if lang == "toml" && body.contains("[[askpass.rule]]") && !h.p("readme-askpass.toml").exists() {
            h.write("readme-askpass.toml", &body);
        }
    }
    for (i, name) in ["one", "two"].iter().enumerate() {
        let uri = format!("otpauth://totp/Png:{name}?secret={SECRET}");
        let img = qrcode::QrCode::new(uri.as_bytes()).unwrap().render::<image::Luma<u8>>().min_dimensions(300, 300).build();
        img.save(h.p(&format!("export{}.png", i + 1))).unwrap();
    }
}

/// KeePassXC's XML for one entry whose otp attribute is an otpauth URI.
fn keepass_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeePassFile><Meta><Generator>test</Generator></Meta><Root><Group>\
         <UUID>AAAAAAAAAAAAAAAAAAAAAA==</UUID><Name>Root</Name><Entry><UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID>\
         <String><Key>Title</Key><Value>GitHub</Value></String><String><Key>UserName</Key><Value>kee</Value></String>\
         <String><Key>Password</Key><Value ProtectInMemory=\"True\">hunterhunter2</Value></String>\
         <String><Key>otp</Key><Value ProtectInMemory=\"True\">otpauth://totp/GitHub:kee?secret={OTHER}&amp;issuer=GitHub</Value></String>\
         </Entry></Group></Root></KeePassFile>\n"
    )
}

#[test]
fn every_shell_line_of_installing_usage_and_recipes_runs() {
    let h = Home { dir: tempfile::tempdir().unwrap() };
    h.write("kee.xml", &keepass_xml());
    prepare(&h);
    let blocks = readme_blocks();
    let readme_lines: Vec<String> = blocks.iter().filter(|(l, _)| l == "sh").flat_map(|(_, b)| shell_lines(b)).collect();
    let mut steps = steps();
    // no drift: every README line has its step, every step its README line, in order
    let step_lines: Vec<&str> = steps.iter().map(|s| s.line).collect();
    for line in &readme_lines {
        assert!(step_lines.contains(&line.as_str()), "README line without a step in tests/readme.rs: {line}");
    }
    for line in &step_lines {
        assert!(readme_lines.iter().any(|l| l == line), "a step's line is no longer in README.md: {line}");
    }
    assert_eq!(readme_lines, step_lines, "the steps follow the README's order");
    let mut not_run = Vec::new();
    for s in steps.drain(..) {
        if let Some(why) = s.not_run {
            not_run.push((s.line, why));
            continue;
        }
        if !s.setup.is_empty() {
            let o = h.sh(&s.setup, "");
            assert_eq!(o.code, 0, "setup for `{}`: {o:#?}", s.line);
        }
        let mut line = s.line.to_owned();
        for (from, to) in &s.subst {
            assert!(line.contains(from), "`{}` has no {from}", s.line);
            line = line.replacen(from, to, 1);
        }
        let out = h.sh(&line, &s.stdin);
        assert!(!out.stderr.contains("panicked"), "{line}: {out:#?}");
        match &s.expect {
            Some(check) => check(&h, &out),
            None => panic!("step without a check: {}", s.line),
        }
    }
    // the config examples: the Usage toml block is a valid config whose fallback computes the code
    let toml = blocks.iter().find(|(l, _)| l == "toml").map(|(_, b)| b.clone()).expect("README has a config example");
    h.write("example.toml", &toml);
    one_code_of(&h.sh("ykotp --config example.toml code aws --soft", ""), SECRET);
    // the crontab line, as cron runs it: a new day (no code printed yet), then a pulled key
    let cron: Vec<String> = blocks.iter().filter(|(l, _)| l == "cron").flat_map(|(_, b)| shell_lines(b)).collect();
    assert_eq!(cron.len(), 1, "{cron:?}");
    let _ = std::fs::remove_file(h.p(".local/state/ykotp/fresh.json"));
    let _ = std::fs::remove_file(h.p(".ssh/nersc"));
    let reader = format!("virtual:{}", h.p("key.json").display());
    let out = h.cron(&cron[0], &reader);
    assert_eq!(out.code, 0, "{out:#?}\nlog: {}", std::fs::read_to_string(h.p(".cache/sshproxy.log")).unwrap_or_default());
    assert!(h.p(".ssh/nersc").exists());
    let log = std::fs::read_to_string(h.p(".cache/sshproxy.log")).unwrap();
    assert!(log.contains("Successfully obtained ssh key"), "{log}");
    // no key (and no pcscd): one line in the log, ykotp's exit code, sshproxy.sh not run
    let calls = std::fs::read_to_string(h.p(".cache/sshproxy-calls")).unwrap().lines().count();
    let out = h.cron(&cron[0], "Yubico");
    assert!([3, 4].contains(&out.code), "{out:#?}");
    let log = std::fs::read_to_string(h.p(".cache/sshproxy.log")).unwrap();
    let error = log.lines().rev().find(|l| l.starts_with("ykotp: error: ")).unwrap_or_else(|| panic!("no error in the log: {log}"));
    let want = if out.code == 3 { "ykotp: error: cannot reach the PC/SC service" } else { "ykotp: error: no YubiKey found" };
    assert!(error.starts_with(want), "{log}");
    assert_eq!(std::fs::read_to_string(h.p(".cache/sshproxy-calls")).unwrap().lines().count(), calls, "sshproxy.sh ran without a code");
    // the lines this test does not run, and why (reported with --nocapture)
    for (line, why) in &not_run {
        eprintln!("not run: {line}: {why}");
    }
    assert_eq!(not_run.len(), 8, "{not_run:?}");
}
