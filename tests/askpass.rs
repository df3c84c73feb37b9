//! `ykotp askpass` against a file-backed virtual key: what each rule answers, what is
//! never answered, the fallback, and config errors. Real ssh/sudo logins against sshd
//! and pam_oath are in scripts/test-askpass.

mod common;
use common::*;
use std::path::PathBuf;

const NERSC: &str = "(alice@perlmutter.nersc.gov) Password + OTP: ";

const CONFIG: &str = r#"
[account.nersc]
name = "NERSC:alice"
prepend_cmd = "echo hunter2"

[[askpass.rule]]
prompt = 'password \+ otp'
host = "*.nersc.gov"
user = "alice"
account = "nersc"
answer = "password+code"

[[askpass.rule]]
prompt = '^Verification code:'
host = "*.nersc.gov"
account = "nersc"

[[askpass.rule]]
prompt = '^Password:'
host = "*.nersc.gov"
account = "nersc"
answer = "password"

# a rule that tries to answer host-key questions: it must not be obeyed
[[askpass.rule]]
prompt = 'continue connecting'
host = "*"
account = "nersc"
"#;

fn setup(extra: &str) -> Ykotp {
    let mut y = Ykotp::virtual_key();
    y.run_in(&["put", "NERSC:alice", "-"], Some(DEMO_B32)).ok();
    let config = y.path("config.toml");
    std::fs::write(&config, format!("{CONFIG}{extra}")).unwrap();
    y.set_env("YKOTP_CONFIG", config.to_str().unwrap());
    y
}

fn askpass(y: &Ykotp, prompt: &str) -> Out {
    y.run(&["askpass", prompt])
}

fn fresh_file(y: &Ykotp) -> PathBuf {
    y.dir.path().join("state/ykotp/fresh.json")
}

/// The code of the time step `--fresh` recorded for the account: what was answered.
fn recorded_code(y: &Ykotp) -> String {
    let text = std::fs::read_to_string(fresh_file(y)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let step = json["last_step"]["30/NERSC:alice"].as_u64().expect("a step recorded for NERSC:alice");
    soft_totp(DEMO_B32, step * 30, 30, 6)
}

#[test]
fn password_and_code_in_one_answer() {
    let y = setup("");
    let out = askpass(&y, NERSC);
    assert_eq!(out.ok(), format!("hunter2{}\n", recorded_code(&y)));
}

#[test]
fn code_alone_even_when_the_account_has_a_password() {
    let y = setup("");
    let out = askpass(&y, "(alice@login.nersc.gov) Verification code: ");
    assert_eq!(out.ok(), format!("{}\n", recorded_code(&y)));
}

#[test]
fn password_alone_computes_no_code() {
    let y = setup("");
    assert_eq!(askpass(&y, "(alice@login.nersc.gov) Password: ").ok(), "hunter2\n");
    assert!(!fresh_file(&y).exists(), "no code was needed");
}

#[test]
fn json_is_never_the_answer() {
    let y = setup("");
    let out = y.run(&["--json", "askpass", "(alice@login.nersc.gov) Verification code: "]);
    assert_eq!(out.ok(), format!("{}\n", recorded_code(&y)));
}

#[test]
fn unmatched_prompts_are_not_answered() {
    let y = setup("");
    for prompt in [
        "(bob@perlmutter.nersc.gov) Password + OTP: ",       // another user
        "(alice@nersc.gov.example.com) Password + OTP: ",    // another host
        "Password + OTP: ",                                  // no host shown: no guess
        "(alice@perlmutter.nersc.gov) Enter PIN for card: ", // another question
    ] {
        askpass(&y, prompt).fails(5, "no askpass rule matches the prompt");
    }
    assert!(!fresh_file(&y).exists(), "no code was computed");
}

#[test]
fn confirmations_are_never_answered() {
    let y = setup("");
    let hostkey = "The authenticity of host '[127.0.0.1]:2222' can't be established.\n\
                   ED25519 key fingerprint is SHA256:abc.\n\
                   Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
    let out = askpass(&y, hostkey);
    out.fails(5, "not answering a confirmation");
    assert!(out.stderr.contains("\\n"), "the prompt's newlines are shown escaped: {}", out.stderr);
    // ssh's own marking, whatever the text
    let mut y = y;
    y.set_env("SSH_ASKPASS_PROMPT", "confirm");
    askpass(&y, NERSC).fails(5, "not answering a confirmation");
    assert!(!fresh_file(&y).exists());
}

#[cfg(unix)]
fn script(y: &Ykotp, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = y.path(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[cfg(unix)]
#[test]
fn fallback_program_gets_what_no_rule_answers() {
    let y = Ykotp::virtual_key();
    let fallback = script(&y, "fallback", r#"printf 'person said yes to: %s\n' "$1""#);
    let y = setup(&format!("\n[askpass]\nfallback = \"{}\"\n", fallback.display()));
    assert_eq!(askpass(&y, "Enter PIN: ").ok(), "person said yes to: Enter PIN: \n");
    // a confirmation goes to the person too, never to a rule
    assert_eq!(
        askpass(&y, "Are you sure you want to continue connecting (yes/no)? ").ok(),
        "person said yes to: Are you sure you want to continue connecting (yes/no)? \n"
    );
    // a rule still wins over the fallback
    assert_eq!(askpass(&y, "(alice@login.nersc.gov) Password: ").ok(), "hunter2\n");
}

#[cfg(unix)]
#[test]
fn fallback_that_fails_or_loops() {
    let y = Ykotp::virtual_key();
    let no = script(&y, "no", "exit 1");
    let y2 = setup(&format!("\n[askpass]\nfallback = \"{}\"\n", no.display()));
    askpass(&y2, "Enter PIN: ").fails(1, "gave no answer (status 1)");
    // ykotp-askpass as its own fallback stops at once instead of calling itself forever
    let link = y.path("ykotp-askpass");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ykotp"), &link).unwrap();
    let y3 = setup(&format!("\n[askpass]\nfallback = \"{}\"\n", link.display()));
    let out = askpass(&y3, "Enter PIN: ");
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("calls ykotp askpass again"), "{out:?}");
    // "terminal" without a terminal
    let y4 = setup("\n[askpass]\nfallback = \"terminal\"\n");
    askpass(&y4, "Enter PIN: ").fails(5, "no terminal to ask on");
}

/// Runs the binary through a symlink named `ykotp-askpass`, as SSH_ASKPASS does.
#[cfg(unix)]
fn via_link(y: &Ykotp, prompt: &str) -> Out {
    let link = y.path("ykotp-askpass");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ykotp"), &link).unwrap();
    }
    let mut c = std::process::Command::new(&link);
    for (k, v) in y.bare().get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env("YKOTP_READER", &y.reader).arg(prompt);
    exec(c, None)
}

#[cfg(unix)]
#[test]
fn runs_as_ykotp_askpass_with_the_prompt_alone() {
    let y = setup("\n[[askpass.rule]]\nprompt = '^-x'\naccount = \"nersc\"\nanswer = \"password\"\n");
    assert_eq!(via_link(&y, NERSC).ok(), format!("hunter2{}\n", recorded_code(&y)));
    // a prompt that looks like an option is still the prompt
    assert_eq!(via_link(&y, "-x").ok(), "hunter2\n");
}

#[test]
fn config_errors_name_their_line() {
    let y = Ykotp::virtual_key();
    let cases = [
        ("[[askpass.rule]]\nprompt = '('\naccount = \"a\"\n", "config.toml:2: askpass rule: prompt is not a valid regular expression"),
        ("[[askpass.rule]]\nprompt = 'x'\nhost = \"\"\naccount = \"a\"\n", "config.toml:2: askpass rule: host: the pattern is empty"),
        (
            "[[askpass.rule]]\nprompt = 'x'\naccount = \"a\"\nanswer = \"password\"\n",
            "config.toml:3: askpass rule: answering with the password needs [account.a] with a prepend_cmd",
        ),
        ("[[askpass.rule]]\nprompt = 'x'\naccount = \"a\"\nanswer = \"pin\"\n", "config.toml:4: unknown variant `pin`"),
        ("[askpass]\nfallbak = \"x\"\n", "config.toml:2: unknown field `fallbak`"),
    ];
    for (text, want) in cases {
        let config = y.path("config.toml");
        std::fs::write(&config, text).unwrap();
        let out = y.run(&["--config", config.to_str().unwrap(), "askpass", "x"]);
        out.fails(2, want);
    }
}

#[test]
fn software_fallback_when_no_key_holds_the_account() {
    let y = setup(
        "\n[account.gh]\nname = \"GitHub:alice\"\nfallback_cmd = \"echo JBSWY3DPEHPK3PXP\"\n\n\
         [[askpass.rule]]\nprompt = 'github code'\naccount = \"gh\"\n",
    );
    let out = askpass(&y, "GitHub code: ");
    let text = std::fs::read_to_string(fresh_file(&y)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let step = json["last_step"]["30/GitHub:alice"].as_u64().expect("--fresh recorded the step");
    assert_eq!(out.ok(), format!("{}\n", soft_totp(DEMO_B32, step * 30, 30, 6)));
    assert!(out.stderr.contains("computing the code in software"), "{out:?}");
}
