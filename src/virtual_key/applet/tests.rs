//! Instruction-level checks of the virtual applet: gates, capacity, firmware limits, touch.

use super::*;
use crate::virtual_key::state::{KeyState, DEFAULT_VERSION};

struct Fixed {
    touch: bool,
}

impl CardEnv for Fixed {
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(0xA5);
    }
    fn touch(&mut self, _id: &[u8]) -> bool {
        self.touch
    }
}

fn key() -> VirtualKey {
    VirtualKey::new(KeyState::new(DEFAULT_VERSION, [1, 2, 3, 4, 5, 6, 7, 8], Some(12345678)))
}

fn run(k: &mut VirtualKey, hexcmd: &str) -> String {
    hex::encode_upper(k.process(&hex::decode(hexcmd.replace(' ', "")).unwrap(), &mut Fixed { touch: true }))
}

/// A command with its Lc computed from the body.
fn cmd(header: &str, body: &str) -> String {
    let body = body.replace(' ', "");
    format!("{header}{:02X}{body}", body.len() / 2)
}

fn put(name: &str, kind: &str, extra: &str) -> String {
    cmd("00010000", &format!("71{:02X}{} 730E{kind}06{} {extra}", name.len(), hex::encode(name), "31".repeat(12)))
}

const SELECT: &str = "00A4040007A0000005272101";

#[test]
fn nothing_selected_and_other_aids() {
    let mut k = key();
    assert_eq!(run(&mut k, "00A10000"), "6D00");
    assert_eq!(run(&mut k, "00A4040005A000000308"), "6A82");
    assert_eq!(run(&mut k, "00A10000"), "6D00");
    assert_eq!(run(&mut k, "01"), "6700");
}

#[test]
fn management_reports_serial_and_version() {
    let mut k = key();
    let r = run(&mut k, "00A4040008A000000527471117");
    assert!(r.ends_with("9000"));
    assert!(String::from_utf8(hex::decode(&r[..r.len() - 4]).unwrap()).unwrap().ends_with("5.4.3"));
    let info = run(&mut k, "001D0000");
    assert!(info.contains("020400BC614E"), "{info}");
    assert!(info.contains("0503050403"), "{info}");
}

#[test]
fn capacity_by_firmware() {
    for (version, cap) in [(Version(5, 4, 3), 32usize), (Version(5, 7, 0), 64)] {
        let mut k = VirtualKey::new(KeyState::new(version, [0; 8], None));
        run(&mut k, SELECT);
        for i in 0..cap {
            let name = format!("{i:02}");
            assert_eq!(run(&mut k, &put(&name, "21", "")), "9000", "{i}");
        }
        assert_eq!(run(&mut k, &put("zz", "21", "")), "6A84");
        // overwriting an existing id still works on a full key
        assert_eq!(run(&mut k, &put("00", "22", "")), "9000");
        assert_eq!(k.state.credentials[0].kind, 0x22);
        assert_eq!(k.state.credentials.len(), cap);
    }
}

#[test]
fn put_refuses_bad_input() {
    let mut k = VirtualKey::new(KeyState::new(Version(4, 2, 0), [0; 8], None));
    run(&mut k, SELECT);
    // SHA-512 before 4.3.1
    assert_eq!(run(&mut k, &put("a", "23", "")), "6A80");
    // touch before 4.2.4
    assert_eq!(run(&mut k, &put("a", "21", "7802")), "6A80");
    assert_eq!(run(&mut k, &put("a", "31", "")), "6A80");
    assert_eq!(run(&mut k, &put("a", "21", "7A03000001")), "6A80");
    assert_eq!(run(&mut k, &put("a", "21", "99")), "6A80");
    // 65-byte name
    assert_eq!(run(&mut k, &put(&"a".repeat(65), "21", "")), "6A80");
    // name then key out of order
    assert_eq!(run(&mut k, &cmd("00010000", &format!("730E2106{} 710161", "00".repeat(12)))), "6A80");
    assert!(k.state.credentials.is_empty());
    // RENAME before 5.3.0
    assert_eq!(run(&mut k, "0005000006710161710162"), "6D00");
}

#[test]
fn wrong_p1p2() {
    let mut k = key();
    run(&mut k, SELECT);
    assert_eq!(run(&mut k, "00040000"), "6B00");
    assert_eq!(run(&mut k, "00A10100"), "6B00");
    assert_eq!(run(&mut k, "00A2000206710161740100"), "6B00");
    assert_eq!(run(&mut k, "00FF0000"), "6D00");
    assert_eq!(run(&mut k, "80A10000"), "6E00");
}

#[test]
fn touch_denied_and_only_increasing() {
    let mut k = key();
    run(&mut k, SELECT);
    assert_eq!(run(&mut k, &put("a", "21", "7802")), "9000");
    let calc = "00A200010D710161740800000000000000 01".replace(' ', "");
    let denied = hex::encode_upper(k.process(&hex::decode(&calc).unwrap(), &mut Fixed { touch: false }));
    assert_eq!(denied, "6982");
    assert!(run(&mut k, &calc).ends_with("9000"));
    // only increasing (property 01), never set by ykman but part of the protocol
    assert_eq!(run(&mut k, &put("b", "21", "7801")), "9000");
    assert!(run(&mut k, "00A200010D710162740800000000000000 05").ends_with("9000"));
    assert!(run(&mut k, "00A200010D710162740800000000000000 05").ends_with("9000"));
    assert_eq!(run(&mut k, "00A200010D710162740800000000000000 04"), "6982");
}

#[test]
fn reset_works_while_locked_and_changes_the_salt() {
    let mut k = key();
    k.state.access_key = Some(StoredAccessKey { algorithm: 0x21, key: vec![7; 16] });
    run(&mut k, SELECT);
    assert_eq!(run(&mut k, "00A10000"), "6982");
    assert_eq!(run(&mut k, "0004DEAD"), "9000");
    assert_eq!(k.state.salt, vec![0xA5; 8]);
    assert!(k.state.access_key.is_none());
    assert!(k.take_dirty());
    assert!(!k.take_dirty());
}

#[test]
fn power_cycle_drops_authentication() {
    let mut k = key();
    let access = otp::derive_access_key("pw", &k.state.salt);
    k.state.access_key = Some(StoredAccessKey { algorithm: 0x21, key: access.as_bytes().to_vec() });
    run(&mut k, SELECT);
    let proof = access.respond(&[0xA5; 8]);
    let cmd = format!("00A3000020 7514{} 7408{}", hex::encode(&proof), "00".repeat(8));
    assert!(run(&mut k, &cmd).ends_with("9000"));
    assert_eq!(run(&mut k, "00A10000"), "9000");
    k.power_cycle();
    assert_eq!(run(&mut k, "00A10000"), "6D00");
    run(&mut k, SELECT);
    assert_eq!(run(&mut k, "00A10000"), "6982");
}
