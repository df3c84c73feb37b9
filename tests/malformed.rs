//! A card that answers nonsense: truncated TLVs, wrong lengths, unknown tags, a `61xx`
//! chain that never ends. The session must return an error, never hang or panic.

use std::collections::VecDeque;
use ykotp::oath::{Credential, Error, OathType, Session};
use ykotp::transport::{Transport, TransportError};

/// Answers from a list, whatever is asked.
struct Canned(VecDeque<Vec<u8>>);

impl Transport for Canned {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.0.pop_front().unwrap_or_else(|| vec![0x6F, 0x00]))
    }
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

const SELECT_OK: &str = "79 03 05 04 03 71 08 0102030405060708 9000";

fn session(after_select: &[&str]) -> Session<Canned> {
    let mut answers = vec![h(SELECT_OK)];
    answers.extend(after_select.iter().map(|a| h(a)));
    Session::select(Canned(answers.into())).unwrap()
}

#[test]
fn broken_select_answers() {
    for (answer, want) in [
        ("79 03 05 04 9000", Error::Malformed("SELECT response is not valid TLV")),
        ("71 08 0102030405060708 9000", Error::Malformed("SELECT response has no 3-byte version")),
        ("79 03 05 04 03 9000", Error::Malformed("SELECT response has no salt")),
        ("6A82", Error::AppletNotFound),
        ("90", Error::Transport(TransportError::Malformed)),
        ("", Error::Transport(TransportError::Malformed)),
    ] {
        let got = Session::select(Canned(vec![h(answer)].into())).err();
        assert_eq!(got, Some(want), "{answer}");
    }
}

#[test]
fn broken_calculate_all_answers() {
    for answer in [
        "71 05 61 9000",                   // a length past the end
        "71 01 61 9000",                   // a name without a result
        "71 01 61 99 01 06 9000",          // an unknown result tag
        "71 01 61 76 03 06 01 02 9000",    // a truncated value of 2 bytes
        "71 01 61 76 00 9000",             // an empty result
        "76 05 06 01 02 03 04 9000",       // a result without a name
        "71 83 00 00 01 61 77 01 06 9000", // a length form YKOATH never uses
    ] {
        let mut s = session(&[answer]);
        assert!(matches!(s.calculate_all(59), Err(Error::Malformed(_))), "{answer}");
    }
}

#[test]
fn broken_list_and_calculate_answers() {
    let mut s = session(&["72 02 31 61 9000"]);
    assert_eq!(s.list(), Err(Error::Malformed("LIST entry has an unknown type")));
    let mut s = session(&["72 00 9000"]);
    assert_eq!(s.list(), Err(Error::Malformed("LIST entry is empty")));
    let cred = Credential::new(b"a".to_vec(), OathType::Totp);
    let mut s = session(&["9000"]);
    assert_eq!(s.calculate(&cred, 59), Err(Error::Malformed("CALCULATE response is empty")));
    let mut s = session(&["77 01 06 9000"]);
    assert_eq!(s.calculate(&cred, 59), Err(Error::Malformed("CALCULATE returned no value")));
}

/// 61xx forever: the chain is cut (at 64 KiB here) instead of looping.
struct Endless(usize);

impl Transport for Endless {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0 += 1;
        if self.0 == 1 {
            return Ok(h(SELECT_OK));
        }
        let mut chunk = vec![0x71; 254];
        chunk.extend([0x61, 0xFF]);
        Ok(chunk)
    }
}

#[test]
fn a_chain_that_never_ends_is_cut() {
    let mut s = Session::select(Endless(0)).unwrap();
    let e = s.calculate_all(59).unwrap_err();
    assert!(matches!(&e, Error::BrokenChain { command: "CALCULATE ALL", why: TransportError::EndlessChain { .. } }), "{e:?}");
    let sent = s.into_transport().0;
    assert!(sent < 300, "sent {sent} APDUs");
}

#[test]
fn a_card_that_cannot_prove_the_password() {
    // locked SELECT, then a VALIDATE answer with a wrong proof
    let select = "79 03 05 04 03 71 08 0000000000000000 74 08 A1A2A3A4A5A6A7A8 7B 01 21 9000";
    let mut s = Session::select(Canned(vec![h(select), h(&format!("75 14 {} 9000", "00".repeat(20)))].into())).unwrap();
    let key = s.derive_key("foobar");
    assert_eq!(s.unlock(&key, &[1; 8]), Err(Error::CardNotAuthentic));
    assert!(s.is_locked());
}
