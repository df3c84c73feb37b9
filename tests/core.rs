//! Boundaries of the pure core that mutation testing found unguarded: each test pins a
//! limit or a refusal from both sides (the last value accepted, the first refused), so a
//! changed comparison, a deleted match arm or a swapped shift is caught here rather than
//! only end to end. The virtual key is driven byte by byte, as a card reader would.

use ykotp::formats::migration::{self, MigrationError};
use ykotp::iso7816::apdu::{ApduError, CommandApdu, Response, Sw};
use ykotp::iso7816::tlv::{self, TlvError};
use ykotp::oath::credential::{parse_id, CredentialData};
use ykotp::oath::{proto, OathType};
use ykotp::otp::{self, Algorithm, Secret};
use ykotp::virtual_key::state::{KeyState, StoredAccessKey};
use ykotp::virtual_key::{CardEnv, VirtualKey};

// ---------------------------------------------------------------- protobuf (migration)

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn field_bytes(field: u64, value: &[u8]) -> Vec<u8> {
    let mut out = varint(field << 3 | 2);
    out.extend(varint(value.len() as u64));
    out.extend_from_slice(value);
    out
}

fn field_varint(field: u64, value: u64) -> Vec<u8> {
    let mut out = varint(field << 3);
    out.extend(varint(value));
    out
}

fn account(name: &str, issuer: &str) -> Vec<u8> {
    let mut a = field_bytes(1, b"Hello!\xDE\xAD\xBE\xEF");
    a.extend(field_bytes(2, name.as_bytes()));
    if !issuer.is_empty() {
        a.extend(field_bytes(3, issuer.as_bytes()));
    }
    a.extend(field_varint(4, 1));
    a.extend(field_varint(5, 1));
    a.extend(field_varint(6, 2));
    a
}

fn export(payload: &[u8]) -> String {
    let b64 = data_encoding::BASE64.encode(payload);
    format!("otpauth-migration://offline?data={}", b64.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D"))
}

#[test]
fn migration_multi_byte_varints_and_long_accounts() {
    // a batch id of 300 needs two varint bytes; a 150-byte account needs a two-byte length
    let name = "n".repeat(40);
    let mut acct = account(&name, "Issuer");
    acct.extend(field_bytes(9, &[0x55; 90])); // an unknown length-delimited field, skipped
    assert!(acct.len() > 127);
    let mut payload = field_bytes(1, &acct);
    payload.extend(field_varint(2, 1)); // version
    payload.extend(field_varint(3, 2)); // batch size
    payload.extend(field_varint(4, 1)); // batch index
    payload.extend(field_varint(5, 300)); // batch id
    let batch = migration::parse(&export(&payload)).unwrap();
    assert_eq!((batch.size, batch.index, batch.id), (2, 1, 300));
    assert_eq!(batch.accounts.len(), 1);
    assert_eq!(batch.accounts[0].id(), format!("Issuer:{name}"));
    assert_eq!(batch.accounts[0].secret.as_bytes(), b"Hello!\xDE\xAD\xBE\xEF");
}

#[test]
fn migration_skips_fixed_width_fields() {
    let mut acct = account("alice", "Example");
    acct.extend([0x49]); // field 9, wire type 1: eight bytes follow
    acct.extend([1, 2, 3, 4, 5, 6, 7, 8]);
    acct.extend([0x55]); // field 10, wire type 5: four bytes follow
    acct.extend([1, 2, 3, 4]);
    let batch = migration::parse(&export(&field_bytes(1, &acct))).unwrap();
    assert_eq!(batch.accounts[0].id(), "Example:alice");
    // a fixed-width field cut short is damaged data, not a silent skip
    let mut cut = account("alice", "Example");
    cut.extend([0x49, 1, 2, 3]);
    assert!(matches!(migration::parse(&export(&field_bytes(1, &cut))), Err(MigrationError::Protobuf(_))));
    let mut cut = account("alice", "Example");
    cut.extend([0x55, 1, 2, 3]);
    assert!(matches!(migration::parse(&export(&field_bytes(1, &cut))), Err(MigrationError::Protobuf(_))));
}

#[test]
fn migration_field_that_ends_exactly_at_the_end() {
    // the account is the last field and its length is exactly what is left
    let payload = field_bytes(1, &account("bob", ""));
    let batch = migration::parse(&export(&payload)).unwrap();
    assert_eq!(batch.accounts[0].id(), "bob");
    // one byte short is truncated
    let mut short = payload.clone();
    short.pop();
    assert!(matches!(migration::parse(&export(&short)), Err(MigrationError::Protobuf(_))));
}

#[test]
fn migration_issuer_in_name_and_field() {
    let one = |name: &str, issuer: &str| {
        let batch = migration::parse(&export(&field_bytes(1, &account(name, issuer)))).unwrap();
        let a = &batch.accounts[0];
        (a.issuer.clone(), a.name.clone())
    };
    // the name's prefix agrees with the issuer field: taken once
    assert_eq!(one("GitHub:alice", "GitHub"), (Some("GitHub".into()), "alice".into()));
    // no issuer field: the name's prefix is the issuer
    assert_eq!(one("GitHub: alice", ""), (Some("GitHub".into()), "alice".into()));
    // a different issuer field: the name is kept whole
    assert_eq!(one("Work:alice", "GitHub"), (Some("GitHub".into()), "Work:alice".into()));
    // no colon: name alone
    assert_eq!(one("alice", "GitHub"), (Some("GitHub".into()), "alice".into()));
}

#[test]
fn migration_varint_limits() {
    // ten continuation bytes are not a varint
    let mut payload = vec![0x28];
    payload.extend([0x80; 10]);
    assert!(matches!(migration::parse(&export(&payload)), Err(MigrationError::Protobuf(_))));
    // the largest ten-byte varint is accepted
    let mut payload = vec![0x28];
    payload.extend(varint(u64::MAX));
    assert_eq!(migration::parse(&export(&payload)).unwrap().id, u64::MAX);
}

#[test]
fn migration_account_parameters() {
    // (algorithm, digits, type, counter) as Google Authenticator numbers them
    let one = |alg: u64, digits: u64, kind: u64, counter: Option<u64>| {
        let mut a = field_bytes(1, b"Hello!\xDE\xAD\xBE\xEF");
        a.extend(field_bytes(2, b"alice"));
        a.extend(field_varint(4, alg));
        a.extend(field_varint(5, digits));
        a.extend(field_varint(6, kind));
        if let Some(c) = counter {
            a.extend(field_varint(7, c));
        }
        migration::parse(&export(&field_bytes(1, &a))).map(|mut b| b.accounts.remove(0))
    };
    let a = one(2, 2, 1, Some(7)).unwrap();
    assert_eq!((a.algorithm, a.digits, a.oath_type, a.counter), (Algorithm::Sha256, 8, OathType::Hotp, 7));
    let a = one(3, 1, 2, None).unwrap();
    assert_eq!((a.algorithm, a.digits, a.oath_type, a.counter), (Algorithm::Sha512, 6, OathType::Totp, 0));
    // unspecified (0) algorithm and type are the defaults: SHA-1 and TOTP
    let a = one(0, 0, 0, None).unwrap();
    assert_eq!((a.algorithm, a.digits, a.oath_type), (Algorithm::Sha1, 6, OathType::Totp));
    let refused = |r: Result<CredentialData, MigrationError>, why: &str| match r {
        Err(MigrationError::Account(label, reason)) => assert!(label == "alice" && reason.contains(why), "{label}: {reason}"),
        other => panic!("expected a refused account ({why}), got {:?}", other.map(|a| a.id())),
    };
    refused(one(4, 1, 2, None), "MD5");
    refused(one(5, 1, 2, None), "unknown algorithm");
    refused(one(1, 1, 3, None), "unknown OTP type");
    refused(one(1, 1, 1, Some(1 << 32)), "32 bits");
    assert_eq!(one(1, 1, 1, Some(u32::MAX as u64)).unwrap().counter, u32::MAX);
}

// ---------------------------------------------------------------- APDU and TLV

#[test]
fn extended_apdu_with_lc_and_le() {
    // 00 A4 00 01 | 00 00 0A | ten bytes | 01 00 (extended Le 256)
    let mut wire = vec![0x00, 0xA4, 0x00, 0x01, 0x00, 0x00, 0x0A];
    wire.extend([0x74, 0x08, 0, 0, 0, 0, 0, 0, 0, 1]);
    wire.extend([0x01, 0x00]);
    let p = CommandApdu::parse(&wire).unwrap();
    assert_eq!((p.apdu.data.len(), p.le), (10, Some(256)));
    // extended Le 0000 means 65536
    let n = wire.len();
    wire[n - 2..].copy_from_slice(&[0, 0]);
    assert_eq!(CommandApdu::parse(&wire).unwrap().le, Some(65536));
    // an extended Lc that disagrees with the body, by one either way
    let mut long = vec![0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x2C];
    long.extend(vec![0x42; 299]);
    assert_eq!(CommandApdu::parse(&long), Err(ApduError::LengthMismatch));
    long.extend([0x42, 0x42]);
    assert_eq!(CommandApdu::parse(&long), Err(ApduError::LengthMismatch));
    // an extended Lc of zero is not a length
    assert_eq!(CommandApdu::parse(&[0, 1, 0, 0, 0, 0, 0, 0x42]), Err(ApduError::LengthMismatch));
}

#[test]
fn apdu_encode_switches_to_extended_at_its_limits() {
    let cmd = |n: usize, le: Option<usize>| CommandApdu { cla: 0, ins: 0x01, p1: 0, p2: 0, data: vec![0x42; n], le }.encode();
    // 255 data bytes is the last short Lc, 256 the first extended one
    assert_eq!(cmd(255, None)[4..5], [0xFF]);
    assert_eq!(cmd(255, None).len(), 4 + 1 + 255);
    assert_eq!(cmd(256, None)[4..7], [0x00, 0x01, 0x00]);
    // Ne 256 is the last short Le (written 00), 257 the first extended one
    assert_eq!(cmd(0, Some(256)), [0, 1, 0, 0, 0x00]);
    assert_eq!(cmd(0, Some(255)), [0, 1, 0, 0, 0xFF]);
    assert_eq!(cmd(0, Some(257)), [0, 1, 0, 0, 0x00, 0x01, 0x01]);
    assert_eq!(cmd(0, Some(65536)), [0, 1, 0, 0, 0x00, 0x00, 0x00]);
    // an extended Le after short-sized data makes Lc extended too
    assert_eq!(cmd(2, Some(257)), [0, 1, 0, 0, 0x00, 0x00, 0x02, 0x42, 0x42, 0x01, 0x01]);
    assert_eq!(cmd(2, Some(256)), [0, 1, 0, 0, 0x02, 0x42, 0x42, 0x00]);
}

#[test]
fn apdu_debug_shows_the_header_and_never_the_data() {
    // PUT and SET CODE data are keys: Debug (and so any log of a command) leaves them out
    let put = CommandApdu { cla: 0, ins: 0x01, p1: 0, p2: 0, data: vec![0xAB, 0xCD, 0xEF], le: Some(256) };
    let shown = format!("{put:?}");
    assert_eq!(shown, "CommandApdu(00 01 00 00, 3 data bytes, Le Some(256))");
}

#[test]
fn responses_and_status_words_show_no_data() {
    // responses carry codes and challenges: Debug shows their length only
    let r = Response::parse(&[0x12, 0x34, 0x56, 0x90, 0x00]).unwrap();
    assert_eq!(format!("{r:?}"), "Response(3 data bytes, Sw(9000))");
    assert_eq!((format!("{:?}", Sw(0x6A84)), Sw(0x6A84).to_string()), ("Sw(6A84)".to_owned(), "6A84".to_owned()));
}

#[test]
fn short_apdu_le_forms() {
    let p = CommandApdu::parse(&[0, 0xA1, 0, 0, 0x10]).unwrap();
    assert_eq!((p.apdu.data.len(), p.le), (0, Some(16)));
    let p = CommandApdu::parse(&[0, 0xA1, 0, 0, 0x02, 0xAA, 0xBB, 0x05]).unwrap();
    assert_eq!((&p.apdu.data[..], p.le), (&[0xAA, 0xBB][..], Some(5)));
    let p = CommandApdu::parse(&[0, 0xA1, 0, 0, 0x00, 0x00, 0x07]).unwrap();
    assert_eq!((p.apdu.data.len(), p.le), (0, Some(7)));
}

#[test]
fn tlv_length_byte_80_is_not_128() {
    let mut input = vec![0x71, 0x80];
    input.extend([0u8; 128]);
    assert_eq!(tlv::parse_all(&input), Err(TlvError::BadLength));
    // 7F is the last one-byte length; 81 80 is how 128 is written
    let mut ok = vec![0x71, 0x7F];
    ok.extend([0u8; 127]);
    assert_eq!(tlv::parse_all(&ok).unwrap()[0].value.len(), 127);
    let mut ok = vec![0x71, 0x81, 0x80];
    ok.extend([0u8; 128]);
    assert_eq!(tlv::parse_all(&ok).unwrap()[0].value.len(), 128);
    // a value that ends exactly at the end of the input
    assert_eq!(tlv::read(&[0x71, 0x02, 1, 2]).unwrap().1, &[] as &[u8]);
}

#[test]
fn calculate_all_pairs_start_with_a_name() {
    // result first, name second: not name/result pairs
    let swapped = [0x76, 0x05, 6, 0, 0, 0, 1, 0x71, 0x01, b'a'];
    assert!(proto::parse_calculate_all(&swapped).is_err());
    // a lone name with no result
    assert!(proto::parse_calculate_all(&[0x71, 0x01, b'a']).is_err());
    // a pair whose first tag is not NAME, although its second is a result
    assert!(proto::parse_calculate_all(&[0x72, 0x01, b'a', 0x76, 0x05, 6, 0, 0, 0, 1]).is_err());
    let good = [0x71, 0x01, b'a', 0x76, 0x05, 6, 0, 0, 0, 1];
    let rows = proto::parse_calculate_all(&good).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, b"a");
}

// ---------------------------------------------------------------- ids and secrets

#[test]
fn period_prefix_is_digits_only() {
    assert_eq!(parse_id("+5/name", OathType::Totp), (None, "+5/name".into(), 30));
    assert_eq!(parse_id("15/name", OathType::Totp), (None, "name".into(), 15));
    assert_eq!(parse_id("15/Issuer:name", OathType::Totp), (Some("Issuer".into()), "name".into(), 15));
    assert_eq!(parse_id("15/name", OathType::Hotp), (None, "15/name".into(), 0));
}

#[test]
fn library_validation_refuses_period_zero_and_bad_digits() {
    let mut c = CredentialData::totp("alice", Secret::new(vec![1; 10]));
    assert!(c.validate().is_ok());
    c.period = 0;
    assert!(c.validate().is_err());
    c.period = 1;
    assert!(c.validate().is_ok());
    for (digits, ok) in [(5, false), (6, true), (8, true), (9, false)] {
        c.digits = digits;
        assert_eq!(c.validate().is_ok(), ok, "digits {digits}");
    }
    c.digits = 6;
    c.oath_type = OathType::Hotp;
    c.period = 0;
    assert!(c.validate().is_ok(), "HOTP has no period");
}

#[test]
fn access_key_verify_refuses_wrong_proofs() {
    let key = otp::derive_access_key("password", b"saltsalt");
    let challenge = [7u8; 8];
    let proof = key.respond(&challenge);
    assert!(key.verify(&challenge, &proof));
    let mut wrong = proof.clone();
    wrong[19] ^= 1;
    assert!(!key.verify(&challenge, &wrong));
    assert!(!key.verify(&challenge, &proof[..19]));
    assert!(!key.verify(&[8u8; 8], &proof));
    let other = otp::derive_access_key("Password", b"saltsalt");
    assert!(!other.verify(&challenge, &proof));
}

// ---------------------------------------------------------------- the virtual key, card side

struct Env;

impl CardEnv for Env {
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(0x5A);
    }
    fn touch(&mut self, _id: &[u8]) -> bool {
        true
    }
}

fn card(version: proto::Version) -> VirtualKey {
    let mut k = VirtualKey::new(KeyState::new(version, [1, 2, 3, 4, 5, 6, 7, 8], None));
    assert_eq!(sw(&mut k, &hex::decode("00A4040007A0000005272101").unwrap()), "9000");
    k
}

/// Sends one command; returns the status word as hex.
fn sw(k: &mut VirtualKey, command: &[u8]) -> String {
    let r = k.process(command, &mut Env);
    hex::encode_upper(&r[r.len() - 2..])
}

fn apdu(ins: u8, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
    CommandApdu::new(ins, p1, p2, data.to_vec()).encode()
}

fn put_body(name: &[u8], kind: u8, digits: u8, secret: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    tlv::write(&mut body, 0x71, name);
    let mut key = vec![kind, digits];
    key.extend_from_slice(secret);
    tlv::write(&mut body, 0x73, &key);
    body.extend_from_slice(tail);
    body
}

fn put(k: &mut VirtualKey, name: &[u8], kind: u8, digits: u8, secret: &[u8], tail: &[u8]) -> String {
    sw(k, &apdu(0x01, 0, 0, &put_body(name, kind, digits, secret, tail)))
}

const V5: proto::Version = proto::Version(5, 4, 3);

#[test]
fn card_put_boundaries() {
    let mut k = card(V5);
    let secret = [0x31; 12];
    assert_eq!(put(&mut k, b"", 0x21, 6, &secret, &[]), "6A80", "empty name");
    assert_eq!(put(&mut k, &[b'a'; 65], 0x21, 6, &secret, &[]), "6A80", "65-byte name");
    assert_eq!(put(&mut k, &[b'a'; 64], 0x21, 6, &secret, &[]), "9000", "64-byte name");
    for (digits, want) in [(5, "6A80"), (6, "9000"), (8, "9000"), (9, "6A80")] {
        assert_eq!(put(&mut k, b"d", 0x21, digits, &secret, &[]), want, "digits {digits}");
    }
    // a key longer than the hash's block is refused (the host must hash it first)
    assert_eq!(put(&mut k, b"k", 0x21, 6, &[1; 65], &[]), "6A80");
    assert_eq!(put(&mut k, b"k", 0x21, 6, &[1; 64], &[]), "9000");
    assert_eq!(put(&mut k, b"k", 0x23, 6, &[1; 129], &[]), "6A80");
    assert_eq!(put(&mut k, b"k", 0x23, 6, &[1; 128], &[]), "9000");
    // trailing TLVs after the optional ones
    assert_eq!(put(&mut k, b"t", 0x21, 6, &secret, &[0x7A, 0x04, 0, 0, 0, 1, 0x71, 0x01, b'x']), "6A80");
    assert_eq!(put(&mut k, b"t", 0x21, 6, &secret, &[0x7A, 0x04, 0, 0, 0, 1]), "9000");
    let stored: Vec<_> = k.state.credentials.iter().map(|c| (c.id.clone(), c.digits, c.key.len())).collect();
    assert_eq!(stored, vec![(vec![b'a'; 64], 6, 12), (b"d".to_vec(), 8, 12), (b"k".to_vec(), 6, 128), (b"t".to_vec(), 6, 12)]);
}

#[test]
fn card_firmware_gates_at_their_edges() {
    let secret = [0x31; 12];
    // touch from 4.2.4
    let mut k = card(proto::Version(4, 2, 3));
    assert_eq!(put(&mut k, b"a", 0x21, 6, &secret, &[0x78, 0x02]), "6A80");
    let mut k = card(proto::Version(4, 2, 4));
    assert_eq!(put(&mut k, b"a", 0x21, 6, &secret, &[0x78, 0x02]), "9000");
    // RENAME from 5.3.0
    let rename = |k: &mut VirtualKey| {
        let mut body = Vec::new();
        tlv::write(&mut body, 0x71, b"a");
        tlv::write(&mut body, 0x71, b"b");
        sw(k, &apdu(0x05, 0, 0, &body))
    };
    let mut k = card(proto::Version(5, 2, 9));
    put(&mut k, b"a", 0x21, 6, &secret, &[]);
    assert_eq!(rename(&mut k), "6D00");
    let mut k = card(proto::Version(5, 3, 0));
    put(&mut k, b"a", 0x21, 6, &secret, &[]);
    assert_eq!(rename(&mut k), "9000");
}

#[test]
fn card_rename_boundaries() {
    let mut k = card(V5);
    put(&mut k, b"a", 0x21, 6, &[0x31; 12], &[]);
    put(&mut k, b"b", 0x21, 6, &[0x31; 12], &[]);
    let rename = |k: &mut VirtualKey, old: &[u8], new: &[u8]| {
        let mut body = Vec::new();
        tlv::write(&mut body, 0x71, old);
        tlv::write(&mut body, 0x71, new);
        sw(k, &apdu(0x05, 0, 0, &body))
    };
    assert_eq!(rename(&mut k, b"a", b""), "6A80", "empty new name");
    assert_eq!(rename(&mut k, b"a", &[b'x'; 65]), "6A80", "65-byte new name");
    assert_eq!(rename(&mut k, b"a", b"b"), "6A80", "new name taken");
    assert_eq!(rename(&mut k, b"zz", b"c"), "6984", "no such account");
    assert_eq!(rename(&mut k, b"a", &[b'x'; 64]), "9000");
    assert_eq!(k.state.credentials[0].id, vec![b'x'; 64]);
}

#[test]
fn card_calculate_challenge_limits() {
    let mut k = card(V5);
    put(&mut k, b"a", 0x21, 6, &[0x31; 12], &[]);
    let calc = |k: &mut VirtualKey, challenge: &[u8]| {
        let mut body = Vec::new();
        tlv::write(&mut body, 0x71, b"a");
        tlv::write(&mut body, 0x74, challenge);
        sw(k, &apdu(0xA2, 0, 1, &body))
    };
    assert_eq!(calc(&mut k, &[]), "6A80", "empty TOTP challenge");
    assert_eq!(calc(&mut k, &[1; 65]), "6A80", "65-byte challenge");
    assert_eq!(calc(&mut k, &[1; 64]), "9000");
    assert_eq!(calc(&mut k, &[1; 8]), "9000");
}

#[test]
fn card_calculate_all_parameters() {
    let mut k = card(V5);
    put(&mut k, b"a", 0x21, 6, &[0x31; 12], &[]);
    let mut body = Vec::new();
    tlv::write(&mut body, 0x74, &[0; 8]);
    assert_eq!(sw(&mut k, &apdu(0xA4, 0, 1, &body)), "9000");
    assert_eq!(sw(&mut k, &apdu(0xA4, 0, 0, &body)), "9000");
    assert_eq!(sw(&mut k, &apdu(0xA4, 0, 2, &body)), "6B00");
    assert_eq!(sw(&mut k, &apdu(0xA4, 1, 1, &body)), "6B00");
}

#[test]
fn card_only_increasing_is_per_credential() {
    let mut k = card(V5);
    put(&mut k, b"inc", 0x21, 6, &[0x31; 12], &[0x78, 0x01]);
    put(&mut k, b"any", 0x21, 6, &[0x31; 12], &[]);
    let calc = |k: &mut VirtualKey, name: &[u8], t: u8| {
        let mut body = Vec::new();
        tlv::write(&mut body, 0x71, name);
        tlv::write(&mut body, 0x74, &[0, 0, 0, 0, 0, 0, 0, t]);
        sw(k, &apdu(0xA2, 0, 1, &body))
    };
    assert_eq!(calc(&mut k, b"inc", 5), "9000");
    assert_eq!(calc(&mut k, b"inc", 5), "9000", "the same step again is not going back");
    assert_eq!(calc(&mut k, b"inc", 4), "6982");
    // the other credential may go back in time freely
    assert_eq!(calc(&mut k, b"any", 5), "9000");
    assert_eq!(calc(&mut k, b"any", 4), "9000");
}

#[test]
fn card_refuses_a_wrong_validate_proof() {
    let mut k = VirtualKey::new(KeyState::new(V5, [1, 2, 3, 4, 5, 6, 7, 8], None));
    let access = otp::derive_access_key("pw", &k.state.salt);
    k.state.access_key = Some(StoredAccessKey { algorithm: 0x21, key: access.as_bytes().to_vec() });
    assert_eq!(sw(&mut k, &hex::decode("00A4040007A0000005272101").unwrap()), "9000");
    let validate = |k: &mut VirtualKey, proof: &[u8], host: &[u8]| {
        let mut body = Vec::new();
        tlv::write(&mut body, 0x75, proof);
        tlv::write(&mut body, 0x74, host);
        let r = k.process(&apdu(0xA3, 0, 0, &body), &mut Env);
        hex::encode_upper(r)
    };
    let good = access.respond(&[0x5A; 8]);
    let mut bad = good.clone();
    bad[0] ^= 0x80;
    assert_eq!(validate(&mut k, &bad, &[0; 8]), "6A80", "wrong proof");
    assert_eq!(sw(&mut k, &apdu(0xA1, 0, 0, &[])), "6982", "still locked after a wrong proof");
    assert_eq!(validate(&mut k, &good, &[0; 7]), "6A80", "host challenge shorter than 8 bytes");
    let answer = validate(&mut k, &good, &[3; 8]);
    let expected = format!("7514{}9000", hex::encode_upper(access.respond(&[3; 8])));
    assert_eq!(answer, expected, "the card proves itself on the host's challenge");
    assert_eq!(sw(&mut k, &apdu(0xA1, 0, 0, &[])), "9000");
}

#[test]
fn secret_preparation_at_the_block_size() {
    // keys up to the block size are padded, longer ones hashed (RFC 2104): the edge is exact
    let at = otp::prepare_key(Algorithm::Sha1, &[7; 64]);
    assert_eq!(at.as_bytes(), &[7; 64][..]);
    let over = otp::prepare_key(Algorithm::Sha1, &[7; 65]);
    assert_eq!(over.len(), 20);
    // short keys are zero-padded to the applet's 14-byte minimum, and no further
    assert_eq!(otp::prepare_key(Algorithm::Sha1, &[7; 10]).as_bytes(), &[7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0][..]);
    assert_eq!(otp::prepare_key(Algorithm::Sha1, &[7; 15]).len(), 15);
}

#[test]
fn put_properties_combine() {
    let mut cred = CredentialData::totp("a", Secret::new(b"12345678901234567890".to_vec()));
    cred.touch = true;
    let property = |apdu: CommandApdu| {
        let body = &apdu.data;
        body.windows(2).rev().find(|w| w[0] == 0x78).map(|w| w[1])
    };
    // touch asked twice (by the caller and by the credential) is still touch
    assert_eq!(property(proto::put_with_properties(&cred, proto::PROP_REQUIRE_TOUCH)), Some(0x02));
    assert_eq!(property(proto::put_with_properties(&cred, proto::PROP_ONLY_INCREASING)), Some(0x03));
    cred.touch = false;
    assert_eq!(property(proto::put_with_properties(&cred, 0)), None);
}

#[test]
fn select_shows_whether_a_password_is_set() {
    let open = proto::parse_select(&[0x79, 0x03, 5, 4, 3, 0x71, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    assert!(!open.has_password());
    let mut locked = vec![0x79, 0x03, 5, 4, 3, 0x71, 0x08, 1, 2, 3, 4, 5, 6, 7, 8];
    locked.extend([0x74, 0x08, 9, 9, 9, 9, 9, 9, 9, 9, 0x7B, 0x01, 0x01]);
    assert!(proto::parse_select(&locked).unwrap().has_password());
}

// ---------------------------------------------------------------- the virtual key's quirks and chaining

fn key_with(change: impl FnOnce(&mut KeyState)) -> VirtualKey {
    let mut state = KeyState::new(proto::Version(5, 7, 2), [1, 2, 3, 4, 5, 6, 7, 8], Some(12_345_678));
    change(&mut state);
    VirtualKey::new(state)
}

const SELECT_OATH: [u8; 12] = [0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];
const SELECT_MGMT: [u8; 13] = [0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17];

/// The answer to LIST (with Le) of a key holding one account with a 20-byte name.
fn list_answer(k: &mut VirtualKey) -> Vec<u8> {
    k.process(&apdu_le(0xA1, 0, 0, &[]), &mut Env)
}

fn apdu_le(ins: u8, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
    CommandApdu::expecting_data(ins, p1, p2, data.to_vec()).encode()
}

fn with_account(mut k: VirtualKey) -> VirtualKey {
    // with Le: a card that reads a missing Le as zero answers SELECT with 61xx too
    assert_eq!(sw(&mut k, &[&SELECT_OATH[..], &[0x00]].concat()), "9000");
    assert_eq!(put(&mut k, b"twenty-byte-name-abc", 0x21, 6, &[0x42; 20], &[]), "9000");
    k
}

#[test]
fn card_that_never_answers_still_answers_select() {
    let mut k = key_with(|s| s.quirks.never_answers = true);
    // before the OATH applet is selected, the management applet answers
    assert!(k.respond(&SELECT_MGMT, &mut Env).is_some());
    assert!(k.respond(&apdu_le(0x1D, 0, 0, &[]), &mut Env).is_some());
    assert!(k.respond(&SELECT_OATH, &mut Env).is_some());
    assert_eq!(k.respond(&apdu_le(0xA1, 0, 0, &[]), &mut Env), None);
    // SELECT is still answered, so the key is found, and hangs mid-session again
    assert!(k.respond(&SELECT_OATH, &mut Env).is_some());
    assert_eq!(k.respond(&apdu_le(0xA4, 0, 1, &[0x74, 0x08, 0, 0, 0, 0, 0, 0, 0, 1]), &mut Env), None);
}

#[test]
fn card_reading_a_missing_le_as_zero() {
    let mut k = with_account(key_with(|s| s.quirks.missing_le_means_zero = true));
    let whole = list_answer(&mut k);
    assert_eq!(whole[whole.len() - 2..], [0x90, 0x00]);
    // LIST without Le: "send 0 bytes", the data announced with 61xx
    let r = k.process(&[0x00, 0xA1, 0x00, 0x00], &mut Env);
    assert_eq!(r, [0x61, (whole.len() - 2) as u8]);
    assert_eq!(k.process(&apdu_le(0xA5, 0, 0, &[]), &mut Env), whole);
    // a command with nothing to answer is plain 9000, Le or not
    assert_eq!(k.process(&apdu(0x02, 0, 0, &[0x71, 0x01, b'x']), &mut Env), [0x69, 0x84]);
    assert_eq!(put(&mut k, b"y", 0x21, 6, &[0x42; 20], &[]), "9000");
    assert_eq!(k.process(&apdu(0x02, 0, 0, &[0x71, 0x01, b'y']), &mut Env), [0x90, 0x00]);
}

#[test]
fn card_whose_61xx_brings_no_data_and_chunks_at_its_edge() {
    let whole = list_answer(&mut with_account(key_with(|_| {})));
    let len = whole.len() - 2;
    // exactly one chunk: answered whole, quirk or not
    let mut k = with_account(key_with(|s| {
        s.quirks.empty_more_data = true;
        s.chunk_size = len;
    }));
    assert_eq!(list_answer(&mut k), whole);
    // one byte over: the quirk announces it all and sends nothing
    let mut k = with_account(key_with(|s| {
        s.quirks.empty_more_data = true;
        s.chunk_size = len - 1;
    }));
    assert_eq!(list_answer(&mut k), [0x61, len as u8]);
    // a plain card with that chunk size sends a chunk, then the rest on SEND REMAINING
    let mut k = with_account(key_with(|s| s.chunk_size = len - 1));
    let first = list_answer(&mut k);
    assert_eq!((&first[..len - 1], &first[len - 1..]), (&whole[..len - 1], &[0x61, 0x01][..]));
    assert_eq!(k.process(&apdu_le(0xA5, 0, 0, &[]), &mut Env), [&whole[len - 1..len], &[0x90, 0x00][..]].concat());
}

/// A command's whole answer, continued with `continue_ins` while the card says 61xx;
/// each piece before the last is `piece` bytes long.
fn whole_answer(k: &mut VirtualKey, command: &[u8], continue_ins: u8, piece: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut r = k.process(command, &mut Env);
    for _ in 0..50 {
        let (data, status) = r.split_at(r.len() - 2);
        got.extend_from_slice(data);
        if status[0] != 0x61 {
            got.extend_from_slice(status);
            return got;
        }
        assert_eq!(data.len(), piece);
        r = k.process(&apdu_le(continue_ins, 0, 0, &[]), &mut Env);
    }
    panic!("the answer did not end");
}

#[test]
fn management_answers_continue_with_get_response_or_send_remaining() {
    let mut k = key_with(|_| {});
    assert!(k.process(&SELECT_MGMT, &mut Env).ends_with(&[0x90, 0x00]));
    let whole = k.process(&apdu_le(0x1D, 0, 0, &[]), &mut Env);
    assert_eq!(whole[whole.len() - 2..], [0x90, 0x00]);
    assert!(whole.len() > 12);
    for continue_ins in [0xC0, 0xA5] {
        // the OATH-only quirk does not touch the management applet
        let mut k = key_with(|s| {
            s.chunk_size = 10;
            s.quirks.empty_more_data = true;
        });
        assert!(whole_answer(&mut k, &SELECT_MGMT, continue_ins, 10).ends_with(&[0x90, 0x00]));
        assert_eq!(whole_answer(&mut k, &apdu_le(0x1D, 0, 0, &[]), continue_ins, 10), whole, "continued with {continue_ins:02X}");
    }
    // the OATH applet continues with SEND REMAINING only
    let mut k = key_with(|s| s.chunk_size = 10);
    assert!(whole_answer(&mut k, &[&SELECT_OATH[..], &[0x00]].concat(), 0xA5, 10).ends_with(&[0x90, 0x00]));
    assert_eq!(put(&mut k, b"twenty-byte-name-abc", 0x21, 6, &[0x42; 20], &[]), "9000");
    let first = list_answer(&mut k);
    assert_eq!(first[first.len() - 2], 0x61);
    assert_eq!(k.process(&apdu_le(0xC0, 0, 0, &[]), &mut Env), [0x6D, 0x00]);
}

struct NoTouch;

impl CardEnv for NoTouch {
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(0x5A);
    }
    fn touch(&mut self, _id: &[u8]) -> bool {
        false
    }
}

#[test]
fn card_that_wants_a_touch_to_delete_and_one_without_calculate_all() {
    let mut k = with_account(key_with(|s| s.quirks.touch_on_delete = true));
    let delete = apdu(0x02, 0, 0, &[&[0x71, 20][..], b"twenty-byte-name-abc"].concat());
    assert_eq!(k.process(&delete, &mut NoTouch), [0x69, 0x82]);
    assert_eq!(k.process(&apdu(0x04, 0xDE, 0xAD, &[]), &mut NoTouch), [0x69, 0x82]);
    assert_eq!(k.process(&delete, &mut Env), [0x90, 0x00]);
    // a plain key deletes without a touch
    let mut k = with_account(key_with(|_| {}));
    assert_eq!(k.process(&delete, &mut NoTouch), [0x90, 0x00]);

    let calculate_all = apdu_le(0xA4, 0, 1, &[0x74, 0x08, 0, 0, 0, 0, 0, 0, 0, 1]);
    let mut k = with_account(key_with(|s| s.quirks.no_calculate_all = true));
    assert_eq!(k.process(&calculate_all, &mut Env), [0x69, 0x85]);
    let mut k = with_account(key_with(|_| {}));
    assert!(k.process(&calculate_all, &mut Env).ends_with(&[0x90, 0x00]));
}

#[test]
fn card_put_properties_and_overwrite() {
    // firmware before 4.2.4 refuses touch, and only touch
    let mut k = key_with(|s| s.version = proto::Version(4, 2, 3));
    assert_eq!(sw(&mut k, &[&SELECT_OATH[..], &[0x00]].concat()), "9000");
    assert_eq!(put(&mut k, b"plain", 0x21, 6, &[0x42; 20], &[]), "9000");
    assert_eq!(put(&mut k, b"touch", 0x21, 6, &[0x42; 20], &[0x78, 0x02]), "6A80");
    // "only increasing" alone does not make an account ask for a touch
    let mut k = with_account(key_with(|_| {}));
    assert_eq!(put(&mut k, b"inc", 0x21, 6, &[0x42; 20], &[0x78, 0x01]), "9000");
    let all = k.process(&apdu_le(0xA4, 0, 1, &[0x74, 0x08, 0, 0, 0, 0, 0, 0, 0, 1]), &mut Env);
    let rows = proto::parse_calculate_all(&all[..all.len() - 2]).unwrap();
    let inc = rows.iter().find(|(id, _)| id == b"inc").unwrap();
    assert!(matches!(inc.1, proto::CalcResponse::Truncated { .. }), "{:?}", inc.1);
    // a card that cannot overwrite says 6983 and keeps the old account
    let mut k = with_account(key_with(|s| s.quirks.no_overwrite = true));
    assert_eq!(put(&mut k, b"twenty-byte-name-abc", 0x21, 8, &[0x43; 20], &[]), "6983");
    let mut k = with_account(key_with(|_| {}));
    assert_eq!(put(&mut k, b"twenty-byte-name-abc", 0x21, 8, &[0x43; 20], &[]), "9000");
}

#[test]
fn card_rename_needs_two_names() {
    let mut k = with_account(key_with(|_| {}));
    let rename = |old_tag: u8, new_tag: u8| {
        let mut body = Vec::new();
        tlv::write(&mut body, old_tag, b"twenty-byte-name-abc");
        tlv::write(&mut body, new_tag, b"new");
        apdu(0x05, 0, 0, &body)
    };
    assert_eq!(sw(&mut k, &rename(0x72, 0x71)), "6A80");
    assert_eq!(sw(&mut k, &rename(0x71, 0x72)), "6A80");
    assert_eq!(sw(&mut k, &rename(0x71, 0x71)), "9000");
}

#[test]
fn card_state_changes_only_when_a_calculation_must_be_remembered() {
    let mut k = card(V5);
    put(&mut k, b"inc", 0x21, 6, &[0x31; 12], &[0x78, 0x01]);
    put(&mut k, b"any", 0x21, 6, &[0x31; 12], &[]);
    put(&mut k, b"hotp", 0x11, 6, &[0x31; 12], &[]);
    assert!(k.take_dirty(), "PUT changes the state");
    let calc = |k: &mut VirtualKey, name: &[u8], challenge: &[u8]| {
        let mut body = Vec::new();
        tlv::write(&mut body, 0x71, name);
        tlv::write(&mut body, 0x74, challenge);
        sw(k, &apdu(0xA2, 0, 1, &body))
    };
    // a plain TOTP code changes nothing that must be saved
    assert_eq!(calc(&mut k, b"any", &[0, 0, 0, 0, 0, 0, 0, 5]), "9000");
    assert!(!k.take_dirty());
    assert_eq!(k.state.credentials.iter().find(|c| c.id == b"any").unwrap().last_challenge, None);
    // "only increasing" remembers the challenge, HOTP its counter
    assert_eq!(calc(&mut k, b"inc", &[0, 0, 0, 0, 0, 0, 0, 5]), "9000");
    assert!(k.take_dirty());
    assert_eq!(calc(&mut k, b"hotp", &[]), "9000");
    assert!(k.take_dirty());
    // challenges compare as numbers whatever their length: 0x00FF after 5, 0x0100 after 0x00FF
    assert_eq!(calc(&mut k, b"inc", &[0x00, 0xFF]), "9000");
    assert_eq!(calc(&mut k, b"inc", &[0x01, 0x00]), "9000");
    assert_eq!(calc(&mut k, b"inc", &[0x00, 0x00, 0x10]), "6982");
    // a counter that would wrap gives no code (it would repeat an old one)
    k.state.credentials.iter_mut().find(|c| c.id == b"hotp").unwrap().counter = u64::MAX;
    assert_eq!(calc(&mut k, b"hotp", &[]), "6985");
    k.state.credentials.iter_mut().find(|c| c.id == b"hotp").unwrap().counter = u64::MAX - 1;
    assert_eq!(calc(&mut k, b"hotp", &[]), "9000");
}
