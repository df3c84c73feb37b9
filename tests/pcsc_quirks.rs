//! Cards that are not YubiKeys, through the real PC/SC stack: a key that never answers
//! (pcsc-lite's SCardTransmit would wait for it forever), an empty `61xx`, a card that
//! reads a missing Le as zero, and the management applet's split answers read by ykman.
//! scripts/test starts pcscd without keys; each test serves its own key on vpcd slot 0.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const READER: &str = "Virtual PCD 00 00";

/// Creates a key with `init` arguments, serves it and waits until pcscd shows it.
fn serve(dir: &Path, init: &[&str]) -> ServedKey {
    let state = dir.join("key.json");
    let y = Ykotp::reader(READER);
    let mut c = y.bare();
    c.args(["virtual", "init", "--state", state.to_str().unwrap()]).args(init);
    exec(c, None).ok();
    serve_key(&state, &[], READER)
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn a_key_that_never_answers_ends_in_an_error_through_pcscd() {
    let dir = tempfile::tempdir().unwrap();
    let _card = serve(dir.path(), &["--quirk", "never-answers"]);
    let y = Ykotp::reader(READER);
    // readers selected OATH: from now on the key is silent, and pcscd waits for it
    let out = y.run(&["list"]);
    out.fails(4, "did not answer");
    assert!(out.stderr.contains("hint: unplug the key"), "{out:?}");
    // pcscd is still waiting for the first answer: a second try is bounded too
    y.run(&["list"]).fails(4, "did not answer");
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn an_empty_61xx_through_pcscd_names_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let y = Ykotp::reader(READER);
    {
        let _card = serve(dir.path(), &["--quirk", "empty-61xx", "--chunk", "16"]);
        y.run_in(&["put", "GitHub:alice-long-name", "-"], Some(DEMO_B32)).ok();
        y.run(&["list"]).fails(1, "the key's answer to LIST is broken: the key announced more data");
    }
}

#[test]
#[ignore = "needs pcscd without keys: run by scripts/test"]
fn missing_le_means_zero_through_pcscd() {
    let dir = tempfile::tempdir().unwrap();
    let _card = serve(dir.path(), &["--quirk", "missing-le-means-zero", "--chunk", "16"]);
    let y = Ykotp::reader(READER);
    for i in 0..3 {
        y.run_in(&["put", &format!("account-{i}"), "-"], Some(DEMO_B32)).ok();
    }
    assert_eq!(y.run(&["code", "account-1", "--at", "59"]).ok(), format!("{}\n", soft_totp(DEMO_B32, 59, 30, 6)));
    assert_eq!(y.run(&["list"]).ok(), "account-0\naccount-1\naccount-2\n");
}

#[test]
#[ignore = "needs pcscd without keys and ykman: run by scripts/test"]
fn ykman_reads_the_serial_of_a_key_with_a_small_chunk() {
    let ykman = std::env::var("YKOTP_TEST_YKMAN").expect("scripts/test sets YKOTP_TEST_YKMAN");
    let dir = tempfile::tempdir().unwrap();
    let _card = serve(dir.path(), &["--chunk", "8", "--serial", "4242"]);
    let out = exec(
        {
            let mut c = Command::new(ykman);
            c.args(["--reader", READER, "info"]);
            c
        },
        None,
    );
    assert!(out.stdout.contains("Serial number: 4242"), "{out:?}");
    let ours = Ykotp::reader(READER).run(&["info"]);
    assert!(ours.ok().contains("Serial:        4242"), "{ours:?}");
}
