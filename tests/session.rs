//! `oath::Session` against the virtual applet and scripted cards: what the session must
//! do on its own (re-select after RESET, map statuses by context, fall back when a card
//! refuses CALCULATE ALL).

use ykotp::oath::{Credential, Error, OathType, Session};
use ykotp::transport::scripted::Scripted;
use ykotp::transport::{Transport, TransportError, Wait};
use ykotp::virtual_key::state::{KeyState, DEFAULT_VERSION};
use ykotp::virtual_key::{CardEnv, VirtualKey};

struct Env(u8);

impl CardEnv for Env {
    fn random(&mut self, buf: &mut [u8]) {
        // a different salt for every RESET
        self.0 = self.0.wrapping_add(1);
        buf.fill(self.0);
    }
    fn touch(&mut self, _id: &[u8]) -> bool {
        true
    }
}

/// The pure applet as a transport.
struct Card(VirtualKey, Env);

impl Transport for Card {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.0.process(command, &mut self.1))
    }
}

fn card() -> Card {
    Card(VirtualKey::new(KeyState::new(DEFAULT_VERSION, [7; 8], None)), Env(0))
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

#[test]
fn a_password_set_after_reset_in_the_same_session_works() {
    let mut s = Session::select(card()).unwrap();
    let old_id = s.device_id();
    s.reset().unwrap();
    // the session learned the new salt
    assert_ne!(s.device_id(), old_id);
    let key = s.derive_key("hunter2");
    s.set_key(&key, &[9; 8]).unwrap();
    let mut again = Session::select(s.into_transport()).unwrap();
    assert!(again.is_locked());
    let key = again.derive_key("hunter2");
    assert_eq!(again.unlock(&key, &[3; 8]), Ok(()));
}

#[test]
fn calculate_on_a_locked_key_is_a_password_error() {
    let mut s = Session::select(card()).unwrap();
    let key = s.derive_key("pw");
    s.set_key(&key, &[1; 8]).unwrap();
    let mut s = Session::select(s.into_transport()).unwrap();
    let cred = Credential::new(b"any".to_vec(), OathType::Totp);
    assert_eq!(s.calculate(&cred, 59), Err(Error::Locked));
    assert_eq!(s.list(), Err(Error::Locked));
}

const SELECT: &str = "00A4040007A000000527210100";
const SELECT_OK: &str = "79 03 05 04 03 71 08 0102030405060708 9000";

#[test]
fn a_card_without_calculate_all_gets_list_and_calculate() {
    let script = Scripted::new([
        (h(SELECT), h(SELECT_OK)),
        (h("00A400010A7408000000000000000100"), h("6985")),
        // LIST: a TOTP and a HOTP
        (h("00A1000000"), h("72 02 21 61 72 02 11 62 9000")),
        (h("00A200010D 7101 61 7408 0000000000000001 00"), h("76 05 06 41397EEA 9000")),
        // the session remembers: no second CALCULATE ALL
        (h("00A1000000"), h("72 02 21 61 72 02 11 62 9000")),
    ]);
    let mut s = Session::select(script).unwrap();
    let rows = s.calculate_all_codes(59).unwrap();
    assert!(s.lacks_calculate_all());
    let got: Vec<_> = rows.iter().map(|r| (r.credential.id_str(), r.digits, r.code.as_ref().map(|c| c.value.clone()))).collect();
    assert_eq!(got, [("a".into(), 6, Some("287082".into())), ("b".into(), 0, None)]);
    assert_eq!(rows[1].credential.oath_type, OathType::Hotp);
    let rows = s.calculate_all(59).unwrap();
    assert!(rows.iter().all(|r| r.code.is_none()));
    assert_eq!(s.into_transport().remaining(), 0);
}

#[test]
fn a_status_after_chaining_is_send_remainings() {
    let script = Scripted::new([(h(SELECT), h(SELECT_OK)), (h("00A1000000"), h("72 02 21 61 6104")), (h("00A5000000"), h("6F00"))]);
    let mut s = Session::select(script).unwrap();
    let e = s.list().unwrap_err();
    assert_eq!(e.to_string(), "the key refused SEND REMAINING (6F00: no precise diagnosis)");
}

#[test]
fn an_empty_61xx_names_the_command() {
    let script = Scripted::new([(h(SELECT), h(SELECT_OK)), (h("00A1000000"), h("61FF"))]);
    let mut s = Session::select(script).unwrap();
    let e = s.list().unwrap_err();
    assert_eq!(e.to_string(), "the key's answer to LIST is broken: the key announced more data (61FF) but sent none");
}

/// SELECT of Nitrokey's applet: a PIN is set (PIN attempts 8) and a serial is shown.
const SELECT_PIN: &str = "79 03 04 04 04 71 08 0102030405060708 82 01 08 8F 04 00BC614E 9000";

#[test]
fn reselect_keeps_a_given_pin_and_drops_a_password_unlock() {
    // a PIN card: unlocked by VERIFY PIN, and still unlocked after SELECT again
    let verify = ykotp::oath::pin::verify_pin(b"123456").encode();
    let script = Scripted::new([(h(SELECT), h(SELECT_PIN)), (verify, h("9000")), (h(SELECT), h(SELECT_PIN))]);
    let mut s = Session::select(script).unwrap();
    assert!(s.is_locked());
    s.unlock_pin(b"123456").unwrap();
    assert!(!s.is_locked());
    s.reselect().unwrap();
    assert!(!s.is_locked(), "the PIN given in this session still counts after SELECT");
    assert_eq!(s.into_transport().remaining(), 0);

    // a key without a password stays open after SELECT again
    let mut s = Session::select(card()).unwrap();
    s.reselect().unwrap();
    assert!(!s.is_locked());
    assert!(!s.reselect().unwrap().has_password());
    // a password set in this session: SELECT again shows it and drops the unlock
    let key = s.derive_key("hunter2");
    s.set_key(&key, &[9; 8]).unwrap();
    assert!(!s.is_locked());
    assert!(s.reselect().unwrap().has_password());
    assert!(s.is_locked());
    // a card with CALCULATE ALL is not marked as lacking it
    let key = s.derive_key("hunter2");
    s.unlock(&key, &[3; 8]).unwrap();
    s.calculate_all_codes(59).unwrap();
    assert!(!s.lacks_calculate_all());
}

#[test]
fn set_pin_is_checked_by_select_and_encrypted_puts_follow_a_fresh_verify() {
    use ykotp::oath::pin;
    // SELECT of the applet before any PIN: a serial, no PIN attempts
    const SELECT_NO_PIN: &str = "79 03 04 04 04 71 08 0102030405060708 8F 04 00BC614E 9000";
    let script = Scripted::new([(h(SELECT), h(SELECT_NO_PIN)), (pin::set_pin(b"123456").encode(), h("9000")), (h(SELECT), h(SELECT_PIN))]);
    let mut s = Session::select(script).unwrap();
    s.set_pin(b"123456").unwrap();
    assert!(!s.is_locked());
    assert_eq!(s.into_transport().remaining(), 0);
    // SET PIN answered 9000 but SELECT shows no PIN: not believed
    let script =
        Scripted::new([(h(SELECT), h(SELECT_NO_PIN)), (pin::set_pin(b"123456").encode(), h("9000")), (h(SELECT), h(SELECT_NO_PIN))]);
    let mut s = Session::select(script).unwrap();
    assert!(matches!(s.set_pin(b"123456"), Err(Error::Malformed(_))));

    // an account encrypted with the PIN: PUT with property 04, right after VERIFY PIN
    let cred = ykotp::oath::CredentialData::totp("a", ykotp::otp::Secret::new(b"12345678901234567890".to_vec()));
    let put = ykotp::oath::proto::put_with_properties(&cred, pin::PROP_PIN_ENCRYPTED).encode();
    let verify = pin::verify_pin(b"123456").encode();
    let script = Scripted::new([
        (h(SELECT), h(SELECT_PIN)),
        (verify.clone(), h("9000")),
        (put.clone(), h("9000")),
        // the PIN was used by that PUT: the next one verifies it again first
        (verify, h("9000")),
        (put, h("9000")),
    ]);
    let mut s = Session::select(script).unwrap();
    s.unlock_pin(b"123456").unwrap();
    s.put_pin_encrypted(&cred).unwrap();
    s.put_pin_encrypted(&cred).unwrap();
    assert_eq!(s.into_transport().remaining(), 0);
}

/// A scripted card that also records how long each command was allowed to take.
struct Timed(Scripted, Vec<(u8, Wait)>);

impl Transport for Timed {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.transmit_within(command, Wait::Answer)
    }
    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        self.1.push((command[1], wait));
        self.0.transmit(command)
    }
}

/// CALCULATE of `id` at step `step`, truncated or not, as the session must send it.
fn calculate(id: &str, step: u64, truncate: bool) -> Vec<u8> {
    ykotp::oath::proto::calculate(id.as_bytes(), &ykotp::otp::totp_challenge(step), truncate).encode()
}

// RFC 4226's HMAC-SHA1 of counter 1 under "12345678901234567890"
const HMAC_1: &str = "75a48a19d4cbe100644e8ac1397eea747a2d33ab";

#[test]
fn calculate_reads_full_answers_and_steam_and_waits_for_touch_only_when_it_may_come() {
    let full = h(&format!("75 15 06 {HMAC_1} 9000"));
    let script = Scripted::new([
        (h(SELECT), h(SELECT_OK)),
        // a card that answers a truncated CALCULATE with the full HMAC
        (calculate("a", 1, true), full.clone()),
        // Steam: the full HMAC is asked for, and rendered in Steam's alphabet
        (calculate("Steam:s", 1, false), full.clone()),
        (calculate("t", 1, true), h("76 05 06 41397EEA 9000")),
    ]);
    let mut s = Session::select(Timed(script, Vec::new())).unwrap();
    let mut a = Credential::new(b"a".to_vec(), OathType::Totp);
    a.touch = Some(false);
    assert_eq!(s.calculate(&a, 59).unwrap().value, "287082");
    let steam = Credential::new(b"Steam:s".to_vec(), OathType::Totp);
    assert_eq!(s.calculate(&steam, 59).unwrap().value, ykotp::otp::steam_code(&h(HMAC_1)));
    let mut t = Credential::new(b"t".to_vec(), OathType::Totp);
    t.touch = Some(true);
    assert_eq!(s.calculate(&t, 59).unwrap().value, "287082");
    let Timed(script, waits) = s.into_transport();
    assert_eq!(script.remaining(), 0);
    // the account known not to need a touch gets the short deadline; one whose touch is
    // unknown (the Steam account here) or required gets the long one
    let calculates: Vec<Wait> = waits.iter().filter(|(ins, _)| *ins == 0xA2).map(|(_, w)| *w).collect();
    assert_eq!(calculates, [Wait::Answer, Wait::Touch, Wait::Touch]);
}

#[test]
fn a_touch_refused_while_filling_in_codes_marks_unknown_rows_and_fails_known_ones() {
    // no CALCULATE ALL: LIST, then a CALCULATE that wants a touch marks the row as touch
    let script = Scripted::new([
        (h(SELECT), h(SELECT_OK)),
        (h("00A400010A7408000000000000000100"), h("6D00")),
        (h("00A1000000"), h("72 02 21 61 9000")),
        (calculate("a", 1, true), h("6982")),
    ]);
    let mut s = Session::select(script).unwrap();
    let rows = s.calculate_all_codes(59).unwrap();
    assert_eq!((rows[0].credential.touch, rows[0].code.is_none()), (Some(true), true));
    // CALCULATE ALL said the 60 s row needs no touch: a touch asked for anyway is an error
    let script = Scripted::new([
        (h(SELECT), h(SELECT_OK)),
        (h("00A400010A7408000000000000000100"), h("71 04 36302F62 76 05 06 00000001 9000")),
        (calculate("60/b", 0, true), h("6982")),
    ]);
    let mut s = Session::select(script).unwrap();
    assert_eq!(s.calculate_all_codes(59).unwrap_err(), Error::TouchNotGiven);
}

#[test]
fn firmware_decides_rename_touch_and_sha512() {
    use ykotp::oath::proto::Version;
    use ykotp::oath::session::check_firmware;
    let select = |v: &str| Session::select(Scripted::new([(h(SELECT), h(&format!("79 03 {v} 71 08 0102030405060708 9000")))])).unwrap();
    assert!(!select("05 03 00").can_rename());
    assert!(select("05 03 01").can_rename());
    // Nitrokey's applet (a serial in SELECT) renames with UPDATE CREDENTIAL at any version
    let nitrokey = Session::select(Scripted::new([(h(SELECT), h("79 03 04 04 04 71 08 0102030405060708 8F 04 00BC614E 9000"))])).unwrap();
    assert!(nitrokey.can_rename());

    let mut cred = ykotp::oath::CredentialData::totp("a", ykotp::otp::Secret::new(b"12345678901234567890".to_vec()));
    cred.touch = true;
    assert!(matches!(check_firmware(Version(4, 2, 5), &cred), Err(Error::NeedsFirmware { feature: "touch", .. })));
    assert_eq!(check_firmware(Version(4, 2, 6), &cred), Ok(()));
    cred.touch = false;
    cred.algorithm = ykotp::otp::Algorithm::Sha512;
    assert!(matches!(check_firmware(Version(4, 3, 0), &cred), Err(Error::NeedsFirmware { feature: "SHA-512", .. })));
    assert_eq!(check_firmware(Version(4, 3, 1), &cred), Ok(()));
    cred.algorithm = ykotp::otp::Algorithm::Sha256;
    assert_eq!(check_firmware(Version(4, 2, 0), &cred), Ok(()));
}
