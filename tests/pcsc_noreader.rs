//! Through a pcscd that has no reader at all (scripts/test starts one for this file).

mod common;
use common::*;

#[test]
#[ignore = "needs a pcscd without readers: run by scripts/test"]
fn no_reader_is_exit_3_with_a_hint() {
    let y = Ykotp::reader("unused");
    for args in [&["code", "aws"][..], &["readers"], &["list"]] {
        let mut c = y.bare();
        c.args(args);
        let out = exec(c, None);
        out.fails(3, "no smart card reader found");
        assert!(out.stderr.contains("hint: plug in your YubiKey"));
    }
    let mut c = y.bare();
    c.arg("doctor");
    let doctor = exec(c, None);
    assert_eq!(doctor.code, 3);
    assert!(
        doctor.stdout.contains("ok    pcscd: reachable") && doctor.stdout.contains("FAIL  readers: no smart card reader found"),
        "{doctor:?}"
    );
}
